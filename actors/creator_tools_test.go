package actors

import (
	"strings"
	"testing"

	"github.com/qunchat/qun/wire"
)

func sendBody(t *testing.T, m *GroupMachine, now int64, user string, typ wire.MsgType, b wire.Body) Effects {
	t.Helper()
	return m.Handle(Command{Now: now, User: user, Op: wire.OpSend, Args: args(t, wire.SendArgs{Group: "g1", Type: typ, Body: b})})
}

func mention(s string, users ...string) wire.Body {
	return wire.Body{Text: &wire.TextBody{Text: s, Mentions: users}}
}

func TestMentions(t *testing.T) {
	m := machine(t, "admin", "bob", "carol")
	if e := m.Handle(Command{Now: 1000, User: "owner", Op: wire.OpSetRole, Args: args(t, wire.TargetArgs{Group: "g1", User: "admin", Role: wire.RoleAdmin})}); e.Err != nil {
		t.Fatal(e.Err)
	}
	many := make([]string, wire.MaxMentions+1)
	for i := range many {
		many[i] = "u" + strings.Repeat("x", i%5) + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	cases := []struct {
		name string
		user string
		body wire.Body
		code wire.Code
		push []string // users the host is asked to push to
	}{
		{"mention members", "bob", mention("hi", "carol", "admin"), 0, []string{"admin", "carol"}},
		{"mention a stranger: stored, not pushed", "bob", mention("hi", "nobody"), 0, nil},
		{"mention self: not pushed", "bob", mention("hi", "bob"), 0, nil},
		{"too many mentions", "bob", mention("hi", many...), wire.CodeBadRequest, nil},
		{"mentioned twice: pushed once", "bob", mention("hi", "carol", "carol"), 0, []string{"carol"}},
		{"@all by a member", "bob", mention("hi", wire.MentionAll), wire.CodeForbidden, nil},
		{"@all by an admin", "admin", mention("hi", wire.MentionAll), 0, []string{"bob", "carol", "owner"}},
		{"@all by the owner", "owner", mention("hi", wire.MentionAll), 0, []string{"admin", "bob", "carol"}},
		{"@all third today", "owner", mention("hi", wire.MentionAll), 0, []string{"admin", "bob", "carol"}},
		{"@all fourth today", "owner", mention("hi", wire.MentionAll), wire.CodeLimitReached, nil},
	}
	for _, c := range cases {
		e := sendBody(t, m, 5000, c.user, wire.MsgText, c.body)
		if codeOf(e) != c.code {
			t.Fatalf("%s: code %v want %v", c.name, e.Err, c.code)
		}
		var push []string
		for _, h := range e.HostEvents {
			if h.Kind == HostPush {
				push = h.Users
				if h.Seq != e.Records[0].Msg.Seq {
					t.Fatalf("%s: host event seq %d", c.name, h.Seq)
				}
			}
		}
		if strings.Join(push, ",") != strings.Join(c.push, ",") {
			t.Fatalf("%s: push to %v, want %v", c.name, push, c.push)
		}
	}
	// carol: mentioned by name twice and by @all three times.
	if got := m.mentionsOf("carol"); len(got) != 5 {
		t.Fatalf("carol's mentions %v", got)
	}
	// The next day (China time) @all is allowed again.
	if e := sendBody(t, m, 5000+day, "owner", wire.MsgText, mention("hi", wire.MentionAll)); e.Err != nil {
		t.Fatal(e.Err)
	}
	sum := m.Handle(Command{Now: 5000 + day, User: "carol", Op: OpSummary})
	var s GroupSummary
	if err := wire.Decode(sum.Reply, &s); err != nil || len(s.Mentions) != 6 {
		t.Fatalf("summary mentions %+v %v", s.Mentions, err)
	}
}

func TestMentionSeqsBounded(t *testing.T) {
	m := machine(t, "bob")
	for i := 0; i < DefaultFanConfig().MaxMentionSeqs+10; i++ {
		if e := sendBody(t, m, 5000, "owner", wire.MsgText, mention("hi", "bob")); e.Err != nil {
			t.Fatal(e.Err)
		}
	}
	got := m.mentionsOf("bob")
	if len(got) != DefaultFanConfig().MaxMentionSeqs || got[len(got)-1] != m.LastSeq() {
		t.Fatalf("kept %d mentions, last %d", len(got), got[len(got)-1])
	}
}

func TestDivertPolicies(t *testing.T) {
	const seller = "加我vx: abc123 便宜出"
	cases := []struct {
		name   string
		policy wire.DivertPolicy
		body   wire.Body
		typ    wire.MsgType
		code   wire.Code
		want   string // the stored text (or card field)
		flag   bool
	}{
		{"default masks", wire.DivertDefault, text(seller), wire.MsgText, 0, "加我＊＊＊＊＊＊＊＊＊＊ 便宜出", false},
		{"mask", wire.DivertMask, text(seller), wire.MsgText, 0, "加我＊＊＊＊＊＊＊＊＊＊ 便宜出", false},
		{"allow", wire.DivertAllow, text(seller), wire.MsgText, 0, seller, false},
		{"flag", wire.DivertFlag, text(seller), wire.MsgText, 0, seller, true},
		{"block", wire.DivertBlock, text(seller), wire.MsgText, wire.CodeDiverted, "", false},
		{"block lets clean text through", wire.DivertBlock, text("订单号 13812345678 已发货"), wire.MsgText, 0, "订单号 13812345678 已发货", false},
		{"mask a product title", wire.DivertMask, wire.Body{Product: &wire.ProductBody{ID: "p", Title: "好货 加微信 abc12345", Price: 100, Currency: "CNY"}}, wire.MsgProduct, 0, "好货 加＊＊＊＊＊＊＊＊＊＊＊", false},
		{"block a link card", wire.DivertBlock, wire.Body{Link: &wire.LinkBody{URL: "https://x.example", Desc: "电话 13912345678"}}, wire.MsgLink, wire.CodeDiverted, "", false},
		{"mask a custom string", wire.DivertMask, wire.Body{Custom: &wire.CustomBody{Type: "shop.note", Data: map[string]wire.CustomValue{"t": {Kind: wire.CustomString, S: "qq 12345678"}}}}, wire.MsgCustom, 0, "＊＊＊＊＊＊＊＊＊＊＊", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := machine(t, "seller")
			if c.policy != wire.DivertDefault {
				if e := m.Handle(Command{Now: 2000, User: "owner", Op: wire.OpSetDivert, Args: args(t, wire.SetDivertArgs{Group: "g1", Policy: c.policy})}); e.Err != nil {
					t.Fatal(e.Err)
				}
			}
			if e := m.Handle(Command{Now: 2000, User: "seller", Op: wire.OpSetDivert, Args: args(t, wire.SetDivertArgs{Group: "g1", Policy: wire.DivertAllow})}); codeOf(e) != wire.CodeForbidden {
				t.Fatalf("a member set the policy: %v", e.Err)
			}
			e := sendBody(t, m, 3000, "seller", c.typ, c.body)
			if codeOf(e) != c.code {
				t.Fatalf("code %v want %v", e.Err, c.code)
			}
			if c.code != 0 {
				if len(e.Records) != 0 {
					t.Fatal("blocked message written")
				}
				return
			}
			b := e.Records[0].Msg.Body
			var got string
			switch {
			case b.Text != nil:
				got = b.Text.Text
			case b.Product != nil:
				got = b.Product.Title
			case b.Custom != nil:
				got = b.Custom.Data["t"].S
			}
			if got != c.want {
				t.Fatalf("stored %q want %q", got, c.want)
			}
			flagged := len(e.HostEvents) == 1 && e.HostEvents[0].Kind == HostFlag && e.HostEvents[0].Text == "wechat"
			if flagged != c.flag {
				t.Fatalf("flag events %+v", e.HostEvents)
			}
		})
	}
	m := machine(t)
	if e := m.Handle(Command{Now: 2000, User: "owner", Op: wire.OpSetDivert, Args: args(t, wire.SetDivertArgs{Group: "g1", Policy: 9})}); codeOf(e) != wire.CodeBadRequest {
		t.Fatalf("unknown policy: %v", e.Err)
	}
}

