package engine

import (
	"bufio"
	"encoding/binary"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/qunchat/qun/actors"
	"github.com/qunchat/qun/actors/pb"
)

// Batching: a connection's reader gathers the in-order requests it has
// already read, per group, and hands each group's grain all of them in one
// pb.Batch when it has no complete frame left to read (never waiting for
// more), or before a request of another kind runs. The grain answers them
// with pb.BatchResult messages sent to the connection's reply process, a
// Proto.Actor process registered once per connection and addressed by PID,
// so answers find it from any node. The awaiter (awaiter.go) matches them to
// the requests by correlation id and answers the client oldest first; no
// future is made per request.

// batchesSent and batchedCalls count, over the process, the batch messages
// sent and the calls in them (the tests' evidence that batches form).
var batchesSent, batchedCalls atomic.Int64

// maxBatch bounds the calls in one batch message (the in-flight limit
// bounds them too).
const maxBatch = 64

// batchState is a connection's batching state.
type batchState struct {
	groups []gathered // read, not yet sent, per group (the reader's own)

	// Under conn.mu, set once by the reader before the first batch.
	pid  *actor.PID    // the reply process
	wake chan struct{} // wakes the awaiter: an answer, a send, a dead letter
	next uint64        // the last correlation id given out
	gone bool          // the reader has returned: unregister when idle
}

// gathered is one group's requests waiting to be sent.
type gathered struct {
	group string
	calls []*pb.Call
	corr  []uint64
}

// sentBatch is a batch handed to a grain.
type sentBatch struct {
	group    string
	pid      *actor.PID // nil: the grain could not be found; each call is retried alone
	deadline time.Time  // RequestTimeout after sending
}

// replyProc is a connection's reply process. Proto.Actor calls it on the
// sender's goroutine (a local grain) or a remote endpoint's reader, so it
// only files the answers and wakes the awaiter.
type replyProc struct{ c *conn }

func (p replyProc) SendUserMessage(_ *actor.PID, m any) {
	p.c.answered(actor.UnwrapEnvelopeMessage(m))
}
func (replyProc) SendSystemMessage(*actor.PID, any) {}
func (replyProc) Stop(*actor.PID)                   {}

// frameReady reports whether r holds a whole frame, so reading it cannot
// block.
func frameReady(r *bufio.Reader) bool {
	n := r.Buffered()
	if n < 4 {
		return false
	}
	hdr, _ := r.Peek(4)
	return uint64(n) >= 4+uint64(binary.BigEndian.Uint32(hdr))
}

// gather queues a prepared in-order request for its group's next batch and
// for the awaiter. Called by the reader.
func (c *conn) gather(id uint32, p pending) {
	if c.batch == nil { // allocated on first use: an idle connection pays one pointer
		b := &batchState{wake: make(chan struct{}, 1)}
		b.pid, _ = c.e.node.System.ProcessRegistry.Add(replyProc{c}, "qunconn"+c.e.node.System.ProcessRegistry.NextID())
		c.mu.Lock()
		c.batch = b
		c.mu.Unlock()
	}
	c.mu.Lock()
	c.batch.next++
	corr := c.batch.next
	c.waitQ = append(c.waitQ, awaited{id: id, corr: corr, op: p.r.op, start: p.start, call: p.call})
	start := !c.awaiting
	if start {
		c.awaiting = true
		c.e.wg.Add(1)
	}
	c.mu.Unlock()
	if start {
		go c.awaitLoop()
	}
	gs := c.batch.groups
	i := 0
	for i < len(gs) && gs[i].group != p.group {
		i++
	}
	if i == len(gs) {
		c.batch.groups = append(gs, gathered{group: p.group, calls: make([]*pb.Call, 0, 8), corr: make([]uint64, 0, 8)})
	}
	g := &c.batch.groups[i]
	g.calls = append(g.calls, p.call)
	g.corr = append(g.corr, corr)
	if len(g.calls) >= maxBatch {
		c.sendBatch(g)
	}
}

// flushGathered sends every group's gathered requests. Called by the
// reader before it might block, and before any request that is not sent
// in order, so that it cannot overtake them.
func (c *conn) flushGathered() {
	if c.batch == nil {
		return
	}
	for i := range c.batch.groups {
		if len(c.batch.groups[i].calls) > 0 {
			c.sendBatch(&c.batch.groups[i])
		}
		c.batch.groups[i] = gathered{}
	}
	c.batch.groups = c.batch.groups[:0]
}

