package actors

import (
	"reflect"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/qunchat/qun/wire"
)

const room1 = "room-s1"

// roomMachine returns open room "room-s1" owned by "owner" with admin
// "adm", everything durable.
func roomMachine(t testing.TB, cfg GroupConfig) *GroupMachine {
	t.Helper()
	m := NewGroupMachine(room1, cfg)
	if e := m.Handle(Command{Now: 1000, User: "owner", Op: wire.OpOpenRoom, Args: args(t, wire.OpenRoomArgs{Stream: "s1"})}); e.Err != nil {
		t.Fatal(e.Err)
	}
	if e := m.Handle(Command{Now: 1000, User: "owner", Op: wire.OpSetRole, Args: args(t, wire.TargetArgs{Group: room1, User: "adm", Role: wire.RoleAdmin})}); e.Err != nil {
		t.Fatal(e.Err)
	}
	m.MarkDurable(m.LastSeq())
	return m
}

func roomSend(t testing.TB, m *GroupMachine, now int64, user string, lane wire.Lane, s string) Effects {
	t.Helper()
	return m.Handle(Command{Now: now, User: user, Op: wire.OpRoomSend, Args: args(t, wire.RoomSendArgs{Group: room1, Type: wire.MsgText, Body: text(s), Lane: lane})})
}

func code(e Effects) wire.Code {
	if e.Err != nil {
		return e.Err.Code
	}
	return 0
}

func TestRoomCommands(t *testing.T) {
	one := 1
	cases := []struct {
		name string
		user string
		op   wire.Op
		args any
		code wire.Code
		recs int
		lane wire.Lane // of the record written
	}{
		{"viewer chatters", "v1", wire.OpRoomSend, wire.RoomSendArgs{Group: room1, Type: wire.MsgText, Body: text("hi"), Lane: wire.LaneChatter}, 0, 1, wire.LaneChatter},
		{"viewer sends a gift", "v1", wire.OpRoomSend, wire.RoomSendArgs{Group: room1, Type: wire.MsgText, Body: text("🎁"), Lane: wire.LaneHigh}, 0, 1, wire.LaneHigh},
		{"plain send by a viewer is chatter", "v1", wire.OpSend, wire.SendArgs{Group: room1, Type: wire.MsgText, Body: text("hi")}, 0, 1, wire.LaneChatter},
		{"plain send by an admin is high", "adm", wire.OpSend, wire.SendArgs{Group: room1, Type: wire.MsgText, Body: text("hi")}, 0, 1, wire.LaneHigh},
		{"unknown lane", "v1", wire.OpRoomSend, wire.RoomSendArgs{Group: room1, Type: wire.MsgText, Body: text("x"), Lane: 9}, wire.CodeBadRequest, 0, 0},
		{"empty text", "v1", wire.OpRoomSend, wire.RoomSendArgs{Group: room1, Type: wire.MsgText, Body: text("")}, wire.CodeBadRequest, 0, 0},
		{"viewer watches", "v1", wire.OpWatchRoom, wire.GroupArgs{Group: room1}, 0, 0, 0},
		{"viewer cannot close", "v1", wire.OpCloseRoom, wire.GroupArgs{Group: room1}, wire.CodeNotMember, 0, 0},
		{"admin closes", "adm", wire.OpCloseRoom, wire.GroupArgs{Group: room1}, 0, 1, wire.LaneHigh},
		{"viewer cannot configure", "v1", wire.OpRoomConfig, wire.RoomConfigArgs{Group: room1, SlowModeS: &one}, wire.CodeNotMember, 0, 0},
		{"admin sets slow mode", "adm", wire.OpRoomConfig, wire.RoomConfigArgs{Group: room1, SlowModeS: &one}, 0, 1, wire.LaneHigh},
		{"nothing to configure", "adm", wire.OpRoomConfig, wire.RoomConfigArgs{Group: room1}, wire.CodeBadRequest, 0, 0},
		{"rooms are not joined", "v1", wire.OpJoin, wire.JoinArgs{Group: room1}, wire.CodeNotAllowed, 0, 0},
		{"viewer reads history", "v1", wire.OpHistory, wire.HistoryArgs{Group: room1}, 0, 0, 0},
		{"admin mutes a viewer", "adm", wire.OpMute, wire.TargetArgs{Group: room1, User: "v1", Duration: 60000}, 0, 1, wire.LaneHigh},
		{"viewer cannot mute", "v1", wire.OpMute, wire.TargetArgs{Group: room1, User: "v2", Duration: 60000}, wire.CodeNotMember, 0, 0},
		{"open again by the owner", "owner", wire.OpOpenRoom, wire.OpenRoomArgs{Stream: "s1"}, 0, 0, 0},
		{"open by another owner", "v1", wire.OpOpenRoom, wire.OpenRoomArgs{Stream: "s1"}, wire.CodeConflict, 0, 0},
		{"stream of another room", "owner", wire.OpOpenRoom, wire.OpenRoomArgs{Stream: "s2"}, wire.CodeBadRequest, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := roomMachine(t, DefaultGroupConfig())
			before := m.LastSeq()
			e := m.Handle(Command{Now: 2000, User: c.user, Op: c.op, Args: args(t, c.args)})
			if code(e) != c.code {
				t.Fatalf("code %v, want %v (%v)", code(e), c.code, e.Err)
			}
			if len(e.Records) != c.recs || m.LastSeq() != before+uint64(c.recs) {
				t.Fatalf("records %d (seq %d → %d), want %d", len(e.Records), before, m.LastSeq(), c.recs)
			}
			if c.recs > 0 && e.Records[0].Msg.Lane != c.lane {
				t.Fatalf("lane %v, want %v", e.Records[0].Msg.Lane, c.lane)
			}
		})
	}
}

