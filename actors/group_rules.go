package actors

import (
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunchat/qun/wire"
)

// Limits of group rules that are part of the protocol.
const (
	MaxAvatarLen   = 512
	MaxDescLen     = 1000
	MaxCategoryLen = 32
	MaxCityLen     = 64
	MaxNoteLen     = 200
	MaxInviteBatch = 50
	MaxMuteMillis  = 30 * day
	MaxCodeLen     = 100
)

// memberCheck: the group exists and user is a member. A banned user gets
// CodeBanned, anyone else CodeNotMember.
func (g *GroupMachine) memberCheck(user string) (Effects, bool) {
	switch {
	case !g.st.Exists:
		return fail(wire.CodeNoSuchGroup, "no such group %q", g.st.ID), true
	case g.IsMember(user):
		return Effects{}, false
	case g.isBanned(user):
		return fail(wire.CodeBanned, "you are banned from %q", g.st.ID), true
	}
	return fail(wire.CodeNotMember, "not a member of %q", g.st.ID), true
}

// need requires a member of at least role min, in a group that is not dissolved.
func (g *GroupMachine) need(user string, min wire.Role, what string) (Effects, bool) {
	if e, bad := g.liveMember(user); bad {
		return e, true
	}
	if g.st.Members[user].Role < min {
		return fail(wire.CodeForbidden, "only the %s may %s", roleWho(min), what), true
	}
	return Effects{}, false
}

func roleWho(r wire.Role) string {
	if r == wire.RoleOwner {
		return "owner"
	}
	return "owner and admins"
}

// outranks: the actor's role is above the target's (owner > admin > member).
func (g *GroupMachine) outranks(actor, target string) bool {
	a, t := g.st.Members[actor], g.st.Members[target]
	return a != nil && (t == nil || a.Role > t.Role)
}

// event writes one system record and answers with its seq once durable.
func (g *GroupMachine) event(c Command, msg wire.Message, ch *change) Effects {
	r := g.newRecord(c.Now, msg, ch)
	return okAfter(wire.SeqResult{Seq: r.Msg.Seq}, r)
}

// targetFor decodes TargetArgs, requires the caller's role to be at least
// min, and refuses an action aimed at the caller.
func (g *GroupMachine) targetFor(c Command, min wire.Role, what string) (wire.TargetArgs, Effects, bool) {
	a, e, bad := g.target(c)
	if bad {
		return a, e, true
	}
	if e, bad := g.need(c.User, min, what); bad {
		return a, e, true
	}
	if e, bad := notSelf(c, a.User); bad {
		return a, e, true
	}
	return a, Effects{}, false
}

// liveMember: a member of a group that is not dissolved.
func (g *GroupMachine) liveMember(user string) (Effects, bool) {
	if e, bad := g.memberCheck(user); bad {
		return e, true
	}
	if g.st.Dissolved {
		return fail(wire.CodeDissolved, "group %q was dissolved", g.st.ID), true
	}
	return Effects{}, false
}

// mutedCheck refuses a member whose own mute is running.
func (g *GroupMachine) mutedCheck(user string, now int64) (Effects, bool) {
	if m := g.st.Members[user]; m != nil && m.MutedUntil > now {
		return fail(wire.CodeMuted, "you are muted in %q until %s", g.st.ID, time.UnixMilli(m.MutedUntil).UTC().Format(time.RFC3339)), true
	}
	return Effects{}, false
}

// codeLive: the code exists, is within its limits, and its creator may
// still invite (a code dies with its creator's right to invite).
func (g *GroupMachine) codeLive(code string, inv *inviteState, now int64) bool {
	return inv != nil && inv.Expires > now && (inv.MaxUses == 0 || inv.Uses < inv.MaxUses) && g.mayInvite(inv.Creator)
}

// notSelf refuses an action aimed at its own actor.
func notSelf(c Command, target string) (Effects, bool) {
	if target == c.User {
		return fail(wire.CodeBadRequest, "%s cannot target yourself", c.Op), true
	}
	return Effects{}, false
}

// mayInvite: admins and the owner always; members when the group allows it.
func (g *GroupMachine) mayInvite(user string) bool {
	m := g.st.Members[user]
	return m != nil && (m.Role >= wire.RoleAdmin || g.st.MembersInvite)
}

