package wire_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"reflect"
	"runtime"
	"testing"

	"github.com/qunchat/qun/wire"
)

type frameCase struct {
	name string
	t    wire.FrameType
	v    any // pointer to the concrete body type
}

func frameCases(t testing.TB) []frameCase {
	return []frameCase{
		{"hello", wire.FrameHello, &wire.Hello{Version: wire.ProtocolVersion, Token: "a.b.c", Client: "qun-test/1"}},
		{"hello without client", wire.FrameHello, &wire.Hello{Version: wire.ProtocolVersion, Token: "a.b.c"}},
		{"welcome", wire.FrameWelcome, &wire.Welcome{Version: 1, User: "alice", Session: "m2q7k3v9x4b8n5cz",
			MaxFrame: wire.DefaultMaxFrameSize, MaxInFlight: 256, Time: exTime}},
		{"request send", wire.FrameRequest, &wire.Request{ID: 7, Op: wire.OpSend, Args: mustMarshal(t, sendArgs())}},
		{"request resync", wire.FrameRequest, &wire.Request{ID: 1<<32 - 1, Op: wire.OpResync,
			Args: mustMarshal(t, &wire.ResyncArgs{Groups: map[string]uint64{exGroup: 40, "gaaaaaaaaaaaaaaaa": 1 << 40}})}},
		{"request my_groups no args", wire.FrameRequest, &wire.Request{ID: 2, Op: wire.OpMyGroups}},
		{"reply send", wire.FrameReply, &wire.Reply{ID: 7, Body: mustMarshal(t, &wire.SendResult{Seq: 42, Time: exTime})}},
		{"reply history", wire.FrameReply, &wire.Reply{ID: 8, Body: mustMarshal(t, &wire.HistoryResult{
			Msgs: []wire.Message{textMsg(1, "alice", "", "x"), sysMsg(2, wire.EventJoined, "bob", "bob", "")}, More: true, LastSeq: 99})}},
		{"error request", wire.FrameError, &wire.ErrorFrame{ID: 9, Code: wire.CodeNotMember, Msg: "not a member"}},
		{"error connection", wire.FrameError, &wire.ErrorFrame{Code: wire.CodeSlowConsumer, Msg: "outbound queue full"}},
		{"push one text", wire.FramePush, &wire.Push{Group: exGroup, Msgs: []wire.Message{textMsg(42, "alice", "c-1", "hello")}}},
		{"push mixed", wire.FramePush, &wire.Push{Group: exGroup, Msgs: []wire.Message{
			sysMsg(1, wire.EventCreated, "alice", "", "book club"),
			sysMsg(2, wire.EventJoined, "bob", "bob", ""),
			textMsg(3, "bob", "c-1", "hi @alice 你好", "alice"),
			textMsg(4, "alice", "", "hi"),
			{Seq: 5, Time: exTime, Type: wire.MsgSystem, Body: wire.Body{System: &wire.SystemBody{Event: "muted", Actor: "alice", Target: "bob", Until: exTime + 60000}}},
			sysMsg(6, wire.EventLeft, "bob", "bob", ""),
		}}},
		{"push 16", wire.FramePush, pushOf(16)},
		{"gap", wire.FrameGap, &wire.Gap{Group: exGroup, From: 1041, To: 5000}},
		{"notice", wire.FrameNotice, &wire.Notice{Kind: wire.EventJoinRequest, Group: exGroup, User: "carol", Text: "fan since 2020"}},
		{"notice minimal", wire.FrameNotice, &wire.Notice{Kind: "rejected", Group: exGroup}},
		{"reply group_info", wire.FrameReply, &wire.Reply{ID: 10, Body: mustMarshal(t, infoFull())}},
		{"request update_group", wire.FrameRequest, &wire.Request{ID: 11, Op: wire.OpUpdateGroup, Args: mustMarshal(t, updateArgs())}},
		{"ping", wire.FramePing, &wire.Ping{N: 1<<64 - 1}},
		{"pong", wire.FramePong, &wire.Ping{N: 0}},
	}
}

