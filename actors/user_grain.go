package actors

import (
	"log/slog"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"

	"github.com/qunchat/qun/actors/pb"
	"github.com/qunchat/qun/persistence"
	"github.com/qunchat/qun/wire"
)

// UserKind returns the cluster kind of user grains.
func UserKind(d *Deps) *cluster.Kind {
	return grainKind(KindUser, func() actor.Actor { return &userGrain{deps: d} })
}

type userGrain struct {
	deps    *Deps
	store   persistence.Store // this activation's (Deps.StoreFor)
	id      string
	m       *UserMachine
	broken  error
	self    *actor.PID
	system  *actor.ActorSystem
	waiting int
}

type userPersisted struct {
	to  *actor.PID
	res *pb.Result
	err error
}

func (g *userGrain) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		g.self, g.system = ctx.Self(), ctx.ActorSystem()
		ctx.SetReceiveTimeout(g.deps.IdleTimeout)
		g.deps.Stats.started(statUser)
	case *actor.Stopped:
		g.deps.Stats.stopped(statUser)
	case *cluster.ClusterInit:
		g.id = msg.Identity.Identity
		g.store = g.deps.storeFor(KindUser, g.id)
		g.m = NewUserMachine(g.id)
		if b, ok, err := g.st().Get(userKey(g.id)); err != nil {
			g.broken = err
		} else if ok {
			g.broken = g.m.Restore(b)
		}
		if g.broken != nil {
			g.deps.Logger.Error("user recovery failed", slog.String("user", g.id), slog.Any("err", g.broken))
		}
	case *pb.Call:
		if g.broken != nil {
			ctx.Respond(&pb.Result{Code: uint32(wire.CodeUnavailable), Error: "user state unavailable"})
			return
		}
		eff := g.m.Handle(Command{Now: g.deps.Now().UnixMilli(), User: msg.User, Op: wire.Op(msg.Op), Args: msg.Args})
		res := &pb.Result{Body: eff.Reply}
		if eff.Err != nil {
			res = &pb.Result{Code: uint32(eff.Err.Code), Error: eff.Err.Msg}
		}
		if eff.State == nil {
			ctx.Respond(res)
			return
		}
		to, self, sys := ctx.Sender(), g.self, g.system
		g.waiting++
		g.st().Commit(&persistence.Batch{Puts: []persistence.KV{{Key: userKey(g.id), Value: eff.State}}}, func(err error) {
			sys.Root.Send(self, &userPersisted{to: to, res: res, err: err})
		})
	case *userPersisted:
		g.waiting--
		if msg.err != nil {
			g.deps.Logger.Error("user persist failed", slog.String("user", g.id), slog.Any("err", msg.err))
			ctx.Send(msg.to, &pb.Result{Code: uint32(wire.CodeUnavailable), Error: "storage failed"})
			g.broken = msg.err
			ctx.Stop(g.self)
			return
		}
		ctx.Send(msg.to, msg.res)
	case *actor.ReceiveTimeout:
		if g.waiting == 0 {
			g.deps.Stats.passivate(statUser)
			ctx.Stop(g.self)
			return
		}
		ctx.SetReceiveTimeout(g.deps.IdleTimeout) // it fires once: arm it again
	}
}

// st is the activation's store (Deps.Store until ClusterInit binds one).
func (g *userGrain) st() persistence.Store {
	if g.store != nil {
		return g.store
	}
	return g.deps.Store
}
