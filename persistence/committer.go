package persistence

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// pending is one queued Commit.
type pending struct {
	b    *Batch
	done func(error)
	size int
	err  error // validation error: reported in order, nothing applied
}

// applyFunc writes the valid batches of group (those with err == nil) to the
// engine as one atomic write, durably unless the engine runs without sync.
// wrote reports whether there was anything to write.
type applyFunc func(group []pending) (wrote bool, err error)

// committer is the group-commit queue shared by both stores: Commit appends to
// an unbounded queue under a mutex and never blocks on I/O; one goroutine
// takes everything queued, splits it into groups bounded by maxBytes and
// maxCount, applies each group with one engine write, then calls the done
// callbacks of the group in order.
type committer struct {
	apply    applyFunc
	syncs    bool // each write waits for an fsync
	maxBytes int
	maxCount int

	mu     sync.Mutex
	cond   sync.Cond // signalled when queue grows or closed is set
	queue  []pending
	closed bool

	exited chan struct{} // closed when run returns

	// Owned by the run goroutine.
	spare  []pending
	failed error

	observe func(GroupCommit) // nil: none

	commits, batches, failedN, groups, fsyncs, events, bytes atomic.Uint64
	queuedN, queuedB                                         atomic.Int64
}

// spareCap bounds the queue capacity kept for reuse after a large backlog.
const spareCap = 1 << 14

func newCommitter(apply applyFunc, syncs bool, maxBytes, maxCount int) *committer {
	return newObservedCommitter(apply, syncs, maxBytes, maxCount, nil)
}

// newObservedCommitter is newCommitter calling observe (if not nil) after
// each group commit, on the committer's goroutine (Options.OnGroupCommit).
func newObservedCommitter(apply applyFunc, syncs bool, maxBytes, maxCount int, observe func(GroupCommit)) *committer {
	c := &committer{
		observe:  observe,
		apply:    apply,
		syncs:    syncs,
		maxBytes: maxBytes,
		maxCount: maxCount,
		exited:   make(chan struct{}),
	}
	c.cond.L = &c.mu
	go c.run()
	return c
}

func (c *committer) commit(b *Batch, done func(error)) {
	if done == nil {
		done = func(error) {}
	}
	size, err := checkBatch(b)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		c.failedN.Add(1)
		// Never call done on the caller's goroutine.
		go done(ErrClosed)
		return
	}
	c.queue = append(c.queue, pending{b: b, done: done, size: size, err: err})
	c.commits.Add(1)
	c.queuedN.Add(1)
	c.queuedB.Add(int64(size))
	c.mu.Unlock()
	c.cond.Signal()
}

// close stops accepting commits, waits until every queued one is done and the
// committer goroutine has exited. Safe to call more than once and concurrently.
// It must not be called from a done callback.
func (c *committer) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cond.Broadcast()
	<-c.exited
}

func (c *committer) run() {
	defer close(c.exited)
	for {
		c.mu.Lock()
		for len(c.queue) == 0 && !c.closed {
			c.cond.Wait()
		}
		if len(c.queue) == 0 { // closed and drained
			c.mu.Unlock()
			return
		}
		taken := c.queue
		c.queue = c.spare[:0]
		c.mu.Unlock()

		rest := taken
		for len(rest) > 0 {
			n, bytes := c.groupLen(rest)
			c.process(rest[:n], bytes)
			rest = rest[n:]
		}
		clear(taken) // drop references to batches and callbacks
		if cap(taken) <= spareCap {
			c.spare = taken[:0]
		} else {
			c.spare = nil
		}
	}
}

// groupLen returns how many pending from the front of q form the next group
// (at least one) and their total size.
func (c *committer) groupLen(q []pending) (n, bytes int) {
	for n < len(q) && n < c.maxCount {
		if n > 0 && bytes+q[n].size > c.maxBytes {
			break
		}
		bytes += q[n].size
		n++
	}
	return n, bytes
}

func (c *committer) process(group []pending, bytes int) {
	var err error
	if c.failed != nil {
		err = c.failed
	} else {
		var wrote bool
		var t0 time.Time
		if c.observe != nil {
			t0 = time.Now()
		}
		wrote, err = c.apply(group)
		if err != nil {
			err = fmt.Errorf("%w: commit: %w", ErrFailed, err)
			c.failed = err
		} else if wrote {
			c.groups.Add(1)
			if c.syncs {
				c.fsyncs.Add(1)
			}
			if c.observe != nil {
				c.observe(GroupCommit{Batches: len(group), Bytes: bytes, Synced: c.syncs, Took: time.Since(t0)})
			}
		}
	}
	var ok, bad, events, okBytes uint64
	for i := range group {
		p := &group[i]
		e := p.err
		if e == nil {
			e = err
		}
		if e == nil {
			ok++
			okBytes += uint64(p.size)
			if p.b != nil {
				events += uint64(len(p.b.Events))
			}
		} else {
			bad++
		}
	}
	c.batches.Add(ok)
	c.failedN.Add(bad)
	c.events.Add(events)
	c.bytes.Add(okBytes)
	// Update the gauges before the callbacks, so that a caller woken by its
	// callback sees its own batch accounted for.
	c.queuedN.Add(-int64(len(group)))
	c.queuedB.Add(-int64(bytes))
	for i := range group {
		p := &group[i]
		e := p.err
		if e == nil {
			e = err
		}
		p.done(e)
	}
}

func (c *committer) stats() Stats {
	return Stats{
		Commits:       c.commits.Load(),
		Batches:       c.batches.Load(),
		Failed:        c.failedN.Load(),
		Groups:        c.groups.Load(),
		Fsyncs:        c.fsyncs.Load(),
		Events:        c.events.Load(),
		Bytes:         c.bytes.Load(),
		QueuedBatches: c.queuedN.Load(),
		QueuedBytes:   c.queuedB.Load(),
	}
}
