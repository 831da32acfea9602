package engine_test

import (
	"fmt"
	"net"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/wire"
)

// Regression tests for issue 7's defects: integers are range-checked,
// never narrowed; every string field is checked by its kind on every op;
// errors are what docs/protocol.md says.

// request sends one request and returns its answer: the reply body, or the
// request's error code; a connection error fails the test.
func (c *rawConn) request(id uint32, op wire.Op, args []byte) (wire.Code, []byte) {
	c.t.Helper()
	c.frame(wire.FrameRequest, &wire.Request{ID: id, Op: op, Args: args})
	for i := 0; i < 10000; i++ {
		ft, body := c.next()
		switch ft {
		case 0:
			c.t.Fatalf("connection closed after request %d (%s)", id, op)
		case wire.FrameReply:
			var r wire.Reply
			if err := wire.Decode(body, &r); err != nil {
				c.t.Fatal(err)
			}
			if r.ID == id {
				return 0, r.Body
			}
		case wire.FrameError:
			var ef wire.ErrorFrame
			if err := wire.Decode(body, &ef); err != nil {
				c.t.Fatal(err)
			}
			if ef.ID == 0 {
				c.t.Fatalf("connection error %s (%s) after request %d (%s)", ef.Code, ef.Msg, id, op)
			}
			if ef.ID == id {
				return ef.Code, nil
			}
		}
	}
	c.t.Fatal("no answer")
	return 0, nil
}

// msgpack encodings of out-of-range integers.
var (
	u64Max   = []byte{0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	minusOne = []byte{0xff}
)

func u32(v uint32) []byte { return []byte{0xce, byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)} }

// kv builds a msgpack map from alternating string keys and raw values.
func kv(pairs ...any) []byte {
	b := []byte{0x80 | byte(len(pairs)/2)}
	for i := 0; i < len(pairs); i += 2 {
		k, _ := msgpack.Marshal(pairs[i].(string))
		b = append(b, k...)
		switch v := pairs[i+1].(type) {
		case []byte:
			b = append(b, v...)
		default:
			x, _ := msgpack.Marshal(v)
			b = append(b, x...)
		}
	}
	return b
}

