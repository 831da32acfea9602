package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/qunchat/qun/actors"
	"github.com/qunchat/qun/actors/pb"
	"github.com/qunchat/qun/wire"
)

// Fan groups and creator tools: the engine's side. The group grain holds
// every rule (actors/fans.go); here the host's facts are gathered and the
// calls that span several grains are made.

// fanFactsOf asks the host about fan as a fan of creator.
func (e *Engine) fanFactsOf(ctx context.Context, fan, creator string) (*actors.FanFacts, error) {
	since, follows, err := e.hooks.Fans.FollowSince(ctx, fan, creator)
	if err != nil {
		return nil, hookErr("fans", err)
	}
	level, err := e.hooks.Fans.FanLevel(ctx, fan, creator)
	if err != nil {
		return nil, hookErr("fans", err)
	}
	f := &actors.FanFacts{Creator: creator, Follows: follows, Level: level}
	if follows {
		f.Since = since.UnixMilli()
	}
	return f, nil
}

// joinFacts is what a join-type call (join, apply, review, invite) carries:
// the joiners' profiles and, for a join or apply of a fan group, the
// caller's fan facts about its owner (one more grain call to learn whether
// the group is a fan group and whose).
func (e *Engine) joinFacts(r request, g string, joiners ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.RequestTimeout)
	defer cancel()
	profiles, err := e.facts(ctx, joiners...)
	if err != nil {
		return nil, err
	}
	hf := actors.HostFacts{Profiles: profiles, Year: time.Now().UTC().Year()}
	if r.op == wire.OpJoin || r.op == wire.OpApply {
		body, err := e.groupCall(r.user, actors.OpFanOwner, g, nil, nil)
		if err != nil {
			return nil, err
		}
		var fo actors.FanOwner
		if err := decodeInto(body, &fo); err != nil {
			return nil, err
		}
		if fo.Fan {
			if hf.Fan, err = e.fanFactsOf(ctx, r.user, fo.Owner); err != nil {
				return nil, err
			}
		}
	}
	return marshalArgs(hf), nil
}

// createFanGroup runs wire.OpCreateFanGroup: like create_group, with the
// tier's fan-group limits (and no mutual-follow rule: creators have fans).
func (e *Engine) createFanGroup(r request) ([]byte, error) {
	var a wire.CreateFanGroupArgs
	if err := parseArgs(r.args, &a); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.RequestTimeout)
	defer cancel()
	tier, err := e.hooks.Tiers.Tier(ctx, r.user)
	if err != nil {
		return nil, hookErr("tiers", err)
	}
	groups, members := e.cfg.Fans.fanTier(tier)
	if groups == 0 {
		return nil, wire.Errorf(wire.CodeLimitReached, "your account may not own fan groups")
	}
	facts, err := e.facts(ctx, r.user)
	if err != nil {
		return nil, err
	}
	id := newGroupID()
	if err := e.userCall(r.user, actors.OpUserReserve, actors.UserGroupArgs{Group: id, Name: a.Name, Joined: time.Now().UnixMilli(), Limit: groups, Fan: true}); err != nil {
		return nil, err
	}
	body, err := e.groupCall(r.user, wire.OpCreateFanGroup, id, r.args, marshalArgs(actors.HostFacts{MaxMembers: members, Profiles: facts}))
	if err != nil {
		_ = e.userCall(r.user, actors.OpUserRemove, actors.UserGroupArgs{Group: id})
		return nil, err
	}
	e.hub.SubscribeNow(r.user, id)
	return body, nil
}

// fanGroupIDs lists the fan groups creator owns (their user grain).
func (e *Engine) fanGroupIDs(creator string) ([]string, error) {
	body, err := e.request(actors.KindUser, creator, &pb.Call{Op: uint32(actors.OpUserFanGroups), User: creator})
	if err != nil {
		return nil, err
	}
	var res actors.UserGroupsResult
	if err := decodeInto(body, &res); err != nil {
		return nil, err
	}
	ids := make([]string, len(res.Groups))
	for i, g := range res.Groups {
		ids[i] = g.Group
	}
	return ids, nil
}

// eachGroup runs f for every group, at most FanConfig.NoticeParallel at once.
func (e *Engine) eachGroup(ids []string, f func(i int, g string)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, e.cfg.Fans.NoticeParallel)
	for i, g := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			f(i, g)
		}()
	}
	wg.Wait()
}

