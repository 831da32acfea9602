package engine_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/wire"
)

func call(t *testing.T, c *client.Client, op wire.Op, args, res any) {
	t.Helper()
	if err := c.Call(ctxT(t), op, args, res); err != nil {
		t.Fatalf("%s: %v", op, err)
	}
}

func callCode(t *testing.T, c *client.Client, op wire.Op, args any) wire.Code {
	t.Helper()
	err := c.Call(ctxT(t), op, args, nil)
	if err == nil {
		return 0
	}
	return wire.CodeOf(err)
}

func TestCreationRules(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.CreateMinFriends = 1
	cfg.DefaultTier = engine.Tier{MaxOwnedGroups: 2, MaxMembers: 3}
	e := startEngine(t, cfg)
	ctx := ctxT(t)
	a := dial(t, e, "alice", nil)
	if _, err := a.CreateGroup(ctx, "lonely"); wire.CodeOf(err) != wire.CodeNotAllowed {
		t.Fatalf("create without friends: %v", err)
	}
	e.Host().Follow("alice", "bob")
	if _, err := a.CreateGroup(ctx, "one-way"); wire.CodeOf(err) != wire.CodeNotAllowed {
		t.Fatalf("a one-way follow is not a friend: %v", err)
	}
	e.Host().Follow("bob", "alice")
	g1, err := a.CreateGroup(ctx, "one")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateGroup(ctx, "two"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateGroup(ctx, "three"); wire.CodeOf(err) != wire.CodeLimitReached {
		t.Fatalf("third group with a limit of 2: %v", err)
	}
	// The default tier caps members at 3.
	for i, want := range []wire.Code{0, 0, wire.CodeGroupFull} {
		c := dial(t, e, fmt.Sprint("u", i), nil)
		if _, err := c.Join(ctx, g1); wire.CodeOf(err) != want && !(want == 0 && err == nil) {
			t.Fatalf("join %d: %v", i, err)
		}
	}
	// A creator tier owns more and bigger groups.
	e.Host().SetTier("alice", engine.Tier{MaxOwnedGroups: 50, MaxMembers: 2000})
	g3, err := a.CreateGroup(ctx, "fans")
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := a.GroupInfo(ctx, g3); info.MaxMember != 2000 {
		t.Fatalf("creator group max %d", info.MaxMember)
	}
	// Dissolving frees a slot for an ordinary user.
	e.Host().SetTier("alice", engine.Tier{MaxOwnedGroups: 3, MaxMembers: 200})
	if _, err := a.CreateGroup(ctx, "four"); wire.CodeOf(err) != wire.CodeLimitReached {
		t.Fatalf("over the limit: %v", err)
	}
	call(t, a, wire.OpDissolve, wire.GroupArgs{Group: g3}, nil)
	if _, err := a.CreateGroup(ctx, "four"); err != nil {
		t.Fatalf("after dissolving: %v", err)
	}
}

func TestApprovalFlowAndNotices(t *testing.T) {
	e := startEngine(t, testConfig(t.TempDir()))
	ctx := ctxT(t)
	notices := make(chan wire.Notice, 8)
	ownerBox := newInbox()
	tok, _ := e.MintToken("owner")
	o, err := client.Dial(ctx, e.Addr().String(), client.Options{Token: tok, OnFrame: func(ft wire.FrameType, body []byte) {
		switch ft {
		case wire.FrameNotice:
			var n wire.Notice
			if wire.Decode(body, &n) == nil {
				notices <- n
			}
		case wire.FramePush:
			var p wire.Push
			if wire.Decode(body, &p) == nil {
				ownerBox.onPush(&p)
			}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	g, _ := o.CreateGroup(ctx, "approval")
	policy := wire.JoinApproval
	call(t, o, wire.OpUpdateGroup, wire.UpdateGroupArgs{Group: g, Join: &policy}, nil)
	b := dial(t, e, "bob", nil)
	if _, err := b.Join(ctx, g); wire.CodeOf(err) != wire.CodeNotAllowed {
		t.Fatalf("plain join of an approval group: %v", err)
	}
	var ar wire.ApplyResult
	call(t, b, wire.OpApply, wire.ApplyArgs{Group: g, Note: "fan since 2020"}, &ar)
	if ar.Joined || ar.Expires == 0 {
		t.Fatalf("apply %+v", ar)
	}
	select {
	case n := <-notices:
		if n.Kind != wire.EventJoinRequest || n.User != "bob" || n.Text != "fan since 2020" {
			t.Fatalf("notice %+v", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("owner got no join-request notice")
	}
	var rr wire.RequestsResult
	call(t, o, wire.OpListRequests, wire.GroupArgs{Group: g}, &rr)
	if len(rr.Requests) != 1 || rr.Requests[0].User != "bob" {
		t.Fatalf("requests %+v", rr)
	}
	var sr wire.SeqResult
	call(t, o, wire.OpReview, wire.ReviewArgs{Group: g, User: "bob", Approve: true}, &sr)
	if sr.Seq == 0 {
		t.Fatal("approval wrote no join event")
	}
	// Bob is a member now, sees the group in his list and gets pushes.
	if r, err := b.SendText(ctx, g, "1", "thanks"); err != nil || r.Seq != sr.Seq+1 {
		t.Fatalf("bob sends: %+v %v", r, err)
	}
	mg, _ := b.MyGroups(ctx)
	if len(mg) != 1 || mg[0].Group != g {
		t.Fatalf("bob's groups %+v", mg)
	}
	// Rejection and expiry.
	c := dial(t, e, "carol", nil)
	call(t, c, wire.OpApply, wire.ApplyArgs{Group: g}, nil)
	call(t, o, wire.OpReview, wire.ReviewArgs{Group: g, User: "carol", Approve: false}, nil)
	if code := callCode(t, o, wire.OpReview, wire.ReviewArgs{Group: g, User: "carol", Approve: true}); code != wire.CodeNotFound {
		t.Fatalf("reviewing a settled request: %v", code)
	}
	if _, err := c.SendText(ctx, g, "1", "x"); wire.CodeOf(err) != wire.CodeNotMember {
		t.Fatalf("rejected user sends: %v", err)
	}
}

func TestInviteCodes(t *testing.T) {
	e := startEngine(t, testConfig(t.TempDir()))
	ctx := ctxT(t)
	o := dial(t, e, "owner", nil)
	g, _ := o.CreateGroup(ctx, "codes")
	policy := wire.JoinInvite
	call(t, o, wire.OpUpdateGroup, wire.UpdateGroupArgs{Group: g, Join: &policy}, nil)
	var ir wire.InviteResult
	call(t, o, wire.OpCreateInvite, wire.CreateInviteArgs{Group: g, MaxUses: 2}, &ir)
	code := ir.Invite.Code
	for i, want := range []wire.Code{0, 0, wire.CodeInvalidCode} {
		u := dial(t, e, fmt.Sprint("guest", i), nil)
		err := u.Call(ctx, wire.OpJoin, wire.JoinArgs{Code: code}, nil)
		if wire.CodeOf(err) != want && !(want == 0 && err == nil) {
			t.Fatalf("use %d of a 2-use code: %v", i, err)
		}
	}
	// Members may not issue codes unless the group allows it.
	m := dial(t, e, "guest0", nil)
	if code := callCode(t, m, wire.OpCreateInvite, wire.CreateInviteArgs{Group: g}); code != wire.CodeForbidden {
		t.Fatalf("member creates code: %v", code)
	}
	yes := true
	call(t, o, wire.OpUpdateGroup, wire.UpdateGroupArgs{Group: g, MembersInvite: &yes}, nil)
	call(t, m, wire.OpCreateInvite, wire.CreateInviteArgs{Group: g}, &ir)
	// Revoked codes stop working.
	call(t, o, wire.OpRevokeInvite, wire.RevokeInviteArgs{Group: g, Code: ir.Invite.Code}, nil)
	late := dial(t, e, "late", nil)
	if err := late.Call(ctx, wire.OpJoin, wire.JoinArgs{Code: ir.Invite.Code}, nil); wire.CodeOf(err) != wire.CodeInvalidCode {
		t.Fatalf("revoked code: %v", err)
	}
	if err := late.Call(ctx, wire.OpJoin, wire.JoinArgs{Code: "garbage"}, nil); wire.CodeOf(err) != wire.CodeInvalidCode {
		t.Fatalf("garbage code: %v", err)
	}
	// The host's moderation hook may refuse codes for unreviewed groups.
	e.Host().RefuseInvites(g, true)
	if code := callCode(t, o, wire.OpCreateInvite, wire.CreateInviteArgs{Group: g}); code != wire.CodeRejected {
		t.Fatalf("unreviewed group: %v", code)
	}
	// Banned users cannot come back with a code.
	call(t, o, wire.OpBan, wire.TargetArgs{Group: g, User: "guest1"}, nil)
	e.Host().RefuseInvites(g, false)
	call(t, o, wire.OpCreateInvite, wire.CreateInviteArgs{Group: g}, &ir)
	b := dial(t, e, "guest1", nil)
	if err := b.Call(ctx, wire.OpJoin, wire.JoinArgs{Code: ir.Invite.Code}, nil); wire.CodeOf(err) != wire.CodeBanned {
		t.Fatalf("banned user with a code: %v", err)
	}
}

func TestInviteFriends(t *testing.T) {
	e := startEngine(t, testConfig(t.TempDir()))
	o := dial(t, e, "owner", nil)
	g, _ := o.CreateGroup(ctxT(t), "friends")
	if code := callCode(t, o, wire.OpInvite, wire.InviteArgs{Group: g, Users: []string{"pal"}}); code != wire.CodeNotAllowed {
		t.Fatalf("invite a stranger: %v", code)
	}
	e.Host().Befriend("owner", "pal")
	box := newInbox()
	pal := dial(t, e, "pal", box)
	call(t, o, wire.OpInvite, wire.InviteArgs{Group: g, Users: []string{"pal"}}, nil)
	if _, err := o.SendText(ctxT(t), g, "1", "welcome pal"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "pal gets live pushes after the invite", func() bool { return len(texts(box.get(g))) == 1 })
	if mg, _ := pal.MyGroups(ctxT(t)); len(mg) != 1 {
		t.Fatalf("pal's groups %+v", mg)
	}
}

func TestModerationAnnouncementsPinsStats(t *testing.T) {
	e := startEngine(t, testConfig(t.TempDir()))
	ctx := ctxT(t)
	e.Host().SetProfile("m1", engine.UserProfile{Gender: engine.GenderFemale, BirthYear: time.Now().Year() - 20})
	e.Host().SetProfile("m2", engine.UserProfile{Gender: engine.GenderMale, BirthYear: time.Now().Year() - 30})
	o := dial(t, e, "owner", nil)
	g, _ := o.CreateGroup(ctx, "moderated")
	box := newInbox()
	m1 := dial(t, e, "m1", box)
	m2 := dial(t, e, "m2", nil)
	for _, c := range []*client.Client{m1, m2} {
		if _, err := c.Join(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	// Announcement: pushed, acknowledged, tracked.
	var ann wire.SeqResult
	call(t, o, wire.OpAnnounce, wire.AnnounceArgs{Group: g, Text: "直播今晚 8 点"}, &ann)
	waitFor(t, 5*time.Second, "announcement pushed", func() bool {
		for _, m := range box.get(g) {
			if m.Body.System != nil && m.Body.System.Event == wire.EventAnnounce {
				return true
			}
		}
		return false
	})
	call(t, m1, wire.OpAckAnnounce, wire.GroupArgs{Group: g}, nil)
	var st wire.AnnounceStateResult
	call(t, o, wire.OpAnnounceState, wire.GroupArgs{Group: g}, &st)
	if st.Acked != 1 || len(st.Unacked) != 1 || st.Unacked[0] != "m2" {
		t.Fatalf("announcement state %+v", st)
	}
	late := dial(t, e, "late", nil)
	late.Join(ctx, g)
	if info, _ := late.GroupInfo(ctx, g); info.Announcement == nil || info.Announcement.Seq != ann.Seq {
		t.Fatalf("a later joiner does not see the announcement: %+v", info.Announcement)
	}
	// Mute one member, then everyone.
	call(t, o, wire.OpMute, wire.TargetArgs{Group: g, User: "m2", Duration: 60_000}, nil)
	if _, err := m2.SendText(ctx, g, "x", "hi"); wire.CodeOf(err) != wire.CodeMuted {
		t.Fatalf("muted send: %v", err)
	}
	call(t, o, wire.OpMute, wire.TargetArgs{Group: g, User: "m2"}, nil)
	call(t, o, wire.OpMuteAll, wire.MuteAllArgs{Group: g, On: true}, nil)
	if _, err := m1.SendText(ctx, g, "y", "hi"); wire.CodeOf(err) != wire.CodeMuted {
		t.Fatalf("send under mute-all: %v", err)
	}
	if _, err := o.SendText(ctx, g, "z", "owner still speaks"); err != nil {
		t.Fatal(err)
	}
	call(t, o, wire.OpMuteAll, wire.MuteAllArgs{Group: g, On: false}, nil)
	r, err := m1.SendText(ctx, g, "y2", "back")
	if err != nil {
		t.Fatal(err)
	}
	// Pins.
	call(t, o, wire.OpPin, wire.PinArgs{Group: g, Seq: r.Seq}, nil)
	if info, _ := m1.GroupInfo(ctx, g); len(info.Pins) != 1 || info.Pins[0] != r.Seq {
		t.Fatalf("pins %+v", info.Pins)
	}
	if code := callCode(t, m1, wire.OpPin, wire.PinArgs{Group: g, Seq: r.Seq, Unpin: true}); code != wire.CodeForbidden {
		t.Fatalf("member unpins: %v", code)
	}
	// Stats: 4 members, 1 female, 2 active today, average age of the two known.
	var gs wire.GroupStats
	call(t, m1, wire.OpGroupStats, wire.GroupArgs{Group: g}, &gs)
	if gs.Members != 4 || gs.Female != 1 || gs.Active7d != 2 || gs.AverageAge != 25 || gs.MsgsToday != 2 {
		t.Fatalf("stats %+v", gs)
	}
	// Kick and ban.
	call(t, o, wire.OpKick, wire.TargetArgs{Group: g, User: "late"}, nil)
	if _, err := late.SendText(ctx, g, "k", "x"); wire.CodeOf(err) != wire.CodeNotMember {
		t.Fatalf("kicked sends: %v", err)
	}
	if _, err := late.Join(ctx, g); err != nil {
		t.Fatalf("a kicked user may rejoin an open group: %v", err)
	}
	call(t, o, wire.OpBan, wire.TargetArgs{Group: g, User: "late"}, nil)
	if _, err := late.Join(ctx, g); wire.CodeOf(err) != wire.CodeBanned {
		t.Fatalf("banned rejoin: %v", err)
	}
	call(t, o, wire.OpUnban, wire.TargetArgs{Group: g, User: "late"}, nil)
	if _, err := late.Join(ctx, g); err != nil {
		t.Fatalf("unbanned rejoin: %v", err)
	}
	// Moderation hook on text.
	e.Host().BlockWords("spam-link")
	if _, err := m1.SendText(ctx, g, "s", "buy at spam-link now"); wire.CodeOf(err) != wire.CodeRejected {
		t.Fatalf("blocked text: %v", err)
	}
	// Transfer, then dissolve by the new owner.
	call(t, o, wire.OpTransferOwner, wire.TargetArgs{Group: g, User: "m1"}, nil)
	if code := callCode(t, o, wire.OpDissolve, wire.GroupArgs{Group: g}); code != wire.CodeForbidden {
		t.Fatalf("old owner dissolves: %v", code)
	}
	call(t, m1, wire.OpDissolve, wire.GroupArgs{Group: g}, nil)
	if _, err := m2.SendText(ctx, g, "d", "x"); wire.CodeOf(err) != wire.CodeDissolved {
		t.Fatalf("send to dissolved group: %v", err)
	}
	if h, err := m2.History(ctx, wire.HistoryArgs{Group: g}); err != nil || len(h.Msgs) == 0 {
		t.Fatalf("history of a dissolved group stays readable by default: %v", err)
	}
	if mg, _ := m2.MyGroups(ctx); len(mg) != 0 {
		t.Fatalf("dissolved group still listed: %+v", mg)
	}
}

func TestDissolveCanDeleteHistory(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Group.DeleteOnDissolve = true
	cfg.Group.SnapshotEvery = 3
	e := startEngine(t, cfg)
	o := dial(t, e, "owner", nil)
	g, _ := o.CreateGroup(ctxT(t), "ephemeral")
	for i := 0; i < 10; i++ {
		o.SendText(ctxT(t), g, fmt.Sprint(i), "secret")
	}
	call(t, o, wire.OpDissolve, wire.GroupArgs{Group: g}, nil)
	h, err := o.History(ctxT(t), wire.HistoryArgs{Group: g})
	if err != nil || len(texts(h.Msgs)) != 0 {
		t.Fatalf("history after dissolve: %v %v", texts(h.Msgs), err)
	}
}

func TestPinnedGroupsComeFirst(t *testing.T) {
	e := startEngine(t, testConfig(""))
	ctx := ctxT(t)
	a := dial(t, e, "alice", nil)
	g1, _ := a.CreateGroup(ctx, "first")
	g2, _ := a.CreateGroup(ctx, "second")
	// Post in g2 until its last activity is a later millisecond than g1's.
	var mg []wire.MyGroup
	for i := 0; i < 1000; i++ {
		a.SendText(ctx, g2, fmt.Sprint(i), "recent activity")
		mg, _ = a.MyGroups(ctx)
		if mg[0].LastTime != mg[1].LastTime {
			break
		}
	}
	if mg[0].Group != g2 {
		t.Fatalf("by activity: %+v", mg)
	}
	call(t, a, wire.OpPinGroup, wire.PinGroupArgs{Group: g1, On: true}, nil)
	mg, _ = a.MyGroups(ctx)
	if mg[0].Group != g1 || !mg[0].Pinned {
		t.Fatalf("pinned first: %+v", mg)
	}
}

// TestGroupRulesSurviveKill9 sets up every kind of rule state, kills the
// server with SIGKILL, and checks it all after the restart.
func TestGroupRulesSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	srv := startChild(t, dir)
	o := dialAddr(t, srv.addr, "owner")
	ctx := ctxT(t)
	g, err := o.CreateGroup(ctx, "durable")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"adm", "m1", "m2", "bad"} {
		if _, err := dialAddr(t, srv.addr, u).Join(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	name, desc, yes := "durable 群", "rules survive", true
	policy := wire.JoinApproval
	call(t, o, wire.OpUpdateGroup, wire.UpdateGroupArgs{Group: g, Join: &policy, MembersInvite: &yes,
		Profile: wire.Profile{Name: &name, Description: &desc, Searchable: &yes, Location: &wire.GeoArgs{Lat: 31.23, Lng: 121.47, City: "上海"}}}, nil)
	call(t, o, wire.OpSetRole, wire.TargetArgs{Group: g, User: "adm", Role: wire.RoleAdmin}, nil)
	call(t, o, wire.OpMute, wire.TargetArgs{Group: g, User: "m2", Duration: 3_600_000}, nil)
	call(t, o, wire.OpBan, wire.TargetArgs{Group: g, User: "bad"}, nil)
	call(t, o, wire.OpAnnounce, wire.AnnounceArgs{Group: g, Text: "read me"}, nil)
	m1 := dialAddr(t, srv.addr, "m1")
	call(t, m1, wire.OpAckAnnounce, wire.GroupArgs{Group: g}, nil)
	r, _ := m1.SendText(ctx, g, "1", "pin me")
	call(t, o, wire.OpPin, wire.PinArgs{Group: g, Seq: r.Seq}, nil)
	var ir wire.InviteResult
	call(t, o, wire.OpCreateInvite, wire.CreateInviteArgs{Group: g, MaxUses: 5}, &ir)
	call(t, dialAddr(t, srv.addr, "applicant"), wire.OpApply, wire.ApplyArgs{Group: g, Note: "please"}, nil)
	call(t, m1, wire.OpPinGroup, wire.PinGroupArgs{Group: g, On: true}, nil)
	srv.kill9(t)

	srv2 := startChild(t, dir)
	o2 := dialAddr(t, srv2.addr, "owner")
	var info wire.GroupInfo
	call(t, o2, wire.OpGroupInfo, wire.GroupArgs{Group: g}, &info)
	if info.Name != name || info.Description != desc || !info.Searchable || info.Join != wire.JoinApproval || !info.MembersInvite ||
		info.Location == nil || info.Location.City != "上海" || len(info.Admins) != 1 || info.Announcement == nil ||
		len(info.Pins) != 1 || info.Members != 4 {
		t.Fatalf("info after kill -9: %+v", info)
	}
	var st wire.AnnounceStateResult
	call(t, o2, wire.OpAnnounceState, wire.GroupArgs{Group: g}, &st)
	if st.Acked != 1 {
		t.Fatalf("acks after kill -9: %+v", st)
	}
	var rr wire.RequestsResult
	call(t, o2, wire.OpListRequests, wire.GroupArgs{Group: g}, &rr)
	if len(rr.Requests) != 1 || rr.Requests[0].Note != "please" {
		t.Fatalf("requests after kill -9: %+v", rr)
	}
	var inv wire.InvitesResult
	call(t, o2, wire.OpListInvites, wire.GroupArgs{Group: g}, &inv)
	if len(inv.Invites) != 1 || inv.Invites[0].Code != ir.Invite.Code {
		t.Fatalf("invites after kill -9: %+v", inv)
	}
	if _, err := dialAddr(t, srv2.addr, "m2").SendText(ctx, g, "2", "x"); wire.CodeOf(err) != wire.CodeMuted {
		t.Fatalf("mute after kill -9: %v", err)
	}
	if err := dialAddr(t, srv2.addr, "bad").Call(ctx, wire.OpJoin, wire.JoinArgs{Code: ir.Invite.Code}, nil); wire.CodeOf(err) != wire.CodeBanned {
		t.Fatalf("ban after kill -9: %v", err)
	}
	if code := callCode(t, dialAddr(t, srv2.addr, "adm"), wire.OpMute, wire.TargetArgs{Group: g, User: "m1", Duration: 1000}); code != 0 {
		t.Fatalf("admin role after kill -9: %v", code)
	}
	mg, err := dialAddr(t, srv2.addr, "m1").MyGroups(ctx)
	if err != nil || len(mg) != 1 || !mg[0].Pinned {
		t.Fatalf("pinned group after kill -9: %+v %v", mg, err)
	}
	var gs wire.GroupStats
	call(t, o2, wire.OpGroupStats, wire.GroupArgs{Group: g}, &gs)
	if gs.Members != 4 || gs.Active7d != 1 || gs.MsgsToday != 1 {
		t.Fatalf("stats after kill -9: %+v", gs)
	}
	srv2.term(t)
}