// TestNotARoom: a room op on a plain group answers not_a_room; a plain
// group keeps its own rules for shared ops.
func TestNotARoom(t *testing.T) {
	m := machine(t, "bob")
	for _, op := range []wire.Op{wire.OpWatchRoom, wire.OpRoomSend, wire.OpCloseRoom, wire.OpRoomConfig} {
		e := m.Handle(Command{Now: 2000, User: "bob", Op: op, Args: args(t, wire.RoomSendArgs{Group: "g1", Type: wire.MsgText, Body: text("x")})})
		if code(e) != wire.CodeNotARoom {
			t.Errorf("%v on a group: %v, want not_a_room", op, e.Err)
		}
	}
	if e := send(t, m, 2000, "eve", "", "x"); code(e) != wire.CodeNotMember {
		t.Errorf("non-member send in a group: %v", e.Err)
	}
	fresh := NewGroupMachine("room-zz", DefaultGroupConfig())
	if e := fresh.Handle(Command{Now: 1, User: "v", Op: wire.OpWatchRoom, Args: args(t, wire.GroupArgs{Group: "room-zz"})}); code(e) != wire.CodeNoSuchGroup {
		t.Errorf("watch of a room never opened: %v", e.Err)
	}
}

// TestRoomViewersWriteNothing: watching leaves no state behind.
func TestRoomViewersWriteNothing(t *testing.T) {
	m := roomMachine(t, DefaultGroupConfig())
	snap1, _, _ := m.Snapshot()
	for i := 0; i < 100; i++ {
		e := m.Handle(Command{Now: 2000, User: "v" + itoa(i), Op: wire.OpWatchRoom, Args: args(t, wire.GroupArgs{Group: room1})})
		if e.Err != nil || len(e.Records) > 0 || len(e.Aux) > 0 {
			t.Fatalf("watch: %v, %d records, %d aux", e.Err, len(e.Records), len(e.Aux))
		}
	}
	snap2, _, _ := m.Snapshot()
	// Compared decoded: msgpack writes Go maps in iteration order, so equal
	// states need not give equal bytes.
	var st1, st2 groupState
	if err := wire.Decode(snap1, &st1); err != nil {
		t.Fatal(err)
	}
	if err := wire.Decode(snap2, &st2); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(st1, st2) {
		t.Fatal("watching changed the room's state")
	}
	if m.MemberCount() != 2 {
		t.Fatalf("members %d, want owner and admin", m.MemberCount())
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestRoomRateLimits: per viewer 1/s burst 3, owner and admins exempt,
// the room's chatter cap refuses chatter only, slow mode per viewer; time is
// the command's.
func TestRoomRateLimits(t *testing.T) {
	cfg := DefaultGroupConfig()
	cfg.Room.ChatterCap, cfg.Room.ChatterBurst = 5, 5
	m := roomMachine(t, cfg)
	now := int64(10_000)
	for i := 0; i < 3; i++ {
		if e := roomSend(t, m, now, "v1", wire.LaneChatter, "x"); e.Err != nil {
			t.Fatalf("burst %d: %v", i, e.Err)
		}
	}
	e := roomSend(t, m, now, "v1", wire.LaneChatter, "x")
	if code(e) != wire.CodeRateLimited || e.Err.RetryAfter < 900 || e.Err.RetryAfter > 1000 {
		t.Fatalf("4th in a second: %v (retry %d)", e.Err, e.Err.RetryAfter)
	}
	if e := roomSend(t, m, now+1000, "v1", wire.LaneChatter, "x"); e.Err != nil {
		t.Fatalf("after a second: %v", e.Err)
	}
	// The room cap (5/s, burst 5) at one instant: five viewers' chatter
	// passes, the sixth's is refused, its gift goes through.
	for i := 0; i < 5; i++ {
		if e := roomSend(t, m, now+5000, "w"+itoa(i), wire.LaneChatter, "x"); e.Err != nil {
			t.Fatal(e.Err)
		}
	}
	if e := roomSend(t, m, now+5000, "v3", wire.LaneChatter, "x"); code(e) != wire.CodeRateLimited || e.Err.RetryAfter != 200 {
		t.Fatalf("over the room cap: %v", e.Err)
	}
	if e := roomSend(t, m, now+5000, "v3", wire.LaneHigh, "gift"); e.Err != nil {
		t.Fatalf("priority over the room cap: %v", e.Err)
	}
	// The owner is not limited per viewer.
	for i := 0; i < 20; i++ {
		if e := roomSend(t, m, now+1000, "owner", wire.LaneHigh, "x"); e.Err != nil {
			t.Fatalf("owner %d: %v", i, e.Err)
		}
	}
	// Slow mode: one message per 10 s per viewer.
	ten := 10
	if e := m.Handle(Command{Now: now + 2000, User: "adm", Op: wire.OpRoomConfig, Args: args(t, wire.RoomConfigArgs{Group: room1, SlowModeS: &ten})}); e.Err != nil {
		t.Fatal(e.Err)
	}
	if e := roomSend(t, m, now+60_000, "v4", wire.LaneNormal, "x"); e.Err != nil {
		t.Fatal(e.Err)
	}
	e = roomSend(t, m, now+65_000, "v4", wire.LaneNormal, "x")
	if code(e) != wire.CodeRateLimited || e.Err.RetryAfter != 5000 {
		t.Fatalf("slow mode: %v retry %d", e.Err, e.Err.RetryAfter)
	}
	if e := roomSend(t, m, now+70_000, "v4", wire.LaneNormal, "x"); e.Err != nil {
		t.Fatalf("after slow mode interval: %v", e.Err)
	}
}

// TestRoomRateLimitsSynctest: the same per-viewer bucket driven by a fake
// clock (testing/synctest): a viewer sending every 200 ms gets 3 through at
// once, then one a second.
func TestRoomRateLimitsSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := roomMachine(t, DefaultGroupConfig())
		start := time.Now()
		passed := 0
		for i := 0; i < 50; i++ { // 10 s
			if e := roomSend(t, m, time.Now().UnixMilli(), "v1", wire.LaneNormal, "x"); e.Err == nil {
				passed++
			} else if e.Err.Code != wire.CodeRateLimited {
				t.Fatal(e.Err)
			}
			time.Sleep(200 * time.Millisecond)
		}
		if el := time.Since(start); el != 10*time.Second {
			t.Fatalf("fake clock moved %v", el)
		}
		if passed < 12 || passed > 13 { // burst 3 + 1/s for ~9.8 s
			t.Fatalf("%d passed in 10 s, want 12..13", passed)
		}
	})
}

