package replication

import "github.com/qunchat/qun/persistence"

// ShardStore is a persistence.Store for one grain activation on a shard
// leader: Commit replicates the batch through raft under the epoch the
// activation was started with, and done(nil) comes only from applying that
// very proposal (committed on a quorum and applied locally, by
// StoreApplier, under the keys PebbleStore.Commit would write). Reads go to
// the local store, which holds everything applied: on a ready leader that
// is everything committed (use Node.ReadIndex first for a linearizable
// read). Close does nothing: the node's store outlives activations.
type ShardStore struct {
	n     *Node
	shard uint32
	epoch uint64
}

var _ persistence.Store = (*ShardStore)(nil)

// StoreFor returns the store of an activation serving shard at epoch (the
// term of the LeaderReady that started it). Its commits fail with
// ErrStaleEpoch or ErrNotLeader once that leadership is gone.
func (n *Node) StoreFor(shard uint32, epoch uint64) *ShardStore {
	return &ShardStore{n: n, shard: shard, epoch: epoch}
}

// Commit implements persistence.Store: done is called exactly once from
// the node's loop goroutine, in Commit order for a given activation.
func (s *ShardStore) Commit(b *persistence.Batch, done func(error)) {
	if done == nil {
		done = func(error) {}
	}
	data, err := EncodeBatch(b)
	if err != nil {
		go done(err)
		return
	}
	s.n.Propose(s.shard, s.epoch, data, done)
}

// LoadSnapshot implements persistence.Store.
func (s *ShardStore) LoadSnapshot(stream string) (persistence.Snapshot, bool, error) {
	return s.n.store.LoadSnapshot(stream)
}

// ReadRange implements persistence.Store.
func (s *ShardStore) ReadRange(stream string, from, to uint64, limit int, fn func(persistence.Event) bool) error {
	return s.n.store.ReadRange(stream, from, to, limit, fn)
}

// ReadReverse implements persistence.Store.
func (s *ShardStore) ReadReverse(stream string, before uint64, limit int, fn func(persistence.Event) bool) error {
	return s.n.store.ReadReverse(stream, before, limit, fn)
}

// LastSeq implements persistence.Store.
func (s *ShardStore) LastSeq(stream string) (uint64, error) { return s.n.store.LastSeq(stream) }

// Get implements persistence.Store.
func (s *ShardStore) Get(key string) ([]byte, bool, error) { return s.n.store.Get(key) }

// Scan implements persistence.Store.
func (s *ShardStore) Scan(prefix string, fn func(string, []byte) bool) error {
	return s.n.store.Scan(prefix, fn)
}

// Stats implements persistence.Store: the node store's counters.
func (s *ShardStore) Stats() persistence.Stats { return s.n.store.Stats() }

// Close implements persistence.Store; it does nothing.
func (s *ShardStore) Close() error { return nil }
