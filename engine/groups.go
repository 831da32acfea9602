package engine

import (
	"context"
	"strings"
	"time"

	"github.com/qunchat/qun/actors"
	"github.com/qunchat/qun/actors/pb"
	"github.com/qunchat/qun/wire"
)

// directGroupOps go straight to the group grain named by their "g"
// argument, in arrival order; the grain enforces every rule.
var directGroupOps = map[wire.Op]bool{
	wire.OpGroupInfo: true, wire.OpSend: true, wire.OpHistory: true, wire.OpMembers: true,
	wire.OpUpdateGroup: true, wire.OpSetRole: true, wire.OpUnban: true, wire.OpMute: true,
	wire.OpMuteAll: true, wire.OpListRequests: true, wire.OpRevokeInvite: true, wire.OpListInvites: true,
	wire.OpAnnounce: true, wire.OpAckAnnounce: true, wire.OpAnnounceState: true, wire.OpPin: true,
}

// hookErr turns a host hook's failure into a client error.
func hookErr(hook string, err error) error {
	if we, ok := err.(*wire.Error); ok {
		return we
	}
	return wire.Errorf(wire.CodeUnavailable, "host %s hook failed", hook)
}

// checkText asks the moderation hook about a text message.
func (e *Engine) checkText(ctx context.Context, g, user string, args []byte) error {
	if m, ok := e.hooks.Moderation.(*MemoryHost); ok && !m.hasBlocked() {
		return nil // nothing can be refused: skip decoding on the hot path
	}
	var a wire.SendArgs
	if err := wire.Decode(args, &a); err != nil {
		return wire.Errorf(wire.CodeBadRequest, "arguments: %v", err)
	}
	if a.Body.Text == nil {
		return nil
	}
	if err := e.hooks.Moderation.CheckText(ctx, g, user, a.Body.Text.Text); err != nil {
		if we, ok := err.(*wire.Error); ok {
			return we
		}
		return wire.Errorf(wire.CodeRejected, "%v", err)
	}
	return nil
}

// facts reads the profiles of users for a group's stats.
func (e *Engine) facts(ctx context.Context, users ...string) (map[string]actors.UserFacts, error) {
	out := make(map[string]actors.UserFacts, len(users))
	for _, u := range users {
		p, err := e.hooks.Profiles.Profile(ctx, u)
		if err != nil {
			return nil, hookErr("profiles", err)
		}
		out[u] = actors.UserFacts{Gender: p.Gender, BirthYear: p.BirthYear}
	}
	return out, nil
}

func (e *Engine) hostFacts(users ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.RequestTimeout)
	defer cancel()
	f, err := e.facts(ctx, users...)
	if err != nil {
		return nil, err
	}
	return marshalArgs(actors.HostFacts{Profiles: f, Year: time.Now().UTC().Year()}), nil
}

// groupOfCode returns the group an invite code belongs to.
func groupOfCode(code string) (string, bool) {
	i := strings.LastIndexByte(code, '-')
	if i <= 0 || len(code) > actors.MaxCodeLen || validGroupID(code[:i]) != nil {
		return "", false
	}
	return code[:i], true
}

func (e *Engine) groupCall(user string, op wire.Op, g string, args, host []byte) ([]byte, error) {
	return e.request(actors.KindGroup, g, &pb.Call{Op: uint32(op), User: user, Args: args, Host: host})
}

func (e *Engine) userCall(user string, op wire.Op, a actors.UserGroupArgs) error {
	_, err := e.request(actors.KindUser, user, &pb.Call{Op: uint32(op), User: user, Args: marshalArgs(a)})
	return err
}

// joined records, for a user who became a member by someone else's action
// or their own, the group in their list and subscribes their connections.
func (e *Engine) joined(user, g, name string, seq uint64) error {
	if err := e.addUserGroup(user, g, name, seq); err != nil {
		return err
	}
	e.hub.SubscribeNow(user, g)
	return nil
}

