package persistence

import (
	"fmt"
	"sync"
	"time"
)

// Gated is a test aid: a Store that wraps another and holds back every
// commit's done callback until the test releases it, so a test can check
// that nothing is acknowledged (pushed, replied) before the store has
// reported a batch durable. Batches go to the inner store at once, so reads
// may see them before release, as they may see a batch whose fsync is in
// flight.
//
// Callbacks are delivered in Commit order, one at a time, on a goroutine of
// the Gated store, each once the test has released it and the inner store
// has finished with it. A new Gated holds everything; Release and ReleaseAll
// let callbacks go, SetHold(false) stops holding. Fail makes it fail-stop like
// a failing disk. Close releases everything still held, waits for those
// callbacks, then closes the inner store.
type Gated struct {
	inner Store

	mu       sync.Mutex
	cond     sync.Cond
	q        []*gatedCommit // undelivered, in Commit order
	released int            // how many from the head of q may be delivered
	hold     bool
	failed   error
	closed   bool
	refused  uint64 // commits the gate refused itself after Fail
	queuedB  int64

	exited chan struct{}
}

type gatedCommit struct {
	done  func(error)
	size  int
	err   error
	ready bool // the inner store has called done
}

var _ Store = (*Gated)(nil)

// NewGated wraps inner. Closing the Gated store closes inner.
func NewGated(inner Store) *Gated {
	g := &Gated{inner: inner, hold: true, exited: make(chan struct{})}
	g.cond.L = &g.mu
	go g.deliver()
	return g
}

// Commit implements Store. The batch goes to the inner store now; done is
// called when the inner store has finished with it and the test released it.
func (g *Gated) Commit(b *Batch, done func(error)) {
	if done == nil {
		done = func(error) {}
	}
	size, verr := checkBatch(b)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		go done(ErrClosed)
		return
	}
	c := &gatedCommit{done: done, size: size}
	g.q = append(g.q, c)
	g.queuedB += int64(size)
	if g.failed != nil {
		c.ready = true
		c.err = verr
		if verr == nil {
			g.refused++
		}
		g.cond.Broadcast()
		return
	}
	// Under g.mu, so the inner store sees the commits in this order. The
	// inner store never calls done from this goroutine.
	g.inner.Commit(b, func(err error) {
		g.mu.Lock()
		c.ready, c.err = true, err
		g.mu.Unlock()
		g.cond.Broadcast()
	})
}

func (g *Gated) deliver() {
	defer close(g.exited)
	g.mu.Lock()
	defer g.mu.Unlock()
	for {
		for !(len(g.q) > 0 && g.q[0].ready && (!g.hold || g.released > 0)) && !(g.closed && len(g.q) == 0) {
			g.cond.Wait()
		}
		if len(g.q) == 0 {
			return
		}
		c := g.q[0]
		g.q[0] = nil
		g.q = g.q[1:]
		if g.released > 0 {
			g.released--
		}
		g.queuedB -= int64(c.size)
		err := c.err
		if err == nil {
			err = g.failed
		}
		g.mu.Unlock()
		c.done(err)
		g.mu.Lock()
		g.cond.Broadcast()
	}
}

// Release lets the next n held or future callbacks go, in Commit order.
func (g *Gated) Release(n int) {
	g.mu.Lock()
	g.released += n
	g.mu.Unlock()
	g.cond.Broadcast()
}

// ReleaseAll lets every callback of the commits made so far go.
func (g *Gated) ReleaseAll() {
	g.mu.Lock()
	g.released = max(g.released, len(g.q))
	g.mu.Unlock()
	g.cond.Broadcast()
}

// SetHold(false) stops holding: every callback goes as soon as the inner
// store has finished with it. SetHold(true) holds again from the next
// commit not yet released.
func (g *Gated) SetHold(hold bool) {
	g.mu.Lock()
	g.hold = hold
	g.released = 0
	g.mu.Unlock()
	g.cond.Broadcast()
}

// Held is the number of commits the inner store has finished with whose
// callbacks the gate holds back.
func (g *Gated) Held() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.heldLocked()
}

func (g *Gated) heldLocked() int {
	n := 0
	for _, c := range g.q {
		if !c.ready {
			break
		}
		n++
	}
	return n
}

// Pending is the number of commits whose callbacks have not been called.
func (g *Gated) Pending() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.q)
}

// WaitHeld waits until Held() >= n, for at most timeout, and reports
// whether it got there.
func (g *Gated) WaitHeld(n int, timeout time.Duration) bool {
	expired := false
	t := time.AfterFunc(timeout, func() {
		g.mu.Lock()
		expired = true
		g.mu.Unlock()
		g.cond.Broadcast()
	})
	defer t.Stop()
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.heldLocked() < n {
		if expired {
			return false
		}
		g.cond.Wait()
	}
	return true
}

// Fail makes the gate fail-stop as a failing disk would: every callback not
// delivered yet, and every later commit's, gets an error wrapping ErrFailed
// and cause (batches refused by validation keep their own error); later
// batches do not reach the inner store. Callbacks still wait for release.
// Calls after the first do nothing.
func (g *Gated) Fail(cause error) {
	g.mu.Lock()
	if g.failed == nil {
		g.failed = fmt.Errorf("%w: %w", ErrFailed, cause)
	}
	g.mu.Unlock()
	g.cond.Broadcast()
}

// Health implements HealthChecker: the gate's own failure, else the inner
// store's health, else ErrClosed after Close.
func (g *Gated) Health() error {
	g.mu.Lock()
	failed, closed := g.failed, g.closed
	g.mu.Unlock()
	if failed != nil {
		return failed
	}
	if err := Health(g.inner); err != nil {
		return err
	}
	if closed {
		return ErrClosed
	}
	return nil
}

// Stats implements Store: the inner store's counters, plus the commits the
// gate refused itself after Fail; the queue gauges count every commit whose
// callback has not been called.
func (g *Gated) Stats() Stats {
	st := g.inner.Stats()
	g.mu.Lock()
	defer g.mu.Unlock()
	st.Commits += g.refused
	st.Failed += g.refused
	st.Refused += g.refused
	if g.failed != nil && st.FailStops == 0 {
		st.FailStops = 1
	}
	st.QueuedBatches = int64(len(g.q))
	st.QueuedBytes = g.queuedB
	return st
}

// Close implements Store: it releases every held callback, waits until all
// have been called, then closes the inner store.
func (g *Gated) Close() error {
	g.mu.Lock()
	g.closed = true
	g.hold = false
	g.mu.Unlock()
	g.cond.Broadcast()
	<-g.exited
	return g.inner.Close()
}

// LoadSnapshot implements Store.
func (g *Gated) LoadSnapshot(stream string) (Snapshot, bool, error) {
	return g.inner.LoadSnapshot(stream)
}

// ReadRange implements Store.
func (g *Gated) ReadRange(stream string, from, to uint64, limit int, fn func(Event) bool) error {
	return g.inner.ReadRange(stream, from, to, limit, fn)
}

// ReadReverse implements Store.
func (g *Gated) ReadReverse(stream string, before uint64, limit int, fn func(Event) bool) error {
	return g.inner.ReadReverse(stream, before, limit, fn)
}

// LastSeq implements Store.
func (g *Gated) LastSeq(stream string) (uint64, error) { return g.inner.LastSeq(stream) }

// Get implements Store.
func (g *Gated) Get(key string) ([]byte, bool, error) { return g.inner.Get(key) }

// Scan implements Store.
func (g *Gated) Scan(prefix string, fn func(key string, value []byte) bool) error {
	return g.inner.Scan(prefix, fn)
}
