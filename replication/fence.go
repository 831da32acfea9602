package replication

import (
	"encoding/binary"
	"fmt"

	"github.com/qunchat/qun/persistence"
)

// Fenced batches. A ShardStore (one grain activation) proposes every batch
// with a fence: for each stream the batch touches, the applied last seq it
// was built on (Prev), and which of its events are rewrites of records the
// activation already holds (a recall's tombstone). StoreApplier applies it
// on every replica, deterministically, only if
//
//   - every stream's applied last seq equals its Prev (a compare-and-set:
//     a batch from an activation that missed a write, or a replay of a
//     batch already applied, is rejected with ErrSeqGap);
//   - every event of a stream with events has a fence;
//   - every rewrite has a seq in [1, Prev] and its stream is not dropped
//     in the same batch (it replaces an existing record, it adds none);
//   - the other events (appends) have seqs above Prev, strictly
//     increasing. Appends may skip seqs: a live room's chatter takes seqs
//     that are kept in its retention ring (KV keys written in the same
//     batch), not in the journal. The compare-and-set still refuses a
//     batch that follows a lost one, so a hole can only be the writer's.
//
// The epoch fence (the command's epoch must equal its entry's term) is
// checked before, as for every command.
//
// Encoding: fencedVersion(1) | fences | rewrites | the batch as EncodeBatch
// writes it after its version byte. fences is a uvarint count of (stream,
// prev uvarint) pairs; rewrites a uvarint count of event indexes
// (uvarints, strictly ascending, each below the event count).

// StreamFence is a fenced batch's claim about one stream.
type StreamFence struct {
	Stream string
	// Prev is the stream's applied last seq (the highest of its journal's
	// last seq and its snapshot's seq) the batch was built on.
	Prev uint64
}

// FencedBatch is a batch with its fence. Fences is nil for a plain batch
// (EncodeBatch), which apply fences the older way: each stream's events
// must continue its applied last seq exactly, with no rewrites.
type FencedBatch struct {
	Batch  *persistence.Batch
	Fences []StreamFence
	// Rewrites are indexes into Batch.Events, ascending.
	Rewrites []int
}

// EncodeFencedBatch encodes f for StoreApplier.
func EncodeFencedBatch(f FencedBatch) ([]byte, error) {
	head := make([]byte, 0, 1+2*binary.MaxVarintLen64+len(f.Fences)*(2*binary.MaxVarintLen64+32)+len(f.Rewrites)*2)
	head = append(head, fencedVersion)
	head = binary.AppendUvarint(head, uint64(len(f.Fences)))
	for _, x := range f.Fences {
		head = binary.AppendUvarint(head, uint64(len(x.Stream)))
		head = append(head, x.Stream...)
		head = binary.AppendUvarint(head, x.Prev)
	}
	head = binary.AppendUvarint(head, uint64(len(f.Rewrites)))
	for _, i := range f.Rewrites {
		head = binary.AppendUvarint(head, uint64(i))
	}
	return encodeBatch(f.Batch, head)
}

// DecodeFencedBatch decodes EncodeBatch's or EncodeFencedBatch's output
// (Fences nil for the former). The rewrite indexes are checked against
// the event count; byte strings alias p.
func DecodeFencedBatch(p []byte) (FencedBatch, error) {
	d := decoder{p: p}
	var f FencedBatch
	switch v := d.byte(); v {
	case batchVersion:
	case fencedVersion:
		n := d.count()
		f.Fences = make([]StreamFence, 0, n)
		for i := 0; i < n; i++ {
			f.Fences = append(f.Fences, StreamFence{Stream: d.str(), Prev: d.uvarint()})
		}
		if n := d.count(); n > 0 {
			f.Rewrites = make([]int, 0, n)
			for i := 0; i < n; i++ {
				x := d.uvarint()
				if x > uint64(len(d.p)) || (i > 0 && x <= uint64(f.Rewrites[i-1])) {
					d.fail("rewrite index")
				}
				f.Rewrites = append(f.Rewrites, int(x))
			}
		}
	default:
		return FencedBatch{}, fmt.Errorf("%w: batch version %d", ErrCorrupt, v)
	}
	if d.err != nil {
		return FencedBatch{}, d.err
	}
	b, err := decodeBatch(&d)
	if err != nil {
		return FencedBatch{}, err
	}
	if n := len(f.Rewrites); n > 0 && f.Rewrites[n-1] >= len(b.Events) {
		return FencedBatch{}, fmt.Errorf("%w: rewrite index %d of %d events", ErrCorrupt, f.Rewrites[n-1], len(b.Events))
	}
	f.Batch = b
	return f, nil
}

// fence checks f against the applied last seqs (last) and returns, per
// stream with appends, its highest appended seq.
func fence(f *FencedBatch, last func(stream string) (uint64, error)) (map[string]uint64, error) {
	if f.Fences == nil {
		return fencePlain(f.Batch, last)
	}
	b := f.Batch
	prev := make(map[string]uint64, len(f.Fences))
	for _, x := range f.Fences {
		if !persistence.ValidStream(x.Stream) {
			return nil, persistence.ErrInvalidStream
		}
		if _, dup := prev[x.Stream]; dup {
			return nil, fmt.Errorf("%w: stream %q fenced twice", ErrCorrupt, x.Stream)
		}
		applied, err := last(x.Stream)
		if err != nil {
			return nil, err
		}
		if applied != x.Prev {
			return nil, fmt.Errorf("%w: stream %q applied last seq is %d, the batch follows %d (stale writer)", ErrSeqGap, x.Stream, applied, x.Prev)
		}
		prev[x.Stream] = x.Prev
	}
	hi := map[string]uint64{}
	rw := f.Rewrites
	for i := range b.Events {
		e := &b.Events[i]
		p, ok := prev[e.Stream]
		if !ok {
			return nil, fmt.Errorf("%w: stream %q has events and no fence", ErrSeqGap, e.Stream)
		}
		if len(rw) > 0 && rw[0] == i {
			rw = rw[1:]
			if e.Seq > p {
				return nil, fmt.Errorf("%w: stream %q rewrite of seq %d past its last seq %d", ErrSeqGap, e.Stream, e.Seq, p)
			}
			for _, s := range b.DropStreams {
				if s == e.Stream {
					return nil, fmt.Errorf("%w: stream %q rewritten and dropped in one batch", ErrSeqGap, e.Stream)
				}
			}
			continue
		}
		floor := p
		if h, ok := hi[e.Stream]; ok {
			floor = h
		}
		if e.Seq <= floor {
			return nil, fmt.Errorf("%w: stream %q event seq %d, want above %d", ErrSeqGap, e.Stream, e.Seq, floor)
		}
		hi[e.Stream] = e.Seq
	}
	return hi, nil
}

// fencePlain fences a plain batch: per stream, the events must continue
// the applied last seq exactly (last+1, last+2, ...).
func fencePlain(b *persistence.Batch, last func(string) (uint64, error)) (map[string]uint64, error) {
	hi := map[string]uint64{}
	for i := range b.Events {
		e := &b.Events[i]
		h, ok := hi[e.Stream]
		if !ok {
			l, err := last(e.Stream)
			if err != nil {
				return nil, err
			}
			h = l
		}
		if e.Seq != h+1 {
			return nil, fmt.Errorf("%w: stream %q event seq %d, want %d", ErrSeqGap, e.Stream, e.Seq, h+1)
		}
		hi[e.Stream] = e.Seq
	}
	return hi, nil
}