func TestRoomMuteAndBan(t *testing.T) {
	m := roomMachine(t, DefaultGroupConfig())
	if e := m.Handle(Command{Now: 2000, User: "adm", Op: wire.OpMute, Args: args(t, wire.TargetArgs{Group: room1, User: "v1", Duration: 60_000})}); e.Err != nil {
		t.Fatal(e.Err)
	}
	if e := roomSend(t, m, 3000, "v1", wire.LaneChatter, "x"); code(e) != wire.CodeMuted {
		t.Fatalf("muted viewer: %v", e.Err)
	}
	if e := roomSend(t, m, 70_000, "v1", wire.LaneChatter, "x"); e.Err != nil {
		t.Fatalf("mute over: %v", e.Err)
	}
	if e := m.Handle(Command{Now: 2000, User: "adm", Op: wire.OpBan, Args: args(t, wire.TargetArgs{Group: room1, User: "v2"})}); e.Err != nil {
		t.Fatal(e.Err)
	}
	for _, op := range []wire.Op{wire.OpWatchRoom, wire.OpRoomSend} {
		e := m.Handle(Command{Now: 80_000, User: "v2", Op: op, Args: args(t, wire.RoomSendArgs{Group: room1, Type: wire.MsgText, Body: text("x")})})
		if code(e) != wire.CodeBanned {
			t.Errorf("%v by banned: %v", op, e.Err)
		}
	}
	if e := m.Handle(Command{Now: 2000, User: "adm", Op: wire.OpMuteAll, Args: args(t, wire.MuteAllArgs{Group: room1, On: true})}); e.Err != nil {
		t.Fatal(e.Err)
	}
	if e := roomSend(t, m, 90_000, "v3", wire.LaneHigh, "x"); code(e) != wire.CodeMuted {
		t.Fatalf("mute-all viewer: %v", e.Err)
	}
	if e := roomSend(t, m, 90_000, "adm", wire.LaneHigh, "x"); e.Err != nil {
		t.Fatalf("mute-all admin: %v", e.Err)
	}
}

