package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/wire"
)

// TestFanGroupsEndToEnd walks the story over TCP against one node
// with Pebble, then restarts it and checks everything is still there.
func TestFanGroupsEndToEnd(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	cfg.Fans.Admins = []string{"ops"}
	e := startEngine(t, cfg)
	ctx := ctxT(t)
	host := e.Host()
	now := time.Now()

	box := newInbox()
	cara := dial(t, e, "cara", nil)
	// Three fan groups with different thresholds, created out of homepage order.
	mk := func(name string, order int, thr wire.Threshold, j wire.JoinPolicy) string {
		r, err := cara.CreateFanGroup(ctx, wire.CreateFanGroupArgs{Name: name, Order: order, Threshold: thr, Join: j, Avatar: "https://a.example/" + name + ".png"})
		if err != nil {
			t.Fatal(err)
		}
		return r.Group
	}
	gOpen := mk("open fans", 3, wire.Threshold{}, wire.JoinOpen)
	gDays := mk("loyal fans", 1, wire.Threshold{FollowDays: 10}, wire.JoinOpen)
	gClub := mk("club", 2, wire.Threshold{Follow: true, Level: 3}, wire.JoinApproval)

	// Seed facts through the admin op (as on a standalone qund).
	ops := dial(t, e, "ops", nil)
	facts := wire.HostFactsArgs{
		Follows: []wire.FanFollow{{Fan: "old", Creator: "cara", Since: now.Add(-30 * 24 * time.Hour).UnixMilli()},
			{Fan: "new", Creator: "cara", Since: now.Add(-3 * 24 * time.Hour).UnixMilli()}},
		Levels: []wire.FanLevel{{Fan: "old", Creator: "cara", Level: 5}, {Fan: "new", Creator: "cara", Level: 1}},
	}
	if err := ops.SetHostFacts(ctx, facts); err != nil {
		t.Fatal(err)
	}
	if err := cara.SetHostFacts(ctx, facts); wire.CodeOf(err) != wire.CodeForbidden {
		t.Fatalf("non-admin set_host_facts: %v", err)
	}

	old := dial(t, e, "old", box)
	nw := dial(t, e, "new", nil)
	stranger := dial(t, e, "stranger", nil)

	// The homepage, in cara's order, for "new".
	fg, err := nw.FanGroups(ctx, "cara")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range fg.Groups {
		names = append(names, fmt.Sprintf("%s:%v", c.Name, c.MayJoin))
	}
	if strings.Join(names, ",") != "loyal fans:false,club:false,open fans:true" {
		t.Fatalf("homepage for new: %v", names)
	}
	if c := fg.Groups[0]; c.Members != 1 || c.MaxMembers != 2000 || c.Words != "followed the creator for 10 days" || !strings.Contains(c.Why, "7 more days") {
		t.Fatalf("card %+v", c)
	}

	// Joins: clear refusals.
	_, err = nw.Join(ctx, gDays)
	if wire.CodeOf(err) != wire.CodeThresholdNotMet || !strings.Contains(err.Error(), "follow cara for 7 more days") {
		t.Fatalf("new joins loyal: %v", err)
	}
	if _, err := stranger.Join(ctx, gDays); wire.CodeOf(err) != wire.CodeThresholdNotMet || !strings.Contains(err.Error(), "follow:") {
		t.Fatalf("stranger joins loyal: %v", err)
	}
	if _, err := nw.Apply(ctx, gClub, "hi"); wire.CodeOf(err) != wire.CodeThresholdNotMet || !strings.Contains(err.Error(), "level 3") {
		t.Fatalf("new applies to club: %v", err)
	}
	if _, err := old.Join(ctx, gDays); err != nil {
		t.Fatal(err)
	}
	if r, err := old.Apply(ctx, gClub, "long-time fan"); err != nil || r.Joined {
		t.Fatalf("old applies to club: %+v %v", r, err)
	}
	for _, c := range []interface {
		Join(context.Context, string) (wire.JoinResult, error)
	}{old, nw} {
		if _, err := c.Join(ctx, gOpen); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cara.Review(ctx, gClub, "old", true); err != nil {
		t.Fatal(err)
	}

	// Creator notice: one call reaches all three groups live; a retry posts nothing.
	notice := wire.CreatorNoticeArgs{ID: "live-1", Kind: wire.NoticeLive, Room: "r1", Title: "开播啦", Cover: "https://c.example/x.jpg"}
	res, err := cara.NotifyCreator(ctx, notice)
	if err != nil || len(res.Groups) != 3 {
		t.Fatalf("notify: %+v %v", res, err)
	}
	for _, ng := range res.Groups {
		if ng.Seq == 0 || ng.Dup || ng.Code != 0 {
			t.Fatalf("notice entry %+v", ng)
		}
	}
	waitFor(t, 10*time.Second, "the notice in old's three groups", func() bool {
		n := 0
		for _, g := range []string{gOpen, gDays, gClub} {
			for _, m := range box.get(g) {
				if m.Type == wire.MsgLive && m.Body.Live.Title == "开播啦" {
					n++
				}
			}
		}
		return n == 3
	})
	res2, err := e.NotifyCreator(ctx, "cara", notice)
	if err != nil {
		t.Fatal(err)
	}
	for i, ng := range res2.Groups {
		if !ng.Dup || ng.Seq != res.Groups[i].Seq {
			t.Fatalf("retry entry %+v, first %+v", ng, res.Groups[i])
		}
	}

	// A strong announcement: "new" goes offline and gets the push.
	online := e.Stats().Online
	nw.Close()
	waitFor(t, 5*time.Second, "the server to see new leave", func() bool { return e.Stats().Online == online-1 })
	if _, err := cara.AnnounceStrong(ctx, gOpen, "今晚8点停播维护"); err != nil {
		t.Fatal(err)
	}
	if err := old.AckAnnouncement(ctx, gOpen); err != nil {
		t.Fatal(err)
	}
	st, err := cara.AnnouncementState(ctx, gOpen)
	if err != nil || !st.Announcement.Strong || st.Acked != 1 || strings.Join(st.Unacked, ",") != "new" {
		t.Fatalf("announcement state %+v %v", st, err)
	}
	waitFor(t, 10*time.Second, "an offline push to new only", func() bool {
		for _, p := range host.Pushes() {
			if p.Kind == "announcement" && p.Group == gOpen && strings.Join(p.Users, ",") == "new" {
				return true
			}
		}
		return false
	})

	// A seller's contact details are masked (the default policy).
	sr, err := old.SendText(ctx, gOpen, "s1", "加我vx: abc123 便宜出")
	if err != nil {
		t.Fatal(err)
	}
	// block refuses with a stable code.
	if _, err := cara.SetDivert(ctx, gDays, wire.DivertBlock); err != nil {
		t.Fatal(err)
	}
	if _, err := old.SendText(ctx, gDays, "s2", "手机 13812345678"); wire.CodeOf(err) != wire.CodeDiverted {
		t.Fatalf("blocked send: %v", err)
	}
	// flag delivers and reports.
	if _, err := cara.SetDivert(ctx, gClub, wire.DivertFlag); err != nil {
		t.Fatal(err)
	}
	fr, err := old.SendText(ctx, gClub, "s3", "qq 12345678")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the diversion report", func() bool {
		for _, r := range host.Reports() {
			if r.Group == gClub && r.Seq == fr.Seq && r.Kinds == "qq" {
				return true
			}
		}
		return false
	})

	// An @mention shows in my_groups for the offline member and pushes.
	mr, err := old.Send(ctx, gOpen, "m1", wire.MsgText, wire.Body{Text: &wire.TextBody{Text: "看直播", Mentions: []string{"new"}}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the mention push", func() bool {
		for _, p := range host.Pushes() {
			if p.Kind == "mention" && p.Seq == mr.Seq && strings.Join(p.Users, ",") == "new" {
				return true
			}
		}
		return false
	})
	if _, err := old.Send(ctx, gOpen, "m2", wire.MsgText, wire.Body{Text: &wire.TextBody{Text: "x", Mentions: []string{wire.MentionAll}}}); wire.CodeOf(err) != wire.CodeForbidden {
		t.Fatalf("member @all: %v", err)
	}
	// A rich message.
	if _, err := cara.Send(ctx, gOpen, "p1", wire.MsgProduct, wire.Body{Product: &wire.ProductBody{ID: "sku", Title: "登山杖", Price: 12900, Currency: "CNY"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := cara.Send(ctx, gOpen, "p2", 99, wire.Body{Text: &wire.TextBody{Text: "from the future"}}); wire.CodeOf(err) != wire.CodeBadRequest {
		t.Fatalf("unknown type: %v", err)
	}

	// Recall: old's own message, then the text is gone.
	secret, err := old.SendText(ctx, gOpen, "r1", "recall me")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stranger.Recall(ctx, gOpen, secret.Seq); wire.CodeOf(err) != wire.CodeNotMember {
		t.Fatalf("stranger recall: %v", err)
	}
	if _, err := old.Recall(ctx, gOpen, secret.Seq); err != nil {
		t.Fatal(err)
	}

	// Share card.
	card, err := cara.ShareCard(ctx, gOpen)
	if err != nil || !strings.HasPrefix(card.Code, gOpen+"-") || !strings.Contains(card.Links["wechat"], card.Code) || card.Card.Name != "open fans" {
		t.Fatalf("share card %+v %v", card, err)
	}
	host.RefuseShare(gDays, true)
	if _, err := cara.ShareCard(ctx, gDays); wire.CodeOf(err) != wire.CodeNotReviewed {
		t.Fatalf("unreviewed share: %v", err)
	}

	check := func(e *engine.Engine, when string) {
		t.Helper()
		c := dial(t, e, "new", nil)
		h, err := c.History(ctx, wire.HistoryArgs{Group: gOpen, After: wire.After(0), Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		var seen []string
		for _, m := range h.Msgs {
			switch {
			case m.Seq == secret.Seq:
				if m.Type != wire.MsgRecalled || m.Body.Text != nil {
					t.Fatalf("%s: recalled message %+v", when, m)
				}
				seen = append(seen, "tombstone")
			case m.Seq == sr.Seq:
				if m.Body.Text.Text != "加我＊＊＊＊＊＊＊＊＊＊ 便宜出" {
					t.Fatalf("%s: seller text %q", when, m.Body.Text.Text)
				}
				seen = append(seen, "masked")
			case m.Type == wire.MsgLive:
				seen = append(seen, "notice")
			case m.Type == wire.MsgSystem && m.Body.System.Event == wire.EventRecalled:
				seen = append(seen, "recall-event")
			case m.Type == wire.MsgSystem && m.Body.System.Event == wire.EventStrongAnnounce:
				seen = append(seen, "strong")
			}
			if m.Type == wire.MsgText && strings.Contains(m.Body.Text.Text, "recall me") {
				t.Fatalf("%s: recalled text still returned", when)
			}
		}
		if strings.Join(seen, ",") != "notice,strong,masked,tombstone,recall-event" {
			t.Fatalf("%s: history %v", when, seen)
		}
		groups, err := c.MyGroups(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range groups {
			if g.Group == gOpen && g.Mentioned != 1 {
				t.Fatalf("%s: mentioned %+v", when, g)
			}
		}
		fg, err := c.FanGroups(ctx, "cara")
		if err != nil || len(fg.Groups) != 3 || fg.Groups[0].Group != gDays {
			t.Fatalf("%s: homepage %+v %v", when, fg, err)
		}
	}
	check(e, "live")
	_ = e.Close()
	e2 := startEngine(t, cfg)
	check(e2, "after restart")
	// Idempotent across the restart too.
	res3, err := e2.NotifyCreator(ctx, "cara", notice)
	if err != nil || !res3.Groups[0].Dup {
		t.Fatalf("after restart: %+v %v", res3, err)
	}
}

// TestFanGroupTierLimit: fan groups count against the tier's fan-group
// limit, apart from ordinary groups.
func TestFanGroupTierLimit(t *testing.T) {
	cfg := testConfig("")
	e := startEngine(t, cfg)
	e.Host().SetTier("small", engine.Tier{MaxOwnedGroups: 1, MaxMembers: 50, MaxFanGroups: 2, MaxFanMembers: 3})
	e.Host().SetTier("none", engine.Tier{MaxOwnedGroups: 1, MaxMembers: 50, MaxFanGroups: -1})
	ctx := ctxT(t)
	c := dial(t, e, "small", nil)
	for i := 0; i < 2; i++ {
		if _, err := c.CreateFanGroup(ctx, wire.CreateFanGroupArgs{Name: "f"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CreateFanGroup(ctx, wire.CreateFanGroupArgs{Name: "f"}); wire.CodeOf(err) != wire.CodeLimitReached {
		t.Fatalf("third fan group: %v", err)
	}
	g, err := c.CreateGroup(ctx, "ordinary")
	if err != nil {
		t.Fatalf("an ordinary group besides fan groups: %v", err)
	}
	_ = g
	fg, err := c.FanGroups(ctx, "small")
	if err != nil || len(fg.Groups) != 2 || fg.Groups[0].MaxMembers != 3 {
		t.Fatalf("%+v %v", fg, err)
	}
	// A transferred fan group moves to the new owner's homepage.
	heir := dial(t, e, "heir", nil)
	if _, err := heir.Join(ctx, fg.Groups[0].Group); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TransferOwner(ctx, fg.Groups[0].Group, "heir"); err != nil {
		t.Fatal(err)
	}
	if fg2, err := heir.FanGroups(ctx, "heir"); err != nil || len(fg2.Groups) != 1 || fg2.Groups[0].Group != fg.Groups[0].Group {
		t.Fatalf("heir's homepage %+v %v", fg2, err)
	}
	if fg3, err := heir.FanGroups(ctx, "small"); err != nil || len(fg3.Groups) != 1 {
		t.Fatalf("small's homepage after the transfer %+v %v", fg3, err)
	}
	if _, err := dial(t, e, "none", nil).CreateFanGroup(ctx, wire.CreateFanGroupArgs{Name: "f"}); wire.CodeOf(err) != wire.CodeLimitReached {
		t.Fatalf("no fan groups allowed: %v", err)
	}
	if _, err := e.NotifyCreator(ctx, "small", wire.CreatorNoticeArgs{ID: "x", Kind: "party", Title: "t"}); wire.CodeOf(err) != wire.CodeBadRequest {
		t.Fatalf("bad notice: %v", err)
	}
}

// TestFanOpsPermissions: the engine-level rules of docs/permissions.md's
// list under the table.
func TestFanOpsPermissions(t *testing.T) {
	e := startEngine(t, testConfig(""))
	ctx := ctxT(t)
	cara := dial(t, e, "cara", nil)
	r, err := cara.CreateFanGroup(ctx, wire.CreateFanGroupArgs{Name: "fans"})
	if err != nil {
		t.Fatal(err)
	}
	g := r.Group
	member, stranger := dial(t, e, "m", nil), dial(t, e, "s", nil)
	if _, err := member.Join(ctx, g); err != nil {
		t.Fatal(err)
	}
	if _, err := member.ShareCard(ctx, g); wire.CodeOf(err) != wire.CodeForbidden {
		t.Fatalf("member share_card: %v", err)
	}
	if _, err := stranger.ShareCard(ctx, g); wire.CodeOf(err) != wire.CodeNotMember {
		t.Fatalf("stranger share_card: %v", err)
	}
	if _, err := member.SetFanGroup(ctx, wire.SetFanGroupArgs{Group: g, Threshold: &wire.Threshold{Level: 1}}); wire.CodeOf(err) != wire.CodeForbidden {
		t.Fatalf("member set_fan_group: %v", err)
	}
	// A non-creator's notice reaches nobody: it posts only to the caller's own fan groups.
	res, err := member.NotifyCreator(ctx, wire.CreatorNoticeArgs{ID: "x", Kind: wire.NoticeVideo, Video: "v", Title: "t"})
	if err != nil || len(res.Groups) != 0 {
		t.Fatalf("member notify: %+v %v", res, err)
	}
	if err := member.SetHostFacts(ctx, wire.HostFactsArgs{}); wire.CodeOf(err) != wire.CodeForbidden {
		t.Fatalf("member set_host_facts: %v", err)
	}
	if fg, err := stranger.FanGroups(ctx, "cara"); err != nil || len(fg.Groups) != 1 || !fg.Groups[0].MayJoin {
		t.Fatalf("stranger fan_groups: %+v %v", fg, err)
	}
	if _, err := member.Recall(ctx, g, 1); wire.CodeOf(err) != wire.CodeBadRequest {
		t.Fatalf("recall of the created event: %v", err)
	}
}