func TestCreatorNoticeIdempotent(t *testing.T) {
	m := fanMachine(t, wire.Threshold{}, wire.JoinOpen)
	n := wire.CreatorNoticeArgs{ID: "live-1", Kind: wire.NoticeLive, Room: "r9", Title: "开播啦", Cover: "https://c/x.jpg"}
	e := m.Handle(Command{Now: 2000, User: "creator", Op: OpPostNotice, Args: args(t, n)})
	if e.Err != nil || len(e.Records) != 1 || e.Records[0].Msg.Type != wire.MsgLive || !e.Records[0].Msg.Body.Live.Live {
		t.Fatalf("notice %+v %v", e.Records, e.Err)
	}
	seq := e.Records[0].Msg.Seq
	m.MarkDurable(seq)
	e = m.Handle(Command{Now: 3000, User: "creator", Op: OpPostNotice, Args: args(t, n)})
	var r wire.NoticeGroup
	if e.Err != nil || len(e.Records) != 0 || wire.Decode(e.Reply, &r) != nil || !r.Dup || r.Seq != seq {
		t.Fatalf("retry posted again: %+v %v", r, e.Err)
	}
	bad := []wire.CreatorNoticeArgs{
		{ID: "", Kind: wire.NoticeLive, Room: "r", Title: "t"},
		{ID: strings.Repeat("x", wire.MaxNoticeID+1), Kind: wire.NoticeLive, Room: "r", Title: "t"},
		{ID: "a", Kind: "party", Room: "r", Title: "t"},
		{ID: "a", Kind: wire.NoticePreview, Room: "r", Title: "t"},
		{ID: "a", Kind: wire.NoticeVideo, Title: "t"},
		{ID: "a", Kind: wire.NoticeLive, Room: "r", Title: strings.Repeat("t", wire.MaxTitleLen+1)},
		{ID: "a", Kind: wire.NoticeLive, Room: "r", Title: "t", Cover: "ftp://x"},
	}
	for _, a := range bad {
		if e := m.Handle(Command{Now: 3000, User: "creator", Op: OpPostNotice, Args: args(t, a)}); codeOf(e) != wire.CodeBadRequest {
			t.Fatalf("%+v: %v", a, e.Err)
		}
	}
	if e := m.Handle(Command{Now: 3000, User: "creator", Op: OpPostNotice, Args: args(t, wire.CreatorNoticeArgs{ID: "v", Kind: wire.NoticePreview, Room: "r", Title: "t", Start: 99})}); e.Err != nil {
		t.Fatal(e.Err)
	}
	u := machine(t)
	if e := u.Handle(Command{Now: 3000, User: "owner", Op: OpPostNotice, Args: args(t, n)}); codeOf(e) != wire.CodeNotAllowed {
		t.Fatalf("notice in a user group: %v", e.Err)
	}
	// The oldest ids are forgotten past MaxNotices.
	for i := 0; i < DefaultFanConfig().MaxNotices+1; i++ {
		m.rememberNotice("k"+strings.Repeat("x", i%3)+string(rune(i)), uint64(i+1))
	}
	if len(m.st.Fan.Notices) != DefaultFanConfig().MaxNotices || len(m.st.Fan.NoticeQ) != DefaultFanConfig().MaxNotices {
		t.Fatalf("notice ids kept: %d", len(m.st.Fan.Notices))
	}
}

