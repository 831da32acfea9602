package engine

import (
	"context"
	"errors"
	"fmt"

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
	res, err := e.node.Cluster.Request(id, kind, c, pcluster.WithTimeout(e.cfg.RequestTimeout))
	return e.fullResult(res, err)
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
	res, err := f.f.Result()
	if errors.Is(err, actor.ErrDeadLetter) {
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
