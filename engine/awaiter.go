package engine

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/qunchat/qun/actors"
	"github.com/qunchat/qun/actors/pb"
	"github.com/qunchat/qun/wire"
)

// The awaiter: the requests a connection batched to their grains (the
// in-order routes, batch.go) are answered by one goroutine per connection,
// oldest first, instead of a goroutine or a future per request. It runs only
// while such requests are outstanding, so an idle connection has none. An
// answer that comes back before an older one waits for it: the grains of
// one connection's in-order requests answer within one store commit of each
// other, and replies carry their request id.
//
// Each request fails on its own: at its batch's deadline (RequestTimeout
// after sending) with a timeout; and when its grain turned out to be gone
// (a dead letter) or, on a replicated cluster, its shard's leader moved
// elsewhere, it is retried alone through the cluster, as before batching.

// awaited states.
const (
	waiting    uint8 = iota // at its grain (or about to be sent)
	answeredOK              // res holds the grain's answer
	retrying                // to be retried alone through the cluster
)

type awaited struct {
	id    uint32 // the client's request id
	corr  uint64 // correlation id in its batch
	op    wire.Op
	start time.Time // for metrics
	call  *pb.Call
	b     *sentBatch // nil until sent
	state uint8
	res   *pb.Result
}

func (c *conn) awaitLoop() {
	defer c.e.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var poll <-chan time.Time
	if r := c.e.repl; r != nil && r.multi.Load() {
		t := time.NewTicker(leaderPoll)
		defer t.Stop()
		poll = t.C
	}
	for {
		c.mu.Lock()
		if len(c.waitQ) == 0 {
			c.waitQ, c.awaiting = nil, false
			var pid *actor.PID
			if c.batch.gone {
				pid, c.batch.pid = c.batch.pid, nil
			}
			c.mu.Unlock()
			if pid != nil {
				c.e.node.System.ProcessRegistry.Remove(pid)
			}
			return
		}
		w := &c.waitQ[0]
		b, wake := w.b, c.batch.wake
		if w.state != waiting || (b != nil && !time.Now().Before(b.deadline)) {
			a := *w
			c.waitQ[0] = awaited{}
			c.waitQ = c.waitQ[1:]
			c.mu.Unlock()
			c.complete(a)
			continue
		}
		c.mu.Unlock()
		if b != nil {
			timer.Reset(time.Until(b.deadline))
		}
		select {
		case <-wake:
		case <-timer.C:
		case <-poll:
			if b != nil && b.pid != nil {
				if addr, ok := c.e.repl.LeaderOf(actors.KindGroup, b.group); ok && addr != b.pid.Address {
					c.moved(b)
				}
			}
		}
		timer.Stop()
	}
}

// complete answers one request that left the queue.
func (c *conn) complete(a awaited) {
	var body []byte
	var err error
	switch a.state {
	case answeredOK:
		body, err = c.e.result(a.res, nil)
	case retrying:
		body, err = c.e.request(actors.KindGroup, a.b.group, a.call)
	default: // its batch's deadline passed
		body, err = c.e.result(nil, actor.ErrTimeout)
	}
	c.e.observe(a.op, a.start, err)
	c.finish(a.id, body, err)
}