func TestStrongAnnouncement(t *testing.T) {
	m := machine(t, "bob", "carol")
	if e := m.Handle(Command{Now: 2000, User: "bob", Op: wire.OpAnnounceStrong, Args: args(t, wire.AnnounceArgs{Group: "g1", Text: "x"})}); codeOf(e) != wire.CodeForbidden {
		t.Fatalf("member strong announcement: %v", e.Err)
	}
	e := m.Handle(Command{Now: 2000, User: "owner", Op: wire.OpAnnounceStrong, Args: args(t, wire.AnnounceArgs{Group: "g1", Text: "停播通知"})})
	if e.Err != nil || len(e.HostEvents) != 1 || strings.Join(e.HostEvents[0].Users, ",") != "bob,carol" || e.HostEvents[0].Text != "停播通知" {
		t.Fatalf("%+v %v", e.HostEvents, e.Err)
	}
	if !m.st.Announcement.Strong || e.Records[0].Msg.Body.System.Event != wire.EventStrongAnnounce {
		t.Fatal("not strong")
	}
	m.MarkDurable(m.LastSeq())
	if e := m.Handle(Command{Now: 3000, User: "bob", Op: wire.OpAckAnnounce, Args: args(t, wire.GroupArgs{Group: "g1"})}); e.Err != nil {
		t.Fatal(e.Err)
	}
	var st wire.AnnounceStateResult
	e = m.Handle(Command{Now: 3000, User: "owner", Op: wire.OpAnnounceState, Args: args(t, wire.GroupArgs{Group: "g1"})})
	if wire.Decode(e.Reply, &st) != nil || st.Acked != 1 || strings.Join(st.Unacked, ",") != "carol" || !st.Announcement.Strong {
		t.Fatalf("state %+v", st)
	}
	// A plain announcement afterwards is not strong.
	m.Handle(Command{Now: 4000, User: "owner", Op: wire.OpAnnounce, Args: args(t, wire.AnnounceArgs{Group: "g1", Text: "plain"})})
	if m.st.Announcement.Strong {
		t.Fatal("plain announcement kept strong")
	}
}

