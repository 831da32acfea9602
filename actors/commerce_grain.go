package actors

import (
	"context"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/qunchat/qun/actors/pb"
	"github.com/qunchat/qun/persistence"
	"github.com/qunchat/qun/wire"
)

// The group grain's side of commerce: it makes the host calls a machine
// asks for once their prerequisite writes are durable, holds replies until
// the host answers, keeps the group's entry in the node's due-time index,
// and runs an in-process timer for the next deadline.

type commerceGrain struct {
	held    map[string]replyTo // replies waiting for a host answer, by call key
	calls   []pendingCall      // host calls waiting for their batch to be durable
	busy    map[string]bool    // host calls in flight
	kv      []persistence.KV   // due-index puts (absolute keys)
	kvDel   []string           // due-index deletes
	timer   *time.Timer
	timerAt int64
}

type pendingCall struct {
	batch uint64
	call  HostCall
}

// hostDone and tick are local self-messages; they never cross nodes.
type hostDone struct {
	call HostCall
	err  error
}

type tick struct{}

func (g *groupGrain) hold(key string, to replyTo) {
	if to.pid == nil {
		return
	}
	if g.held == nil {
		g.held = map[string]replyTo{}
	}
	g.held[key] = to
}

// carryCommerce queues the host calls and answers of eff (carry has queued
// its writes into the current batch already).
func (g *groupGrain) carryCommerce(ctx actor.Context, eff *Effects) {
	var batch, after uint64
	if len(eff.Records) > 0 || len(eff.Aux) > 0 {
		batch = g.batch
	}
	if n := len(eff.Records); n > 0 {
		after = eff.Records[n-1].Msg.Seq
	}
	for _, c := range eff.Calls {
		g.calls = append(g.calls, pendingCall{batch: batch, call: c})
	}
	for _, a := range eff.Answers {
		to, ok := g.held[a.Key]
		if !ok {
			continue
		}
		delete(g.held, a.Key)
		res := &pb.Result{Body: a.Reply}
		if a.Err != nil {
			res = &pb.Result{Code: uint32(a.Err.Code), Error: a.Err.Msg}
		}
		if batch > g.durableB || after > g.m.Durable() {
			g.replies = append(g.replies, pendingReply{to: to, after: after, batch: batch, res: res})
		} else {
			g.answer(to, res)
		}
	}
	g.reschedule()
	if batch == 0 && len(eff.Calls) > 0 {
		g.dispatchReady(ctx)
	}
}

// dispatchReady makes the queued host calls whose writes are durable.
func (g *groupGrain) dispatchReady(ctx actor.Context) {
	kept := g.calls[:0]
	for _, p := range g.calls {
		if p.batch > g.durableB {
			kept = append(kept, p)
			continue
		}
		g.dispatch(p.call)
	}
	g.calls = kept
}

// dispatch makes one host call on its own goroutine (a slow host delays
// nothing else); the outcome comes back as hostDone.
func (g *groupGrain) dispatch(c HostCall) {
	if !g.m.IsOwed(c.Key) || g.busy[c.Key] {
		return
	}
	if g.busy == nil {
		g.busy = map[string]bool{}
	}
	g.busy[c.Key] = true
	host, timeout, self, sys := g.deps.Commerce, g.deps.HostTimeout, g.self, g.system
	go func() {
		var err error
		if host == nil {
			err = wire.Errorf(wire.CodeNotAllowed, "this node has no payments host")
		} else {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			err = Do(ctx, host, c)
			cancel()
		}
		sys.Root.Send(self, &hostDone{call: c, err: err})
	}()
}

func (g *groupGrain) onHostDone(ctx actor.Context, d *hostDone) {
	delete(g.busy, d.call.Key)
	if g.broken != nil {
		return
	}
	g.carry(ctx, g.m.HostDone(g.deps.Now().UnixMilli(), d.call, d.err), replyTo{})
	if d.err != nil {
		if _, refused := d.err.(*wire.Error); !refused {
			g.deps.Logger.Warn("host call failed; retried after a backoff", slog.String("group", g.id),
				slog.String("key", d.call.Key), slog.Int("attempts", g.m.Attempts(d.call.Key)), slog.Any("err", d.err))
		}
	}
}

// tick runs what is due, then re-drives owed host calls when nothing of
// the grain's own is in flight (so every owed call's record is durable).
func (g *groupGrain) tick(ctx actor.Context) {
	if g.broken != nil || g.m == nil {
		return
	}
	g.timerAt = 0 // the timer fired (or the index woke us): arm again
	g.carry(ctx, g.m.Tick(g.deps.Now().UnixMilli()), replyTo{})
	g.redrive()
	g.reschedule()
}

func (g *groupGrain) redrive() {
	if g.inflight > 0 || len(g.unsent) > 0 || len(g.aux) > 0 || len(g.calls) > 0 {
		return
	}
	for _, c := range g.m.OwedDue(g.deps.Now().UnixMilli()) {
		g.dispatch(c)
	}
}

// loaded runs after recovery: everything owed is durable, so it is made
// again now (same keys: the host applies each once).
func (g *groupGrain) loaded() {
	if !g.m.HasCommerce() {
		return
	}
	g.redrive()
	g.reschedule()
	if (len(g.aux) > 0 || len(g.kv) > 0) && !g.flushing {
		g.flushing = true
		g.system.Root.Send(g.self, flush{})
	}
}

// reschedule keeps the group's due-index entry and its timer current.
func (g *groupGrain) reschedule() {
	if g.m == nil || !g.m.HasCommerce() {
		return
	}
	if due, old := g.m.Due(g.deps.Now().UnixMilli()), g.m.DueWritten(); due != old {
		if old > 0 {
			g.kvDel = append(g.kvDel, DueKey(old, g.id))
		}
		if due > 0 {
			g.kv = append(g.kv, persistence.KV{Key: DueKey(due, g.id), Value: []byte(g.id)})
		}
		g.aux = append(g.aux, g.m.SetDueWritten(due))
	}
	next := g.m.WakeAt(g.deps.Now().UnixMilli())
	if next == g.timerAt {
		return
	}
	g.stopTimer()
	g.timerAt = next
	if next > 0 {
		d := time.Duration(next-g.deps.Now().UnixMilli()) * time.Millisecond
		self, sys := g.self, g.system
		g.timer = time.AfterFunc(max(d, 0), func() { sys.Root.Send(self, tick{}) })
	}
}

func (g *groupGrain) stopTimer() {
	if g.timer != nil {
		g.timer.Stop()
		g.timer = nil
	}
}

// flushKV adds the due-index writes to b.
func (g *groupGrain) flushKV(b *persistence.Batch) {
	b.Deletes = append(b.Deletes, g.kvDel...)
	b.Puts = append(b.Puts, g.kv...)
	g.kv, g.kvDel = nil, nil
}

// commerceBusy: the grain must not passivate (a host call is in flight or
// queued, or a reply is held). What is owed but idle does not keep it: the
// due index wakes it again.
func (g *groupGrain) commerceBusy() bool {
	return len(g.busy) > 0 || len(g.calls) > 0 || len(g.held) > 0 || len(g.kv) > 0 || len(g.kvDel) > 0
}
