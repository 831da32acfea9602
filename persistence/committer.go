package persistence

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// pending is one queued Commit.
type pending struct {
	b    *Batch
	done func(error)
	size int
	err  error // validation error: reported in order, nothing applied
	// noSync: this commit does not need the fsync (CommitNoSync). A group
	// is written without one only when every commit in it has noSync.
	noSync bool
}

// writeFunc writes the valid batches of group (those with err == nil) to the
// engine as one atomic write and returns without waiting for durability.
// wait, if not nil, blocks until that write is durable (the engine's WAL
// fsync) and reports a failure of it; it is called exactly once, on the
// completer goroutine, in write order. wrote reports whether there was
// anything to write.
type writeFunc func(group []pending) (wait func() error, wrote bool, err error)

// maxInFlight is the depth of the commit pipeline: one group being synced
// while the next is written and waits for the following sync. More commits
// meanwhile wait in the queue and form the group after, so batches grow with
// the load while a lone commit costs about one fsync.
const maxInFlight = 2

// flight is one group written to the engine whose callbacks have not all
// run yet.
type flight struct {
	group   []pending
	bytes   int
	wait    func() error
	wrote   bool
	err     error     // write error, or the store's failure when refused unwritten
	refused bool      // not written because the store had failed
	synced  bool      // wait has returned: callbacks are running (under mu)
	start   time.Time // when the write began (only with observe)
}

// committer is the group-commit pipeline shared by every store. Commit
// appends to an unbounded queue under a mutex and never blocks on I/O. The
// writer goroutine takes the queue's head as one group (bounded by maxBytes
// and maxCount) and writes it to the engine without waiting for the fsync;
// the completer goroutine waits for each group's fsync in write order and
// then calls the group's done callbacks in order. The writer writes a new
// group only while at most one group is in flight and that one is still
// being synced, so under light load a commit waits for one fsync, and under
// heavy load the next group accumulates while the previous fsync runs.
//
// Fail-stop: the first engine error (on write or on sync) fails the store.
// Every batch of that group and every later one gets an error wrapping
// ErrFailed and the cause; nothing more is written; the failure is logged
// once at Error and reported by health.
type committer struct {
	write    writeFunc
	syncs    bool // each write waits for an fsync
	maxBytes int
	maxCount int
	log      *slog.Logger

	mu       sync.Mutex
	cond     sync.Cond // signalled when the queue grows, a flight ends or closed is set
	queue    []pending
	head     int // queue[head:] is waiting
	inflight []*flight
	free     []*flight // finished flights for reuse
	closed   bool

	toComplete chan *flight
	exited     chan struct{} // closed when both goroutines have returned

	failed   atomic.Pointer[error] // the fail-stop error, set once
	isClosed atomic.Bool

	// observe, if set (before the first commit: Options.OnGroupCommit), is
	// called by the completer after each group commit that wrote.
	observe func(GroupCommit)

	commits, batches, failedN, groups, fsyncs, events, bytes, refused, failStops atomic.Uint64
	queuedN, queuedB                                                             atomic.Int64
}

// spareCap bounds the queue capacity kept for reuse after a large backlog.
const spareCap = 1 << 14

func newCommitter(write writeFunc, syncs bool, maxBytes, maxCount int, log *slog.Logger) *committer {
	if log == nil {
		log = discardLogger()
	}
	c := &committer{
		write:      write,
		syncs:      syncs,
		maxBytes:   maxBytes,
		maxCount:   maxCount,
		log:        log,
		toComplete: make(chan *flight, maxInFlight),
		exited:     make(chan struct{}),
	}
	c.cond.L = &c.mu
	completed := make(chan struct{})
	go func() {
		c.complete()
		close(completed)
	}()
	go func() {
		c.run()
		<-completed
		close(c.exited)
	}()
	return c
}

// applyFunc is a synchronous writeFunc: it returns once the write is as
// durable as it will be.
type applyFunc func(group []pending) (wrote bool, err error)

func syncWrite(apply applyFunc) writeFunc {
	return func(group []pending) (func() error, bool, error) {
		wrote, err := apply(group)
		return nil, wrote, err
	}
}

func (c *committer) commit(b *Batch, done func(error)) { c.enqueue(b, done, false) }

func (c *committer) enqueue(b *Batch, done func(error), noSync bool) {
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
	c.queue = append(c.queue, pending{b: b, done: done, size: size, err: err, noSync: noSync})
	c.commits.Add(1)
	c.queuedN.Add(1)
	c.queuedB.Add(int64(size))
	c.mu.Unlock()
	c.cond.Broadcast()
}

// close stops accepting commits, waits until every queued one is done and the
// committer goroutines have exited. Safe to call more than once and
// concurrently. It must not be called from a done callback.
func (c *committer) close() {
	c.mu.Lock()
	c.closed = true
	c.isClosed.Store(true)
	c.mu.Unlock()
	c.cond.Broadcast()
	<-c.exited
}