func TestIntegersAreNeverNarrowed(t *testing.T) {
	e := startEngine(t, testConfig(""))
	ctx := ctxT(t)
	a := dial(t, e, "alice", nil)
	g, _ := a.CreateGroup(ctx, "ints")
	b := dial(t, e, "bob", nil)
	if _, err := b.Join(ctx, g); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SendText(ctx, g, "c1", "one"); err != nil {
		t.Fatal(err)
	}
	rc := rawDial(t, e)
	rc.hello("alice", e)
	// Argument integers: bad_request, and nothing happened.
	for _, c := range []struct {
		name string
		op   wire.Op
		args []byte
	}{
		{"role 257 (would be admin)", wire.OpSetRole, kv("g", g, "user", "bob", "role", []byte{0xcd, 0x01, 0x01})},
		{"role -1", wire.OpSetRole, kv("g", g, "user", "bob", "role", minusOne)},
		{"message type 257 (would be text)", wire.OpSend, kv("g", g, "cmid", "x", "type", []byte{0xcd, 0x01, 0x01}, "body", kv("text", kv("t", "hi")))},
		{"mark_read -1", wire.OpMarkRead, kv("g", g, "seq", minusOne)},
		{"history limit 2^64-1", wire.OpHistory, kv("g", g, "limit", u64Max)},
		{"join policy 258", wire.OpCreateGroup, kv("name", "n", "join", []byte{0xcd, 0x01, 0x02})},
		{"history after -1", wire.OpHistory, kv("g", g, "after", minusOne)},
		{"float where an integer goes", wire.OpMarkRead, kv("g", g, "seq", 1.5)},
		{"NaN coordinate", wire.OpNearby, kv("lat", []byte{0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1}, "lng", 1.0, "radius_km", 1.0)},
		{"array-shaped args", wire.OpGroupInfo, []byte{0x91, 0xa1, 'x'}},
		{"string args", wire.OpGroupInfo, []byte{0xa1, 'x'}},
		{"integer args", wire.OpGroupInfo, []byte{0x05}},
	} {
		if code, _ := rc.request(11, c.op, c.args); code != wire.CodeBadRequest {
			t.Errorf("%s: got %s, want bad_request", c.name, code)
		}
	}
	var info wire.GroupInfo
	call(t, a, wire.OpGroupInfo, wire.GroupArgs{Group: g}, &info)
	if len(info.Admins) != 0 || info.LastSeq != 3 {
		t.Fatalf("a refused request changed the group: %+v", info)
	}
	var mine wire.MyGroupsResult
	call(t, a, wire.OpMyGroups, wire.Empty{}, &mine)
	for _, mg := range mine.Groups {
		if mg.ReadSeq > mg.LastSeq {
			t.Fatalf("read position past the end: %+v", mg)
		}
	}
	// Frame integers: bad_frame, and the connection closes. Op 65536+19
	// would be dissolve.
	for _, c := range []struct {
		name string
		body []byte
	}{
		{"op 65555", kv("id", 1, "op", u32(65536+uint32(wire.OpDissolve)), "args", kv("g", g))},
		{"id 2^32+1", kv("id", []byte{0xcf, 0, 0, 0, 1, 0, 0, 0, 1}, "op", int(wire.OpGroupInfo), "args", kv("g", g))},
		{"id -1", kv("id", minusOne, "op", int(wire.OpGroupInfo), "args", kv("g", g))},
		{"op as a string", kv("id", 1, "op", "dissolve", "args", kv("g", g))},
	} {
		t.Run(c.name, func(t *testing.T) {
			rc := rawDial(t, e)
			rc.hello("alice", e)
			rc.write(rawFrame(wire.FrameRequest, c.body))
			rc.expectClose(wire.CodeBadFrame)
		})
	}
	call(t, a, wire.OpGroupInfo, wire.GroupArgs{Group: g}, &info)
	if info.Dissolved {
		t.Fatal("a wrapped op dissolved the group")
	}
	// A ping's n is 64-bit: -1 is refused too.
	rc = rawDial(t, e)
	rc.hello("alice", e)
	rc.write(rawFrame(wire.FramePing, kv("n", minusOne)))
	rc.expectClose(wire.CodeBadFrame)
}

func TestRequestFramesAreWhatTheDocSays(t *testing.T) {
	e := startEngine(t, testConfig(""))
	for _, c := range []struct {
		name string
		body []byte
	}{
		{"id 0", kv("id", 0, "op", int(wire.OpMyGroups), "args", kv())},
		{"id missing", kv("op", int(wire.OpMyGroups), "args", kv())},
		{"nil body", []byte{0xc0}},
		{"array body", []byte{0x93, 0x01, 0x08, 0x80}},
		{"empty map body", []byte{0x80}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rc := rawDial(t, e)
			rc.hello("alice", e)
			rc.write(rawFrame(wire.FrameRequest, c.body))
			rc.expectClose(wire.CodeBadFrame)
		})
	}
	// Non-map args: bad_request, the connection stays; nil args are {}.
	rc := rawDial(t, e)
	rc.hello("alice", e)
	for i, args := range [][]byte{{0x92, 0x01, 0x02}, {0x2a}, {0xa2, 'h', 'i'}, {0xc3}} {
		if code, _ := rc.request(uint32(i+1), wire.OpMyGroups, args); code != wire.CodeBadRequest {
			t.Errorf("args % x: got %s, want bad_request", args, code)
		}
	}
	if code, _ := rc.request(9, wire.OpMyGroups, []byte{0xc0}); code != 0 {
		t.Errorf("nil args: %s, want a reply", code)
	}
}

