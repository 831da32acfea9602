package actors

import "github.com/qunchat/qun/wire"

// Moderation: roles, kick, ban, mute, ownership transfer, dissolve.

func (g *GroupMachine) setRole(r *req[wire.TargetArgs]) Effects {
	a := &r.args
	selfDemote := a.User == r.User && a.Role == wire.RoleMember && g.IsMember(r.User) && g.st.Members[r.User].Role == wire.RoleAdmin
	var err *wire.Error
	if !selfDemote {
		err = g.admit(r.Command, rule{gate: gateRole, min: wire.RoleOwner, what: "appoint or remove admins", notSelf: true}, a.User)
	} else {
		err = g.notDissolved()
	}
	if err != nil {
		return refuse(err)
	}
	t := g.st.Members[a.User]
	switch {
	case t == nil:
		return fail(wire.CodeNotMember, "%q is not a member", a.User)
	case a.Role != wire.RoleAdmin && a.Role != wire.RoleMember:
		return fail(wire.CodeBadRequest, "role must be admin (1) or member (0); use transfer_owner for the owner")
	case t.Role == wire.RoleOwner:
		return fail(wire.CodeForbidden, "the owner's role changes only by transfer")
	case t.Role == a.Role:
		return fail(wire.CodeConflict, "%q is already %s", a.User, a.Role)
	}
	if a.Role == wire.RoleAdmin {
		n := 0
		for _, m := range g.st.Members {
			if m.Role == wire.RoleAdmin {
				n++
			}
		}
		if n >= g.cfg.MaxAdmins {
			return fail(wire.CodeLimitReached, "a group has at most %d admins", g.cfg.MaxAdmins)
		}
	}
	return g.event(r.Now, sysMsg(wire.EventRole, r.User, a.User, a.Role.String()), &change{Role: a.Role})
}

// remove kicks or bans.
func (g *GroupMachine) remove(r *req[wire.TargetArgs]) Effects {
	target := r.args.User
	event := wire.EventKicked
	if r.Op == wire.OpBan {
		event = wire.EventBanned
	}
	member := g.IsMember(target)
	switch {
	case r.Op == wire.OpKick && !member:
		return fail(wire.CodeNotMember, "%q is not a member", target)
	case r.Op == wire.OpBan && g.isBanned(target):
		return fail(wire.CodeConflict, "%q is already banned", target)
	case member && !g.outranks(r.User, target):
		return fail(wire.CodeForbidden, "you may only %s members below your role", r.Op)
	}
	e := g.event(r.Now, sysMsg(event, r.User, target, ""), nil)
	if member {
		e.RemoveUsers = []string{target}
		e.Notice, e.NoticeTo = &wire.Notice{Kind: "removed", Group: g.st.ID, User: target, By: r.User, Text: event}, []string{target}
	}
	if _, p := g.pending[target]; p && r.Op == wire.OpBan {
		delete(g.pending, target)
		e.Aux = []AuxWrite{{Key: auxRequest + target}}
	}
	return e
}

func (g *GroupMachine) unban(r *req[wire.TargetArgs]) Effects {
	if !g.isBanned(r.args.User) {
		return fail(wire.CodeNotFound, "%q is not banned", r.args.User)
	}
	return g.event(r.Now, sysMsg(wire.EventUnbanned, r.User, r.args.User, ""), nil)
}

func (g *GroupMachine) mute(r *req[wire.TargetArgs]) Effects {
	a := &r.args
	t := g.st.Members[a.User]
	switch {
	case t == nil:
		return fail(wire.CodeNotMember, "%q is not a member", a.User)
	case !g.outranks(r.User, a.User):
		return fail(wire.CodeForbidden, "you may only mute members below your role")
	case a.Duration < 0 || a.Duration > MaxMuteMillis:
		return fail(wire.CodeBadRequest, "mute duration must be 0..%d ms", int64(MaxMuteMillis))
	}
	if a.Duration == 0 {
		if t.MutedUntil <= r.Now {
			return fail(wire.CodeConflict, "%q is not muted", a.User)
		}
		return g.event(r.Now, sysMsg(wire.EventUnmuted, r.User, a.User, ""), nil)
	}
	msg := sysMsg(wire.EventMuted, r.User, a.User, "")
	msg.Body.System.Until = r.Now + a.Duration
	return g.event(r.Now, msg, nil)
}

func (g *GroupMachine) muteAll(r *req[wire.MuteAllArgs]) Effects {
	if g.st.MuteAll == r.args.On {
		return fail(wire.CodeConflict, "mute-all is already %v", r.args.On)
	}
	on := "off"
	if r.args.On {
		on = "on"
	}
	return g.event(r.Now, sysMsg(wire.EventMuteAll, r.User, "", on), nil)
}

func (g *GroupMachine) transfer(r *req[wire.TargetArgs]) Effects {
	if !g.IsMember(r.args.User) {
		return fail(wire.CodeNotMember, "the new owner must be another member")
	}
	return g.event(r.Now, sysMsg(wire.EventOwner, r.User, r.args.User, ""), nil)
}

func (g *GroupMachine) dissolve(r *req[none]) Effects {
	e := g.event(r.Now, sysMsg(wire.EventDissolved, r.User, "", ""), nil)
	e.Closed = true
	e.DropHistory = g.cfg.DeleteOnDissolve
	for code := range g.invites {
		e.Aux = append(e.Aux, AuxWrite{Key: auxInvite + code})
	}
	for u := range g.pending {
		e.Aux = append(e.Aux, AuxWrite{Key: auxRequest + u})
	}
	g.invites, g.pending = map[string]*inviteState{}, map[string]*wire.JoinRequest{}
	return e
}