// sendBatch hands g's requests to the group's grain in one message.
func (c *conn) sendBatch(g *gathered) {
	e := c.e
	pid, ok := e.node.Cluster.PidCache.Get(g.group, actors.KindGroup)
	if !ok {
		if pid = e.node.Cluster.Get(g.group, actors.KindGroup); pid != nil {
			e.node.Cluster.PidCache.Set(g.group, actors.KindGroup, pid)
		}
	}
	sb := &sentBatch{group: g.group, pid: pid, deadline: time.Now().Add(e.cfg.RequestTimeout)}
	c.mu.Lock()
	for _, corr := range g.corr {
		if w := c.slot(corr); w != nil {
			w.b = sb
			if pid == nil {
				w.state = retrying
			}
		}
	}
	reply, wake := c.batch.pid, c.batch.wake
	c.mu.Unlock()
	if pid != nil {
		// Sent with the reply process as the envelope's sender too, so
		// that a stale PID's dead letter comes back to it at once.
		b := &pb.Batch{Calls: g.calls, Corr: g.corr, ReplyAddress: reply.Address, ReplyId: reply.Id}
		e.node.System.Root.RequestWithCustomSender(pid, b, reply)
		batchesSent.Add(1)
		batchedCalls.Add(int64(len(g.calls)))
	}
	g.calls, g.corr = nil, nil // the message owns them now
	signal(wake)
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// slot is the waiting request with correlation id corr, or nil. Under c.mu.
// The queue holds consecutive ids, oldest first.
func (c *conn) slot(corr uint64) *awaited {
	if len(c.waitQ) == 0 {
		return nil
	}
	i := corr - c.waitQ[0].corr // wraps to a huge index for an id already answered
	if i >= uint64(len(c.waitQ)) {
		return nil
	}
	return &c.waitQ[i]
}

// answered files what reached the reply process: a grain's answers, or the
// dead letter of a batch sent to a grain that is gone (each of its waiting
// requests is then retried through the cluster, as a stale PID always was).
func (c *conn) answered(m any) {
	switch m := m.(type) {
	case *pb.BatchResult:
		c.mu.Lock()
		for i, corr := range m.Corr {
			if i >= len(m.Results) {
				break
			}
			if w := c.slot(corr); w != nil && w.state == waiting && w.b != nil {
				w.state, w.res = answeredOK, m.Results[i]
			}
		}
		wake := c.batch.wake
		c.mu.Unlock()
		signal(wake)
	case *actor.DeadLetterResponse:
		if m.Target == nil {
			return
		}
		c.mu.Lock()
		var group string
		for i := range c.waitQ {
			w := &c.waitQ[i]
			if w.state == waiting && w.b != nil && w.b.pid != nil && w.b.pid.Equal(m.Target) {
				w.state, group = retrying, w.b.group
			}
		}
		wake := c.batch.wake
		c.mu.Unlock()
		if group != "" {
			c.e.node.Cluster.PidCache.Remove(group, actors.KindGroup)
		}
		signal(wake)
	}
}

// moved marks every waiting request of b for a retry at the shard's new
// leader and drops the cached PID.
func (c *conn) moved(b *sentBatch) {
	c.mu.Lock()
	for i := range c.waitQ {
		if w := &c.waitQ[i]; w.b == b && w.state == waiting {
			w.state = retrying
		}
	}
	c.mu.Unlock()
	c.e.node.Cluster.PidCache.Remove(b.group, actors.KindGroup)
}

// releaseReplies unregisters the reply process once the reader has
// returned and nothing waits for an answer.
func (c *conn) releaseReplies() {
	c.mu.Lock()
	if c.batch == nil {
		c.mu.Unlock()
		return
	}
	c.batch.gone = true
	pid := c.batch.pid
	if c.awaiting || pid == nil {
		c.mu.Unlock()
		return // the awaiter unregisters it when done
	}
	c.batch.pid = nil
	c.mu.Unlock()
	c.e.node.System.ProcessRegistry.Remove(pid)
}