func TestHistoryAfterTheEndIsEmpty(t *testing.T) {
	e := startEngine(t, testConfig(""))
	ctx := ctxT(t)
	a := dial(t, e, "alice", nil)
	g, _ := a.CreateGroup(ctx, "h")
	for i := 0; i < 3; i++ {
		if _, err := a.SendText(ctx, g, fmt.Sprint("c", i), "x"); err != nil {
			t.Fatal(err)
		}
	}
	// seq 1 is the created event, 2..4 the texts.
	for _, after := range []uint64{5, 6, 1 << 40, 1<<64 - 2, 1<<64 - 1} {
		var h wire.HistoryResult
		call(t, a, wire.OpHistory, wire.HistoryArgs{Group: g, After: wire.After(after)}, &h)
		if len(h.Msgs) != 0 || h.More {
			t.Errorf("after %d: %d messages (more %v), want none", after, len(h.Msgs), h.More)
		}
	}
	var h wire.HistoryResult
	call(t, a, wire.OpHistory, wire.HistoryArgs{Group: g, After: wire.After(4)}, &h)
	if len(h.Msgs) != 0 {
		t.Errorf("after the last seq: %d messages", len(h.Msgs))
	}
	call(t, a, wire.OpHistory, wire.HistoryArgs{Group: g, After: wire.After(3)}, &h)
	if len(h.Msgs) != 1 || h.Msgs[0].Seq != 4 {
		t.Errorf("after 2: %+v", h.Msgs)
	}
}

// validArgs holds arguments for every op that pass every field check; the
// caller is carol, a stranger to the group, so most ops then fail for
// another reason (not_member, forbidden), never bad_request.
func validArgs(g string) map[wire.Op]any {
	return map[wire.Op]any{
		wire.OpCreateGroup: wire.CreateGroupArgs{Name: "club"},
		wire.OpGroupInfo:   wire.GroupArgs{Group: g},
		wire.OpJoin:        wire.JoinArgs{Group: g, Code: g + "-ABCD2345"},
		wire.OpLeave:       wire.GroupArgs{Group: g},
		wire.OpSend: wire.SendArgs{Group: g, CMID: "c1", Type: wire.MsgText,
			Body: wire.Body{Text: &wire.TextBody{Text: "hi\nthere", Mentions: []string{"bob"}}}},
		wire.OpHistory:       wire.HistoryArgs{Group: g},
		wire.OpMembers:       wire.MembersArgs{Group: g, After: "bob"},
		wire.OpMyGroups:      wire.Empty{},
		wire.OpMarkRead:      wire.MarkReadArgs{Group: g, Seq: 1},
		wire.OpResync:        wire.ResyncArgs{Groups: map[string]uint64{g: 0}},
		wire.OpUpdateGroup:   wire.UpdateGroupArgs{Group: g, Profile: updateProfile()},
		wire.OpSetRole:       wire.TargetArgs{Group: g, User: "bob", Role: wire.RoleAdmin},
		wire.OpKick:          wire.TargetArgs{Group: g, User: "bob"},
		wire.OpBan:           wire.TargetArgs{Group: g, User: "bob"},
		wire.OpUnban:         wire.TargetArgs{Group: g, User: "bob"},
		wire.OpMute:          wire.TargetArgs{Group: g, User: "bob", Duration: 1000},
		wire.OpMuteAll:       wire.MuteAllArgs{Group: g, On: true},
		wire.OpTransferOwner: wire.TargetArgs{Group: g, User: "bob"},
		wire.OpDissolve:      wire.GroupArgs{Group: g},
		wire.OpApply:         wire.ApplyArgs{Group: g, Note: "let me in\nplease"},
		wire.OpReview:        wire.ReviewArgs{Group: g, User: "bob", Approve: true},
		wire.OpListRequests:  wire.GroupArgs{Group: g},
		wire.OpCreateInvite:  wire.CreateInviteArgs{Group: g},
		wire.OpRevokeInvite:  wire.RevokeInviteArgs{Group: g, Code: g + "-ABCD2345"},
		wire.OpInvite:        wire.InviteArgs{Group: g, Users: []string{"bob"}},
		wire.OpAnnounce:      wire.AnnounceArgs{Group: g, Text: "hello"},
		wire.OpAckAnnounce:   wire.GroupArgs{Group: g},
		wire.OpAnnounceState: wire.GroupArgs{Group: g},
		wire.OpPin:           wire.PinArgs{Group: g, Seq: 1},
		wire.OpPinGroup:      wire.PinGroupArgs{Group: g, On: true},
		wire.OpSearch:        wire.SearchArgs{Query: "club", Category: "books"},
		wire.OpNearby:        wire.NearbyArgs{Lat: 1, Lng: 2, RadiusKm: 3},
		wire.OpProfileGroups: wire.UserArgs{User: "bob"},
		wire.OpShowOnProfile: wire.ShowOnProfileArgs{Group: g, Show: true},
		wire.OpGroupStats:    wire.GroupArgs{Group: g},
		wire.OpListInvites:   wire.GroupArgs{Group: g},
	}
}