func (e *Engine) groupName(user, g string) string {
	body, err := e.groupCall(user, actors.OpSummary, g, nil, nil)
	if err != nil {
		return ""
	}
	var s actors.GroupSummary
	if decodeInto(body, &s) != nil {
		return ""
	}
	return s.Info.Name
}

// doRules runs the operations that need the host's hooks or more than one
// grain. handled is false for operations it does not know.
func (e *Engine) doRules(ctx context.Context, user string, op wire.Op, args []byte, out pusher) (body []byte, handled bool, err error) {
	switch op {
	case wire.OpApply:
		body, err = e.applyJoin(user, args, out)
	case wire.OpReview:
		body, err = e.review(user, args)
	case wire.OpInvite:
		body, err = e.invite(ctx, user, args)
	case wire.OpCreateInvite:
		body, err = e.createInvite(ctx, user, args)
	case wire.OpKick, wire.OpBan:
		body, err = e.removeMember(user, op, args)
	case wire.OpTransferOwner:
		body, err = e.transfer(user, args)
	case wire.OpDissolve:
		body, err = e.dissolve(user, args)
	case wire.OpGroupStats:
		body, err = e.groupStats(user, args)
	default:
		return nil, false, nil
	}
	return body, true, err
}

func (e *Engine) applyJoin(user string, args []byte, out pusher) ([]byte, error) {
	g, err := groupOf(args)
	if err != nil {
		return nil, err
	}
	host, err := e.hostFacts(user)
	if err != nil {
		return nil, err
	}
	body, err := e.groupCall(user, wire.OpApply, g, args, host)
	if err != nil {
		return nil, err
	}
	var r wire.ApplyResult
	if err := decodeInto(body, &r); err != nil {
		return nil, err
	}
	if r.Joined {
		if err := e.joined(user, g, e.groupName(user, g), r.Seq); err != nil {
			return nil, err
		}
		if out != nil {
			e.catchUp(user, g, r.Seq, out)
		}
	}
	return body, nil
}

func (e *Engine) review(user string, args []byte) ([]byte, error) {
	var a wire.ReviewArgs
	if err := parseArgs(args, &a); err != nil {
		return nil, err
	}
	if err := validGroupID(a.Group); err != nil {
		return nil, err
	}
	host, err := e.hostFacts(a.User)
	if err != nil {
		return nil, err
	}
	body, err := e.groupCall(user, wire.OpReview, a.Group, args, host)
	if err != nil {
		return nil, err
	}
	var r wire.SeqResult
	if err := decodeInto(body, &r); err != nil {
		return nil, err
	}
	if a.Approve && r.Seq > 0 {
		if err := e.joined(a.User, a.Group, e.groupName(user, a.Group), r.Seq); err != nil {
			return nil, err
		}
	}
	return body, nil
}

func (e *Engine) invite(ctx context.Context, user string, args []byte) ([]byte, error) {
	var a wire.InviteArgs
	if err := parseArgs(args, &a); err != nil {
		return nil, err
	}
	if err := validGroupID(a.Group); err != nil {
		return nil, err
	}
	if len(a.Users) == 0 || len(a.Users) > actors.MaxInviteBatch {
		return nil, wire.Errorf(wire.CodeBadRequest, "invite 1..%d users at a time", actors.MaxInviteBatch)
	}
	for _, u := range a.Users {
		if err := ValidUserID(u); err != nil {
			return nil, wire.Errorf(wire.CodeBadRequest, "invalid user %q", u)
		}
		ok, err := e.hooks.Social.Friends(ctx, user, u)
		if err != nil {
			return nil, hookErr("social graph", err)
		}
		if !ok {
			return nil, wire.Errorf(wire.CodeNotAllowed, "%s is not your friend: only mutual followers can be invited", u)
		}
	}
	host, err := e.hostFacts(a.Users...)
	if err != nil {
		return nil, err
	}
	body, err := e.groupCall(user, wire.OpInvite, a.Group, args, host)
	if err != nil {
		return nil, err
	}
	var r wire.SeqResult
	if err := decodeInto(body, &r); err != nil {
		return nil, err
	}
	// The invited events are consecutive, ending at r.Seq.
	name := e.groupName(user, a.Group)
	first := r.Seq - uint64(len(a.Users)-1)
	for i, u := range a.Users {
		if err := e.joined(u, a.Group, name, first+uint64(i)); err != nil {
			return nil, err
		}
	}
	return body, nil
}

