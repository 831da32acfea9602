package actors

import (
	"fmt"
	"sort"

	"github.com/qunchat/qun/wire"
)

// UserGroupArgs adds a group to a user's list or removes it.
type UserGroupArgs struct {
	Group  string `msgpack:"g"`
	Name   string `msgpack:"name,omitempty"`
	Joined int64  `msgpack:"joined,omitempty"`
	Seq    uint64 `msgpack:"seq,omitempty"` // the join event's seq: messages before it count as read
	Limit  int    `msgpack:"limit,omitempty"`
	Owner  bool   `msgpack:"owner,omitempty"`
	Fan    bool   `msgpack:"fan,omitempty"` // OpUserReserve: a fan group, counted against the fan-group limit
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
	Fan     bool   `msgpack:"fan,omitempty"`   // a fan group the user owns
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

// userOps is the user machine's op table. public ops may be called by
// anyone; the others only by the user themself.
var userOps = map[wire.Op]userOp{
	wire.OpProfileGroups: {public: true, run: userOpNoArgs((*UserMachine).profileGroups)},
	OpUserGroups:         {run: userOpNoArgs((*UserMachine).groups)},
	wire.OpMyGroups:      {run: userOpNoArgs((*UserMachine).groups)},
	OpUserReserve:        {run: userOpArgs((*UserMachine).reserve)},
	OpUserSetOwner:       {run: userOpArgs((*UserMachine).setOwner)},
	OpUserAdd:            {run: userOpArgs((*UserMachine).add)},
	OpUserRemove:         {run: userOpArgs((*UserMachine).remove)},
	wire.OpMarkRead:      {run: userOpArgs((*UserMachine).markRead)},
	wire.OpPinGroup: {run: userOpArgs(func(u *UserMachine, a wire.PinGroupArgs) UserEffects {
		return u.setFlag(a.Group, a.On, func(g *UserGroup) *bool { return &g.Pinned })
	})},
	wire.OpShowOnProfile: {run: userOpArgs(func(u *UserMachine, a wire.ShowOnProfileArgs) UserEffects {
		return u.setFlag(a.Group, a.Show, func(g *UserGroup) *bool { return &g.Shown })
	})},
	OpUserFanGroups: {public: true, run: userOpNoArgs((*UserMachine).fanGroups)},
}

type userOp struct {
	public bool
	run    func(u *UserMachine, args []byte) UserEffects
}

// userOpArgs makes a handler of arguments T.
func userOpArgs[T any](h func(u *UserMachine, a T) UserEffects) func(*UserMachine, []byte) UserEffects {
	return func(u *UserMachine, b []byte) UserEffects {
		a, err := wire.Args[T](b)
		if err != nil {
			return UserEffects{Err: err}
		}
		return h(u, a)
	}
}

func userOpNoArgs(h func(u *UserMachine) UserEffects) func(*UserMachine, []byte) UserEffects {
	return func(u *UserMachine, _ []byte) UserEffects { return h(u) }
}

// Handle runs one command addressed to the user.
func (u *UserMachine) Handle(c Command) UserEffects {
	o, found := userOps[c.Op]
	if !found {
		if c.User != u.id {
			return u.refuse(wire.CodeForbidden, "user grain %q called as %q", u.id, c.User)
		}
		return u.refuse(wire.CodeUnknownOp, "operation %s is not a user operation", c.Op)
	}
	if !o.public && c.User != u.id {
		return u.refuse(wire.CodeForbidden, "user grain %q called as %q", u.id, c.User)
	}
	return o.run(u, c.Args)
}

func (u *UserMachine) refuse(code wire.Code, f string, a ...any) UserEffects {
	return UserEffects{Err: wire.Errorf(code, f, a...)}
}

// reply answers v; with changed, the state is persisted first.
func (u *UserMachine) reply(v any, changed bool) UserEffects {
	b, err := wire.Marshal(v)
	if err != nil {
		return u.refuse(wire.CodeInternal, "encode: %v", err)
	}
	e := UserEffects{Reply: b}
	if changed {
		if e.State, err = wire.Marshal(&u.st); err != nil {
			return u.refuse(wire.CodeInternal, "encode: %v", err)
		}
	}
	return e
}

// done answers Empty; with changed, the state is persisted first.
func (u *UserMachine) done(changed bool) UserEffects { return u.reply(wire.Empty{}, changed) }

// profileGroups lists the groups shown on the profile (public).
func (u *UserMachine) profileGroups() UserEffects {
	res := UserGroupsResult{Groups: []UserGroup{}}
	for _, g := range u.st.Groups {
		if g.Shown {
			res.Groups = append(res.Groups, UserGroup{Group: g.Group, Name: g.Name, Owner: g.Owner, Shown: true})
		}
	}
	sort.Slice(res.Groups, func(i, j int) bool { return res.Groups[i].Group < res.Groups[j].Group })
	return u.reply(res, false)
}

func (u *UserMachine) groups() UserEffects {
	res := UserGroupsResult{Groups: make([]UserGroup, 0, len(u.st.Groups))}
	for _, g := range u.st.Groups {
		res.Groups = append(res.Groups, *g)
	}
	sort.Slice(res.Groups, func(i, j int) bool { return res.Groups[i].Group < res.Groups[j].Group })
	return u.reply(res, false)
}

func (u *UserMachine) reserve(a UserGroupArgs) UserEffects {
	owned := 0
	for _, g := range u.st.Groups {
		if g.Owner && g.Fan == a.Fan {
			owned++
		}
	}
	if owned >= a.Limit {
		kind := "groups"
		if a.Fan {
			kind = "fan groups"
		}
		return u.refuse(wire.CodeLimitReached, "you own %d %s; your limit is %d", owned, kind, a.Limit)
	}
	if g, ok := u.st.Groups[a.Group]; ok { // a member becoming owner
		g.Owner, g.Fan = true, a.Fan
	} else {
		u.st.Groups[a.Group] = &UserGroup{Group: a.Group, Name: a.Name, Joined: a.Joined, Owner: true, Fan: a.Fan, ReadSeq: 1}
	}
	return u.done(true)
}

func (u *UserMachine) setOwner(a UserGroupArgs) UserEffects {
	g, ok := u.st.Groups[a.Group]
	if !ok || g.Owner == a.Owner {
		return u.done(false)
	}
	g.Owner = a.Owner
	return u.done(true)
}

// setFlag sets one of a group's flags (pinned, shown on profile).
func (u *UserMachine) setFlag(group string, on bool, field func(*UserGroup) *bool) UserEffects {
	g, ok := u.st.Groups[group]
	if !ok {
		return u.refuse(wire.CodeNotMember, "not a member of %q", group)
	}
	flag := field(g)
	if *flag == on {
		return u.done(false)
	}
	*flag = on
	return u.done(true)
}

func (u *UserMachine) add(a UserGroupArgs) UserEffects {
	if g, ok := u.st.Groups[a.Group]; ok {
		if g.Name == a.Name {
			return u.done(false)
		}
		g.Name = a.Name
		return u.done(true)
	}
	u.st.Groups[a.Group] = &UserGroup{Group: a.Group, Name: a.Name, Joined: a.Joined, ReadSeq: a.Seq}
	return u.done(true)
}

func (u *UserMachine) remove(a UserGroupArgs) UserEffects {
	if _, ok := u.st.Groups[a.Group]; !ok {
		return u.done(false)
	}
	delete(u.st.Groups, a.Group)
	return u.done(true)
}

func (u *UserMachine) markRead(a wire.MarkReadArgs) UserEffects {
	g, ok := u.st.Groups[a.Group]
	if !ok {
		return u.refuse(wire.CodeNotMember, "not a member of %q", a.Group)
	}
	if a.Seq <= g.ReadSeq {
		return u.done(false)
	}
	g.ReadSeq = a.Seq
	return u.done(true)
}

// fanGroups lists the fan groups the user owns (public: a creator's
// homepage).
func (u *UserMachine) fanGroups() UserEffects {
	res := UserGroupsResult{Groups: []UserGroup{}}
	for _, g := range u.st.Groups {
		if g.Owner && g.Fan {
			res.Groups = append(res.Groups, UserGroup{Group: g.Group, Name: g.Name, Owner: true, Fan: true})
		}
	}
	sort.Slice(res.Groups, func(i, j int) bool { return res.Groups[i].Group < res.Groups[j].Group })
	return u.reply(res, false)
}
