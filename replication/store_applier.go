package replication

import "github.com/qunchat/qun/persistence"

// StoreApplier is the Applier for grains: each command is a
// persistence.Batch (EncodeBatch, or a ShardStore's EncodeFencedBatch) that
// it writes under exactly the keys PebbleStore.Commit would, after fencing
// it against each stream's applied last seq (the highest of its journal
// and snapshot seqs): a fenced batch must have been built on exactly that
// seq (fence.go), a plain one must continue it with consecutive seqs;
// otherwise it is rejected with ErrSeqGap. It also keeps an index of the
// streams and KV keys of each shard (raw keys 'r' 'd' shard ...), which
// Ranges turns into the key ranges a snapshot ships.
type StoreApplier struct {
	store persistence.Store
	last  map[string]uint64 // stream -> applied last seq (loop goroutine only)

	// OnApplied, if set, is called for every applied (not rejected) batch,
	// on every replica, once it is durable, in apply order, on the node
	// loop goroutine: feed node-local derived state from it (Qun's
	// discovery index reads the batch's "ix/" puts and deletes). It must
	// be quick and must not keep b's byte slices. Set it before New.
	OnApplied func(shard uint32, b *persistence.Batch)

	applied []appliedBatch // this round's, until Durable
}

type appliedBatch struct {
	shard uint32
	b     *persistence.Batch
}

// Durable implements DurableNotifier.
func (a *StoreApplier) Durable() {
	if a.OnApplied != nil {
		for _, x := range a.applied {
			a.OnApplied(x.shard, x.b)
		}
	}
	clear(a.applied)
	a.applied = a.applied[:0]
}

// maxCachedStreams bounds StoreApplier's cache of last seqs; past it the
// cache is dropped and reloaded lazily from the store.
const maxCachedStreams = 1 << 16

// Data index kinds.
const (
	dataStream = 's'
	dataKV     = 'k'
)

// NewStoreApplier returns the grains' Applier over the node's store.
func NewStoreApplier(store persistence.Store) *StoreApplier {
	return &StoreApplier{store: store, last: map[string]uint64{}}
}

// Apply implements Applier.
func (a *StoreApplier) Apply(c Command, w *persistence.Batch) error {
	f, err := DecodeFencedBatch(c.Data)
	if err != nil {
		return err
	}
	b := f.Batch
	if err := validate(b); err != nil {
		return err
	}
	// Fence: per stream, the batch must follow the applied last seq
	// (fence.go).
	appended, err := fence(&f, a.lastSeq)
	if err != nil {
		return err
	}
	*w = *b
	index := func(kind byte, name string) {
		k := append(append(dataIndexPrefix(c.Shard), kind), name...)
		w.Raw = append(w.Raw, persistence.RawOp{Kind: persistence.RawSet, Key: k})
	}
	// The new last seqs, exactly as the store will compute them after w.
	newLast := map[string]uint64{}
	get := func(stream string) (uint64, error) {
		if v, ok := newLast[stream]; ok {
			return v, nil
		}
		return a.lastSeq(stream)
	}
	for _, s := range b.DropStreams {
		newLast[s] = 0
		index(dataStream, s)
	}
	for s, hi := range appended {
		old, err := get(s)
		if err != nil {
			return err
		}
		newLast[s] = max(old, hi)
		index(dataStream, s)
	}
	for i := range b.Snapshots {
		s := &b.Snapshots[i]
		old, err := get(s.Stream)
		if err != nil {
			return err
		}
		newLast[s.Stream] = max(old, s.Seq)
		index(dataStream, s.Stream)
	}
	for s, v := range newLast {
		a.setLast(s, v)
	}
	if a.OnApplied != nil {
		a.applied = append(a.applied, appliedBatch{shard: c.Shard, b: b})
	}
	for _, k := range b.Deletes {
		index(dataKV, k)
	}
	for i := range b.Puts {
		index(dataKV, b.Puts[i].Key)
	}
	return nil
}

func (a *StoreApplier) setLast(stream string, seq uint64) {
	if len(a.last) >= maxCachedStreams {
		clear(a.last)
	}
	a.last[stream] = seq
}

// lastSeq is the stream's applied last seq: the cache, else the highest of
// its journal's last seq and its snapshot's seq in the store (which holds
// every applied command: the node applies in synchronous rounds).
func (a *StoreApplier) lastSeq(stream string) (uint64, error) {
	if v, ok := a.last[stream]; ok {
		return v, nil
	}
	last, err := storedLastSeq(a.store, stream)
	if err != nil {
		return 0, err
	}
	a.setLast(stream, last)
	return last, nil
}

// storedLastSeq is stream's applied last seq as st holds it: the highest
// of its journal's last seq and its snapshot's seq.
func storedLastSeq(st persistence.Store, stream string) (uint64, error) {
	if !persistence.ValidStream(stream) {
		return 0, persistence.ErrInvalidStream
	}
	last, err := st.LastSeq(stream)
	if err != nil {
		return 0, err
	}
	snap, ok, err := st.LoadSnapshot(stream)
	if err != nil {
		return 0, err
	}
	if ok && snap.Seq > last {
		last = snap.Seq
	}
	return last, nil
}

// Ranges implements Applier: the shard's data index, and for every indexed
// stream its journal and snapshot keys, for every KV key its key.
func (a *StoreApplier) Ranges(shard uint32, r persistence.RawReader, fn func(lo, hi []byte) error) error {
	prefix := dataIndexPrefix(shard)
	var ferr error
	err := r.RawScan(prefix, persistence.PrefixEnd(prefix), func(k, _ []byte) bool {
		if len(k) < len(prefix)+1 {
			return true
		}
		name := string(k[len(prefix)+1:])
		switch k[len(prefix)] {
		case dataStream:
			lo, hi := persistence.JournalBounds(name)
			if ferr = fn(lo, hi); ferr != nil {
				return false
			}
			sk := persistence.SnapshotKey(name)
			ferr = fn(sk, append(sk, 0))
		case dataKV:
			kk := persistence.KVKey(name)
			ferr = fn(kk, append(kk, 0))
		}
		return ferr == nil
	})
	if err == nil {
		err = ferr
	}
	if err != nil {
		return err
	}
	return fn(prefix, persistence.PrefixEnd(prefix))
}

// Restored implements Applier.
func (a *StoreApplier) Restored(uint32) { clear(a.last) }

// validate refuses what PebbleStore.Commit would refuse, before Apply
// changes its cache.
func validate(b *persistence.Batch) error {
	for _, s := range b.DropStreams {
		if !persistence.ValidStream(s) {
			return persistence.ErrInvalidStream
		}
	}
	for i := range b.Events {
		if !persistence.ValidStream(b.Events[i].Stream) {
			return persistence.ErrInvalidStream
		}
		if b.Events[i].Seq == 0 {
			return persistence.ErrInvalidSeq
		}
	}
	for i := range b.Snapshots {
		if !persistence.ValidStream(b.Snapshots[i].Stream) {
			return persistence.ErrInvalidStream
		}
	}
	return nil
}