func (e *Engine) createInvite(ctx context.Context, user string, args []byte) ([]byte, error) {
	g, err := groupOf(args)
	if err != nil {
		return nil, err
	}
	if err := e.hooks.Moderation.MayIssueInvite(ctx, g, user); err != nil {
		if we, ok := err.(*wire.Error); ok {
			return nil, we
		}
		return nil, wire.Errorf(wire.CodeRejected, "%v", err)
	}
	code := actors.InviteCodePrefix(g) + strings.ToUpper(newGroupID()[1:9])
	return e.groupCall(user, wire.OpCreateInvite, g, args, marshalArgs(actors.HostFacts{Code: code}))
}

func (e *Engine) removeMember(user string, op wire.Op, args []byte) ([]byte, error) {
	var a wire.TargetArgs
	if err := parseArgs(args, &a); err != nil {
		return nil, err
	}
	if err := validGroupID(a.Group); err != nil {
		return nil, err
	}
	body, err := e.groupCall(user, op, a.Group, args, nil)
	if err != nil {
		return nil, err
	}
	_ = e.userCall(a.User, actors.OpUserRemove, actors.UserGroupArgs{Group: a.Group})
	return body, nil
}

func (e *Engine) transfer(user string, args []byte) ([]byte, error) {
	var a wire.TargetArgs
	if err := parseArgs(args, &a); err != nil {
		return nil, err
	}
	if err := validGroupID(a.Group); err != nil {
		return nil, err
	}
	if err := ValidUserID(a.User); err != nil {
		return nil, wire.Errorf(wire.CodeBadRequest, "invalid user")
	}
	// The new owner must have room under their own tier.
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.RequestTimeout)
	tier, err := e.hooks.Tiers.Tier(ctx, a.User)
	cancel()
	if err != nil {
		return nil, hookErr("tiers", err)
	}
	if a.User != user {
		if err := e.userCall(a.User, actors.OpUserReserve, actors.UserGroupArgs{Group: a.Group, Limit: tier.MaxOwnedGroups}); err != nil {
			if wire.CodeOf(err) == wire.CodeLimitReached {
				return nil, wire.Errorf(wire.CodeLimitReached, "%s already owns as many groups as their tier allows", a.User)
			}
			return nil, err
		}
	}
	body, err := e.groupCall(user, wire.OpTransferOwner, a.Group, args, nil)
	if err != nil {
		if a.User != user {
			_ = e.userCall(a.User, actors.OpUserSetOwner, actors.UserGroupArgs{Group: a.Group, Owner: false})
		}
		return nil, err
	}
	_ = e.userCall(user, actors.OpUserSetOwner, actors.UserGroupArgs{Group: a.Group, Owner: false})
	return body, nil
}

func (e *Engine) dissolve(user string, args []byte) ([]byte, error) {
	g, err := groupOf(args)
	if err != nil {
		return nil, err
	}
	body, err := e.groupCall(user, wire.OpDissolve, g, args, nil)
	if err != nil {
		return nil, err
	}
	// The owner's slot is free again; other members' lists drop the group
	// when they next list their groups.
	_ = e.userCall(user, actors.OpUserRemove, actors.UserGroupArgs{Group: g})
	return body, nil
}

func (e *Engine) groupStats(user string, args []byte) ([]byte, error) {
	g, err := groupOf(args)
	if err != nil {
		return nil, err
	}
	return e.groupCall(user, wire.OpGroupStats, g, args, marshalArgs(actors.HostFacts{Year: time.Now().UTC().Year()}))
}
