package persistence

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Raw access to the Pebble keyspace, for the replication layer: it keeps its
// own state (raft log, hard state, applied state) under keys that start with
// RawTag, applies replicated writes as ordered raw operations, and reads
// consistent point-in-time views of a shard's keys to ship them to a replica.
// Only PebbleStore supports it; MemoryStore refuses a Batch with Raw ops.

// RawTag is the first byte of every key reserved for raw users. The store's
// own keys start with 'j', 's' and 'k'.
const RawTag = 'r'

// RawKind is what a RawOp does.
type RawKind uint8

// Raw operation kinds.
const (
	RawSet         RawKind = iota + 1 // Key = Value
	RawDelete                         // delete Key
	RawDeleteRange                    // delete [Key, End)
)

// RawOp is one write of a Batch's Raw list. Raw ops are applied after every
// other part of the Batch, in list order (a later op wins). Keys are full
// Pebble keys: RawTag keys, or store keys built with JournalBounds,
// SnapshotKey and KVKey.
type RawOp struct {
	Kind  RawKind
	Key   []byte
	Value []byte // RawSet only
	End   []byte // RawDeleteRange only: exclusive upper bound, > Key
}

var (
	// ErrRawUnsupported is reported by a store that cannot apply raw operations.
	ErrRawUnsupported = errors.New("persistence: raw operations not supported by this store")
	// ErrInvalidRaw is reported for a malformed RawOp.
	ErrInvalidRaw = errors.New("persistence: invalid raw operation")
)

// RawReader reads full Pebble keys.
type RawReader interface {
	// RawGet returns a copy of the value of key.
	RawGet(key []byte) (value []byte, ok bool, err error)
	// RawScan calls fn for every key in [lower, upper) in order, until fn
	// returns false. k and v are only valid during the call.
	RawScan(lower, upper []byte, fn func(k, v []byte) bool) error
}

// RawView is a consistent point-in-time RawReader. Close it when done.
type RawView interface {
	RawReader
	Close() error
}

// JournalBounds returns the key range [lo, hi) of stream's journal.
func JournalBounds(stream string) (lo, hi []byte) {
	return appendJournalPrefix(nil, stream), appendJournalEnd(nil, stream)
}

// SnapshotKey returns the key of stream's snapshot.
func SnapshotKey(stream string) []byte { return appendSnapshotKey(nil, stream) }

// KVKey returns the key of a KV entry.
func KVKey(key string) []byte { return appendKVKey(nil, key) }

// PrefixEnd returns the smallest key greater than every key starting with
// prefix, or nil if there is none.
func PrefixEnd(prefix []byte) []byte { return prefixEnd(prefix) }

// AppendRawOps appends to dst the raw operations equivalent to b's parts
// (DropStreams, Deletes, Events, Snapshots, Puts, then b.Raw), in the order
// the store applies them, so that several Batches can be applied in order in
// one Pebble batch. It validates b like Commit does.
func AppendRawOps(dst []RawOp, b *Batch) ([]RawOp, error) {
	if b == nil {
		return dst, nil
	}
	if _, err := checkBatch(b); err != nil {
		return dst, err
	}
	for _, stream := range b.DropStreams {
		lo, hi := JournalBounds(stream)
		dst = append(dst, RawOp{Kind: RawDeleteRange, Key: lo, End: hi}, RawOp{Kind: RawDelete, Key: SnapshotKey(stream)})
	}
	for _, key := range b.Deletes {
		dst = append(dst, RawOp{Kind: RawDelete, Key: KVKey(key)})
	}
	for i := range b.Events {
		e := &b.Events[i]
		dst = append(dst, RawOp{Kind: RawSet, Key: appendJournalKey(nil, e.Stream, e.Seq), Value: e.Data})
	}
	for i := range b.Snapshots {
		sn := &b.Snapshots[i]
		v := binary.BigEndian.AppendUint64(make([]byte, 0, seqLen+len(sn.Data)), sn.Seq)
		dst = append(dst, RawOp{Kind: RawSet, Key: SnapshotKey(sn.Stream), Value: append(v, sn.Data...)})
	}
	for i := range b.Puts {
		dst = append(dst, RawOp{Kind: RawSet, Key: KVKey(b.Puts[i].Key), Value: b.Puts[i].Value})
	}
	return append(dst, b.Raw...), nil
}

