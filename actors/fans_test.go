package actors

import (
	"strings"
	"testing"

	"github.com/qunchat/qun/wire"
)

// fanMachine returns a fan group "g1" owned by "creator" with threshold t
// and join policy j, everything durable.
func fanMachine(t *testing.T, thr wire.Threshold, j wire.JoinPolicy) *GroupMachine {
	t.Helper()
	m := NewGroupMachine("g1", DefaultGroupConfig())
	e := m.Handle(Command{Now: 1000, User: "creator", Op: wire.OpCreateFanGroup, Args: args(t, wire.CreateFanGroupArgs{Name: "fans", Join: j, Threshold: thr, Order: 2, Avatar: "https://a/x.png"}),
		Host: args(t, HostFacts{MaxMembers: 3})})
	if e.Err != nil {
		t.Fatal(e.Err)
	}
	m.MarkDurable(m.LastSeq())
	return m
}

func fanHost(t *testing.T, creator string, follows bool, since int64, level int) []byte {
	return args(t, HostFacts{Fan: &FanFacts{Creator: creator, Follows: follows, Since: since, Level: level}})
}

func TestFanThresholds(t *testing.T) {
	now := int64(100 * day)
	cases := []struct {
		name    string
		thr     wire.Threshold
		join    wire.JoinPolicy
		op      wire.Op
		follows bool
		days    int64 // followed for this many days (ms precision: days*day)
		level   int
		creator string
		code    wire.Code
		msg     string // part of the refusal
	}{
		{"no threshold", wire.Threshold{}, wire.JoinOpen, wire.OpJoin, false, 0, 0, "creator", 0, ""},
		{"follow met", wire.Threshold{Follow: true}, wire.JoinOpen, wire.OpJoin, true, 0, 0, "creator", 0, ""},
		{"follow not met", wire.Threshold{Follow: true}, wire.JoinOpen, wire.OpJoin, false, 0, 0, "creator", wire.CodeThresholdNotMet, "follow: follow creator"},
		{"days met", wire.Threshold{FollowDays: 10}, wire.JoinOpen, wire.OpJoin, true, 10, 0, "creator", 0, ""},
		{"days not met", wire.Threshold{FollowDays: 10}, wire.JoinOpen, wire.OpJoin, true, 3, 0, "creator", wire.CodeThresholdNotMet, "for 7 more days"},
		{"days need a follow", wire.Threshold{FollowDays: 10}, wire.JoinOpen, wire.OpJoin, false, 30, 0, "creator", wire.CodeThresholdNotMet, "follow: follow creator"},
		{"one more day", wire.Threshold{FollowDays: 2}, wire.JoinOpen, wire.OpJoin, true, 1, 0, "creator", wire.CodeThresholdNotMet, "for 1 more day "},
		{"level met", wire.Threshold{Level: 5}, wire.JoinOpen, wire.OpJoin, false, 0, 5, "creator", 0, ""},
		{"level not met", wire.Threshold{Level: 5}, wire.JoinOpen, wire.OpJoin, false, 0, 4, "creator", wire.CodeThresholdNotMet, "level: reach fan-club level 5"},
		{"all met", wire.Threshold{FollowDays: 7, Level: 3}, wire.JoinOpen, wire.OpJoin, true, 8, 3, "creator", 0, ""},
		{"days ok, level not", wire.Threshold{FollowDays: 7, Level: 3}, wire.JoinOpen, wire.OpJoin, true, 8, 2, "creator", wire.CodeThresholdNotMet, "level"},
		{"facts of another creator", wire.Threshold{Follow: true}, wire.JoinOpen, wire.OpJoin, true, 0, 0, "other", wire.CodeUnavailable, ""},
		{"met, approval: apply queues", wire.Threshold{Follow: true}, wire.JoinApproval, wire.OpApply, true, 0, 0, "creator", 0, ""},
		{"not met, approval: apply refused", wire.Threshold{Follow: true}, wire.JoinApproval, wire.OpApply, false, 0, 0, "creator", wire.CodeThresholdNotMet, "follow"},
		{"met, approval: join refused", wire.Threshold{Follow: true}, wire.JoinApproval, wire.OpJoin, true, 0, 0, "creator", wire.CodeNotAllowed, "approval"},
		{"met, invite only", wire.Threshold{Follow: true}, wire.JoinInvite, wire.OpJoin, true, 0, 0, "creator", wire.CodeNotAllowed, "invite-only"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := fanMachine(t, c.thr, c.join)
			var a any = wire.JoinArgs{Group: "g1"}
			if c.op == wire.OpApply {
				a = wire.ApplyArgs{Group: "g1"}
			}
			e := m.Handle(Command{Now: now, User: "fan", Op: c.op, Args: args(t, a), Host: fanHost(t, c.creator, c.follows, now-c.days*day, c.level)})
			if got := codeOf(e); got != c.code {
				t.Fatalf("code %v, want %v (%v)", got, c.code, e.Err)
			}
			if c.msg != "" && !strings.Contains(e.Err.Msg, c.msg) {
				t.Fatalf("refusal %q does not say %q", e.Err.Msg, c.msg)
			}
			if c.code != 0 && len(e.Records) > 0 {
				t.Fatal("a refused join wrote records")
			}
		})
	}
}