// failure is nil until the store fails, then the fail-stop error.
func (c *committer) failure() error {
	if p := c.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// health implements HealthChecker.Health for the stores.
func (c *committer) health() error {
	if err := c.failure(); err != nil {
		return err
	}
	if c.isClosed.Load() {
		return ErrClosed
	}
	return nil
}

// fail puts the store into fail-stop with cause, unless it already failed.
// It returns the fail-stop error in effect.
func (c *committer) fail(cause error) error {
	err := fmt.Errorf("%w: %w", ErrFailed, cause)
	if !c.failed.CompareAndSwap(nil, &err) {
		return *c.failed.Load()
	}
	c.failStops.Add(1)
	c.log.Error("persistence: store failed; refusing every write until reopened (fail-stop)",
		"err", cause, "disk_full", errors.Is(cause, syscall.ENOSPC))
	c.cond.Broadcast()
	return err
}

// canWrite reports whether the writer may write another group (mu held).
func (c *committer) canWrite() bool {
	switch len(c.inflight) {
	case 0:
		return true
	case 1:
		return !c.inflight[0].synced
	}
	return false
}

// run is the writer goroutine.
func (c *committer) run() {
	defer close(c.toComplete)
	for {
		c.mu.Lock()
		for (c.head == len(c.queue) || !c.canWrite()) && !(c.closed && c.head == len(c.queue)) {
			c.cond.Wait()
		}
		if c.head == len(c.queue) { // closed and drained
			c.mu.Unlock()
			return
		}
		n, bytes := c.groupLen(c.queue[c.head:])
		var f *flight
		if k := len(c.free); k > 0 {
			f, c.free = c.free[k-1], c.free[:k-1]
		} else {
			f = &flight{}
		}
		f.group = append(f.group[:0], c.queue[c.head:c.head+n]...)
		clear(c.queue[c.head : c.head+n])
		c.head += n
		if c.head == len(c.queue) {
			if cap(c.queue) > spareCap {
				c.queue = nil
			} else {
				c.queue = c.queue[:0]
			}
			c.head = 0
		} else if c.head >= 1024 && 2*c.head >= len(c.queue) {
			// The queue never drained: drop its taken front, so that a
			// steady backlog does not grow it without bound.
			k := copy(c.queue, c.queue[c.head:])
			clear(c.queue[k:])
			c.queue = c.queue[:k]
			c.head = 0
		}
		f.bytes = bytes
		c.inflight = append(c.inflight, f)
		c.mu.Unlock()

		f.wait, f.wrote, f.err, f.refused = nil, false, nil, false
		if err := c.failure(); err != nil {
			f.err, f.refused = err, true
		} else {
			if c.observe != nil {
				f.start = time.Now()
			}
			f.wait, f.wrote, f.err = c.write(f.group)
		}
		c.toComplete <- f // never blocks: at most maxInFlight flights exist
	}
}

// complete is the completer goroutine: it waits for each written group's
// fsync, in write order, and calls its callbacks.
func (c *committer) complete() {
	for f := range c.toComplete {
		err := f.err
		if err == nil && f.wait != nil {
			err = f.wait()
		}
		if err != nil && !errors.Is(err, ErrFailed) {
			err = c.fail(fmt.Errorf("commit: %w", err))
		}
		if failed := c.failure(); failed != nil {
			// A group after the failure fails too, even if its own write
			// got through: durable batches stay a prefix of Commit order.
			err = failed
		}
		if err == nil && f.wrote {
			c.groups.Add(1)
			synced := c.syncs && !allNoSync(f.group)
			if synced {
				c.fsyncs.Add(1)
			}
			if c.observe != nil {
				c.observe(GroupCommit{Batches: len(f.group), Bytes: f.bytes, Synced: synced, Took: time.Since(f.start)})
			}
		}
		c.mu.Lock()
		f.synced = true
		c.mu.Unlock()
		c.finish(f.group, f.bytes, err, f.refused)
		clear(f.group)
		f.wait = nil
		c.mu.Lock()
		c.inflight = append(c.inflight[:0], c.inflight[1:]...)
		c.free = append(c.free, f)
		c.mu.Unlock()
		c.cond.Broadcast()
	}
}

// finish updates the counters and calls the callbacks of one group. refused
// says the group was refused without reaching the engine.
func (c *committer) finish(group []pending, bytes int, err error, refused bool) {
	var ok, bad, events, okBytes, ref uint64
	for i := range group {
		p := &group[i]
		e := p.err
		if e == nil {
			e = err
			if e != nil && refused {
				ref++
			}
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
	c.refused.Add(ref)
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
		Refused:       c.refused.Load(),
		FailStops:     c.failStops.Load(),
	}
}

// allNoSync reports whether no commit of group needs an fsync.
func allNoSync(group []pending) bool {
	for i := range group {
		if !group[i].noSync {
			return false
		}
	}
	return true
}