// handleRules runs the operations of roles, join rules, moderation,
// announcements, pins and stats.
func (g *GroupMachine) handleRules(c Command) (Effects, bool) {
	switch c.Op {
	case wire.OpUpdateGroup:
		return g.update(c), true
	case wire.OpSetRole:
		return g.setRole(c), true
	case wire.OpKick, wire.OpBan:
		return g.remove(c), true
	case wire.OpUnban:
		return g.unban(c), true
	case wire.OpMute:
		return g.mute(c), true
	case wire.OpMuteAll:
		return g.muteAll(c), true
	case wire.OpTransferOwner:
		return g.transfer(c), true
	case wire.OpDissolve:
		return g.dissolve(c), true
	case wire.OpApply:
		return g.apply2(c), true
	case wire.OpReview:
		return g.review(c), true
	case wire.OpListRequests:
		return g.listRequests(c), true
	case wire.OpCreateInvite:
		return g.createInvite(c), true
	case wire.OpRevokeInvite:
		return g.revokeInvite(c), true
	case wire.OpListInvites:
		return g.listInvites(c), true
	case wire.OpInvite:
		return g.invite(c), true
	case wire.OpAnnounce:
		return g.announce(c), true
	case wire.OpAckAnnounce:
		return g.ackAnnounce(c), true
	case wire.OpAnnounceState:
		return g.announceState(c), true
	case wire.OpPin:
		return g.pin(c), true
	case wire.OpGroupStats:
		return g.stats(c), true
	}
	return Effects{}, false
}

func validText(s string, max int) bool { return len(s) <= max && utf8.ValidString(s) }

func (g *GroupMachine) update(c Command) Effects {
	var a wire.UpdateGroupArgs
	if err := decodeArgs(c.Args, &a); err != nil {
		return Effects{Err: err}
	}
	if e, bad := g.need(c.User, wire.RoleAdmin, "change the group's profile and settings"); bad {
		return e
	}
	p := a.Profile
	var fields []string
	if p.Name != nil {
		if *p.Name == "" || !validText(*p.Name, MaxNameLen) {
			return fail(wire.CodeBadRequest, "group name must be 1..%d bytes of UTF-8", MaxNameLen)
		}
		fields = append(fields, "name")
	}
	if p.Avatar != nil {
		if !validText(*p.Avatar, MaxAvatarLen) || (*p.Avatar != "" && !strings.HasPrefix(*p.Avatar, "https://") && !strings.HasPrefix(*p.Avatar, "http://")) {
			return fail(wire.CodeBadRequest, "avatar must be an http(s) URL of at most %d bytes", MaxAvatarLen)
		}
		fields = append(fields, "avatar")
	}
	if p.Description != nil {
		if !validText(*p.Description, MaxDescLen) {
			return fail(wire.CodeBadRequest, "description longer than %d bytes", MaxDescLen)
		}
		fields = append(fields, "desc")
	}
	if p.Category != nil {
		if !g.validCategory(*p.Category) {
			return fail(wire.CodeBadRequest, "unknown category %q", *p.Category)
		}
		fields = append(fields, "category")
	}
	if l := p.Location; l != nil {
		if l.Lat < -90 || l.Lat > 90 || l.Lng < -180 || l.Lng > 180 || l.Lat != l.Lat || l.Lng != l.Lng || !validText(l.City, MaxCityLen) {
			return fail(wire.CodeBadRequest, "location out of range")
		}
		fields = append(fields, "location")
	}
	if p.Searchable != nil {
		fields = append(fields, "searchable")
	}
	if a.Join != nil {
		if *a.Join > wire.JoinInvite {
			return fail(wire.CodeBadRequest, "unknown join policy %d", *a.Join)
		}
		fields = append(fields, "join")
	}
	if a.MembersInvite != nil {
		fields = append(fields, "members_invite")
	}
	if len(fields) == 0 {
		return fail(wire.CodeBadRequest, "nothing to change")
	}
	prof := p
	r := g.newRecord(c.Now, sysMsg(wire.EventUpdated, c.User, "", strings.Join(fields, ",")),
		&change{Profile: &prof, JoinSet: a.Join, MembersInvite: a.MembersInvite})
	return okAfter(wire.SeqResult{Seq: r.Msg.Seq}, r)
}