func codeOf(e Effects) wire.Code {
	if e.Err == nil {
		return 0
	}
	return e.Err.Code
}

func TestFanCodeJoinStillNeedsThreshold(t *testing.T) {
	m := fanMachine(t, wire.Threshold{Level: 2}, wire.JoinInvite)
	e := m.Handle(Command{Now: 2000, User: "creator", Op: wire.OpCreateInvite, Args: args(t, wire.CreateInviteArgs{Group: "g1"}), Host: args(t, HostFacts{Code: "g1-ABC"})})
	if e.Err != nil {
		t.Fatal(e.Err)
	}
	e = m.Handle(Command{Now: 3000, User: "fan", Op: wire.OpJoin, Args: args(t, wire.JoinArgs{Group: "g1", Code: "g1-ABC"}), Host: fanHost(t, "creator", false, 0, 1)})
	if codeOf(e) != wire.CodeThresholdNotMet {
		t.Fatalf("code join under the level: %v", e.Err)
	}
	e = m.Handle(Command{Now: 3000, User: "fan", Op: wire.OpJoin, Args: args(t, wire.JoinArgs{Group: "g1", Code: "g1-ABC"}), Host: fanHost(t, "creator", false, 0, 2)})
	if e.Err != nil {
		t.Fatal(e.Err)
	}
}

func TestFanTighteningKeepsMembers(t *testing.T) {
	m := fanMachine(t, wire.Threshold{}, wire.JoinOpen)
	if e := m.Handle(Command{Now: 2000, User: "fan", Op: wire.OpJoin, Args: args(t, wire.JoinArgs{Group: "g1"}), Host: fanHost(t, "creator", false, 0, 0)}); e.Err != nil {
		t.Fatal(e.Err)
	}
	lvl := 9
	e := m.Handle(Command{Now: 3000, User: "creator", Op: wire.OpSetFanGroup, Args: args(t, wire.SetFanGroupArgs{Group: "g1", Threshold: &wire.Threshold{Level: lvl}})})
	if e.Err != nil {
		t.Fatal(e.Err)
	}
	if !m.IsMember("fan") {
		t.Fatal("tightening the threshold evicted a member")
	}
	if m.st.Fan.Threshold.Level != lvl {
		t.Fatal("threshold not applied")
	}
	// Only the owner changes fan settings; a plain group has none.
	if e := m.Handle(Command{Now: 3000, User: "fan", Op: wire.OpSetFanGroup, Args: args(t, wire.SetFanGroupArgs{Group: "g1", Order: permPtr(1)})}); codeOf(e) != wire.CodeForbidden {
		t.Fatalf("member set fan settings: %v", e.Err)
	}
	u := machine(t)
	if e := u.Handle(Command{Now: 3000, User: "owner", Op: wire.OpSetFanGroup, Args: args(t, wire.SetFanGroupArgs{Group: "g1", Order: permPtr(1)})}); codeOf(e) != wire.CodeNotAllowed {
		t.Fatalf("fan settings on a user group: %v", e.Err)
	}
	bad := []wire.SetFanGroupArgs{{Group: "g1"}, {Group: "g1", Order: permPtr(-1)}, {Group: "g1", Order: permPtr(wire.MaxFanOrder + 1)},
		{Group: "g1", Threshold: &wire.Threshold{FollowDays: wire.MaxFollowDays + 1}}, {Group: "g1", Threshold: &wire.Threshold{Level: -1}}}
	for _, a := range bad {
		if e := m.Handle(Command{Now: 3000, User: "creator", Op: wire.OpSetFanGroup, Args: args(t, a)}); codeOf(e) != wire.CodeBadRequest {
			t.Fatalf("%+v: %v", a, e.Err)
		}
	}
}

