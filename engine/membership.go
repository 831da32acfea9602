package engine

import (
	"context"
	"time"

	"github.com/qunchat/qun/actors"
	"github.com/qunchat/qun/actors/pb"
	"github.com/qunchat/qun/wire"
)

// Membership: the operations that span a user's grain and a group's grain.
// Each is a sequence of grain calls, not a transaction; docs/architecture.md
// ("Cross-grain operations") lists what compensates when a step fails.
//
//   - create:   reserve an owned slot in the user grain → create in the group
//     grain (on failure: give the slot back);
//   - join, apply, review, invite: the group grain admits → the user grain
//     records the group (the user grain is repaired by my_groups);
//   - leave, kick, ban, dissolve: the group grain removes → the user grain
//     forgets the group;
//   - transfer: reserve a slot for the new owner → transfer in the group
//     grain (on failure: release it) → release the old owner's slot.

// createGroup runs wire.OpCreateGroup.
func (e *Engine) createGroup(r request) ([]byte, error) {
	var a wire.CreateGroupArgs
	if err := parseArgs(r.args, &a); err != nil {
		return nil, err
	}
	user := r.user
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.RequestTimeout)
	defer cancel()
	if e.cfg.CreateMinFriends > 0 {
		n, err := e.hooks.Social.MutualFollows(ctx, user)
		if err != nil {
			return nil, hookErr("social graph", err)
		}
		if n < e.cfg.CreateMinFriends {
			return nil, wire.Errorf(wire.CodeNotAllowed, "creating a group needs %d mutual-follow friend(s); you have %d", e.cfg.CreateMinFriends, n)
		}
	}
	tier, err := e.hooks.Tiers.Tier(ctx, user)
	if err != nil {
		return nil, hookErr("tiers", err)
	}
	facts, err := e.facts(ctx, user)
	if err != nil {
		return nil, err
	}
	id := newGroupID()
	if err := e.userCall(user, actors.OpUserReserve, actors.UserGroupArgs{Group: id, Name: a.Name, Joined: time.Now().UnixMilli(), Limit: tier.MaxOwnedGroups}); err != nil {
		return nil, err
	}
	host := marshalArgs(actors.HostFacts{MaxMembers: tier.MaxMembers, Profiles: facts})
	body, err := e.groupCall(user, wire.OpCreateGroup, id, r.args, host)
	if err != nil {
		// Give the reserved slot back.
		_ = e.userCall(user, actors.OpUserRemove, actors.UserGroupArgs{Group: id})
		return nil, err
	}
	e.hub.SubscribeNow(user, id)
	return body, nil
}

// joined records, for a user who became a member by someone else's action
// or their own, the group in their list and subscribes their connections.
// out, when set, is the joiner's own connection: it is sent the messages
// that became durable between the join and the subscription.
func (e *Engine) joined(user, g, name string, seq uint64, out pusher) error {
	if err := e.userCall(user, actors.OpUserAdd, actors.UserGroupArgs{Group: g, Name: name, Joined: time.Now().UnixMilli(), Seq: seq}); err != nil {
		return err
	}
	e.hub.SubscribeNow(user, g)
	if out != nil {
		e.catchUp(user, g, seq, out)
	}
	return nil
}

// admitted is what a group grain answered to a join, apply, review or invite:
// its reply body and, when someone became a member, the group's name for the
// user grain's list (so no second call fetches it).
type admitted struct {
	body []byte
	name string
}

// admit asks group g's grain to run r.op (join, apply, review, invite) with
// args, the host's facts about the joiners travelling with the call, and
// decodes its reply into res.
func (e *Engine) admit(r request, g string, args []byte, res any, joiners ...string) (admitted, error) {
	host, err := e.joinFacts(r, g, joiners...)
	if err != nil {
		return admitted{}, err
	}
	out, err := e.requestResult(actors.KindGroup, g, &pb.Call{Op: uint32(r.op), User: r.user, Args: args, Host: host})
	if err != nil {
		return admitted{}, err
	}
	return admitted{body: out.Body, name: out.GroupName}, decodeInto(out.Body, res)
}

// join runs wire.OpJoin: an open group, or any group with a valid code.
func (e *Engine) join(r request) ([]byte, error) {
	var a wire.JoinArgs
	if err := parseArgs(r.args, &a); err != nil {
		return nil, err
	}
	g, args := a.Group, r.args
	if a.Code != "" {
		cg, ok := groupOfCode(a.Code)
		if !ok || (g != "" && g != cg) {
			return nil, wire.Errorf(wire.CodeInvalidCode, "invite code is unknown, expired, used up or revoked")
		}
		g = cg
		args = marshalArgs(wire.JoinArgs{Group: g, Code: a.Code})
	}
	if err := validGroupID(g); err != nil {
		return nil, err
	}
	var res wire.JoinResult
	ad, err := e.admit(r, g, args, &res, r.user)
	if err != nil {
		return nil, err
	}
	if err := e.joined(r.user, g, ad.name, res.Seq, r.out); err != nil {
		return nil, err
	}
	return ad.body, nil
}

