package actors

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/qunchat/qun/wire"
)

func args(t testing.TB, v any) []byte {
	t.Helper()
	b, err := wire.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func text(s string) wire.Body { return wire.Body{Text: &wire.TextBody{Text: s}} }

// machine returns a created group "g1" owned by "owner", everything durable.
func machine(t testing.TB, members ...string) *GroupMachine {
	t.Helper()
	m := NewGroupMachine("g1", DefaultGroupConfig())
	e := m.Handle(Command{Now: 1000, User: "owner", Op: wire.OpCreateGroup, Args: args(t, wire.CreateGroupArgs{Name: "g"})})
	if e.Err != nil {
		t.Fatal(e.Err)
	}
	for _, u := range members {
		if e := m.Handle(Command{Now: 1000, User: u, Op: wire.OpJoin, Args: args(t, wire.JoinArgs{Group: "g1"})}); e.Err != nil {
			t.Fatal(e.Err)
		}
	}
	m.MarkDurable(m.LastSeq())
	return m
}

func send(t testing.TB, m *GroupMachine, now int64, user, cmid, s string) Effects {
	t.Helper()
	return m.Handle(Command{Now: now, User: user, Op: wire.OpSend, Args: args(t, wire.SendArgs{Group: "g1", CMID: cmid, Type: wire.MsgText, Body: text(s)})})
}

func TestGroupCommands(t *testing.T) {
	long := strings.Repeat("x", DefaultGroupConfig().MaxText+1)
	cases := []struct {
		name string
		user string
		op   wire.Op
		args any
		code wire.Code // 0 = success
		recs int       // records written
	}{
		{"member sends", "bob", wire.OpSend, wire.SendArgs{Group: "g1", CMID: "1", Type: wire.MsgText, Body: text("hi")}, 0, 1},
		{"owner sends", "owner", wire.OpSend, wire.SendArgs{Group: "g1", Type: wire.MsgText, Body: text("hi")}, 0, 1},
		{"non-member sends", "eve", wire.OpSend, wire.SendArgs{Group: "g1", Type: wire.MsgText, Body: text("hi")}, wire.CodeNotMember, 0},
		{"empty text", "bob", wire.OpSend, wire.SendArgs{Group: "g1", Type: wire.MsgText, Body: text("")}, wire.CodeBadRequest, 0},
		{"text too long", "bob", wire.OpSend, wire.SendArgs{Group: "g1", Type: wire.MsgText, Body: text(long)}, wire.CodeBadRequest, 0},
		{"system type from client", "bob", wire.OpSend, wire.SendArgs{Group: "g1", Type: wire.MsgSystem, Body: wire.Body{System: &wire.SystemBody{Event: "joined"}}}, wire.CodeBadRequest, 0},
		{"type and body disagree", "bob", wire.OpSend, wire.SendArgs{Group: "g1", Type: wire.MsgText}, wire.CodeBadRequest, 0},
		{"cmid too long", "bob", wire.OpSend, wire.SendArgs{Group: "g1", CMID: strings.Repeat("c", MaxCMIDLen+1), Type: wire.MsgText, Body: text("x")}, wire.CodeBadRequest, 0},
		{"join again", "bob", wire.OpJoin, wire.JoinArgs{Group: "g1"}, wire.CodeAlreadyMember, 0},
		{"newcomer joins", "carol", wire.OpJoin, wire.JoinArgs{Group: "g1"}, 0, 1},
		{"member leaves", "bob", wire.OpLeave, wire.GroupArgs{Group: "g1"}, 0, 1},
		{"owner cannot leave", "owner", wire.OpLeave, wire.GroupArgs{Group: "g1"}, wire.CodeForbidden, 0},
		{"non-member leaves", "eve", wire.OpLeave, wire.GroupArgs{Group: "g1"}, wire.CodeNotMember, 0},
		{"create twice", "owner", wire.OpCreateGroup, wire.CreateGroupArgs{Name: "again"}, wire.CodeConflict, 0},
		{"non-member history", "eve", wire.OpHistory, wire.HistoryArgs{Group: "g1"}, wire.CodeNotMember, 0},
		{"non-member members", "eve", wire.OpMembers, wire.MembersArgs{Group: "g1"}, wire.CodeNotMember, 0},
		{"info by anyone", "eve", wire.OpGroupInfo, wire.GroupArgs{Group: "g1"}, 0, 0},
		{"unknown op", "bob", wire.Op(999), wire.GroupArgs{Group: "g1"}, wire.CodeUnknownOp, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := machine(t, "bob")
			before := m.LastSeq()
			e := m.Handle(Command{Now: 2000, User: c.user, Op: c.op, Args: args(t, c.args)})
			var code wire.Code
			if e.Err != nil {
				code = e.Err.Code
			}
			if code != c.code {
				t.Fatalf("code %v (%v), want %v", code, e.Err, c.code)
			}
			if len(e.Records) != c.recs || m.LastSeq() != before+uint64(c.recs) {
				t.Fatalf("records %d, seq %d→%d, want %d", len(e.Records), before, m.LastSeq(), c.recs)
			}
			if c.recs > 0 && e.ReplyAfter != m.LastSeq() {
				t.Fatalf("reply after %d, want %d (ack only once durable)", e.ReplyAfter, m.LastSeq())
			}
		})
	}
}

