package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"

	"github.com/qunchat/qun/actors"
	"github.com/qunchat/qun/actors/pb"
	"github.com/qunchat/qun/wire"
)

// Grain calls. Every operation reaches its group or user grain through the
// cluster grain API, even on a lone node; a grain's refusal comes back as a
// *wire.Error.

func resultErr(r *pb.Result) error {
	if r.Code == 0 {
		return nil
	}
	e := &wire.Error{Code: wire.Code(r.Code), Msg: r.Error}
	if len(r.Body) > 0 { // what the refusal says beyond code and text (retry-after)
		var x wire.Error
		if wire.Decode(r.Body, &x) == nil {
			e.RetryAfter = x.RetryAfter
		}
	}
	return e
}

// request calls a grain and waits, retrying as Proto.Actor does.
func (e *Engine) request(kind, id string, c *pb.Call) ([]byte, error) {
	r, err := e.requestResult(kind, id, c)
	if err != nil {
		return nil, err
	}
	return r.Body, nil
}

// requestResult is request returning the grain's whole result, for the
// callers that need more than the reply body (the group name after a join).
func (e *Engine) requestResult(kind, id string, c *pb.Call) (*pb.Result, error) {
	if e.node == nil {
		return nil, ErrNotStarted
	}
	deadline := time.Now().Add(e.cfg.RequestTimeout)
	for attempt := 0; ; attempt++ {
		f, err := e.node.Cluster.RequestFuture(id, kind, c, pcluster.WithTimeout(time.Until(deadline)))
		if err != nil {
			return e.fullResult(nil, err)
		}
		res, err, moved := e.awaitLeader(f, kind, id)
		if (moved || errors.Is(err, actor.ErrDeadLetter)) && attempt < 3 && time.Until(deadline) > 0 {
			e.node.Cluster.PidCache.Remove(id, kind)
			continue // to the shard's new leader
		}
		if moved {
			err = actor.ErrTimeout
		}
		return e.fullResult(res, err)
	}
}

func (e *Engine) result(res any, err error) ([]byte, error) {
	r, err := e.fullResult(res, err)
	if err != nil {
		return nil, err
	}
	return r.Body, nil
}

func (e *Engine) fullResult(res any, err error) (*pb.Result, error) {
	if err != nil {
		if errors.Is(err, actor.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
			return nil, wire.Errorf(wire.CodeTimeout, "request timed out")
		}
		return nil, wire.Errorf(wire.CodeUnavailable, "request failed: %v", err)
	}
	r, ok := res.(*pb.Result)
	if !ok {
		return nil, wire.Errorf(wire.CodeInternal, "unexpected reply %T", res)
	}
	if err := resultErr(r); err != nil {
		return nil, err
	}
	return r, nil
}

// groupCall calls group g's grain for user; host carries facts from the
// host's hooks (nil for none).
func (e *Engine) groupCall(user string, op wire.Op, g string, args, host []byte) ([]byte, error) {
	return e.request(actors.KindGroup, g, &pb.Call{Op: uint32(op), User: user, Args: args, Host: host})
}

// userCall calls user's own grain.
func (e *Engine) userCall(user string, op wire.Op, a actors.UserGroupArgs) error {
	_, err := e.request(actors.KindUser, user, &pb.Call{Op: uint32(op), User: user, Args: marshalArgs(a)})
	return err
}

// future sends a call without waiting, so that calls issued in order from
// one goroutine reach the grain in that order. wait resolves it; a call that
// met a stopped grain is retried with request.
type future struct {
	e    *Engine
	f    actor.Future
	kind string
	id   string
	c    *pb.Call
}

func (e *Engine) future(kind, id string, c *pb.Call) *future {
	if pid, ok := e.node.Cluster.PidCache.Get(id, kind); ok {
		// What Cluster.RequestFuture does with a cached PID, without its
		// per-call options, timeout context and debug-log arguments (a
		// stale PID dead-letters and wait retries, as below).
		return &future{e: e, f: e.node.System.Root.RequestFuture(pid, c, e.cfg.RequestTimeout), kind: kind, id: id, c: c}
	}
	f, err := e.node.Cluster.RequestFuture(id, kind, c, pcluster.WithTimeout(e.cfg.RequestTimeout))
	if err != nil {
		f = nil
	}
	return &future{e: e, f: f, kind: kind, id: id, c: c}
}

func (f *future) wait() ([]byte, error) {
	if f.f == nil {
		return f.e.request(f.kind, f.id, f.c)
	}
	res, err, moved := f.e.awaitLeader(f.f, f.kind, f.id)
	if moved || errors.Is(err, actor.ErrDeadLetter) {
		f.e.node.Cluster.PidCache.Remove(f.id, f.kind)
		return f.e.request(f.kind, f.id, f.c)
	}
	return f.e.result(res, err)
}

// marshalArgs encodes the engine's own argument values for a grain.
func marshalArgs(v any) []byte {
	b, err := wire.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("engine: marshal %T: %v", v, err)) // only our own types are marshalled here
	}
	return b
}

// decodeInto decodes a grain's reply.
func decodeInto(b []byte, v any) error {
	if err := wire.Decode(b, v); err != nil {
		return wire.Errorf(wire.CodeInternal, "bad reply: %v", err)
	}
	return nil
}