// applyJoin runs wire.OpApply: joined at once, or a request queued for review.
func (e *Engine) applyJoin(r request) ([]byte, error) {
	g, err := groupOf(r.args)
	if err != nil {
		return nil, err
	}
	var res wire.ApplyResult
	ad, err := e.admit(r, g, r.args, &res, r.user)
	if err != nil {
		return nil, err
	}
	if res.Joined {
		if err := e.joined(r.user, g, ad.name, res.Seq, r.out); err != nil {
			return nil, err
		}
	}
	return ad.body, nil
}

// review runs wire.OpReview: an approved applicant joins.
func (e *Engine) review(r request) ([]byte, error) {
	var a wire.ReviewArgs
	if err := parseGroupArgs(r.args, &a, &a.Group); err != nil {
		return nil, err
	}
	var res wire.SeqResult
	ad, err := e.admit(r, a.Group, r.args, &res, a.User)
	if err != nil {
		return nil, err
	}
	if a.Approve && res.Seq > 0 {
		if err := e.joined(a.User, a.Group, ad.name, res.Seq, nil); err != nil {
			return nil, err
		}
	}
	return ad.body, nil
}

// invite runs wire.OpInvite: the caller adds friends directly.
func (e *Engine) invite(r request) ([]byte, error) {
	var a wire.InviteArgs
	if err := parseGroupArgs(r.args, &a, &a.Group); err != nil {
		return nil, err
	}
	if len(a.Users) == 0 || len(a.Users) > actors.MaxInviteBatch {
		return nil, wire.Errorf(wire.CodeBadRequest, "invite 1..%d users at a time", actors.MaxInviteBatch)
	}
	for _, u := range a.Users {
		if err := ValidUserID(u); err != nil {
			return nil, wire.Errorf(wire.CodeBadRequest, "invalid user %q", u)
		}
		ok, err := e.hooks.Social.Friends(r.ctx, r.user, u)
		if err != nil {
			return nil, hookErr("social graph", err)
		}
		if !ok {
			return nil, wire.Errorf(wire.CodeNotAllowed, "%s is not your friend: only mutual followers can be invited", u)
		}
	}
	var res wire.SeqResult
	ad, err := e.admit(r, a.Group, r.args, &res, a.Users...)
	if err != nil {
		return nil, err
	}
	// The invited events are consecutive, ending at res.Seq.
	first := res.Seq - uint64(len(a.Users)-1)
	for i, u := range a.Users {
		if err := e.joined(u, a.Group, ad.name, first+uint64(i), nil); err != nil {
			return nil, err
		}
	}
	return ad.body, nil
}

// removal runs an operation that takes user out of group g in the group
// grain, then has user's grain forget g. forgot is the user grain's error:
// the group's change stands either way (a stale entry is dropped by the
// user's next my_groups).
func (e *Engine) removal(r request, g, user string) (body []byte, forgot, err error) {
	body, err = e.groupCall(r.user, r.op, g, r.args, nil)
	if err != nil {
		return nil, nil, err
	}
	return body, e.userCall(user, actors.OpUserRemove, actors.UserGroupArgs{Group: g}), nil
}

// leave runs wire.OpLeave.
func (e *Engine) leave(r request) ([]byte, error) {
	g, err := groupOf(r.args)
	if err != nil {
		return nil, err
	}
	body, forgot, err := e.removal(r, g, r.user)
	if err == nil {
		err = forgot
	}
	if err != nil {
		return nil, err
	}
	e.hub.Unsubscribe(r.user, g)
	return body, nil
}

// removeMember runs wire.OpKick and wire.OpBan.
func (e *Engine) removeMember(r request) ([]byte, error) {
	var a wire.TargetArgs
	if err := parseGroupArgs(r.args, &a, &a.Group); err != nil {
		return nil, err
	}
	body, _, err := e.removal(r, a.Group, a.User)
	return body, err
}

// transfer runs wire.OpTransferOwner.
func (e *Engine) transfer(r request) ([]byte, error) {
	var a wire.TargetArgs
	if err := parseGroupArgs(r.args, &a, &a.Group); err != nil {
		return nil, err
	}
	user := r.user
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
		slot, err := e.ownerSlot(user, a.Group, tier)
		if err != nil {
			return nil, err
		}
		if err := e.userCall(a.User, actors.OpUserReserve, slot); err != nil {
			if wire.CodeOf(err) == wire.CodeLimitReached {
				return nil, wire.Errorf(wire.CodeLimitReached, "%s already owns as many groups as their tier allows", a.User)
			}
			return nil, err
		}
	}
	body, err := e.groupCall(user, wire.OpTransferOwner, a.Group, r.args, nil)
	if err != nil {
		if a.User != user {
			_ = e.userCall(a.User, actors.OpUserSetOwner, actors.UserGroupArgs{Group: a.Group, Owner: false})
		}
		return nil, err
	}
	_ = e.userCall(user, actors.OpUserSetOwner, actors.UserGroupArgs{Group: a.Group, Owner: false})
	return body, nil
}

// dissolve runs wire.OpDissolve. The owner's slot is free again; other
// members' lists drop the group when they next list their groups.
func (e *Engine) dissolve(r request) ([]byte, error) {
	g, err := groupOf(r.args)
	if err != nil {
		return nil, err
	}
	body, _, err := e.removal(r, g, r.user)
	return body, err
}