func TestRecall(t *testing.T) {
	m := machine(t, "admin", "bob", "carol")
	m.Handle(Command{Now: 1000, User: "owner", Op: wire.OpSetRole, Args: args(t, wire.TargetArgs{Group: "g1", User: "admin", Role: wire.RoleAdmin})})
	e := send(t, m, 10_000, "bob", "c1", "secret")
	msg := e.Records[0].Msg
	m.MarkDurable(m.LastSeq())
	win := DefaultFanConfig().RecallWindow
	recall := func(user string, now int64, seq uint64, m0 *wire.Message) Effects {
		return m.Handle(Command{Now: now, User: user, Op: wire.OpRecall, Args: args(t, wire.RecallArgs{Group: "g1", Seq: seq}), Host: args(t, HostFacts{Message: m0})})
	}
	sys := wire.Message{Seq: 1, Type: wire.MsgSystem, Body: wire.Body{System: &wire.SystemBody{Event: "created"}}}
	cases := []struct {
		name string
		user string
		now  int64
		seq  uint64
		m    *wire.Message
		code wire.Code
	}{
		{"another member", "carol", 10_001, msg.Seq, &msg, wire.CodeForbidden},
		{"sender after the window", "bob", 10_000 + win + 1, msg.Seq, &msg, wire.CodeRecallWindow},
		{"no such message", "bob", 10_001, 999, nil, wire.CodeNotFound},
		{"engine read another seq", "bob", 10_001, msg.Seq, &sys, wire.CodeNotFound},
		{"a system event", "owner", 10_001, 1, &sys, wire.CodeBadRequest},
		{"non-member", "eve", 10_001, msg.Seq, &msg, wire.CodeNotMember},
		{"sender within the window", "bob", 10_000 + win, msg.Seq, &msg, 0},
	}
	for _, c := range cases {
		e := recall(c.user, c.now, c.seq, c.m)
		if codeOf(e) != c.code {
			t.Fatalf("%s: %v want %v", c.name, e.Err, c.code)
		}
		if c.code != 0 {
			continue
		}
		if len(e.Records) != 1 || e.Records[0].Msg.Body.System.Event != wire.EventRecalled || e.Records[0].Msg.Body.System.Text != "6" {
			t.Fatalf("recall records %+v", e.Records)
		}
		if len(e.Rewrites) != 1 {
			t.Fatalf("rewrites %+v", e.Rewrites)
		}
		tomb := e.Rewrites[0].Msg
		if tomb.Seq != msg.Seq || tomb.Time != msg.Time || tomb.Type != wire.MsgRecalled || tomb.Body.Text != nil || tomb.Body.Recalled.By != "bob" || tomb.CMID != "c1" {
			t.Fatalf("tombstone %+v", tomb)
		}
		if e.ReplyAfter != e.Records[0].Msg.Seq {
			t.Fatal("recall acknowledged before it is durable")
		}
	}
	// Admins recall anyone's, at any time; a tombstone cannot be recalled again.
	e = send(t, m, 20_000, "owner", "c2", "owner's")
	m.MarkDurable(m.LastSeq())
	if e := recall("admin", 20_000+10*win, e.Records[0].Msg.Seq, &e.Records[0].Msg); e.Err != nil {
		t.Fatal(e.Err)
	}
	tomb := wire.Message{Seq: msg.Seq, Type: wire.MsgRecalled, Body: wire.Body{Recalled: &wire.RecalledBody{By: "bob"}}}
	if e := recall("owner", 30_000, msg.Seq, &tomb); codeOf(e) != wire.CodeConflict {
		t.Fatalf("recall twice: %v", e.Err)
	}
	// A recalled mention no longer counts.
	e = m.Handle(Command{Now: 35_000, User: "bob", Op: wire.OpSend, Args: args(t, wire.SendArgs{Group: "g1", Type: wire.MsgText, Body: mention("psst", "carol")})})
	m.MarkDurable(m.LastSeq())
	if len(m.mentionsOf("carol")) != 1 {
		t.Fatal("mention not counted")
	}
	if e := recall("bob", 35_001, e.Records[0].Msg.Seq, &e.Records[0].Msg); e.Err != nil {
		t.Fatal(e.Err)
	}
	if len(m.mentionsOf("carol")) != 0 {
		t.Fatal("a recalled mention still counts")
	}
	// Not yet durable.
	e = send(t, m, 40_000, "bob", "c3", "fresh")
	if e := recall("bob", 40_001, e.Records[0].Msg.Seq, &e.Records[0].Msg); codeOf(e) != wire.CodeConflict {
		t.Fatalf("recall before durable: %v", e.Err)
	}
}