// fanGroups runs wire.OpFanGroups: the creator's homepage for the caller.
func (e *Engine) fanGroups(r request) ([]byte, error) {
	var a wire.FanGroupsArgs
	if err := parseArgs(r.args, &a); err != nil {
		return nil, err
	}
	if ValidUserID(a.Creator) != nil {
		return nil, wire.Errorf(wire.CodeBadRequest, "invalid creator")
	}
	ids, err := e.fanGroupIDs(a.Creator)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.RequestTimeout)
	defer cancel()
	ff, err := e.fanFactsOf(ctx, r.user, a.Creator)
	if err != nil {
		return nil, err
	}
	host := marshalArgs(actors.HostFacts{Fan: ff})
	cards := make([]wire.FanCard, len(ids))
	keep := make([]bool, len(ids))
	e.eachGroup(ids, func(i int, g string) {
		body, err := e.groupCall(r.user, actors.OpFanCard, g, nil, host)
		keep[i] = err == nil && decodeInto(body, &cards[i]) == nil
	})
	res := wire.FanGroupsResult{Creator: a.Creator, Groups: make([]wire.FanCard, 0, len(ids))}
	for i := range cards {
		if keep[i] {
			res.Groups = append(res.Groups, cards[i])
		}
	}
	actors.SortFanCards(res.Groups)
	return wire.Marshal(&res)
}

// NotifyCreator posts one creator notice (live start, live preview, new
// video) to every fan group creator owns, in one call: the engine posts to
// the groups concurrently (Config.Fans.NoticeParallel at a time). Each
// group gets one durable message with its own seq, pushed live and counted
// as unread; a retry with the same notice id posts nothing new (Dup in that
// group's entry). A group that refuses (dissolved, or no longer the
// creator's) has its code in its entry; the others are posted regardless.
// Entries are sorted by group id.
func (e *Engine) NotifyCreator(ctx context.Context, creator string, n wire.CreatorNoticeArgs) (wire.CreatorNoticeResult, error) {
	var res wire.CreatorNoticeResult
	if e.node == nil {
		return res, ErrNotStarted
	}
	if ValidUserID(creator) != nil {
		return res, wire.Errorf(wire.CodeBadRequest, "invalid creator")
	}
	if _, err := n.Message(); err != nil {
		return res, err
	}
	ids, err := e.fanGroupIDs(creator)
	if err != nil {
		return res, err
	}
	sort.Strings(ids)
	args := marshalArgs(&n)
	res.Groups = make([]wire.NoticeGroup, len(ids))
	e.eachGroup(ids, func(i int, g string) {
		ng := wire.NoticeGroup{Group: g}
		if ctx.Err() != nil {
			ng.Code = wire.CodeTimeout
		} else if body, err := e.groupCall(creator, actors.OpPostNotice, g, args, nil); err != nil {
			ng.Code = wire.CodeOf(err)
		} else if err := decodeInto(body, &ng); err != nil {
			ng.Code = wire.CodeInternal
		}
		res.Groups[i] = ng
	})
	return res, nil
}

// notifyCreator runs wire.OpNotifyCreator for the caller's own fan groups.
func (e *Engine) notifyCreator(r request) ([]byte, error) {
	var a wire.CreatorNoticeArgs
	if err := parseArgs(r.args, &a); err != nil {
		return nil, err
	}
	res, err := e.NotifyCreator(r.ctx, r.user, a)
	if err != nil {
		return nil, err
	}
	return wire.Marshal(&res)
}

// recall runs wire.OpRecall: the engine reads the message (as the caller,
// a member) and hands it to the group grain, which checks the rules and
// writes the recall event and the tombstone.
func (e *Engine) recall(r request) ([]byte, error) {
	var a wire.RecallArgs
	g, err := groupArgs(r.args, &a, &a.Group)
	if err != nil {
		return nil, err
	}
	if a.Seq == 0 {
		return nil, wire.Errorf(wire.CodeBadRequest, "seq is required")
	}
	body, err := e.groupCall(r.user, wire.OpHistory, g, marshalArgs(wire.HistoryArgs{Group: g, After: wire.After(a.Seq - 1), Limit: 1}), nil)
	if err != nil {
		return nil, err
	}
	var h wire.HistoryResult
	if err := decodeInto(body, &h); err != nil {
		return nil, err
	}
	var m *wire.Message
	if len(h.Msgs) == 1 && h.Msgs[0].Seq == a.Seq {
		m = &h.Msgs[0]
	}
	return e.groupCall(r.user, wire.OpRecall, g, r.args, marshalArgs(actors.HostFacts{Message: m}))
}

