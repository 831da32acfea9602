package replication

import (
	"encoding/binary"
	"fmt"

	"github.com/qunchat/qun/persistence"
)

// The first byte of an encoded persistence.Batch: batchVersion for
// EncodeBatch's plain batches, fencedVersion for ShardStore's fenced ones
// (fence.go).
const (
	batchVersion  = 1
	fencedVersion = 2
)

// EncodeBatch encodes b (without Raw ops, which grains never write) as
// command bytes for StoreApplier:
//
//	version(1) | drops | deletes | events | snapshots | puts
//
// each list a uvarint count then its items; strings and byte strings are a
// uvarint length then the bytes; seqs are uvarints.
func EncodeBatch(b *persistence.Batch) ([]byte, error) {
	return encodeBatch(b, []byte{batchVersion})
}

// encodeBatch appends b's encoding (after the version) to head.
func encodeBatch(b *persistence.Batch, head []byte) ([]byte, error) {
	if b == nil {
		b = &persistence.Batch{}
	}
	if len(b.Raw) > 0 {
		return nil, fmt.Errorf("%w: a replicated batch cannot carry raw ops", ErrRejected)
	}
	size := len(head) + 5*binary.MaxVarintLen64
	for _, s := range b.DropStreams {
		size += binary.MaxVarintLen64 + len(s)
	}
	for _, s := range b.Deletes {
		size += binary.MaxVarintLen64 + len(s)
	}
	for i := range b.Events {
		size += 3*binary.MaxVarintLen64 + len(b.Events[i].Stream) + len(b.Events[i].Data)
	}
	for i := range b.Snapshots {
		size += 3*binary.MaxVarintLen64 + len(b.Snapshots[i].Stream) + len(b.Snapshots[i].Data)
	}
	for i := range b.Puts {
		size += 2*binary.MaxVarintLen64 + len(b.Puts[i].Key) + len(b.Puts[i].Value)
	}
	out := make([]byte, 0, size)
	out = append(out, head...)
	str := func(s string) { out = binary.AppendUvarint(out, uint64(len(s))); out = append(out, s...) }
	byt := func(s []byte) { out = binary.AppendUvarint(out, uint64(len(s))); out = append(out, s...) }
	out = binary.AppendUvarint(out, uint64(len(b.DropStreams)))
	for _, s := range b.DropStreams {
		str(s)
	}
	out = binary.AppendUvarint(out, uint64(len(b.Deletes)))
	for _, s := range b.Deletes {
		str(s)
	}
	out = binary.AppendUvarint(out, uint64(len(b.Events)))
	for i := range b.Events {
		e := &b.Events[i]
		str(e.Stream)
		out = binary.AppendUvarint(out, e.Seq)
		byt(e.Data)
	}
	out = binary.AppendUvarint(out, uint64(len(b.Snapshots)))
	for i := range b.Snapshots {
		s := &b.Snapshots[i]
		str(s.Stream)
		out = binary.AppendUvarint(out, s.Seq)
		byt(s.Data)
	}
	out = binary.AppendUvarint(out, uint64(len(b.Puts)))
	for i := range b.Puts {
		str(b.Puts[i].Key)
		byt(b.Puts[i].Value)
	}
	return out, nil
}

// DecodeBatch decodes the batch of EncodeBatch's or ShardStore's output
// (without the fence of the latter; DecodeFencedBatch has it). Every count
// and length is bounded by the bytes left before anything is allocated;
// byte strings alias p.
func DecodeBatch(p []byte) (*persistence.Batch, error) {
	f, err := DecodeFencedBatch(p)
	return f.Batch, err
}

// decodeBatch decodes the batch part (after the version and any fence).
func decodeBatch(d *decoder) (*persistence.Batch, error) {
	b := &persistence.Batch{}
	if n := d.count(); n > 0 {
		b.DropStreams = make([]string, 0, n)
		for i := 0; i < n; i++ {
			b.DropStreams = append(b.DropStreams, d.str())
		}
	}
	if n := d.count(); n > 0 {
		b.Deletes = make([]string, 0, n)
		for i := 0; i < n; i++ {
			b.Deletes = append(b.Deletes, d.str())
		}
	}
	if n := d.count(); n > 0 {
		b.Events = make([]persistence.Event, 0, n)
		for i := 0; i < n; i++ {
			b.Events = append(b.Events, persistence.Event{Stream: d.str(), Seq: d.uvarint(), Data: d.bytes()})
		}
	}
	if n := d.count(); n > 0 {
		b.Snapshots = make([]persistence.Snapshot, 0, n)
		for i := 0; i < n; i++ {
			b.Snapshots = append(b.Snapshots, persistence.Snapshot{Stream: d.str(), Seq: d.uvarint(), Data: d.bytes()})
		}
	}
	if n := d.count(); n > 0 {
		b.Puts = make([]persistence.KV, 0, n)
		for i := 0; i < n; i++ {
			b.Puts = append(b.Puts, persistence.KV{Key: d.str(), Value: d.bytes()})
		}
	}
	if d.err == nil && len(d.p) != 0 {
		d.err = fmt.Errorf("%w: %d trailing bytes in batch", ErrCorrupt, len(d.p))
	}
	if d.err != nil {
		return nil, d.err
	}
	return b, nil
}

// decoder reads a byte string; after the first error every read returns
// zero values and err keeps that error.
type decoder struct {
	p   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: truncated or invalid %s", ErrCorrupt, what)
	}
	d.p = nil
}

func (d *decoder) byte() byte {
	if len(d.p) < 1 {
		d.fail("header")
		return 0
	}
	v := d.p[0]
	d.p = d.p[1:]
	return v
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.p)
	if n <= 0 {
		d.fail("varint")
		return 0
	}
	d.p = d.p[n:]
	return v
}

// count reads a list length: every item takes at least one byte, so a
// count above the bytes left is corrupt.
func (d *decoder) count() int {
	v := d.uvarint()
	if v > uint64(len(d.p)) {
		d.fail("count")
		return 0
	}
	return int(v)
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.p)) {
		d.fail("length")
		return nil
	}
	v := d.p[:n:n]
	d.p = d.p[n:]
	return v
}

func (d *decoder) str() string { return string(d.bytes()) }
