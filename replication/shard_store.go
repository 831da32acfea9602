package replication

import (
	"sync"

	"github.com/qunchat/qun/persistence"
)

// ShardStore is a persistence.Store for one grain activation on a shard
// leader: Commit replicates the batch through raft under the epoch the
// activation was started with, and done(nil) comes only from applying that
// very proposal (committed on a quorum and applied locally, by
// StoreApplier, under the keys PebbleStore.Commit would write). Reads go to
// the local store, which holds everything applied: on a ready leader that
// is everything committed (use Node.ReadIndex first for a linearizable
// read). Close does nothing: the node's store outlives activations.
//
// Every Commit is fenced (fence.go): for each stream it touches, it
// carries the applied last seq the activation built it on, and apply
// rejects it on every replica unless that is still the stream's applied
// last seq. The ShardStore tracks that seq per stream: it takes the
// stream's applied last seq from the local store at the activation's
// first read of the stream (before the read, so the grain's state is never
// older than it), then advances it by each batch it proposes. An event of
// a stream the activation read, at or below that seq, is a rewrite of a
// record the activation holds (a recall's tombstone) and is marked so. A
// stream written before it was read is taken at Commit, with no rewrites.
type ShardStore struct {
	n     *Node
	shard uint32
	epoch uint64

	mu      sync.Mutex
	streams map[string]*streamFence
}

// streamFence is what a ShardStore knows of one stream.
type streamFence struct {
	last uint64 // the applied last seq once every batch proposed applies
	read bool   // last was taken before the activation's first read
}

var _ persistence.Store = (*ShardStore)(nil)

// StoreFor returns the store of an activation serving shard at epoch (the
// term of the LeaderReady that started it). Its commits fail with
// ErrStaleEpoch or ErrNotLeader once that leadership is gone.
func (n *Node) StoreFor(shard uint32, epoch uint64) *ShardStore {
	return &ShardStore{n: n, shard: shard, epoch: epoch, streams: map[string]*streamFence{}}
}

// Commit implements persistence.Store: done is called exactly once from
// the node's loop goroutine, in Commit order for a given activation.
func (s *ShardStore) Commit(b *persistence.Batch, done func(error)) {
	if done == nil {
		done = func(error) {}
	}
	if b == nil {
		b = &persistence.Batch{}
	}
	f, err := s.fence(b)
	if err != nil {
		go done(err)
		return
	}
	data, err := EncodeFencedBatch(f)
	if err != nil {
		go done(err)
		return
	}
	s.n.Propose(s.shard, s.epoch, data, done)
}

// fence builds b's fence and advances the streams' last seqs past it,
// exactly as StoreApplier will.
func (s *ShardStore) fence(b *persistence.Batch) (FencedBatch, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := FencedBatch{Batch: b, Fences: []StreamFence{}}
	get := func(stream string) (*streamFence, error) {
		for _, x := range f.Fences {
			if x.Stream == stream {
				return s.streams[stream], nil
			}
		}
		sf := s.streams[stream]
		if sf == nil {
			last, err := storedLastSeq(s.n.store, stream)
			if err != nil {
				return nil, err
			}
			sf = &streamFence{last: last}
			s.streams[stream] = sf
		}
		f.Fences = append(f.Fences, StreamFence{Stream: stream, Prev: sf.last})
		return sf, nil
	}
	dropped := func(stream string) bool {
		for _, d := range b.DropStreams {
			if d == stream {
				return true
			}
		}
		return false
	}
	for _, d := range b.DropStreams {
		if _, err := get(d); err != nil {
			return FencedBatch{}, err
		}
	}
	hi := map[string]uint64{}
	for i := range b.Events {
		e := &b.Events[i]
		sf, err := get(e.Stream)
		if err != nil {
			return FencedBatch{}, err
		}
		if sf.read && e.Seq <= sf.last && !dropped(e.Stream) {
			f.Rewrites = append(f.Rewrites, i)
			continue
		}
		hi[e.Stream] = max(hi[e.Stream], e.Seq)
	}
	for i := range b.Snapshots {
		if _, err := get(b.Snapshots[i].Stream); err != nil {
			return FencedBatch{}, err
		}
	}
	// The new last seqs, as StoreApplier computes them.
	for _, x := range f.Fences {
		sf := s.streams[x.Stream]
		if dropped(x.Stream) {
			sf.last = 0
		}
		sf.last = max(sf.last, hi[x.Stream])
		for i := range b.Snapshots {
			if b.Snapshots[i].Stream == x.Stream {
				sf.last = max(sf.last, b.Snapshots[i].Seq)
			}
		}
	}
	return f, nil
}

// reading takes stream's applied last seq before the activation's first
// read of it.
func (s *ShardStore) reading(stream string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.streams[stream] != nil {
		return
	}
	last, err := storedLastSeq(s.n.store, stream)
	if err != nil {
		return // the read reports it; a Commit takes the seq then
	}
	s.streams[stream] = &streamFence{last: last, read: true}
}

// ConfirmRead calls done(nil), on the node loop goroutine, once a raft
// ReadIndex (batched with the round's other reads) confirmed that this
// replica still leads the shard at the activation's epoch and applied
// everything committed when it was asked: local reads made after it see
// every write acknowledged before it. Otherwise done gets ErrNotLeader,
// ErrLeadershipLost, ErrStaleEpoch or ErrClosed: a deposed activation must
// not serve reads. (actors.ReadConfirmer)
func (s *ShardStore) ConfirmRead(done func(error)) {
	s.n.ReadIndex(s.shard, func(err error) {
		if err == nil && s.n.Leader(s.shard).Term != s.epoch {
			err = ErrStaleEpoch
		}
		done(err)
	})
}

// LoadSnapshot implements persistence.Store.
func (s *ShardStore) LoadSnapshot(stream string) (persistence.Snapshot, bool, error) {
	s.reading(stream)
	return s.n.store.LoadSnapshot(stream)
}

// ReadRange implements persistence.Store.
func (s *ShardStore) ReadRange(stream string, from, to uint64, limit int, fn func(persistence.Event) bool) error {
	s.reading(stream)
	return s.n.store.ReadRange(stream, from, to, limit, fn)
}

// ReadReverse implements persistence.Store.
func (s *ShardStore) ReadReverse(stream string, before uint64, limit int, fn func(persistence.Event) bool) error {
	s.reading(stream)
	return s.n.store.ReadReverse(stream, before, limit, fn)
}

// LastSeq implements persistence.Store.
func (s *ShardStore) LastSeq(stream string) (uint64, error) {
	s.reading(stream)
	return s.n.store.LastSeq(stream)
}

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