func TestGroupGarbageArgs(t *testing.T) {
	m := machine(t, "bob")
	for _, b := range [][]byte{{0xc1}, {0xdd, 0xff, 0xff, 0xff, 0xff}, {0x81, 0xa1, 'g'}, []byte("garbage")} {
		for _, op := range []wire.Op{wire.OpSend, wire.OpJoin, wire.OpHistory, wire.OpMembers, wire.OpCreateGroup} {
			e := m.Handle(Command{Now: 1, User: "bob", Op: op, Args: b})
			if e.Err == nil || e.Err.Code != wire.CodeBadRequest {
				t.Fatalf("op %s args %x: %v", op, b, e.Err)
			}
		}
	}
}

func TestSeqsAreContiguousAndTimeMonotonic(t *testing.T) {
	m := machine(t, "bob")
	last := m.LastSeq()
	var lastTime int64
	for i := 0; i < 100; i++ {
		now := int64(5000 - i) // the clock goes backwards
		e := send(t, m, now, "bob", fmt.Sprint(i), "x")
		r := e.Records[0].Msg
		if r.Seq != last+1 {
			t.Fatalf("seq %d after %d", r.Seq, last)
		}
		if r.Time < lastTime {
			t.Fatalf("time went back: %d < %d", r.Time, lastTime)
		}
		last, lastTime = r.Seq, r.Time
	}
}

func TestSendIsIdempotentOnCMID(t *testing.T) {
	m := machine(t, "bob")
	first := send(t, m, 2000, "bob", "c1", "hello")
	seq := first.Records[0].Msg.Seq
	// A retry before the first is durable waits for it, and writes nothing.
	retry := send(t, m, 2001, "bob", "c1", "hello")
	if len(retry.Records) != 0 || retry.ReplyAfter != seq {
		t.Fatalf("retry before durable: %+v", retry)
	}
	m.MarkDurable(seq)
	retry = send(t, m, 2002, "bob", "c1", "hello")
	var r wire.SendResult
	if err := wire.Decode(retry.Reply, &r); err != nil {
		t.Fatal(err)
	}
	if len(retry.Records) != 0 || retry.ReplyAfter != 0 || r.Seq != seq || !r.Dup {
		t.Fatalf("retry after durable: %+v %+v", retry, r)
	}
	// Same cmid from another sender is another message.
	if e := send(t, m, 2003, "owner", "c1", "hello"); len(e.Records) != 1 {
		t.Fatal("cmid is per sender")
	}
	// Past the window the pair is forgotten.
	late := DefaultGroupConfig().DedupWindow + 3000
	for i := 0; i < 100; i++ { // enough entries to trigger expiry
		send(t, m, late, "owner", fmt.Sprint("x", i), "y")
	}
	if e := send(t, m, late, "bob", "c1", "hello"); len(e.Records) != 1 {
		t.Fatal("cmid remembered past the window")
	}
}

func TestDedupBoundedByCount(t *testing.T) {
	cfg := DefaultGroupConfig()
	cfg.DedupMax = 50
	m := NewGroupMachine("g1", cfg)
	m.Handle(Command{Now: 1, User: "o", Op: wire.OpCreateGroup, Args: args(t, wire.CreateGroupArgs{Name: "g"})})
	for i := 0; i < 500; i++ {
		send(t, m, 2, "o", fmt.Sprint(i), "x")
	}
	if len(m.dedup) > cfg.DedupMax+64 {
		t.Fatalf("dedup holds %d entries", len(m.dedup))
	}
}