// shareCard runs wire.OpShareCard: an invite code, deep-link texts and the
// public card, for groups the host's review hook passes.
func (e *Engine) shareCard(r request) ([]byte, error) {
	g, err := groupOf(r.args)
	if err != nil {
		return nil, err
	}
	if err := e.hooks.Share.MayShare(r.ctx, g, r.user); err != nil {
		if we, ok := err.(*wire.Error); ok {
			return nil, we
		}
		return nil, wire.Errorf(wire.CodeNotReviewed, "%v", err)
	}
	host, err := e.inviteCode(r, g)
	if err != nil {
		return nil, err
	}
	body, err := e.groupCall(r.user, wire.OpCreateInvite, g, marshalArgs(wire.CreateInviteArgs{Group: g}), host)
	if err != nil {
		return nil, err
	}
	var inv wire.InviteResult
	if err := decodeInto(body, &inv); err != nil {
		return nil, err
	}
	body, err = e.groupCall(r.user, actors.OpSummary, g, nil, nil)
	if err != nil {
		return nil, err
	}
	var s actors.GroupSummary
	if err := decodeInto(body, &s); err != nil {
		return nil, err
	}
	in := s.Info
	card := wire.GroupCard{Group: g, Name: in.Name, Avatar: in.Avatar, Category: in.Category, Owner: in.Owner, Members: in.Members, Join: in.Join}
	if in.Location != nil {
		card.City = in.Location.City
	}
	code, link := inv.Invite.Code, e.cfg.Fans.ShareLink+inv.Invite.Code
	return wire.Marshal(&wire.ShareCard{Code: code, Card: card, Expire: inv.Invite.Expires, Links: map[string]string{
		"wechat": fmt.Sprintf("【%s】邀请你加入群聊，复制这条消息打开App即可加入 %s 口令：%s", in.Name, link, code),
		"qq":     fmt.Sprintf("快来加入群聊「%s」 %s 口令：%s", in.Name, link, code),
		"weibo":  fmt.Sprintf("#%s# 一起来群聊！%s 口令：%s", in.Name, link, code),
	}})
}

// maxHostFacts bounds the entries of one set_host_facts call.
const maxHostFacts = 10000

// setHostFacts runs wire.OpSetHostFacts: Config.Fans.Admins fill the
// in-memory host (standalone servers).
func (e *Engine) setHostFacts(r request) ([]byte, error) {
	if !slices.Contains(e.cfg.Fans.Admins, r.user) {
		return nil, wire.Errorf(wire.CodeForbidden, "only the server's admins may set host facts")
	}
	var a wire.HostFactsArgs
	if err := parseArgs(r.args, &a); err != nil {
		return nil, err
	}
	if err := checkHostFacts(a); err != nil {
		return nil, err
	}
	e.host.SetHostFacts(a)
	return wire.Marshal(wire.Empty{})
}

// checkHostFacts bounds a host-facts document.
func checkHostFacts(a wire.HostFactsArgs) error {
	if len(a.Follows)+len(a.Levels) > maxHostFacts {
		return wire.Errorf(wire.CodeBadRequest, "at most %d facts at a time", maxHostFacts)
	}
	for _, f := range a.Follows {
		if ValidUserID(f.Fan) != nil || ValidUserID(f.Creator) != nil || f.Since <= 0 {
			return wire.Errorf(wire.CodeBadRequest, "follow %q → %q: invalid users or since", f.Fan, f.Creator)
		}
	}
	for _, l := range a.Levels {
		if ValidUserID(l.Fan) != nil || ValidUserID(l.Creator) != nil || l.Level < 0 || l.Level > wire.MaxFanLevel {
			return wire.Errorf(wire.CodeBadRequest, "level %q → %q: invalid users or level", l.Fan, l.Creator)
		}
	}
	return nil
}

// ownerSlot is the owned-group slot a new owner of g needs under tier: a fan
// group counts against the fan-group limit (and shows on the new owner's
// homepage), any other group against the owned-group limit.
func (e *Engine) ownerSlot(caller, g string, tier Tier) (actors.UserGroupArgs, error) {
	body, err := e.groupCall(caller, actors.OpFanOwner, g, nil, nil)
	if err != nil {
		return actors.UserGroupArgs{}, err
	}
	var fo actors.FanOwner
	if err := decodeInto(body, &fo); err != nil {
		return actors.UserGroupArgs{}, err
	}
	if fo.Fan {
		groups, _ := e.cfg.Fans.fanTier(tier)
		return actors.UserGroupArgs{Group: g, Limit: groups, Fan: true}, nil
	}
	return actors.UserGroupArgs{Group: g, Limit: tier.MaxOwnedGroups}, nil
}