// rawSize validates ops and returns their encoded size estimate.
func rawSize(ops []RawOp) (int, error) {
	size := 0
	for i := range ops {
		op := &ops[i]
		if len(op.Key) == 0 {
			return 0, fmt.Errorf("%w: op %d has an empty key", ErrInvalidRaw, i)
		}
		switch op.Kind {
		case RawSet, RawDelete:
		case RawDeleteRange:
			if string(op.End) <= string(op.Key) {
				return 0, fmt.Errorf("%w: delete range %d is empty or reversed", ErrInvalidRaw, i)
			}
		default:
			return 0, fmt.Errorf("%w: op %d has kind %d", ErrInvalidRaw, i, op.Kind)
		}
		size += len(op.Key) + len(op.Value) + len(op.End) + entryOverhead
	}
	return size, nil
}

// encodeRaw writes ops into pb in order.
func encodeRaw(pb *pebble.Batch, ops []RawOp) error {
	for i := range ops {
		op := &ops[i]
		var err error
		switch op.Kind {
		case RawSet:
			err = pb.Set(op.Key, op.Value, nil)
		case RawDelete:
			err = pb.Delete(op.Key, nil)
		case RawDeleteRange:
			err = pb.DeleteRange(op.Key, op.End, nil)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

var _ RawReader = (*PebbleStore)(nil)

// RawGet implements RawReader on the live database.
func (s *PebbleStore) RawGet(key []byte) ([]byte, bool, error) {
	if err := s.gate.enter(); err != nil {
		return nil, false, err
	}
	defer s.gate.leave()
	return rawGet(s.db, key)
}

// RawScan implements RawReader on the live database.
func (s *PebbleStore) RawScan(lower, upper []byte, fn func(k, v []byte) bool) error {
	if err := s.gate.enter(); err != nil {
		return err
	}
	defer s.gate.leave()
	return rawScan(s.db, lower, upper, fn)
}

// RawView returns a consistent point-in-time view of the database. It holds
// the store open: Close waits until every view is closed.
func (s *PebbleStore) RawView() (RawView, error) {
	if err := s.gate.enter(); err != nil {
		return nil, err
	}
	return &rawView{s: s, snap: s.db.NewSnapshot()}, nil
}

type rawView struct {
	s    *PebbleStore
	snap *pebble.Snapshot
	done bool
}

func (v *rawView) RawGet(key []byte) ([]byte, bool, error) { return rawGet(v.snap, key) }

func (v *rawView) RawScan(lower, upper []byte, fn func(k, v []byte) bool) error {
	return rawScan(v.snap, lower, upper, fn)
}

func (v *rawView) Close() error {
	if v.done {
		return nil
	}
	v.done = true
	err := v.snap.Close()
	v.s.gate.leave()
	return err
}

func rawGet(r pebble.Reader, key []byte) ([]byte, bool, error) {
	v, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("persistence: raw get: %w", err)
	}
	defer closer.Close()
	return append([]byte(nil), v...), true, nil
}

func rawScan(r pebble.Reader, lower, upper []byte, fn func(k, v []byte) bool) (err error) {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return fmt.Errorf("persistence: raw scan: %w", err)
	}
	defer func() {
		if cerr := it.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("persistence: raw scan: %w", cerr)
		}
	}()
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return fmt.Errorf("persistence: raw scan: %w", err)
		}
		if !fn(it.Key(), v) {
			return nil
		}
	}
	return it.Error()
}