// TestRoomClose: a closed room takes no viewers or messages; history stays.
func TestRoomClose(t *testing.T) {
	m := roomMachine(t, DefaultGroupConfig())
	roomSend(t, m, 2000, "v1", wire.LaneChatter, "x")
	e := m.Handle(Command{Now: 3000, User: "owner", Op: wire.OpCloseRoom, Args: args(t, wire.GroupArgs{Group: room1})})
	if e.Err != nil || !e.Closed {
		t.Fatalf("close: %v closed=%v", e.Err, e.Closed)
	}
	m.MarkDurable(m.LastSeq())
	for _, op := range []wire.Op{wire.OpWatchRoom, wire.OpRoomSend, wire.OpCloseRoom} {
		e := m.Handle(Command{Now: 4000, User: "v1", Op: op, Args: args(t, wire.RoomSendArgs{Group: room1, Type: wire.MsgText, Body: text("x")})})
		if op != wire.OpCloseRoom && code(e) != wire.CodeRoomClosed {
			t.Errorf("%v after close: %v", op, e.Err)
		}
	}
	h := m.Handle(Command{Now: 4000, User: "v9", Op: wire.OpHistory, Args: args(t, wire.HistoryArgs{Group: room1})})
	if h.Err != nil || h.Read == nil || !h.Read.Room || len(h.Read.Chatter) != 1 {
		t.Fatalf("history after close: %+v", h)
	}
}