func TestGroupFull(t *testing.T) {
	cfg := DefaultGroupConfig()
	cfg.MaxMembers = 3
	m := NewGroupMachine("g1", cfg)
	m.Handle(Command{Now: 1, User: "o", Op: wire.OpCreateGroup, Args: args(t, wire.CreateGroupArgs{Name: "g"})})
	for i, want := range []wire.Code{0, 0, wire.CodeGroupFull} {
		e := m.Handle(Command{Now: 1, User: fmt.Sprint("u", i), Op: wire.OpJoin, Args: args(t, wire.JoinArgs{Group: "g1"})})
		var got wire.Code
		if e.Err != nil {
			got = e.Err.Code
		}
		if got != want {
			t.Fatalf("join %d: %v want %v", i, e.Err, want)
		}
	}
	// Host facts raise the limit at creation.
	m2 := NewGroupMachine("g2", cfg)
	m2.Handle(Command{Now: 1, User: "o", Op: wire.OpCreateGroup, Args: args(t, wire.CreateGroupArgs{Name: "g"}), Host: args(t, HostFacts{MaxMembers: 2000})})
	if m2.info().MaxMember != 2000 {
		t.Fatalf("max members %d", m2.info().MaxMember)
	}
}

func TestHistoryQueries(t *testing.T) {
	m := machine(t, "bob") // seqs 1..2
	for i := 0; i < 10; i++ {
		send(t, m, 2000, "bob", "", "x")
	}
	m.MarkDurable(10) // 11 and 12 are not durable yet
	q := func(a wire.HistoryArgs) *HistoryQuery {
		a.Group = "g1"
		e := m.Handle(Command{User: "bob", Op: wire.OpHistory, Args: args(t, a)})
		if e.Err != nil {
			t.Fatal(e.Err)
		}
		return e.Read
	}
	if r := q(wire.HistoryArgs{}); !r.Reverse || r.From != 1 || r.To != 10 || r.Limit != 50 {
		t.Fatalf("latest: %+v (must stop at the durable seq)", r)
	}
	if r := q(wire.HistoryArgs{Before: 5, Limit: 2}); !r.Reverse || r.To != 4 || r.Limit != 2 {
		t.Fatalf("before: %+v", r)
	}
	if r := q(wire.HistoryArgs{After: wire.After(0), Limit: 1000}); r.Reverse || r.From != 1 || r.To != 10 || r.Limit != DefaultGroupConfig().PageMax {
		t.Fatalf("after 0: %+v", r)
	}
	if r := q(wire.HistoryArgs{After: wire.After(7)}); r.From != 8 || r.To != 10 {
		t.Fatalf("after 7: %+v", r)
	}
}

func TestMembersPaging(t *testing.T) {
	var users []string
	for i := 0; i < 25; i++ {
		users = append(users, fmt.Sprintf("u%02d", i))
	}
	m := machine(t, users...)
	var seen []string
	after := ""
	for page := 0; page < 10; page++ {
		e := m.Handle(Command{User: "u00", Op: wire.OpMembers, Args: args(t, wire.MembersArgs{Group: "g1", After: after, Limit: 10})})
		var r wire.MembersResult
		if err := wire.Decode(e.Reply, &r); err != nil {
			t.Fatal(err)
		}
		if r.Total != 26 {
			t.Fatalf("total %d", r.Total)
		}
		for _, mm := range r.Members {
			seen = append(seen, mm.User)
		}
		if r.Next == "" {
			break
		}
		after = r.Next
	}
	if len(seen) != 26 || seen[0] != "owner" && seen[25] != "owner" {
		t.Fatalf("paged %d members: %v", len(seen), seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] <= seen[i-1] {
			t.Fatalf("not ordered: %v", seen)
		}
	}
}