func (g *GroupMachine) validCategory(cat string) bool {
	if cat == "" {
		return true
	}
	if len(g.cfg.Categories) == 0 {
		return validText(cat, MaxCategoryLen)
	}
	for _, k := range g.cfg.Categories {
		if k == cat {
			return true
		}
	}
	return false
}

func (g *GroupMachine) target(c Command) (wire.TargetArgs, Effects, bool) {
	var a wire.TargetArgs
	if err := decodeArgs(c.Args, &a); err != nil {
		return a, Effects{Err: err}, true
	}
	if a.User == "" || len(a.User) > 64 {
		return a, fail(wire.CodeBadRequest, "missing or invalid user"), true
	}
	return a, Effects{}, false
}

func (g *GroupMachine) setRole(c Command) Effects {
	a, e, bad := g.target(c)
	if bad {
		return e
	}
	selfDemote := a.User == c.User && a.Role == wire.RoleMember && g.IsMember(c.User) && g.st.Members[c.User].Role == wire.RoleAdmin
	if !selfDemote {
		if e, bad := g.need(c.User, wire.RoleOwner, "appoint or remove admins"); bad {
			return e
		}
		if e, bad := notSelf(c, a.User); bad {
			return e
		}
	} else if g.st.Dissolved {
		return fail(wire.CodeDissolved, "group %q was dissolved", g.st.ID)
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
	return g.event(c, sysMsg(wire.EventRole, c.User, a.User, a.Role.String()), &change{Role: a.Role})
}

// remove kicks or bans.
func (g *GroupMachine) remove(c Command) Effects {
	a, e, bad := g.target(c)
	if bad {
		return e
	}
	what, event := "remove members", wire.EventKicked
	if c.Op == wire.OpBan {
		what, event = "ban users", wire.EventBanned
	}
	if e, bad := g.need(c.User, wire.RoleAdmin, what); bad {
		return e
	}
	if e, bad := notSelf(c, a.User); bad {
		return e
	}
	member := g.IsMember(a.User)
	switch {
	case c.Op == wire.OpKick && !member:
		return fail(wire.CodeNotMember, "%q is not a member", a.User)
	case c.Op == wire.OpBan && g.isBanned(a.User):
		return fail(wire.CodeConflict, "%q is already banned", a.User)
	case member && !g.outranks(c.User, a.User):
		return fail(wire.CodeForbidden, "you may only %s members below your role", c.Op)
	}
	r := g.newRecord(c.Now, sysMsg(event, c.User, a.User, ""), nil)
	e = okAfter(wire.SeqResult{Seq: r.Msg.Seq}, r)
	if member {
		e.RemoveUsers = []string{a.User}
		e.Notice, e.NoticeTo = &wire.Notice{Kind: "removed", Group: g.st.ID, User: a.User, By: c.User, Text: event}, []string{a.User}
	}
	if _, p := g.pending[a.User]; p && c.Op == wire.OpBan {
		delete(g.pending, a.User)
		e.Aux = []AuxWrite{{Key: auxRequest + a.User}}
	}
	return e
}

func (g *GroupMachine) unban(c Command) Effects {
	a, e, bad := g.target(c)
	if bad {
		return e
	}
	if e, bad := g.need(c.User, wire.RoleAdmin, "lift bans"); bad {
		return e
	}
	if !g.isBanned(a.User) {
		return fail(wire.CodeNotFound, "%q is not banned", a.User)
	}
	return g.event(c, sysMsg(wire.EventUnbanned, c.User, a.User, ""), nil)
}

func (g *GroupMachine) mute(c Command) Effects {
	a, e, bad := g.targetFor(c, wire.RoleAdmin, "mute members")
	if bad {
		return e
	}
	t := g.st.Members[a.User]
	switch {
	case t == nil:
		return fail(wire.CodeNotMember, "%q is not a member", a.User)
	case !g.outranks(c.User, a.User):
		return fail(wire.CodeForbidden, "you may only mute members below your role")
	case a.Duration < 0 || a.Duration > MaxMuteMillis:
		return fail(wire.CodeBadRequest, "mute duration must be 0..%d ms", int64(MaxMuteMillis))
	}
	if a.Duration == 0 {
		if t.MutedUntil <= c.Now {
			return fail(wire.CodeConflict, "%q is not muted", a.User)
		}
		return g.event(c, sysMsg(wire.EventUnmuted, c.User, a.User, ""), nil)
	}
	msg := sysMsg(wire.EventMuted, c.User, a.User, "")
	msg.Body.System.Until = c.Now + a.Duration
	return g.event(c, msg, nil)
}

func (g *GroupMachine) muteAll(c Command) Effects {
	var a wire.MuteAllArgs
	if err := decodeArgs(c.Args, &a); err != nil {
		return Effects{Err: err}
	}
	if e, bad := g.need(c.User, wire.RoleAdmin, "mute the whole group"); bad {
		return e
	}
	if g.st.MuteAll == a.On {
		return fail(wire.CodeConflict, "mute-all is already %v", a.On)
	}
	on := "off"
	if a.On {
		on = "on"
	}
	return g.event(c, sysMsg(wire.EventMuteAll, c.User, "", on), nil)
}

func (g *GroupMachine) transfer(c Command) Effects {
	a, e, bad := g.targetFor(c, wire.RoleOwner, "transfer ownership")
	if bad {
		return e
	}
	if !g.IsMember(a.User) {
		return fail(wire.CodeNotMember, "the new owner must be another member")
	}
	return g.event(c, sysMsg(wire.EventOwner, c.User, a.User, ""), nil)
}

func (g *GroupMachine) dissolve(c Command) Effects {
	if e, bad := g.need(c.User, wire.RoleOwner, "dissolve the group"); bad {
		return e
	}
	r := g.newRecord(c.Now, sysMsg(wire.EventDissolved, c.User, "", ""), nil)
	e := okAfter(wire.SeqResult{Seq: r.Msg.Seq}, r)
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

// apply2 is OpApply: join an open group at once, or queue a request.
func (g *GroupMachine) apply2(c Command) Effects {
	var a wire.ApplyArgs
	if err := decodeArgs(c.Args, &a); err != nil {
		return Effects{Err: err}
	}
	if !validText(a.Note, MaxNoteLen) {
		return fail(wire.CodeBadRequest, "note longer than %d bytes", MaxNoteLen)
	}
	if e, bad := g.canJoin(c.User); bad {
		return e
	}
	switch g.st.Join {
	case wire.JoinOpen:
		e := g.join(Command{Now: c.Now, User: c.User, Op: wire.OpJoin, Args: mustMarshal(wire.JoinArgs{Group: g.st.ID}), Host: c.Host})
		if e.Err != nil {
			return e
		}
		seq := e.Records[0].Msg.Seq
		res := ok(wire.ApplyResult{Joined: true, Seq: seq})
		e.Reply = res.Reply
		return e
	case wire.JoinInvite:
		return fail(wire.CodeNotAllowed, "group %q is invite-only", g.st.ID)
	}
	aux := g.expireRequests(c.Now)
	if len(g.pending) >= g.cfg.MaxRequests {
		e := fail(wire.CodeLimitReached, "too many pending requests; try later")
		e.Aux, e.ReplyBatch = aux, len(aux) > 0
		return e
	}
	req := &wire.JoinRequest{User: c.User, Note: a.Note, At: c.Now, Expires: c.Now + g.cfg.RequestTTL}
	g.pending[c.User] = req
	e := ok(wire.ApplyResult{Expires: req.Expires})
	e.Aux = append(aux, AuxWrite{Key: auxRequest + c.User, Value: mustMarshal(req)})
	e.ReplyBatch = true
	e.Notice = &wire.Notice{Kind: wire.EventJoinRequest, Group: g.st.ID, User: c.User, Text: a.Note}
	e.NoticeTo = g.staff()
	return e
}

// staff lists the owner and admins.
func (g *GroupMachine) staff() []string {
	var out []string
	for u, m := range g.st.Members {
		if m.Role >= wire.RoleAdmin {
			out = append(out, u)
		}
	}
	sort.Strings(out)
	return out
}

// expireRequests drops lapsed requests and returns their aux deletes.
func (g *GroupMachine) expireRequests(now int64) []AuxWrite {
	var aux []AuxWrite
	for u, r := range g.pending {
		if r.Expires <= now {
			delete(g.pending, u)
			aux = append(aux, AuxWrite{Key: auxRequest + u})
		}
	}
	return aux
}

func (g *GroupMachine) review(c Command) Effects {
	var a wire.ReviewArgs
	if err := decodeArgs(c.Args, &a); err != nil {
		return Effects{Err: err}
	}
	if e, bad := g.need(c.User, wire.RoleAdmin, "review join requests"); bad {
		return e
	}
	aux := g.expireRequests(c.Now)
	if _, ok := g.pending[a.User]; !ok {
		e := fail(wire.CodeNotFound, "no pending request from %q (it may have expired)", a.User)
		e.Aux, e.ReplyBatch = aux, len(aux) > 0
		return e
	}
	delete(g.pending, a.User)
	aux = append(aux, AuxWrite{Key: auxRequest + a.User})
	if !a.Approve {
		e := ok(wire.SeqResult{})
		e.Aux, e.ReplyBatch = aux, true
		e.Notice, e.NoticeTo = &wire.Notice{Kind: "rejected", Group: g.st.ID, User: a.User, By: c.User}, []string{a.User}
		return e
	}
	if e, bad := g.canJoin(a.User); bad {
		e.Aux, e.ReplyBatch = aux, true
		return e
	}
	h, herr := hostOf(c)
	if herr != nil {
		return Effects{Err: herr}
	}
	r := g.newRecord(c.Now, sysMsg(wire.EventJoined, c.User, a.User, "approved"), &change{Facts: h.Profiles[a.User]})
	e := okAfter(wire.SeqResult{Seq: r.Msg.Seq}, r)
	e.Aux, e.AddUsers = aux, []string{a.User}
	e.Notice, e.NoticeTo = &wire.Notice{Kind: "approved", Group: g.st.ID, User: a.User, By: c.User}, []string{a.User}
	return e
}

func (g *GroupMachine) listRequests(c Command) Effects {
	if e, bad := g.need(c.User, wire.RoleAdmin, "list join requests"); bad {
		return e
	}
	res := wire.RequestsResult{Requests: []wire.JoinRequest{}}
	for _, r := range g.pending {
		if r.Expires > c.Now {
			res.Requests = append(res.Requests, *r)
		}
	}
	sort.Slice(res.Requests, func(i, j int) bool { return res.Requests[i].At < res.Requests[j].At })
	if len(res.Requests) > 500 {
		res.Requests = res.Requests[:500]
	}
	return ok(res)
}

// InviteCodePrefix is how every invite code of a group starts, so that a
// code alone names its group.
func InviteCodePrefix(group string) string { return group + "-" }

func (g *GroupMachine) createInvite(c Command) Effects {
	var a wire.CreateInviteArgs
	if err := decodeArgs(c.Args, &a); err != nil {
		return Effects{Err: err}
	}
	if e, bad := g.liveMember(c.User); bad {
		return e
	}
	if !g.mayInvite(c.User) {
		return fail(wire.CodeForbidden, "members of %q may not invite", g.st.ID)
	}
	h, herr := hostOf(c)
	if herr != nil {
		return Effects{Err: herr}
	}
	if !strings.HasPrefix(h.Code, InviteCodePrefix(g.st.ID)) || len(h.Code) > MaxCodeLen {
		return fail(wire.CodeInternal, "invalid generated code")
	}
	ttl := a.TTL
	if ttl == 0 {
		ttl = g.cfg.InviteTTL
	}
	if ttl < 0 || ttl > 30*day || a.MaxUses < 0 || a.MaxUses > 100000 {
		return fail(wire.CodeBadRequest, "ttl must be 0..30 days and max_uses 0..100000")
	}
	var aux []AuxWrite
	for code, inv := range g.invites {
		if inv.Expires <= c.Now || (inv.MaxUses > 0 && inv.Uses >= inv.MaxUses) {
			delete(g.invites, code)
			aux = append(aux, AuxWrite{Key: auxInvite + code})
		}
	}
	if len(g.invites) >= g.cfg.MaxInvites {
		e := fail(wire.CodeLimitReached, "a group has at most %d live invite codes", g.cfg.MaxInvites)
		e.Aux, e.ReplyBatch = aux, len(aux) > 0
		return e
	}
	inv := &inviteState{Creator: c.User, Expires: c.Now + ttl, MaxUses: a.MaxUses}
	g.invites[h.Code] = inv
	e := ok(wire.InviteResult{Invite: wire.Invite{Code: h.Code, Creator: c.User, Expires: inv.Expires, MaxUses: inv.MaxUses}})
	e.Aux, e.ReplyBatch = append(aux, AuxWrite{Key: auxInvite + h.Code, Value: mustMarshal(inv)}), true
	return e
}

func (g *GroupMachine) revokeInvite(c Command) Effects {
	var a wire.RevokeInviteArgs
	if err := decodeArgs(c.Args, &a); err != nil {
		return Effects{Err: err}
	}
	if e, bad := g.liveMember(c.User); bad {
		return e
	}
	inv := g.invites[a.Code]
	if inv == nil {
		return fail(wire.CodeNotFound, "no such invite code")
	}
	if inv.Creator != c.User && g.st.Members[c.User].Role < wire.RoleAdmin {
		return fail(wire.CodeForbidden, "only the code's creator, the owner and admins may revoke it")
	}
	delete(g.invites, a.Code)
	e := ok(wire.Empty{})
	e.Aux, e.ReplyBatch = []AuxWrite{{Key: auxInvite + a.Code}}, true
	return e
}

func (g *GroupMachine) listInvites(c Command) Effects {
	if e, bad := g.memberCheck(c.User); bad {
		return e
	}
	staff := g.st.Members[c.User].Role >= wire.RoleAdmin
	res := wire.InvitesResult{Invites: []wire.Invite{}}
	for code, inv := range g.invites {
		if !g.codeLive(code, inv, c.Now) || (!staff && inv.Creator != c.User) {
			continue
		}
		res.Invites = append(res.Invites, wire.Invite{Code: code, Creator: inv.Creator, Expires: inv.Expires, MaxUses: inv.MaxUses, Uses: inv.Uses})
	}
	sort.Slice(res.Invites, func(i, j int) bool { return res.Invites[i].Expires < res.Invites[j].Expires })
	return ok(res)
}

// invite adds users directly. The engine has already kept only the
// caller's friends (social-graph hook).
func (g *GroupMachine) invite(c Command) Effects {
	var a wire.InviteArgs
	if err := decodeArgs(c.Args, &a); err != nil {
		return Effects{Err: err}
	}
	if e, bad := g.liveMember(c.User); bad {
		return e
	}
	if !g.mayInvite(c.User) {
		return fail(wire.CodeForbidden, "members of %q may not invite", g.st.ID)
	}
	if len(a.Users) == 0 || len(a.Users) > MaxInviteBatch {
		return fail(wire.CodeBadRequest, "invite 1..%d users at a time", MaxInviteBatch)
	}
	h, herr := hostOf(c)
	if herr != nil {
		return Effects{Err: herr}
	}
	// Check everyone first: the invitation is all or nothing.
	seen := map[string]bool{}
	for _, u := range a.Users {
		if seen[u] {
			return fail(wire.CodeBadRequest, "%q listed twice", u)
		}
		seen[u] = true
		if e, bad := g.canJoin(u); bad {
			e.Err.Msg = u + ": " + e.Err.Msg
			return e
		}
	}
	if len(g.st.Members)+len(a.Users) > g.st.MaxMembers {
		return fail(wire.CodeGroupFull, "group %q has room for %d more", g.st.ID, g.st.MaxMembers-len(g.st.Members))
	}
	var recs []record
	var aux []AuxWrite
	for _, u := range a.Users {
		if _, p := g.pending[u]; p {
			aux = append(aux, AuxWrite{Key: auxRequest + u})
		}
		recs = append(recs, g.newRecord(c.Now, sysMsg(wire.EventInvited, c.User, u, ""), &change{Facts: h.Profiles[u]}))
	}
	e := okAfter(wire.SeqResult{Seq: recs[len(recs)-1].Msg.Seq}, recs...)
	e.AddUsers, e.Aux = a.Users, aux
	return e
}

func (g *GroupMachine) announce(c Command) Effects {
	var a wire.AnnounceArgs
	if err := decodeArgs(c.Args, &a); err != nil {
		return Effects{Err: err}
	}
	if e, bad := g.need(c.User, wire.RoleAdmin, "publish announcements"); bad {
		return e
	}
	if e, bad := g.mutedCheck(c.User, c.Now); bad {
		return e
	}
	if a.Text == "" || !validText(a.Text, g.cfg.MaxAnnounce) {
		return fail(wire.CodeBadRequest, "announcement must be 1..%d bytes of UTF-8", g.cfg.MaxAnnounce)
	}
	return g.event(c, sysMsg(wire.EventAnnounce, c.User, "", a.Text), nil)
}

func (g *GroupMachine) ackAnnounce(c Command) Effects {
	if e, bad := g.liveMember(c.User); bad {
		return e
	}
	ann := g.st.Announcement
	if ann == nil {
		return fail(wire.CodeNotFound, "group %q has no announcement", g.st.ID)
	}
	if g.acks[c.User] == ann.Seq {
		return ok(wire.Empty{})
	}
	g.acks[c.User] = ann.Seq
	e := ok(wire.Empty{})
	e.Aux, e.ReplyBatch = []AuxWrite{{Key: auxAck + c.User, Value: mustMarshal(ann.Seq)}}, true
	// The announcement may not be durable yet if it was just posted.
	e.ReplyAfter = ann.Seq
	return e
}

// MaxUnackedList bounds the user ids an announcement state lists.
const MaxUnackedList = 1000

func (g *GroupMachine) announceState(c Command) Effects {
	if e, bad := g.need(c.User, wire.RoleAdmin, "see who acknowledged the announcement"); bad {
		return e
	}
	res := wire.AnnounceStateResult{Announcement: g.st.Announcement, Unacked: []string{}}
	if ann := g.st.Announcement; ann != nil {
		for u := range g.st.Members {
			if g.acks[u] == ann.Seq {
				res.Acked++
			} else if u != ann.By {
				res.Unacked = append(res.Unacked, u)
			}
		}
		sort.Strings(res.Unacked)
		if len(res.Unacked) > MaxUnackedList {
			res.Unacked = res.Unacked[:MaxUnackedList]
		}
	}
	return ok(res)
}

func (g *GroupMachine) pin(c Command) Effects {
	var a wire.PinArgs
	if err := decodeArgs(c.Args, &a); err != nil {
		return Effects{Err: err}
	}
	if e, bad := g.need(c.User, wire.RoleAdmin, "pin messages"); bad {
		return e
	}
	if a.Seq == 0 || a.Seq > g.durable {
		return fail(wire.CodeNotFound, "no message %d", a.Seq)
	}
	pinned := false
	for _, p := range g.st.Pins {
		pinned = pinned || p == a.Seq
	}
	event := wire.EventPinned
	switch {
	case a.Unpin && !pinned:
		return fail(wire.CodeNotFound, "message %d is not pinned", a.Seq)
	case a.Unpin:
		event = wire.EventUnpinned
	case pinned:
		return fail(wire.CodeConflict, "message %d is already pinned", a.Seq)
	case len(g.st.Pins) >= g.cfg.MaxPins:
		return fail(wire.CodeLimitReached, "a group pins at most %d messages", g.cfg.MaxPins)
	}
	return g.event(c, sysMsg(event, c.User, "", strconv.FormatUint(a.Seq, 10)), &change{Seq: a.Seq})
}

// stats answers from counters kept by apply: nothing is scanned.
func (g *GroupMachine) stats(c Command) Effects {
	if !g.st.Exists {
		return fail(wire.CodeNoSuchGroup, "no such group %q", g.st.ID)
	}
	h, herr := hostOf(c)
	if herr != nil {
		return Effects{Err: herr}
	}
	today := c.Now / day
	s := wire.GroupStats{Group: g.st.ID, Members: len(g.st.Members), Female: g.st.Female,
		MsgsYesterday: g.st.DayMsgs[today-1], MsgsToday: g.st.DayMsgs[today]}
	for d := today - 6; d <= today; d++ {
		s.Active7d += g.st.ActiveDays[d]
	}
	if g.st.BirthN > 0 && h.Year > 0 {
		s.AverageAge = float64(h.Year) - float64(g.st.BirthSum)/float64(g.st.BirthN)
	}
	return ok(s)
}