func updateProfile() wire.Profile {
	s := func(v string) *string { return &v }
	return wire.Profile{Name: s("club"), Avatar: s("https://x/a.png"), Description: s("about\nus"),
		Category: s("books"), Location: &wire.GeoArgs{Lat: 1, Lng: 2, City: "Paris"}}
}

// stringPaths lists the string fields of t as paths of msgpack keys; "[]"
// stands for an element of a list, "{}" for a key of a map.
func stringPaths(t reflect.Type, prefix []string) [][]string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return [][]string{append([]string(nil), prefix...)}
	case reflect.Slice:
		return stringPaths(t.Elem(), append(prefix, "[]"))
	case reflect.Map:
		out := stringPaths(t.Key(), append(prefix, "{}"))
		return append(out, stringPaths(t.Elem(), append(prefix, "{}v"))...)
	case reflect.Struct:
		var out [][]string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("msgpack"), ",")
			out = append(out, stringPaths(f.Type, append(prefix, name))...)
		}
		return out
	}
	return nil
}

// setPath sets the string at path in m (generic msgpack of valid args).
func setPath(m map[string]any, path []string, v string) {
	k := path[0]
	if len(path) == 1 {
		m[k] = v
		return
	}
	switch path[1] {
	case "[]":
		if len(path) == 2 {
			m[k] = []any{v}
			return
		}
		sub := map[string]any{}
		setPath(sub, path[2:], v)
		m[k] = []any{sub}
	case "{}":
		m[k] = map[string]any{v: 1}
	case "{}v":
		m[k] = map[string]any{"k": v}
	default:
		sub, ok := m[k].(map[string]any)
		if !ok {
			sub = map[string]any{}
		}
		setPath(sub, path[1:], v)
		m[k] = sub
	}
}