// TestRecoveryEqualsLive replays a journal (with and without a snapshot in
// the middle) and compares with the live machine.
func TestRecoveryEqualsLive(t *testing.T) {
	cfg := DefaultGroupConfig()
	cfg.SnapshotEvery = 7
	live := NewGroupMachine("g1", cfg)
	var journal [][]byte
	var snap []byte
	var snapSeq uint64
	run := func(c Command) {
		e := live.Handle(c)
		for _, r := range e.Records {
			b, err := wire.Marshal(&r)
			if err != nil {
				t.Fatal(err)
			}
			journal = append(journal, b)
		}
		if live.SnapshotDue() {
			var err error
			if snap, snapSeq, err = live.Snapshot(); err != nil {
				t.Fatal(err)
			}
		}
	}
	run(Command{Now: 1, User: "o", Op: wire.OpCreateGroup, Args: args(t, wire.CreateGroupArgs{Name: "g"})})
	for i := 0; i < 20; i++ {
		u := fmt.Sprint("u", i%5)
		run(Command{Now: int64(10 + i), User: u, Op: wire.OpJoin, Args: args(t, wire.JoinArgs{Group: "g1"})})
		run(Command{Now: int64(10 + i), User: u, Op: wire.OpSend, Args: args(t, wire.SendArgs{Group: "g1", CMID: fmt.Sprint(i), Type: wire.MsgText, Body: text("x")})})
		if i%4 == 3 {
			run(Command{Now: int64(10 + i), User: u, Op: wire.OpLeave, Args: args(t, wire.GroupArgs{Group: "g1"})})
		}
	}
	for _, withSnap := range []bool{false, true} {
		r := NewGroupMachine("g1", cfg)
		from := 0
		if withSnap {
			if err := r.Restore(snap); err != nil {
				t.Fatal(err)
			}
			from = int(snapSeq)
		}
		for _, b := range journal[from:] {
			if err := r.Replay(b); err != nil {
				t.Fatal(err)
			}
		}
		if r.LastSeq() != live.LastSeq() || r.Durable() != live.LastSeq() || fmt.Sprint(r.info()) != fmt.Sprint(live.info()) {
			t.Fatalf("snapshot=%v: recovered %+v, live %+v", withSnap, r.info(), live.info())
		}
		for u, m := range live.st.Members {
			if rm := r.st.Members[u]; rm == nil || !reflect.DeepEqual(*rm, *m) {
				t.Fatalf("member %s differs", u)
			}
		}
		if len(r.dedup) != len(live.dedup) {
			t.Fatalf("dedup %d vs %d", len(r.dedup), len(live.dedup))
		}
	}
	// A journal with a hole is refused.
	r := NewGroupMachine("g1", cfg)
	if err := r.Replay(journal[0]); err != nil {
		t.Fatal(err)
	}
	if err := r.Replay(journal[2]); err == nil {
		t.Fatal("replay accepted a gap")
	}
}

func TestUserMachine(t *testing.T) {
	u := NewUserMachine("bob")
	do := func(user string, op wire.Op, a any) UserEffects {
		return u.Handle(Command{User: user, Op: op, Args: args(t, a)})
	}
	if e := do("eve", OpUserGroups, wire.Empty{}); e.Err == nil || e.Err.Code != wire.CodeForbidden {
		t.Fatalf("another user's grain: %v", e.Err)
	}
	if e := do("bob", OpUserAdd, UserGroupArgs{Group: "g1", Name: "one", Seq: 3}); e.Err != nil || e.State == nil {
		t.Fatalf("add: %+v", e)
	}
	if e := do("bob", OpUserAdd, UserGroupArgs{Group: "g1", Name: "one", Seq: 3}); e.State != nil {
		t.Fatal("idempotent add wrote state")
	}
	if e := do("bob", wire.OpMarkRead, wire.MarkReadArgs{Group: "g1", Seq: 10}); e.State == nil {
		t.Fatal("mark read did not persist")
	}
	if e := do("bob", wire.OpMarkRead, wire.MarkReadArgs{Group: "g1", Seq: 5}); e.State != nil {
		t.Fatal("read position moved backwards")
	}
	if e := do("bob", wire.OpMarkRead, wire.MarkReadArgs{Group: "g9", Seq: 5}); e.Err == nil || e.Err.Code != wire.CodeNotMember {
		t.Fatal("mark read in a group not joined")
	}
	e := do("bob", OpUserAdd, UserGroupArgs{Group: "g2", Name: "two"})
	u2 := NewUserMachine("bob")
	if err := u2.Restore(e.State); err != nil {
		t.Fatal(err)
	}
	var res UserGroupsResult
	if err := wire.Decode(u2.Handle(Command{User: "bob", Op: wire.OpMyGroups}).Reply, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Groups) != 2 || res.Groups[0].Group != "g1" || res.Groups[0].ReadSeq != 10 {
		t.Fatalf("restored %+v", res.Groups)
	}
	do("bob", OpUserRemove, UserGroupArgs{Group: "g1"})
	if _, ok := u.st.Groups["g1"]; ok {
		t.Fatal("remove")
	}
}
