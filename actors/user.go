package actors

import (
	"fmt"
	"log/slog"
	"sort"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"

	"github.com/qunchat/qun/actors/pb"
	"github.com/qunchat/qun/persistence"
	"github.com/qunchat/qun/wire"
)

// More user operations.
const (
	OpUserReserve  wire.Op = 1103 // UserGroupArgs{Limit}: add a group the user owns, if under the limit
	OpUserSetOwner wire.Op = 1104 // UserGroupArgs{Owner}: mark or unmark a group as owned
)

// UserGroupArgs adds a group to a user's list or removes it.
type UserGroupArgs struct {
	Group  string `msgpack:"g"`
	Name   string `msgpack:"name,omitempty"`
	Joined int64  `msgpack:"joined,omitempty"`
	Seq    uint64 `msgpack:"seq,omitempty"` // the join event's seq: messages before it count as read
	Limit  int    `msgpack:"limit,omitempty"`
	Owner  bool   `msgpack:"owner,omitempty"`
}

// UserGroup is one group in a user's list, as the user grain knows it.
type UserGroup struct {
	Group   string `msgpack:"g"`
	Name    string `msgpack:"name"`
	ReadSeq uint64 `msgpack:"read"`
	Joined  int64  `msgpack:"joined"`
	Pinned  bool   `msgpack:"pinned,omitempty"`
	Owner   bool   `msgpack:"owner,omitempty"`
	Shown   bool   `msgpack:"shown,omitempty"` // shown on the user's profile
}

// UserGroupsResult answers OpUserGroups and OpMyGroups on the user grain; the
// engine adds each group's last seq and activity.
type UserGroupsResult struct {
	Groups []UserGroup `msgpack:"groups"`
}

type userState struct {
	Groups map[string]*UserGroup `msgpack:"groups"`
}

// UserMachine is a user's logic: the groups they belong to and their read
// positions. Like GroupMachine it does no I/O.
type UserMachine struct {
	id string
	st userState
}

// NewUserMachine returns an empty user.
func NewUserMachine(id string) *UserMachine {
	return &UserMachine{id: id, st: userState{Groups: map[string]*UserGroup{}}}
}

// Restore loads the persisted state.
func (u *UserMachine) Restore(b []byte) error {
	var st userState
	if err := wire.Decode(b, &st); err != nil {
		return fmt.Errorf("actors: user state: %w", err)
	}
	if st.Groups == nil {
		st.Groups = map[string]*UserGroup{}
	}
	u.st = st
	return nil
}

// UserEffects: State, if set, must be persisted before Reply goes out.
type UserEffects struct {
	State []byte
	Reply []byte
	Err   *wire.Error
}