// TestEveryStringFieldIsChecked: every op × every string field of its
// arguments × a bad value of each class is bad_request, while the same
// arguments with valid values are not.
func TestEveryStringFieldIsChecked(t *testing.T) {
	cfg := testConfig("")
	e := startEngine(t, cfg)
	ctx := ctxT(t)
	a := dial(t, e, "alice", nil)
	g, _ := a.CreateGroup(ctx, "strings")
	rc := rawDial(t, e)
	rc.hello("carol", e)
	valid := validArgs(g)
	ops := make([]wire.Op, 0, len(valid))
	for op := range valid {
		ops = append(ops, op)
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i] < ops[j] })
	for op := wire.OpCreateGroup; op.String() != fmt.Sprint("op_", int(op)); op++ {
		if _, ok := valid[op]; !ok {
			t.Errorf("op %s has no row in validArgs", op)
		}
	}
	bad := []struct{ name, v string }{
		{"invalid UTF-8", "ab\xffcd"},
		{"NUL", "ab\x00cd"},
		{"escape", "ab\x1b[2Jcd"},
		{"C1 control", "ab\u0085cd"},
		{"line separator", "ab\u2028cd"},
	}
	id := uint32(0)
	checked := 0
	for _, op := range ops {
		v := valid[op]
		b, err := wire.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		id++
		if code, _ := rc.request(id, op, b); code == wire.CodeBadRequest {
			t.Errorf("%s: valid arguments refused as bad_request", op)
			continue
		}
		for _, path := range stringPaths(reflect.TypeOf(v), nil) {
			for _, bv := range bad {
				var m map[string]any
				if err := msgpack.Unmarshal(b, &m); err != nil {
					t.Fatal(err)
				}
				setPath(m, path, bv.v)
				args, err := msgpack.Marshal(m)
				if err != nil {
					t.Fatal(err)
				}
				id++
				if code, _ := rc.request(id, op, args); code != wire.CodeBadRequest {
					t.Errorf("%s %s = %s: got %s, want bad_request", op, strings.Join(path, "."), bv.name, code)
				}
				checked++
			}
		}
	}
	// Ids and names refuse newlines and tabs too; text allows them.
	for _, c := range []struct {
		op   wire.Op
		args any
		want bool // refused
	}{
		{wire.OpBan, wire.TargetArgs{Group: g, User: "bo\nb"}, true},
		{wire.OpUnban, wire.TargetArgs{Group: g, User: "bo b"}, true},
		{wire.OpCreateGroup, wire.CreateGroupArgs{Name: "two\nlines"}, true},
		{wire.OpApply, wire.ApplyArgs{Group: g, Note: "two\nlines\tok"}, false},
	} {
		b, _ := wire.Marshal(c.args)
		id++
		code, _ := rc.request(id, c.op, b)
		if (code == wire.CodeBadRequest) != c.want {
			t.Errorf("%s %+v: %s", c.op, c.args, code)
		}
	}
	t.Logf("%d ops, %d bad string fields checked", len(ops), checked)
	if checked < 100 {
		t.Fatalf("only %d cases", checked)
	}
}

// TestBadUserIDsNeverReachHistory: the ban of a newline-bearing user id
// that used to land in history, pushes and replies is refused.
func TestBadUserIDsNeverReachHistory(t *testing.T) {
	e := startEngine(t, testConfig(""))
	ctx := ctxT(t)
	a := dial(t, e, "alice", nil)
	g, _ := a.CreateGroup(ctx, "b")
	for _, u := range []string{"x\ny", "x\xff", "x y"} {
		if code := callCode(t, a, wire.OpBan, wire.TargetArgs{Group: g, User: u}); code != wire.CodeBadRequest {
			t.Errorf("ban %q: %s", u, code)
		}
	}
	var h wire.HistoryResult
	call(t, a, wire.OpHistory, wire.HistoryArgs{Group: g}, &h)
	for _, m := range h.Msgs {
		if m.Body.System != nil && m.Body.System.Target != "" {
			if err := engine.ValidUserID(m.Body.System.Target); err != nil {
				t.Errorf("history holds %q", m.Body.System.Target)
			}
		}
	}

}

// TestTooManyInFlightAlwaysSaysSo: a client that pipelines far past the
// in-flight limit always reads the too_many_in_flight error frame before
// the close, even with its later requests still unread by the server
// (closing at once would reset the connection and lose the frame).
func TestTooManyInFlightAlwaysSaysSo(t *testing.T) {
	cfg := testConfig("")
	cfg.MaxInFlight = 2
	e := startEngine(t, cfg)
	a := dial(t, e, "alice", nil)
	g, _ := a.CreateGroup(ctxT(t), "x")
	for i := 0; i < 150; i++ { // history pages of ~60 KiB
		if _, err := a.SendText(ctxT(t), g, fmt.Sprint("c", i), strings.Repeat("z", 400)); err != nil {
			t.Fatal(err)
		}
	}
	args, _ := wire.Marshal(&wire.HistoryArgs{Group: g, Limit: 200})
	var burst []byte
	for i := 1; i <= 2000; i++ {
		burst = append(burst, mustFrame(t, wire.FrameRequest, &wire.Request{ID: uint32(i), Op: wire.OpHistory, Args: args})...)
	}
	base := e.Stats().Conns
	for round := 0; round < 3; round++ {
		rc := rawDial(t, e)
		rc.hello("alice", e)
		_ = rc.nc.(*net.TCPConn).SetReadBuffer(4096) // the replies back up in the server's socket
		rc.write(burst)                              // fits the socket buffers
		// Read only once the server is done with the connection: what it
		// sent must still be there.
		waitFor(t, 10*time.Second, "the server closes the connection", func() bool { return e.Stats().Conns == base })
		rc.expectClose(wire.CodeTooManyInFlight)
		rc.nc.Close()
	}
}