// TestRoomChatterRetention: chatter among the last RetainMax seqs and
// younger than RetainAge is kept; it is restored from its aux keys with
// the room's last seq.
func TestRoomChatterRetention(t *testing.T) {
	cfg := DefaultGroupConfig()
	cfg.Room.RetainMax, cfg.Room.RetainAge = 10, time.Hour
	cfg.Room.ChatterCap, cfg.Room.ChatterBurst = 1000, 1000
	m := roomMachine(t, cfg)
	aux := map[string][]byte{}
	var gifts []uint64
	for i := 0; i < 30; i++ {
		lane := wire.LaneChatter
		if i%5 == 4 {
			lane = wire.LaneHigh
		}
		e := roomSend(t, m, 2000, "owner", lane, "m")
		if e.Err != nil {
			t.Fatal(e.Err)
		}
		if lane == wire.LaneHigh {
			gifts = append(gifts, e.Records[0].Msg.Seq)
			if len(e.Aux) != 0 || e.Records[0].raw != nil {
				t.Fatal("a gift went to the chatter ring")
			}
		} else {
			if len(e.Aux) != 1 || e.Records[0].raw == nil {
				t.Fatal("chatter without its ring write")
			}
			aux[e.Aux[0].Key] = e.Aux[0].Value
		}
	}
	m.MarkDurable(m.LastSeq())
	last := m.LastSeq()
	got := m.retained(1, last, 2000, 100, false)
	for _, c := range got {
		if c.seq+10 <= last {
			t.Errorf("chatter %d retained beyond the last 10 seqs (last %d)", c.seq, last)
		}
	}
	if len(got) != 8 { // seqs last-9..last minus the two gifts among them
		t.Errorf("retained %d, want 8", len(got))
	}
	if old := m.retained(1, last, 2000+2*time.Hour.Milliseconds(), 100, false); len(old) != 0 {
		t.Errorf("%d retained past RetainAge", len(old))
	}
	if tail := m.retained(1, last, 2000, 3, true); len(tail) != 3 || tail[2].seq != last-1 {
		t.Errorf("newest 3: %v", tail)
	}
	// Recovery: the snapshot taken before the chatter plus the ring's keys
	// give back the last seq, so no seq is ever reused.
	m2 := NewGroupMachine(room1, cfg)
	snap, _, _ := roomMachine(t, cfg).Snapshot()
	if err := m2.Restore(snap); err != nil {
		t.Fatal(err)
	}
	for k, v := range aux {
		if err := m2.LoadAux(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if m2.LastSeq() != last && m2.LastSeq() != last-1 { // the last message was a gift only if 30%5==0
		t.Fatalf("restored last seq %d, want ~%d", m2.LastSeq(), last)
	}
	if n := len(m2.retained(1, m2.LastSeq(), 2000, 100, false)); n != 8 {
		t.Errorf("restored ring holds %d", n)
	}
}

// TestRoomOnlineCount: per-node counts, summed, expiring.
func TestRoomOnlineCount(t *testing.T) {
	m := roomMachine(t, DefaultGroupConfig())
	report := func(now int64, hub string, n int) int {
		e := m.Handle(Command{Now: now, Op: OpRoomReport, Args: args(t, RoomReportArgs{Hub: hub, N: n})})
		if e.Err != nil {
			t.Fatal(e.Err)
		}
		var r RoomReportResult
		if err := wire.Decode(e.Reply, &r); err != nil {
			t.Fatal(err)
		}
		return r.Online
	}
	if n := report(1000, "a", 100); n != 100 {
		t.Fatalf("one node: %d", n)
	}
	if n := report(1500, "b", 50); n != 150 {
		t.Fatalf("two nodes: %d", n)
	}
	if n := report(2000, "a", 70); n != 120 {
		t.Fatalf("update: %d", n)
	}
	if n := report(8100, "b", 50); n != 50 { // a expired (3 × 2 s after 2000)
		t.Fatalf("expiry: %d", n)
	}
	if n := report(8200, "b", 0); n != 0 {
		t.Fatalf("node left: %d", n)
	}
}
