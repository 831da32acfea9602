package persistence

import (
	"slices"
	"sort"
	"strings"
	"sync"
)

// MemoryStore is an in-memory Store with the same semantics as PebbleStore
// (group commit on its own goroutine, FIFO callbacks, atomic batches) minus
// durability. It copies data in and out, so callers never alias its state.
// For tests and for running without a disk.
type MemoryStore struct {
	c *committer

	mu      sync.RWMutex
	closed  bool
	streams map[string]*memStream
	kv      map[string][]byte
}

type memStream struct {
	events []memEvent // ascending by seq
	snap   *Snapshot
}

type memEvent struct {
	seq  uint64
	data []byte
}

var _ Store = (*MemoryStore)(nil)

// NewMemory returns an empty MemoryStore with the default group-commit bounds.
func NewMemory() *MemoryStore {
	d := DefaultOptions()
	m := &MemoryStore{streams: map[string]*memStream{}, kv: map[string][]byte{}}
	m.c = newCommitter(syncWrite(m.apply), false, d.MaxBatchBytes, d.MaxBatchCount, nil)
	return m
}

// Fail puts the store into fail-stop as a disk failure would, for tests of
// the fail-stop path: every commit whose done has not been called yet, and
// every later one, gets an error wrapping ErrFailed and cause; reads keep
// working; Health reports the error. Calls after the first do nothing.
func (m *MemoryStore) Fail(cause error) { m.c.fail(cause) }

// Health implements HealthChecker.
func (m *MemoryStore) Health() error { return m.c.health() }

// Commit implements Store.
func (m *MemoryStore) Commit(b *Batch, done func(error)) {
	if b != nil && len(b.Raw) > 0 {
		if done != nil {
			go done(ErrRawUnsupported)
		}
		return
	}
	m.c.commit(b, done)
}

// Stats implements Store. Fsyncs is always 0.
func (m *MemoryStore) Stats() Stats { return m.c.stats() }

// Close implements Store. It must not be called from a done callback.
func (m *MemoryStore) Close() error {
	m.c.close()
	m.mu.Lock()
	m.closed = true
	m.streams, m.kv = nil, nil
	m.mu.Unlock()
	return nil
}

func (m *MemoryStore) apply(group []pending) (bool, error) {
	wrote := false
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range group {
		p := &group[i]
		if p.err != nil || p.b == nil {
			continue
		}
		wrote = true
		m.applyBatch(p.b)
	}
	return wrote, nil
}

func (m *MemoryStore) applyBatch(b *Batch) {
	for _, stream := range b.DropStreams {
		delete(m.streams, stream)
	}
	for _, key := range b.Deletes {
		delete(m.kv, key)
	}
	for i := range b.Events {
		e := &b.Events[i]
		st := m.stream(e.Stream)
		data := slices.Clone(e.Data)
		n := len(st.events)
		if n == 0 || st.events[n-1].seq < e.Seq { // the common case: append
			st.events = append(st.events, memEvent{seq: e.Seq, data: data})
			continue
		}
		j := sort.Search(n, func(j int) bool { return st.events[j].seq >= e.Seq })
		if st.events[j].seq == e.Seq {
			st.events[j].data = data
		} else {
			st.events = slices.Insert(st.events, j, memEvent{seq: e.Seq, data: data})
		}
	}
	for i := range b.Snapshots {
		sn := b.Snapshots[i]
		sn.Data = slices.Clone(sn.Data)
		m.stream(sn.Stream).snap = &sn
	}
	for i := range b.Puts {
		m.kv[b.Puts[i].Key] = slices.Clone(b.Puts[i].Value)
	}
}

func (m *MemoryStore) stream(name string) *memStream {
	st := m.streams[name]
	if st == nil {
		st = &memStream{}
		m.streams[name] = st
	}
	return st
}

func cloneBytes(b []byte) []byte {
	out := make([]byte, len(b))
	copy(out, b)
	return out
}

// LoadSnapshot implements Store.
func (m *MemoryStore) LoadSnapshot(stream string) (Snapshot, bool, error) {
	if err := checkStream(stream); err != nil {
		return Snapshot{}, false, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return Snapshot{}, false, ErrClosed
	}
	st := m.streams[stream]
	if st == nil || st.snap == nil {
		return Snapshot{}, false, nil
	}
	sn := *st.snap
	sn.Data = cloneBytes(sn.Data)
	return sn, true, nil
}

// ReadRange implements Store. The matching events are copied under a lock
// and fn is called after it is released, so fn may call any method but Close.
func (m *MemoryStore) ReadRange(stream string, from, to uint64, limit int, fn func(Event) bool) error {
	if err := checkStream(stream); err != nil {
		return err
	}
	var out []Event
	m.mu.RLock()
	if m.closed {
		m.mu.RUnlock()
		return ErrClosed
	}
	if st := m.streams[stream]; st != nil && from <= to {
		j := sort.Search(len(st.events), func(j int) bool { return st.events[j].seq >= from })
		for ; j < len(st.events) && st.events[j].seq <= to; j++ {
			if limit > 0 && len(out) >= limit {
				break
			}
			out = append(out, Event{Stream: stream, Seq: st.events[j].seq, Data: cloneBytes(st.events[j].data)})
		}
	}
	m.mu.RUnlock()
	for _, e := range out {
		if !fn(e) {
			break
		}
	}
	return nil
}

// ReadReverse implements Store. fn is called without locks held.
func (m *MemoryStore) ReadReverse(stream string, before uint64, limit int, fn func(Event) bool) error {
	if err := checkStream(stream); err != nil {
		return err
	}
	var out []Event
	m.mu.RLock()
	if m.closed {
		m.mu.RUnlock()
		return ErrClosed
	}
	if st := m.streams[stream]; st != nil {
		j := sort.Search(len(st.events), func(j int) bool { return st.events[j].seq >= before })
		for j--; j >= 0; j-- {
			if limit > 0 && len(out) >= limit {
				break
			}
			out = append(out, Event{Stream: stream, Seq: st.events[j].seq, Data: cloneBytes(st.events[j].data)})
		}
	}
	m.mu.RUnlock()
	for _, e := range out {
		if !fn(e) {
			break
		}
	}
	return nil
}

// LastSeq implements Store.
func (m *MemoryStore) LastSeq(stream string) (uint64, error) {
	if err := checkStream(stream); err != nil {
		return 0, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return 0, ErrClosed
	}
	st := m.streams[stream]
	if st == nil || len(st.events) == 0 {
		return 0, nil
	}
	return st.events[len(st.events)-1].seq, nil
}

// Get implements Store.
func (m *MemoryStore) Get(key string) ([]byte, bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, false, ErrClosed
	}
	v, ok := m.kv[key]
	if !ok {
		return nil, false, nil
	}
	return cloneBytes(v), true, nil
}

// Scan implements Store. fn is called without locks held. It sorts the
// matching keys on every call: fine for tests, not for large data.
func (m *MemoryStore) Scan(prefix string, fn func(key string, value []byte) bool) error {
	var out []KV
	m.mu.RLock()
	if m.closed {
		m.mu.RUnlock()
		return ErrClosed
	}
	for k, v := range m.kv {
		if strings.HasPrefix(k, prefix) {
			out = append(out, KV{Key: k, Value: cloneBytes(v)})
		}
	}
	m.mu.RUnlock()
	slices.SortFunc(out, func(a, b KV) int { return strings.Compare(a.Key, b.Key) })
	for _, kv := range out {
		if !fn(kv.Key, kv.Value) {
			break
		}
	}
	return nil
}
