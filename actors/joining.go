package actors

import (
	"sort"
	"strings"

	"github.com/qunchat/qun/wire"
)

// Joining: create, join, leave, apply, review, join requests, invite codes
// and direct invites.

func (g *GroupMachine) create(r *req[wire.CreateGroupArgs]) Effects {
	a := &r.args
	if g.st.Exists || g.st.LastSeq > 0 {
		return fail(wire.CodeConflict, "group %q already exists", g.st.ID)
	}
	if a.Name == "" || len(a.Name) > MaxNameLen {
		return fail(wire.CodeBadRequest, "group name must be 1..%d bytes", MaxNameLen)
	}
	if a.Join > wire.JoinInvite {
		return fail(wire.CodeBadRequest, "unknown join policy %d", a.Join)
	}
	max := g.cfg.MaxMembers
	if r.host.MaxMembers > 0 {
		max = r.host.MaxMembers
	}
	rec := g.newRecord(r.Now, sysMsg(wire.EventCreated, r.User, "", a.Name), &change{Name: a.Name, Join: a.Join, MaxMembers: max, Facts: r.host.Profiles[r.User]})
	return okAfter(wire.CreateGroupResult{Group: g.st.ID, Seq: rec.Msg.Seq}, rec)
}

// join admits the caller (checked joinable) by code or to an open group.
func (g *GroupMachine) join(r *req[wire.JoinArgs]) Effects {
	a := &r.args
	msg := sysMsg(wire.EventJoined, r.User, r.User, "")
	var aux []AuxWrite
	if err := g.meetsThreshold(r.Now, r.host.Fan); err != nil {
		return refuse(err)
	}
	if a.Code != "" {
		inv := g.invites[a.Code]
		if !g.codeLive(inv, r.Now) {
			return fail(wire.CodeInvalidCode, "invite code is unknown, expired, used up or revoked")
		}
		inv.Uses++
		aux = append(aux, AuxWrite{Key: auxInvite + a.Code, Value: mustMarshal(inv)})
		msg.Body.System.Text = "code"
		msg.Body.System.Actor = inv.Creator
	} else if g.st.Join == wire.JoinApproval {
		return fail(wire.CodeNotAllowed, "group %q needs approval: apply to join", g.st.ID)
	} else if g.st.Join == wire.JoinInvite {
		return fail(wire.CodeNotAllowed, "group %q is invite-only", g.st.ID)
	}
	if _, was := g.pending[r.User]; was {
		aux = append(aux, AuxWrite{Key: auxRequest + r.User})
	}
	rec := g.newRecord(r.Now, msg, &change{Facts: r.host.Profiles[r.User]})
	e := okAfter(wire.JoinResult{Seq: rec.Msg.Seq, Name: g.st.Name}, rec)
	e.AddUsers, e.Aux, e.GroupName = []string{r.User}, aux, g.st.Name
	return e
}

func (g *GroupMachine) leave(r *req[none]) Effects {
	if g.st.Members[r.User].Role == wire.RoleOwner {
		return fail(wire.CodeForbidden, "the owner cannot leave; transfer ownership or dissolve the group")
	}
	e := g.event(r.Now, sysMsg(wire.EventLeft, r.User, r.User, ""), nil)
	e.RemoveUsers = []string{r.User}
	return e
}