func TestFanCard(t *testing.T) {
	m := fanMachine(t, wire.Threshold{FollowDays: 7, Level: 2}, wire.JoinApproval)
	card := func(user string, host []byte) wire.FanCard {
		e := m.Handle(Command{Now: 30 * day, User: user, Op: OpFanCard, Host: host})
		if e.Err != nil {
			t.Fatal(e.Err)
		}
		var c wire.FanCard
		if err := wire.Decode(e.Reply, &c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := card("fan", fanHost(t, "creator", true, 0, 2))
	if !c.MayJoin || c.Members != 1 || c.MaxMembers != 3 || c.Order != 2 || c.Avatar != "https://a/x.png" ||
		c.Words != "followed the creator for 7 days and fan-club level 2+; needs approval" {
		t.Fatalf("card %+v", c)
	}
	c = card("fan", fanHost(t, "creator", true, 28*day, 2))
	if c.MayJoin || !strings.Contains(c.Why, "5 more days") {
		t.Fatalf("card %+v", c)
	}
	c = card("creator", fanHost(t, "creator", false, 0, 0))
	if c.MayJoin || !c.Member {
		t.Fatalf("owner's card %+v", c)
	}
	u := machine(t)
	if e := u.Handle(Command{Now: 1, User: "x", Op: OpFanCard}); codeOf(e) != wire.CodeNotFound {
		t.Fatalf("card of a user group: %v", e.Err)
	}
	cs := []wire.FanCard{{Group: "c", Order: 2}, {Group: "b", Order: 1, Name: "z"}, {Group: "a", Order: 1, Name: "z"}}
	SortFanCards(cs)
	if cs[0].Group != "a" || cs[1].Group != "b" || cs[2].Group != "c" {
		t.Fatalf("order %+v", cs)
	}
}

func TestFanStateSurvivesReplayAndSnapshot(t *testing.T) {
	var journal [][]byte
	m := NewGroupMachine("g1", DefaultGroupConfig())
	m2 := NewGroupMachine("g1", DefaultGroupConfig())
	do := func(e Effects) {
		t.Helper()
		if e.Err != nil {
			t.Fatal(e.Err)
		}
		for i := range e.Records {
			_, entry, err := encodeRecord(&e.Records[i])
			if err != nil {
				t.Fatal(err)
			}
			journal = append(journal, entry)
		}
		m.MarkDurable(m.LastSeq())
	}
	do(m.Handle(Command{Now: 1000, User: "creator", Op: wire.OpCreateFanGroup, Args: args(t, wire.CreateFanGroupArgs{Name: "fans", Threshold: wire.Threshold{Follow: true}, Order: 2})}))
	do(m.Handle(Command{Now: 2000, User: "creator", Op: wire.OpSetDivert, Args: args(t, wire.SetDivertArgs{Group: "g1", Policy: wire.DivertBlock})}))
	do(m.Handle(Command{Now: 3000, User: "creator", Op: OpPostNotice, Args: args(t, wire.CreatorNoticeArgs{ID: "n1", Kind: wire.NoticeLive, Room: "r1", Title: "on air"})}))
	do(m.Handle(Command{Now: 4000, User: "creator", Op: wire.OpAnnounceStrong, Args: args(t, wire.AnnounceArgs{Group: "g1", Text: "read me"})}))
	for _, b := range journal {
		if err := m2.Replay(b); err != nil {
			t.Fatal(err)
		}
	}
	snap, _, err := m2.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	m3 := NewGroupMachine("g1", DefaultGroupConfig())
	if err := m3.Restore(snap); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*GroupMachine{m2, m3} {
		f := r.st.Fan
		if f.Kind != wire.KindFan || !f.Threshold.Follow || f.Order != 2 || f.Divert != wire.DivertBlock || f.Notices["n1"] == 0 ||
			!f.Strong || r.st.Announcement == nil || !r.st.Announcement.Strong {
			t.Fatalf("recovered fan state %+v", f)
		}
	}
}
