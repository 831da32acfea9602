package actors

import (
	"time"
	"unicode/utf8"

	"github.com/qunchat/qun/wire"
)

// Guards check the caller's standing. Each returns nil when the check
// passes, else the error to answer with. The op table runs the guard an op
// declares (see gate); handlers call the others.

// exists: the group was created.
func (g *GroupMachine) exists() *wire.Error {
	if !g.st.Exists {
		return wire.Errorf(wire.CodeNoSuchGroup, "no such group %q", g.st.ID)
	}
	return nil
}

// notDissolved: the group was not dissolved.
func (g *GroupMachine) notDissolved() *wire.Error {
	if g.st.Dissolved {
		return wire.Errorf(wire.CodeDissolved, "group %q was dissolved", g.st.ID)
	}
	return nil
}

// member: the group exists and user is a member. A banned user gets
// CodeBanned, anyone else CodeNotMember.
func (g *GroupMachine) member(user string) *wire.Error {
	switch {
	case !g.st.Exists:
		return g.exists()
	case g.IsMember(user):
		return nil
	case g.isBanned(user):
		return wire.Errorf(wire.CodeBanned, "you are banned from %q", g.st.ID)
	}
	return wire.Errorf(wire.CodeNotMember, "not a member of %q", g.st.ID)
}

// liveMember: a member of a group that is not dissolved.
func (g *GroupMachine) liveMember(user string) *wire.Error {
	if err := g.member(user); err != nil {
		return err
	}
	return g.notDissolved()
}

// hasRole: a live member of at least role min; what names the action for
// the refusal.
func (g *GroupMachine) hasRole(user string, min wire.Role, what string) *wire.Error {
	if err := g.liveMember(user); err != nil {
		return err
	}
	if g.st.Members[user].Role < min {
		return wire.Errorf(wire.CodeForbidden, "only the %s may %s", roleWho(min), what)
	}
	return nil
}

func roleWho(r wire.Role) string {
	if r == wire.RoleOwner {
		return "owner"
	}
	return "owner and admins"
}

// inviter: a live member allowed to invite.
func (g *GroupMachine) inviter(user string) *wire.Error {
	if err := g.liveMember(user); err != nil {
		return err
	}
	if !g.mayInvite(user) {
		return wire.Errorf(wire.CodeForbidden, "members of %q may not invite", g.st.ID)
	}
	return nil
}

// joinable: user may become a member now.
func (g *GroupMachine) joinable(user string) *wire.Error {
	switch {
	case !g.st.Exists:
		return g.exists()
	case g.st.Dissolved:
		return g.notDissolved()
	case g.IsMember(user):
		return wire.Errorf(wire.CodeAlreadyMember, "already a member of %q", g.st.ID)
	case g.isBanned(user):
		return wire.Errorf(wire.CodeBanned, "you are banned from %q", g.st.ID)
	case len(g.st.Members) >= g.st.MaxMembers:
		return wire.Errorf(wire.CodeGroupFull, "group %q is full (%d members)", g.st.ID, g.st.MaxMembers)
	}
	return nil
}

// unmuted refuses a member whose own mute is running.
func (g *GroupMachine) unmuted(user string, now int64) *wire.Error {
	if m := g.st.Members[user]; m != nil && m.MutedUntil > now {
		return wire.Errorf(wire.CodeMuted, "you are muted in %q until %s", g.st.ID, time.UnixMilli(m.MutedUntil).UTC().Format(time.RFC3339))
	}
	return nil
}

// notSelf refuses an action of op aimed at its own actor.
func notSelf(op wire.Op, actor, target string) *wire.Error {
	if target == actor {
		return wire.Errorf(wire.CodeBadRequest, "%s cannot target yourself", op)
	}
	return nil
}

// validText: at most max bytes of UTF-8.
func validText(s string, max int) bool { return len(s) <= max && utf8.ValidString(s) }

// validTarget checks the user an action is aimed at.
func validTarget(user string) *wire.Error {
	if user == "" || len(user) > maxTargetLen {
		return wire.Errorf(wire.CodeBadRequest, "missing or invalid user")
	}
	return nil
}

// outranks: the actor's role is above the target's (owner > admin > member).
func (g *GroupMachine) outranks(actor, target string) bool {
	a, t := g.st.Members[actor], g.st.Members[target]
	return a != nil && (t == nil || a.Role > t.Role)
}

// mayInvite: admins and the owner always; members when the group allows it.
func (g *GroupMachine) mayInvite(user string) bool {
	m := g.st.Members[user]
	return m != nil && (m.Role >= wire.RoleAdmin || g.st.MembersInvite)
}

// codeLive: the code exists, is within its limits, and its creator may
// still invite (a code dies with its creator's right to invite).
func (g *GroupMachine) codeLive(inv *inviteState, now int64) bool {
	return inv != nil && inv.Expires > now && (inv.MaxUses == 0 || inv.Uses < inv.MaxUses) && g.mayInvite(inv.Creator)
}

// gate is the caller's standing an op requires before its handler runs.
type gate uint8

const (
	gateNone     gate = iota // the handler checks for itself
	gateExists               // the group exists
	gateMember               // the caller is a member (dissolved or not)
	gateLive                 // the caller is a member of a group that is not dissolved
	gateRole                 // gateLive, with at least rule.min
	gateInviter              // gateLive, and may invite
	gateJoinable             // the caller may become a member now
)

// rule is what an op declares it needs.
type rule struct {
	gate gate
	min  wire.Role // gateRole: the lowest role allowed
	what string    // gateRole: what the op does, for the refusal
	// notSelf: the op's target (wire.TargetArgs) may not be the caller.
	notSelf bool
	// host: the handler reads the HostFacts the engine attached.
	host bool
}

// admit runs the checks of rule r for c.
func (g *GroupMachine) admit(c Command, r rule, target string) *wire.Error {
	var err *wire.Error
	switch r.gate {
	case gateExists:
		err = g.exists()
	case gateMember:
		err = g.member(c.User)
	case gateLive:
		err = g.liveMember(c.User)
	case gateRole:
		err = g.hasRole(c.User, r.min, r.what)
	case gateInviter:
		err = g.inviter(c.User)
	case gateJoinable:
		err = g.joinable(c.User)
	}
	if err == nil && r.notSelf {
		err = notSelf(c.Op, c.User, target)
	}
	return err
}