// TestFrameRoundTrip sends every frame type through AppendFrame, ReadFrame
// and Decode into its concrete type.
func TestFrameRoundTrip(t *testing.T) {
	cases := frameCases(t)
	var stream []byte
	for _, c := range cases {
		var err error
		stream, err = wire.AppendFrame(stream, c.t, c.v)
		if err != nil {
			t.Fatalf("%s: AppendFrame: %v", c.name, err)
		}
	}
	r := bufio.NewReader(bytes.NewReader(stream))
	var buf []byte
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ft, b, nbuf, err := wire.ReadFrame(r, wire.DefaultMaxFrameSize, buf)
			buf = nbuf
			if err != nil {
				t.Fatalf("ReadFrame: %v", err)
			}
			if ft != c.t {
				t.Fatalf("type %v, want %v", ft, c.t)
			}
			got := reflect.New(reflect.TypeOf(c.v).Elem())
			if err := wire.Decode(b, got.Interface()); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got.Interface(), c.v) {
				t.Fatalf("round trip:\n got %#v\nwant %#v", got.Interface(), c.v)
			}
		})
	}
	if _, _, _, err := wire.ReadFrame(r, wire.DefaultMaxFrameSize, buf); err != io.EOF {
		t.Fatalf("after the last frame: %v, want io.EOF", err)
	}
}

// TestRawArgsRoundTrip decodes Request.Args and Reply.Body, which stay raw
// msgpack until the op is known, into the op's types.
func TestRawArgsRoundTrip(t *testing.T) {
	want := sendArgs()
	f := mustFrame(t, wire.FrameRequest, &wire.Request{ID: 3, Op: wire.OpSend, Args: mustMarshal(t, want)})
	var req wire.Request
	if err := wire.Decode(body(t, f), &req); err != nil {
		t.Fatal(err)
	}
	var got wire.SendArgs
	if err := wire.Decode(req.Args, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&got, want) {
		t.Fatalf("args: got %#v want %#v", got, want)
	}
	msg := wire.Message{Sender: "alice", CMID: got.CMID, Type: got.Type, Body: got.Body}
	if err := msg.Check(4096); err != nil {
		t.Fatalf("Check: %v", err)
	}

	res := &wire.ResyncResult{Groups: []wire.ResyncGroup{{Group: exGroup, LastSeq: 43, Sent: 3}, {Group: "gx", Code: wire.CodeNotMember}}}
	f = mustFrame(t, wire.FrameReply, &wire.Reply{ID: 3, Body: mustMarshal(t, res)})
	var rep wire.Reply
	if err := wire.Decode(body(t, f), &rep); err != nil {
		t.Fatal(err)
	}
	var gotRes wire.ResyncResult
	if err := wire.Decode(rep.Body, &gotRes); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&gotRes, res) {
		t.Fatalf("result: got %#v want %#v", gotRes, res)
	}
}

// TestOptionalKeys checks the keys a decoder may find missing or nil, and
// that unknown keys are ignored.
func TestOptionalKeys(t *testing.T) {
	key := func(k string) []byte { return append([]byte{0xa0 | byte(len(k))}, k...) }
	// {"id":1,"op":8} with no "args": a request without arguments.
	var req wire.Request
	if err := wire.Decode(cat([]byte{0x82}, key("id"), []byte{1}, key("op"), []byte{8}), &req); err != nil || req.Args != nil {
		t.Fatalf("no args: %v %v", err, req.Args)
	}
	// "args": nil is the same.
	if err := wire.Decode(cat([]byte{0x83}, key("id"), []byte{1}, key("op"), []byte{8}, key("args"), []byte{0xc0}), &req); err != nil || len(req.Args) != 0 {
		t.Fatalf("nil args: %v %v", err, req.Args)
	}
	// Unknown keys (a newer client) are skipped, whatever their value.
	var h wire.Hello
	b := cat([]byte{0x84}, key("v"), []byte{1}, key("token"), key("t"), key("zzz"), []byte{0x92, 0x80, 0xc3}, key("client"), key("c"))
	if err := wire.Decode(b, &h); err != nil || h != (wire.Hello{Version: 1, Token: "t", Client: "c"}) {
		t.Fatalf("unknown key: %v %+v", err, h)
	}
	// Keys in any order.
	var g wire.Gap
	if err := wire.Decode(cat([]byte{0x83}, key("to"), []byte{9}, key("g"), key("x"), key("from"), []byte{3}), &g); err != nil || g != (wire.Gap{Group: "x", From: 3, To: 9}) {
		t.Fatalf("order: %v %+v", err, g)
	}
	// Integers in any width: uint64 0xcf for a small id.
	var p wire.Ping
	if err := wire.Decode(cat([]byte{0x81}, key("n"), []byte{0xcf, 0, 0, 0, 0, 0, 0, 0, 5}), &p); err != nil || p.N != 5 {
		t.Fatalf("wide int: %v %+v", err, p)
	}
	// Omitted omitempty fields.
	enc := mustMarshal(t, &wire.Hello{Version: 1, Token: "t"})
	if bytes.Contains(enc, []byte("client")) {
		t.Fatalf("empty client encoded: %x", enc)
	}
	tm := textMsg(1, "a", "", "x")
	enc = mustMarshal(t, &tm.Body)
	if bytes.Contains(enc, []byte("sys")) || bytes.Contains(enc, []byte("at")) {
		t.Fatalf("empty body fields encoded: %x", enc)
	}
}

