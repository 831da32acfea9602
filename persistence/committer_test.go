package persistence

import (
	"errors"
	"sync"
	"testing"
)

var errBoom = errors.New("boom")

// A failed engine write fails its whole group and every later batch, so that
// durable batches stay a prefix of the Commit order.
func TestCommitterFailureIsSticky(t *testing.T) {
	var mu sync.Mutex
	var applied []string
	c := newCommitter(syncWrite(func(group []pending) (bool, error) {
		var keys []string
		for _, p := range group {
			if p.err != nil || p.b == nil {
				continue
			}
			k := p.b.Puts[0].Key
			if k == "boom" {
				return false, errBoom
			}
			keys = append(keys, k)
		}
		mu.Lock()
		applied = append(applied, keys...)
		mu.Unlock()
		return len(keys) > 0, nil
	}), true, 1<<20, 100, nil)
	defer c.close()
	s := &committerStore{c}
	put := func(k string) *Batch { return &Batch{Puts: []KV{{Key: k}}} }

	mustCommit(t, s, put("a"))
	release := stall(t, s)
	errs := make([]error, 4)
	var wg sync.WaitGroup
	wg.Add(4)
	for i, b := range []*Batch{put("b"), put("boom"), {Events: []Event{{Stream: ""}}}, put("c")} {
		c.commit(b, func(err error) { errs[i] = err; wg.Done() })
	}
	release()
	wg.Wait()
	// b, boom and c were one group: all fail with the cause; the invalid
	// batch keeps its own error.
	for _, i := range []int{0, 1, 3} {
		if !errors.Is(errs[i], ErrFailed) || !errors.Is(errs[i], errBoom) {
			t.Fatalf("batch %d: %v, want ErrFailed wrapping the cause", i, errs[i])
		}
	}
	if !errors.Is(errs[2], ErrInvalidStream) {
		t.Fatalf("invalid batch: %v", errs[2])
	}
	// Later batches fail too, without reaching the engine.
	if err := CommitSync(s, put("d")); !errors.Is(err, ErrFailed) || !errors.Is(err, errBoom) {
		t.Fatalf("after failure: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(applied) != 2 || applied[0] != "a" || applied[1] != "stall" {
		t.Fatalf("applied %q, want [a stall]", applied)
	}
	st := c.stats()
	if st.Batches != 2 || st.Failed != 5 || st.Groups != 2 || st.Fsyncs != 2 || st.QueuedBatches != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestCommitterGroupLen(t *testing.T) {
	c := &committer{maxBytes: 100, maxCount: 3}
	q := func(sizes ...int) []pending {
		out := make([]pending, len(sizes))
		for i, s := range sizes {
			out[i].size = s
		}
		return out
	}
	for _, tc := range []struct {
		sizes    []int
		n, bytes int
	}{
		{[]int{10}, 1, 10},
		{[]int{10, 20, 30, 40}, 3, 60},
		{[]int{50, 50, 1}, 2, 100},
		{[]int{500, 1}, 1, 500},
		{[]int{1, 500}, 1, 1},
		{[]int{0, 0, 0, 0}, 3, 0},
	} {
		n, b := c.groupLen(q(tc.sizes...))
		if n != tc.n || b != tc.bytes {
			t.Errorf("groupLen(%v) = %d, %d; want %d, %d", tc.sizes, n, b, tc.n, tc.bytes)
		}
	}
}

// committerStore adapts a bare committer to Store for the test helpers
// (only Commit is used).
type committerStore struct{ c *committer }

func (s *committerStore) Commit(b *Batch, done func(error)) { s.c.commit(b, done) }
func (s *committerStore) LoadSnapshot(string) (Snapshot, bool, error) {
	return Snapshot{}, false, nil
}
func (s *committerStore) ReadRange(string, uint64, uint64, int, func(Event) bool) error { return nil }
func (s *committerStore) ReadReverse(string, uint64, int, func(Event) bool) error       { return nil }
func (s *committerStore) LastSeq(string) (uint64, error)                                { return 0, nil }
func (s *committerStore) Get(string) ([]byte, bool, error)                              { return nil, false, nil }
func (s *committerStore) Scan(string, func(string, []byte) bool) error                  { return nil }
func (s *committerStore) Stats() Stats                                                  { return s.c.stats() }
func (s *committerStore) Close() error                                                  { s.c.close(); return nil }

// A backlog far larger than a group drains in order in groups of maxCount,
// and the queue's taken front is dropped while it drains.
func TestCommitterBacklog(t *testing.T) {
	entered, gate := make(chan struct{}), make(chan struct{})
	var groups, queueLens []int
	var c *committer
	c = newCommitter(syncWrite(func(group []pending) (bool, error) {
		if group[0].b == nil { // the stall batch
			close(entered)
			<-gate
			return false, nil
		}
		c.mu.Lock()
		queueLens = append(queueLens, len(c.queue))
		groups = append(groups, len(group))
		c.mu.Unlock()
		return true, nil
	}), false, 1<<30, 10, nil)
	defer c.close()
	c.commit(nil, nil)
	<-entered
	const n = 5000
	next := 0
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		c.commit(&Batch{Puts: []KV{{Key: "k"}}}, func(err error) {
			if err != nil || i != next {
				t.Errorf("callback %d (%v), want %d", i, err, next)
			}
			next++
			wg.Done()
		})
	}
	close(gate)
	wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(groups) != n/10 || groups[0] != 10 {
		t.Fatalf("%d groups (first %d), want %d of 10", len(groups), groups[0], n/10)
	}
	// Without dropping the taken front the queue would stay n long until
	// it drained.
	if l := queueLens[n/10/2]; l >= n {
		t.Fatalf("queue still %d long half way", l)
	}
	if len(c.queue) != 0 || c.head != 0 || cap(c.queue) > spareCap {
		t.Fatalf("queue len %d cap %d head %d after draining", len(c.queue), cap(c.queue), c.head)
	}
}