// Handle runs one command addressed to the user.
func (u *UserMachine) Handle(c Command) UserEffects {
	fail := func(code wire.Code, f string, a ...any) UserEffects {
		return UserEffects{Err: wire.Errorf(code, f, a...)}
	}
	okv := func(v any, changed bool) UserEffects {
		b, err := wire.Marshal(v)
		if err != nil {
			return fail(wire.CodeInternal, "encode: %v", err)
		}
		e := UserEffects{Reply: b}
		if changed {
			if e.State, err = wire.Marshal(&u.st); err != nil {
				return fail(wire.CodeInternal, "encode: %v", err)
			}
		}
		return e
	}
	if c.Op == wire.OpProfileGroups { // public: the groups shown on the profile
		res := UserGroupsResult{Groups: []UserGroup{}}
		for _, g := range u.st.Groups {
			if g.Shown {
				res.Groups = append(res.Groups, UserGroup{Group: g.Group, Name: g.Name, Owner: g.Owner, Shown: true})
			}
		}
		sort.Slice(res.Groups, func(i, j int) bool { return res.Groups[i].Group < res.Groups[j].Group })
		return okv(res, false)
	}
	if c.User != u.id {
		return fail(wire.CodeForbidden, "user grain %q called as %q", u.id, c.User)
	}
	switch c.Op {
	case OpUserReserve:
		var a UserGroupArgs
		if err := decodeArgs(c.Args, &a); err != nil {
			return UserEffects{Err: err}
		}
		owned := 0
		for _, g := range u.st.Groups {
			if g.Owner {
				owned++
			}
		}
		if owned >= a.Limit {
			return fail(wire.CodeLimitReached, "you own %d groups; your limit is %d", owned, a.Limit)
		}
		if g, ok := u.st.Groups[a.Group]; ok { // a member becoming owner
			g.Owner = true
		} else {
			u.st.Groups[a.Group] = &UserGroup{Group: a.Group, Name: a.Name, Joined: a.Joined, Owner: true, ReadSeq: 1}
		}
		return okv(wire.Empty{}, true)
	case OpUserSetOwner:
		var a UserGroupArgs
		if err := decodeArgs(c.Args, &a); err != nil {
			return UserEffects{Err: err}
		}
		g, ok := u.st.Groups[a.Group]
		if !ok || g.Owner == a.Owner {
			return okv(wire.Empty{}, false)
		}
		g.Owner = a.Owner
		return okv(wire.Empty{}, true)
	case wire.OpPinGroup, wire.OpShowOnProfile:
		var a wire.PinGroupArgs
		var b wire.ShowOnProfileArgs
		var err *wire.Error
		if c.Op == wire.OpPinGroup {
			err = decodeArgs(c.Args, &a)
		} else {
			err = decodeArgs(c.Args, &b)
			a = wire.PinGroupArgs{Group: b.Group, On: b.Show}
		}
		if err != nil {
			return UserEffects{Err: err}
		}
		g, ok := u.st.Groups[a.Group]
		if !ok {
			return fail(wire.CodeNotMember, "not a member of %q", a.Group)
		}
		flag := &g.Pinned
		if c.Op == wire.OpShowOnProfile {
			flag = &g.Shown
		}
		if *flag == a.On {
			return okv(wire.Empty{}, false)
		}
		*flag = a.On
		return okv(wire.Empty{}, true)
	case OpUserAdd:
		var a UserGroupArgs
		if err := decodeArgs(c.Args, &a); err != nil {
			return UserEffects{Err: err}
		}
		if g, ok := u.st.Groups[a.Group]; ok {
			if g.Name == a.Name {
				return okv(wire.Empty{}, false)
			}
			g.Name = a.Name
			return okv(wire.Empty{}, true)
		}
		u.st.Groups[a.Group] = &UserGroup{Group: a.Group, Name: a.Name, Joined: a.Joined, ReadSeq: a.Seq}
		return okv(wire.Empty{}, true)
	case OpUserRemove:
		var a UserGroupArgs
		if err := decodeArgs(c.Args, &a); err != nil {
			return UserEffects{Err: err}
		}
		if _, ok := u.st.Groups[a.Group]; !ok {
			return okv(wire.Empty{}, false)
		}
		delete(u.st.Groups, a.Group)
		return okv(wire.Empty{}, true)
	case wire.OpMarkRead:
		var a wire.MarkReadArgs
		if err := decodeArgs(c.Args, &a); err != nil {
			return UserEffects{Err: err}
		}
		g, ok := u.st.Groups[a.Group]
		if !ok {
			return fail(wire.CodeNotMember, "not a member of %q", a.Group)
		}
		if a.Seq <= g.ReadSeq {
			return okv(wire.Empty{}, false)
		}
		g.ReadSeq = a.Seq
		return okv(wire.Empty{}, true)
	case OpUserGroups, wire.OpMyGroups:
		res := UserGroupsResult{Groups: make([]UserGroup, 0, len(u.st.Groups))}
		for _, g := range u.st.Groups {
			res.Groups = append(res.Groups, *g)
		}
		sort.Slice(res.Groups, func(i, j int) bool { return res.Groups[i].Group < res.Groups[j].Group })
		return okv(res, false)
	}
	return fail(wire.CodeUnknownOp, "operation %s is not a user operation", c.Op)
}

// UserKind returns the cluster kind for user grains.
func UserKind(d *Deps) *cluster.Kind {
	return cluster.NewKind(KindUser, actor.PropsFromProducer(func() actor.Actor {
		return &userGrain{deps: d}
	}))
}

type userGrain struct {
	deps    *Deps
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
	case *cluster.ClusterInit:
		g.id = msg.Identity.Identity
		g.m = NewUserMachine(g.id)
		if b, ok, err := g.deps.Store.Get(userKey(g.id)); err != nil {
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
		g.deps.Store.Commit(&persistence.Batch{Puts: []persistence.KV{{Key: userKey(g.id), Value: eff.State}}}, func(err error) {
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
			ctx.Stop(g.self)
			return
		}
		ctx.SetReceiveTimeout(g.deps.IdleTimeout) // it fires once: arm it again
	}
}