// applyToJoin is OpApply: join an open group at once, or queue a request.
func (g *GroupMachine) applyToJoin(r *req[wire.ApplyArgs]) Effects {
	a := &r.args
	if !validText(a.Note, MaxNoteLen) {
		return fail(wire.CodeBadRequest, "note longer than %d bytes", MaxNoteLen)
	}
	if err := g.joinable(r.User); err != nil {
		return refuse(err)
	}
	if err := g.meetsThreshold(r.Now, r.host.Fan); err != nil {
		return refuse(err)
	}
	switch g.st.Join {
	case wire.JoinOpen:
		e := g.join(&req[wire.JoinArgs]{Command: r.Command, args: wire.JoinArgs{Group: g.st.ID}, host: r.host})
		if e.Err != nil {
			return e
		}
		res := ok(wire.ApplyResult{Joined: true, Seq: e.Records[0].Msg.Seq})
		e.Reply = res.Reply
		return e
	case wire.JoinInvite:
		return fail(wire.CodeNotAllowed, "group %q is invite-only", g.st.ID)
	}
	aux := g.expireRequests(r.Now)
	if len(g.pending) >= g.cfg.MaxRequests {
		return failAux(aux, wire.CodeLimitReached, "too many pending requests; try later")
	}
	jr := &wire.JoinRequest{User: r.User, Note: a.Note, At: r.Now, Expires: r.Now + g.cfg.RequestTTL}
	g.pending[r.User] = jr
	e := okAux(wire.ApplyResult{Expires: jr.Expires}, append(aux, AuxWrite{Key: auxRequest + r.User, Value: mustMarshal(jr)})...)
	e.Notice = &wire.Notice{Kind: wire.EventJoinRequest, Group: g.st.ID, User: r.User, Text: a.Note}
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

func (g *GroupMachine) review(r *req[wire.ReviewArgs]) Effects {
	a := &r.args
	aux := g.expireRequests(r.Now)
	if _, ok := g.pending[a.User]; !ok {
		return failAux(aux, wire.CodeNotFound, "no pending request from %q (it may have expired)", a.User)
	}
	delete(g.pending, a.User)
	aux = append(aux, AuxWrite{Key: auxRequest + a.User})
	verdict := "rejected"
	if a.Approve {
		verdict = "approved"
	}
	var e Effects
	switch {
	case !a.Approve:
		e = okAux(wire.SeqResult{}, aux...)
	case g.joinable(a.User) != nil:
		e = refuse(g.joinable(a.User))
		e.Aux, e.ReplyBatch = aux, true
		return e // no notice: nothing was decided for the applicant
	default:
		rec := g.newRecord(r.Now, sysMsg(wire.EventJoined, r.User, a.User, "approved"), &change{Facts: r.host.Profiles[a.User]})
		e = okAfter(wire.SeqResult{Seq: rec.Msg.Seq}, rec)
		e.Aux, e.AddUsers, e.GroupName = aux, []string{a.User}, g.st.Name
	}
	e.Notice, e.NoticeTo = &wire.Notice{Kind: verdict, Group: g.st.ID, User: a.User, By: r.User}, []string{a.User}
	return e
}

func (g *GroupMachine) listRequests(r *req[none]) Effects {
	res := wire.RequestsResult{Requests: []wire.JoinRequest{}}
	for _, jr := range g.pending {
		if jr.Expires > r.Now {
			res.Requests = append(res.Requests, *jr)
		}
	}
	sort.Slice(res.Requests, func(i, j int) bool { return res.Requests[i].At < res.Requests[j].At })
	if len(res.Requests) > maxMembersPage {
		res.Requests, res.More = res.Requests[:maxMembersPage], true
	}
	if n := wire.Fit(res.Requests, g.cfg.MaxReplyBytes); n < len(res.Requests) {
		res.Requests, res.More = res.Requests[:n], true
	}
	return ok(res)
}

// InviteCodePrefix is how every invite code of a group starts, so that a
// code alone names its group.
func InviteCodePrefix(group string) string { return group + "-" }

func (g *GroupMachine) createInvite(r *req[wire.CreateInviteArgs]) Effects {
	a, code := &r.args, r.host.Code
	if !strings.HasPrefix(code, InviteCodePrefix(g.st.ID)) || len(code) > MaxCodeLen {
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
	for c, inv := range g.invites {
		if inv.Expires <= r.Now || (inv.MaxUses > 0 && inv.Uses >= inv.MaxUses) {
			delete(g.invites, c)
			aux = append(aux, AuxWrite{Key: auxInvite + c})
		}
	}
	if len(g.invites) >= g.cfg.MaxInvites {
		return failAux(aux, wire.CodeLimitReached, "a group has at most %d live invite codes", g.cfg.MaxInvites)
	}
	inv := &inviteState{Creator: r.User, Expires: r.Now + ttl, MaxUses: a.MaxUses}
	g.invites[code] = inv
	return okAux(wire.InviteResult{Invite: wire.Invite{Code: code, Creator: r.User, Expires: inv.Expires, MaxUses: inv.MaxUses}},
		append(aux, AuxWrite{Key: auxInvite + code, Value: mustMarshal(inv)})...)
}

func (g *GroupMachine) revokeInvite(r *req[wire.RevokeInviteArgs]) Effects {
	inv := g.invites[r.args.Code]
	if inv == nil {
		return fail(wire.CodeNotFound, "no such invite code")
	}
	if inv.Creator != r.User && g.st.Members[r.User].Role < wire.RoleAdmin {
		return fail(wire.CodeForbidden, "only the code's creator, the owner and admins may revoke it")
	}
	delete(g.invites, r.args.Code)
	return okAux(wire.Empty{}, AuxWrite{Key: auxInvite + r.args.Code})
}

func (g *GroupMachine) listInvites(r *req[none]) Effects {
	staff := g.st.Members[r.User].Role >= wire.RoleAdmin
	res := wire.InvitesResult{Invites: []wire.Invite{}}
	for code, inv := range g.invites {
		if !g.codeLive(inv, r.Now) || (!staff && inv.Creator != r.User) {
			continue
		}
		res.Invites = append(res.Invites, wire.Invite{Code: code, Creator: inv.Creator, Expires: inv.Expires, MaxUses: inv.MaxUses, Uses: inv.Uses})
	}
	sort.Slice(res.Invites, func(i, j int) bool { return res.Invites[i].Expires < res.Invites[j].Expires })
	return ok(res)
}

// invite adds users directly. The engine has already kept only the
// caller's friends (social-graph hook).
func (g *GroupMachine) invite(r *req[wire.InviteArgs]) Effects {
	users := r.args.Users
	if len(users) == 0 || len(users) > MaxInviteBatch {
		return fail(wire.CodeBadRequest, "invite 1..%d users at a time", MaxInviteBatch)
	}
	// Check everyone first: the invitation is all or nothing.
	seen := map[string]bool{}
	for _, u := range users {
		if seen[u] {
			return fail(wire.CodeBadRequest, "%q listed twice", u)
		}
		seen[u] = true
		if err := g.joinable(u); err != nil {
			err.Msg = u + ": " + err.Msg
			return refuse(err)
		}
	}
	if len(g.st.Members)+len(users) > g.st.MaxMembers {
		return fail(wire.CodeGroupFull, "group %q has room for %d more", g.st.ID, g.st.MaxMembers-len(g.st.Members))
	}
	var recs []record
	var aux []AuxWrite
	for _, u := range users {
		if _, p := g.pending[u]; p {
			aux = append(aux, AuxWrite{Key: auxRequest + u})
		}
		recs = append(recs, g.newRecord(r.Now, sysMsg(wire.EventInvited, r.User, u, ""), &change{Facts: r.host.Profiles[u]}))
	}
	e := okAfter(wire.SeqResult{Seq: recs[len(recs)-1].Msg.Seq}, recs...)
	e.AddUsers, e.Aux, e.GroupName = users, aux, g.st.Name
	return e
}