// TestRepliesFitMaxFrame: lists that used to outgrow the announced
// max_frame (my_groups for a user in many groups, list_requests, resync
// over many groups) are cut to fit and say so, or refused up front.
func TestRepliesFitMaxFrame(t *testing.T) {
	cfg := testConfig("")
	cfg.MaxFrameSize = 5 << 10
	cfg.Group.MaxReplyBytes = 4 << 10
	e := startEngine(t, cfg)
	ctx := ctxT(t)
	a := dial(t, e, "alice", nil)
	long := strings.Repeat("n", 100)
	var groups []string
	for i := 0; i < 40; i++ {
		o := dial(t, e, fmt.Sprint("owner", i), nil)
		g, err := o.CreateGroup(ctx, long)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Join(ctx, g); err != nil {
			t.Fatal(err)
		}
		groups = append(groups, g)
		o.Close()
	}
	rc := rawDial(t, e)
	rc.hello("alice", e)
	fits := func(what string, body []byte) {
		t.Helper()
		if len(body)+16 > cfg.MaxFrameSize {
			t.Fatalf("%s: %d-byte reply over max_frame %d", what, len(body), cfg.MaxFrameSize)
		}
	}
	code, body := rc.request(1, wire.OpMyGroups, nil)
	fits("my_groups", body)
	var mg wire.MyGroupsResult
	if err := wire.Decode(body, &mg); code != 0 || err != nil || !mg.More || len(mg.Groups) == 0 || len(mg.Groups) >= 40 {
		t.Fatalf("my_groups: %s %v, %d groups, more %v", code, err, len(mg.Groups), mg.More)
	}
	// resync: up to (MaxReplyBytes-64)/120 groups = 33 here.
	rs := wire.ResyncArgs{Groups: map[string]uint64{}}
	for _, g := range groups {
		rs.Groups[g] = 0
	}
	args, _ := wire.Marshal(&rs)
	if code, _ := rc.request(2, wire.OpResync, args); code != wire.CodeBadRequest {
		t.Fatalf("resync of 40 groups: %s, want bad_request", code)
	}
	rs.Groups = map[string]uint64{}
	for _, g := range groups[:33] {
		rs.Groups[g] = 1 << 40
	}
	args, _ = wire.Marshal(&rs)
	code, body = rc.request(3, wire.OpResync, args)
	fits("resync", body)
	if code != 0 {
		t.Fatalf("resync of 33 groups: %s", code)
	}
	// list_requests: 30 applicants with long notes.
	o := dial(t, e, "olga", nil)
	g, _ := o.CreateGroup(ctx, "strict")
	policy := wire.JoinApproval
	call(t, o, wire.OpUpdateGroup, wire.UpdateGroupArgs{Group: g, Join: &policy}, nil)
	for i := 0; i < 30; i++ {
		u := dial(t, e, fmt.Sprint("applicant", i), nil)
		call(t, u, wire.OpApply, wire.ApplyArgs{Group: g, Note: strings.Repeat("p", 200)}, nil)
		u.Close()
	}
	ro := rawDial(t, e)
	ro.hello("olga", e)
	args, _ = wire.Marshal(&wire.GroupArgs{Group: g})
	code, body = ro.request(1, wire.OpListRequests, args)
	fits("list_requests", body)
	var lr wire.RequestsResult
	if err := wire.Decode(body, &lr); code != 0 || err != nil || !lr.More || len(lr.Requests) == 0 {
		t.Fatalf("list_requests: %s %v, %d, more %v", code, err, len(lr.Requests), lr.More)
	}
	if n := engine.OversizeFrames(); n != 0 {
		t.Fatalf("%d oversize frames", n)
	}
}