// onlyHeader yields the given bytes and fails the test if read any further.
type onlyHeader struct {
	t    *testing.T
	data []byte
}

func (r *onlyHeader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		r.t.Errorf("reader read past the %d-byte header", 4)
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestReadFrameErrors(t *testing.T) {
	read := func(stream []byte, max int) (wire.FrameType, []byte, error) {
		ft, b, _, err := wire.ReadFrame(bufio.NewReader(bytes.NewReader(stream)), max, nil)
		return ft, b, err
	}
	tests := []struct {
		name   string
		stream []byte
		max    int
		want   error
	}{
		{"zero length", frameHeader(0), 1024, wire.ErrEmptyFrame},
		{"zero length with data", append(frameHeader(0), 1, 2, 3), 1024, wire.ErrEmptyFrame},
		{"one above max", append(frameHeader(1025), make([]byte, 1025)...), 1024, wire.ErrFrameTooLarge},
		{"4 GiB", frameHeader(0xffffffff), wire.DefaultMaxFrameSize, wire.ErrFrameTooLarge},
		{"handshake limit", append(frameHeader(8<<10+1), 1), 8 << 10, wire.ErrFrameTooLarge},
		{"body missing", frameHeader(10), 1024, io.ErrUnexpectedEOF},
		{"body truncated", append(frameHeader(10), 3, 0x80), 1024, io.ErrUnexpectedEOF},
		{"header truncated", []byte{0, 0}, 1024, io.ErrUnexpectedEOF},
		{"no data", nil, 1024, io.EOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := read(tc.stream, tc.max)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
	// Exactly at the limit is fine; the type byte counts.
	f := rawFrame(wire.FramePing, bytes.Repeat([]byte{0xc0}, 1023))
	if ft, b, err := read(f, 1024); err != nil || ft != wire.FramePing || len(b) != 1023 {
		t.Fatalf("at limit: %v %v %d", err, ft, len(b))
	}
	// A frame of only the type byte has an empty body.
	if ft, b, err := read([]byte{0, 0, 0, 1, 9}, 1024); err != nil || ft != wire.FramePong || len(b) != 0 {
		t.Fatalf("type only: %v %v %d", err, ft, len(b))
	}
}

// TestReadFrameTooLargeReadsNothing proves the body of an oversized frame is
// neither read nor allocated.
func TestReadFrameTooLargeReadsNothing(t *testing.T) {
	for _, n := range []uint32{wire.DefaultMaxFrameSize + 1, 16 << 20, 0xffffffff} {
		src := &onlyHeader{t: t, data: frameHeader(n)}
		r := bufio.NewReaderSize(src, 16)
		if _, _, _, err := wire.ReadFrame(r, wire.DefaultMaxFrameSize, nil); !errors.Is(err, wire.ErrFrameTooLarge) {
			t.Fatalf("declared %d: %v", n, err)
		}
		if r.Buffered() != 0 || len(src.data) != 0 {
			t.Fatalf("declared %d: reader state %d/%d", n, r.Buffered(), len(src.data))
		}
	}
	// Allocation: the check comes before make. Declare 16 MiB against a 16
	// MiB - 1 limit; a body allocation would show as 16 MiB per call.
	hdr := frameHeader(16 << 20)
	br := bytes.NewReader(hdr)
	r := bufio.NewReaderSize(br, 16)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const runs = 20
	for i := 0; i < runs; i++ {
		br.Reset(hdr)
		r.Reset(br)
		if _, _, _, err := wire.ReadFrame(r, 16<<20-1, nil); !errors.Is(err, wire.ErrFrameTooLarge) {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
		t.Fatalf("%d oversized frames allocated %d bytes", runs, d)
	}
	allocs := testing.AllocsPerRun(100, func() {
		br.Reset(hdr)
		r.Reset(br)
		_, _, _, _ = wire.ReadFrame(r, 16<<20-1, nil)
	})
	if allocs > 8 { // the 4-byte header array (it escapes) and the error value; more under -race
		t.Fatalf("%v allocations per oversized frame", allocs)
	}
}

func TestReadFrameReusesBuffer(t *testing.T) {
	f := mustFrame(t, wire.FramePing, &wire.Ping{N: 7})
	stream := bytes.Repeat(f, 3)
	r := bufio.NewReader(bytes.NewReader(stream))
	buf := make([]byte, 0, 64)
	for i := 0; i < 3; i++ {
		ft, b, nbuf, err := wire.ReadFrame(r, 1024, buf)
		if err != nil || ft != wire.FramePing {
			t.Fatal(err, ft)
		}
		if &nbuf[0] != &buf[:1][0] || &b[0] != &buf[:2][1] {
			t.Fatal("buffer with room was not reused")
		}
		buf = nbuf
	}
	// A buffer too small is replaced, and the new one is returned.
	r = bufio.NewReader(bytes.NewReader(f))
	small := make([]byte, 2)
	_, b, nbuf, err := wire.ReadFrame(r, 1024, small)
	if err != nil || len(nbuf) != len(f)-4 || &nbuf[1] != &b[0] {
		t.Fatalf("grow: %v %d", err, len(nbuf))
	}
	allocs := testing.AllocsPerRun(100, func() {
		r.Reset(bytes.NewReader(stream))
		for i := 0; i < 3; i++ {
			_, _, buf, _ = wire.ReadFrame(r, 1024, buf)
		}
	})
	// bytes.NewReader, and one per frame: ReadFrame's 4-byte header array
	// escapes to the heap through io.ReadFull (see the report).
	if allocs > 4 {
		t.Fatalf("%v allocations reading 3 frames into a reused buffer", allocs)
	}
}

func TestFrameBody(t *testing.T) {
	f := mustFrame(t, wire.FrameGap, &wire.Gap{Group: "g", From: 1, To: 2})
	ft, b, err := wire.FrameBody(f)
	if err != nil || ft != wire.FrameGap || !bytes.Equal(b, f[5:]) {
		t.Fatalf("%v %v %x", err, ft, b)
	}
	if _, _, err := wire.FrameBody(f[:4]); !errors.Is(err, wire.ErrEmptyFrame) {
		t.Fatalf("short: %v", err)
	}
	if _, _, err := wire.FrameBody(f[:len(f)-1]); !errors.Is(err, wire.ErrMalformed) {
		t.Fatalf("cut: %v", err)
	}
	if _, _, err := wire.FrameBody(append(f, 0)); !errors.Is(err, wire.ErrMalformed) {
		t.Fatalf("long: %v", err)
	}
}

func TestAppendFrame(t *testing.T) {
	prefix := []byte("keep")
	out, err := wire.AppendFrame(prefix, wire.FramePing, &wire.Ping{N: 1})
	if err != nil || !bytes.HasPrefix(out, prefix) || !bytes.Equal(out[4:], mustFrame(t, wire.FramePing, &wire.Ping{N: 1})) {
		t.Fatalf("%v %x", err, out)
	}
	// A nil value gives a frame of only the type byte.
	if f := mustFrame(t, wire.FramePong, nil); !bytes.Equal(f, []byte{0, 0, 0, 1, byte(wire.FramePong)}) {
		t.Fatalf("nil body: %x", f)
	}
	// Values msgpack cannot encode are an error, and dst is returned as is.
	out, err = wire.AppendFrame(prefix, wire.FrameReply, make(chan int))
	if err == nil || !bytes.Equal(out, prefix) {
		t.Fatalf("unencodable: %v %x", err, out)
	}
	// Frames are independent of the pooled encoder: encoding again does not
	// change a frame already returned.
	a := mustFrame(t, wire.FramePush, pushOf(2))
	keep := bytes.Clone(a)
	for i := 0; i < 10; i++ {
		mustFrame(t, wire.FramePush, pushOf(3))
	}
	if !bytes.Equal(a, keep) {
		t.Fatal("a returned frame changed after later encodes")
	}
	m := mustMarshal(t, &wire.Ping{N: 1})
	if !bytes.Equal(m, body(t, mustFrame(t, wire.FramePing, &wire.Ping{N: 1}))) {
		t.Fatal("Marshal and the frame body differ")
	}
}

// TestEncodeConcurrent uses the pooled encoders from many goroutines (run
// with -race).
func TestEncodeConcurrent(t *testing.T) {
	want := mustFrame(t, wire.FramePush, pushOf(4))
	done := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func() {
			for i := 0; i < 200; i++ {
				f, err := wire.EncodeFrame(wire.FramePush, pushOf(4))
				if err == nil && !bytes.Equal(f, want) {
					err = errors.New("frame differs")
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// TestEmptyRawMessage: an empty Request.Args or Reply.Body must still make
// a well-formed frame (it is written as nil).
func TestEmptyRawMessage(t *testing.T) {
	f, err := wire.EncodeFrame(wire.FrameReply, &wire.Reply{ID: 1, Body: []byte{}})
	if err != nil {
		return // fixed by refusing the value
	}
	if err := wire.Validate(body(t, f)); err != nil {
		t.Fatalf("AppendFrame wrote a malformed frame %x for an empty Reply.Body (%v)", f, err)
	}
}

// TestNegativeMaxSize: a limit <= 0 refuses every frame rather than none.
func TestNegativeMaxSize(t *testing.T) {
	f := rawFrame(wire.FramePing, bytes.Repeat([]byte{0xc0}, 100))
	_, _, _, err := wire.ReadFrame(bufio.NewReader(bytes.NewReader(f)), -1, nil)
	if err == nil {
		t.Fatal("ReadFrame(maxSize=-1) accepted a 101-byte frame; a negative limit must refuse everything")
	}
}

func TestStrings(t *testing.T) {
	frames := map[wire.FrameType]string{1: "hello", 2: "welcome", 3: "request", 4: "reply", 5: "error", 6: "push", 7: "gap", 8: "ping", 9: "pong", 10: "notice", 11: "frame(11)", 0: "frame(0)", 140: "room_push"}
	for ft, s := range frames {
		if ft.String() != s {
			t.Errorf("FrameType(%d) = %q, want %q", uint8(ft), ft.String(), s)
		}
	}
	ops := map[wire.Op]string{1: "create_group", 2: "group_info", 3: "join", 4: "leave", 5: "send", 6: "history",
		7: "members", 8: "my_groups", 9: "mark_read", 10: "resync",
		11: "update_group", 12: "set_role", 13: "kick", 14: "ban", 15: "unban", 16: "mute", 17: "mute_all",
		18: "transfer_owner", 19: "dissolve", 20: "apply", 21: "review", 22: "list_requests", 23: "create_invite",
		24: "revoke_invite", 25: "invite", 26: "announce", 27: "ack_announcement", 28: "announcement_state",
		29: "pin", 30: "pin_group", 31: "search", 32: "nearby", 33: "profile_groups", 34: "show_on_profile",
		35: "group_stats", 36: "list_invites",
		100: "create_fan_group", 101: "set_fan_group", 102: "fan_groups", 103: "notify_creator", 104: "announce_strong",
		105: "recall", 106: "set_divert", 107: "share_card", 108: "set_host_facts",
		140: "open_room", 141: "close_room", 142: "watch_room", 143: "leave_room", 144: "room_send", 145: "room_config",
		0: "op_0", 37: "op_37", 1000: "op_1000", 65535: "op_65535"}
	for op, s := range ops {
		if op.String() != s {
			t.Errorf("Op(%d) = %q, want %q", uint16(op), op.String(), s)
		}
	}
	for name, v := range declaredConsts(t, "Op") {
		if _, listed := ops[wire.Op(v)]; !listed {
			t.Errorf("%s (%d) = %q is not in this table", name, v, wire.Op(v))
		}
	}
	for name, v := range declaredConsts(t, "FrameType") {
		if _, listed := frames[wire.FrameType(v)]; !listed {
			t.Errorf("%s (%d) is not in this table", name, v)
		}
	}
	roles := map[wire.Role]string{0: "member", 1: "admin", 2: "owner", 9: "member"}
	for r, s := range roles {
		if r.String() != s {
			t.Errorf("Role(%d) = %q, want %q", uint8(r), r.String(), s)
		}
	}
}
