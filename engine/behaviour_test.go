package engine_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/wire"
)

func TestHistoryPages(t *testing.T) {
	e := startEngine(t, testConfig(t.TempDir()))
	ctx := ctxT(t)
	a := dial(t, e, "alice", nil)
	g, err := a.CreateGroup(ctx, "pages")
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 120; i++ {
		if _, err := a.SendText(ctx, g, fmt.Sprint(i), fmt.Sprint("m", i)); err != nil {
			t.Fatal(err)
		}
	}
	// Newest first page, then older pages with Before.
	var seqs []uint64
	before := uint64(0)
	for i := 0; i < 10; i++ {
		h, err := a.History(ctx, wire.HistoryArgs{Group: g, Before: before, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		for j := len(h.Msgs) - 1; j >= 0; j-- {
			seqs = append(seqs, h.Msgs[j].Seq)
		}
		if h.LastSeq != 121 {
			t.Fatalf("last seq %d", h.LastSeq)
		}
		if !h.More {
			break
		}
		before = h.Msgs[0].Seq
	}
	if len(seqs) != 121 || seqs[0] != 121 || seqs[120] != 1 {
		t.Fatalf("backward paging got %d seqs: first %d", len(seqs), seqs[0])
	}
	// Forward from a seq.
	h, err := a.History(ctx, wire.HistoryArgs{Group: g, After: wire.After(100), Limit: 5})
	if err != nil || len(h.Msgs) != 5 || h.Msgs[0].Seq != 101 || !h.More {
		t.Fatalf("after 100: %+v %v", h, err)
	}
	// Big messages: a page stays under the frame limit.
	big := strings.Repeat("字", 1300) // 3900 bytes
	for i := 0; i < 40; i++ {
		if _, err := a.SendText(ctx, g, fmt.Sprint("big", i), big); err != nil {
			t.Fatal(err)
		}
	}
	h, err = a.History(ctx, wire.HistoryArgs{Group: g, Limit: 200})
	if err != nil || len(h.Msgs) == 0 || len(h.Msgs) >= 40 || !h.More {
		t.Fatalf("big page: %d msgs more=%v err=%v", len(h.Msgs), h.More, err)
	}
}

func TestIdempotentRetryAfterDroppedConnection(t *testing.T) {
	e := startEngine(t, testConfig(t.TempDir()))
	ctx := ctxT(t)
	a := dial(t, e, "alice", nil)
	g, err := a.CreateGroup(ctx, "retry")
	if err != nil {
		t.Fatal(err)
	}
	r1, err := a.SendText(ctx, g, "cm-1", "once")
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	a2 := dial(t, e, "alice", nil)
	r2, err := a2.SendText(ctx, g, "cm-1", "once")
	if err != nil {
		t.Fatal(err)
	}
	if r2.Seq != r1.Seq || !r2.Dup || r2.Time != r1.Time {
		t.Fatalf("retry got %+v, first %+v", r2, r1)
	}
	h, _ := a2.History(ctx, wire.HistoryArgs{Group: g})
	if n := len(texts(h.Msgs)); n != 1 {
		t.Fatalf("%d copies stored", n)
	}
}

func TestRestartInProcess(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	cfg.Group.SnapshotEvery = 10 // recovery goes through snapshot + tail
	e, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	a := dial(t, e, "alice", nil)
	b := dial(t, e, "bob", nil)
	g, _ := a.CreateGroup(ctx, "restart")
	if _, err := b.Join(ctx, g); err != nil {
		t.Fatal(err)
	}
	acked := map[string]uint64{}
	for i := 0; i < 35; i++ {
		r, err := a.SendText(ctx, g, fmt.Sprint(i), "x")
		if err != nil {
			t.Fatal(err)
		}
		acked[fmt.Sprint(i)] = r.Seq
	}
	if err := b.MarkRead(ctx, g, 20); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e2 := startEngine(t, cfg)
	a2 := dial(t, e2, "alice", nil)
	checkJournal(t, allHistory(t, a2, g), acked)
	r, err := a2.SendText(ctx, g, "after", "x")
	if err != nil || r.Seq != 38 {
		t.Fatalf("seq after restart %d %v", r.Seq, err)
	}
	// A retry of a message acked before the restart is still a duplicate.
	if r, err := a2.SendText(ctx, g, "34", "x"); err != nil || !r.Dup || r.Seq != acked["34"] {
		t.Fatalf("dedup across restart: %+v %v", r, err)
	}
	b2 := dial(t, e2, "bob", nil)
	mg, err := b2.MyGroups(ctx)
	if err != nil || len(mg) != 1 || mg[0].ReadSeq != 20 || mg[0].Unread != 18 {
		t.Fatalf("bob's groups after restart: %+v %v", mg, err)
	}
}

// rawConn speaks the protocol by hand.
type rawConn struct {
	t  *testing.T
	nc net.Conn
	r  *bufio.Reader
}

func rawDial(t *testing.T, e *engine.Engine) *rawConn {
	nc, err := net.Dial("tcp", e.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return wrapConn(t, nc)
}

func wrapConn(t *testing.T, nc net.Conn) *rawConn {
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc, r: bufio.NewReader(nc)}
}

func (c *rawConn) write(b []byte) {
	c.t.Helper()
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawConn) frame(ft wire.FrameType, v any) {
	c.t.Helper()
	f, err := wire.EncodeFrame(ft, v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.write(f)
}

func rawFrame(ft wire.FrameType, body []byte) []byte {
	b := make([]byte, 5, 5+len(body))
	binary.BigEndian.PutUint32(b, uint32(1+len(body)))
	b[4] = byte(ft)
	return append(b, body...)
}

func (c *rawConn) hello(user string, e *engine.Engine) {
	c.t.Helper()
	tok, _ := e.MintToken(user)
	c.frame(wire.FrameHello, &wire.Hello{Version: wire.ProtocolVersion, Token: tok})
	if ft, _ := c.next(); ft != wire.FrameWelcome {
		c.t.Fatalf("got %s, want welcome", ft)
	}
}

func (c *rawConn) next() (wire.FrameType, []byte) {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	ft, body, _, err := wire.ReadFrame(c.r, 1<<20, nil)
	if err != nil {
		return 0, nil
	}
	return ft, append([]byte(nil), body...)
}

// expectClose reads frames until an error frame with the code, then EOF.
func (c *rawConn) expectClose(code wire.Code) {
	c.t.Helper()
	for i := 0; i < 10000; i++ {
		ft, body := c.next()
		if ft == 0 {
			c.t.Fatalf("connection closed without error frame %s", code)
		}
		if ft != wire.FrameError {
			continue
		}
		var ef wire.ErrorFrame
		if err := wire.Decode(body, &ef); err != nil {
			c.t.Fatal(err)
		}
		if ef.ID != 0 || ef.Code != code {
			c.t.Fatalf("error frame %+v, want connection error %s", ef, code)
		}
		// Closed means EOF, or a reset when the server closed with our
		// unread bytes in its buffer; a timeout means it stayed open.
		_ = c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err := c.r.ReadByte()
		if err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			c.t.Fatalf("connection still open after error frame: %v", err)
		}
		if err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
			c.t.Fatalf("unexpected read error after error frame: %v", err)
		}
		return
	}
}

func TestHostileFramesCloseOnlyTheirConnection(t *testing.T) {
	eachTransport(t, testHostileFramesCloseOnlyTheirConnection)
}

func testHostileFramesCloseOnlyTheirConnection(t *testing.T, tr transport) {
	cfg := testConfig(t.TempDir())
	cfg.HandshakeTimeout = 300 * time.Millisecond
	e := startEngine(t, cfg)
	ctx := ctxT(t)
	box := newInbox()
	a := tr.dial(t, e, "alice", box)
	b := tr.dial(t, e, "bob", nil)
	g, _ := a.CreateGroup(ctx, "calm")
	if _, err := b.Join(ctx, g); err != nil {
		t.Fatal(err)
	}
	huge := func(code byte) []byte { return []byte{code, 0xff, 0xff, 0xff, 0xff} }
	cases := []struct {
		name  string
		hello bool // complete the handshake first
		send  []byte
		half  bool // close our write side after sending
		code  wire.Code
	}{
		{"oversize length", false, []byte{0x7f, 0xff, 0xff, 0xff, 1}, false, wire.CodeFrameTooLarge},
		{"oversize after hello", true, []byte{0x00, 0x10, 0x00, 0x01, 3}, false, wire.CodeFrameTooLarge},
		{"zero length", true, []byte{0, 0, 0, 0}, false, wire.CodeBadFrame},
		{"truncated body", true, append([]byte{0, 0, 0, 100, 3}, 1, 2, 3), true, wire.CodeBadFrame},
		{"garbage hello", false, rawFrame(wire.FrameHello, []byte("garbage!")), false, wire.CodeBadFrame},
		{"not a hello first", false, rawFrame(wire.FrameRequest, []byte{0x80}), false, wire.CodeExpectedHello},
		{"hello declares huge array", false, rawFrame(wire.FrameHello, huge(0xdd)), false, wire.CodeBadFrame},
		{"request declares huge map", true, rawFrame(wire.FrameRequest, huge(0xdf)), false, wire.CodeBadFrame},
		{"request declares huge string", true, rawFrame(wire.FrameRequest, huge(0xdb)), false, wire.CodeBadFrame},
		{"request declares huge bin", true, rawFrame(wire.FrameRequest, huge(0xc6)), false, wire.CodeBadFrame},
		{"request is an ext", true, rawFrame(wire.FrameRequest, []byte{0xd4, 1, 2}), false, wire.CodeBadFrame},
		{"request nested deep", true, rawFrame(wire.FrameRequest, []byte(strings.Repeat("\x91", 40)+"\xc0")), false, wire.CodeBadFrame},
		{"unknown frame type", true, rawFrame(wire.FrameType(200), []byte{0x80}), false, wire.CodeUnexpectedFrame},
		{"server-only frame", true, rawFrame(wire.FramePush, []byte{0x80}), false, wire.CodeUnexpectedFrame},
		{"bad version", false, mustFrame(t, wire.FrameHello, &wire.Hello{Version: 99, Token: "x"}), false, wire.CodeBadVersion},
		{"bad token", false, mustFrame(t, wire.FrameHello, &wire.Hello{Version: 1, Token: "a.b.c"}), false, wire.CodeUnauthenticated},
		{"silence", false, nil, false, wire.CodeHandshakeTimeout},
	}
	skipped, i := 0, -1
	for _, c := range cases {
		// A WebSocket message delimits its frame: it cannot be truncated
		// or lie about its length (websocket_test.go has its own cases).
		if !tr.stream && (c.half || len(c.send) >= 4 && int(binary.BigEndian.Uint32(c.send)) != len(c.send)-4) {
			skipped++
			continue
		}
		i++
		t.Run(c.name, func(t *testing.T) {
			rc := tr.rawDial(t, e)
			if c.hello {
				rc.hello("mallory", e)
			}
			if c.send != nil {
				rc.write(c.send)
			}
			if c.half {
				rc.nc.(*net.TCPConn).CloseWrite()
			}
			rc.expectClose(c.code)
			// Meanwhile the others keep chatting.
			if _, err := b.SendText(ctx, g, fmt.Sprint("ok", i), "still here"); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 5*time.Second, "alice gets bob's line", func() bool { return len(texts(box.get(g))) == i+1 })
		})
	}
	// A bad request (valid frame, bad arguments) fails only that request.
	rc := tr.rawDial(t, e)
	rc.hello("bob", e)
	args, _ := wire.Marshal(map[string]int{"g": 5})
	rc.frame(wire.FrameRequest, &wire.Request{ID: 7, Op: wire.OpSend, Args: args})
	rc.frame(wire.FrameRequest, &wire.Request{ID: 8, Op: wire.Op(4242), Args: []byte{0x80}})
	got := map[uint32]wire.Code{}
	for len(got) < 2 {
		ft, body := rc.next()
		if ft == wire.FrameError {
			var ef wire.ErrorFrame
			_ = wire.Decode(body, &ef)
			got[ef.ID] = ef.Code
		} else if ft == 0 {
			t.Fatal("connection closed after a bad request")
		}
	}
	if got[7] != wire.CodeBadRequest || got[8] != wire.CodeUnknownOp {
		t.Fatalf("request errors %v", got)
	}
	rc.frame(wire.FramePing, &wire.Ping{N: 9})
	if ft, _ := rc.next(); ft != wire.FramePong {
		t.Fatalf("connection unusable after bad requests: %s", ft)
	}
	if e.Stats().BadFrames < int64(len(cases)-4-skipped) {
		t.Fatalf("bad frames counted %d", e.Stats().BadFrames)
	}
}

func mustFrame(t *testing.T, ft wire.FrameType, v any) []byte {
	f, err := wire.EncodeFrame(ft, v)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestTooManyInFlightClosesTheConnection(t *testing.T) {
	eachTransport(t, testTooManyInFlightClosesTheConnection)
}

func testTooManyInFlightClosesTheConnection(t *testing.T, tr transport) {
	cfg := testConfig("")
	cfg.MaxInFlight = 4
	e := startEngine(t, cfg)
	a := tr.dial(t, e, "alice", nil)
	g, _ := a.CreateGroup(ctxT(t), "x")
	rc := tr.rawDial(t, e)
	rc.hello("alice", e)
	var burst []byte
	for i := 1; i <= 64; i++ {
		args, _ := wire.Marshal(&wire.HistoryArgs{Group: g, Limit: 200})
		burst = append(burst, mustFrame(t, wire.FrameRequest, &wire.Request{ID: uint32(i), Op: wire.OpHistory, Args: args})...)
	}
	rc.write(burst)
	rc.expectClose(wire.CodeTooManyInFlight)
	if _, err := a.SendText(ctxT(t), g, "1", "fine"); err != nil {
		t.Fatal(err)
	}
}

// TestSlowConsumerIsCutAndResyncs: a reader that stops reading is
// disconnected with a code, never slows the group, and gets everything back
// on resync.
func TestSlowConsumerIsCutAndResyncs(t *testing.T) { eachTransport(t, testSlowConsumerIsCutAndResyncs) }

func testSlowConsumerIsCutAndResyncs(t *testing.T, tr transport) {
	cfg := testConfig(t.TempDir())
	cfg.OutboundFrames = 16
	cfg.OutboundBytes = cfg.MaxFrameSize
	cfg.ResyncMax = 100000
	e := startEngine(t, cfg)
	// Up to 3000 durable sends: more time than ctxT under -race on a busy machine.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	fast := newInbox()
	a := tr.dial(t, e, "alice", fast)
	g, _ := a.CreateGroup(ctx, "firehose")
	// The slow reader: a raw connection with a tiny receive buffer that never reads.
	nc, err := tr.conn(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(16 << 10)
	}
	slow := &rawConn{t: t, nc: nc, r: bufio.NewReader(nc)}
	sb := tr.dial(t, e, "slowpoke", nil)
	if _, err := sb.Join(ctx, g); err != nil {
		t.Fatal(err)
	}
	sb.Close()
	slow.hello("slowpoke", e)
	text := strings.Repeat("x", 2000)
	const n = 3000
	for i := 0; i < n && e.Stats().SlowConsumer == 0; i++ {
		if _, err := a.SendText(ctx, g, fmt.Sprint(i), text); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 10*time.Second, "slow consumer cut", func() bool { return e.Stats().SlowConsumer >= 1 })
	last, _ := a.SendText(ctx, g, "last", "done")
	waitFor(t, 10*time.Second, "fast reader has everything", func() bool {
		ms := fast.get(g)
		return len(ms) > 0 && ms[len(ms)-1].Seq == last.Seq
	})
	// The server gives up on the connection (its error frame is best effort:
	// a reader that does not read cannot receive it).
	waitFor(t, 30*time.Second, "slow connection closed by the server", func() bool { return e.Stats().Conns == 1 })
	slow.nc.Close()
	// Back again: resync from what it had (say, only the creation) and get all.
	box := newInbox()
	again := tr.dial(t, e, "slowpoke", box)
	res, err := again.Resync(ctx, map[string]uint64{g: 1})
	if err != nil || len(res.Groups) != 1 || res.Groups[0].Gap || res.Groups[0].LastSeq != last.Seq {
		t.Fatalf("resync %+v %v", res, err)
	}
	waitFor(t, 10*time.Second, "resync pushed everything", func() bool {
		ms := box.get(g)
		return len(ms) > 0 && ms[len(ms)-1].Seq == last.Seq
	})
	ms := box.get(g)
	for i := 1; i < len(ms); i++ {
		if ms[i].Seq != ms[i-1].Seq+1 && ms[i].Seq > ms[i-1].Seq {
			t.Fatalf("resync skipped from %d to %d", ms[i-1].Seq, ms[i].Seq)
		}
	}
}

func TestResyncPastTheBoundSendsAGap(t *testing.T) {
	cfg := testConfig("")
	cfg.ResyncMax = 10
	e := startEngine(t, cfg)
	ctx := ctxT(t)
	abox := newInbox()
	a := dial(t, e, "alice", abox)
	g, _ := a.CreateGroup(ctx, "gap")
	for i := 0; i < 300; i++ {
		if _, err := a.SendText(ctx, g, fmt.Sprint(i), "m"); err != nil {
			t.Fatal(err)
		}
	}
	// The last live push has left the hub before the second connection
	// subscribes, so everything it gets comes from the resync.
	waitFor(t, 10*time.Second, "last live push", func() bool {
		ms := abox.get(g)
		return len(ms) > 0 && ms[len(ms)-1].Seq == 301
	})
	box := newInbox()
	b := dial(t, e, "alice", box)
	res, err := b.Resync(ctx, map[string]uint64{g: 5, "gnosuchgroup": 0})
	if err != nil {
		t.Fatal(err)
	}
	byG := map[string]wire.ResyncGroup{}
	for _, r := range res.Groups {
		byG[r.Group] = r
	}
	if r := byG[g]; !r.Gap || r.Sent < 10 || r.LastSeq != 301 {
		t.Fatalf("resync %+v", r)
	}
	if r := byG["gnosuchgroup"]; r.Code != wire.CodeNoSuchGroup {
		t.Fatalf("unknown group %+v", r)
	}
	box.mu.Lock()
	gaps := append([]wire.Gap(nil), box.gaps...)
	box.mu.Unlock()
	if len(gaps) != 1 || gaps[0].To != 301 || gaps[0].From != uint64(5+byG[g].Sent+1) {
		t.Fatalf("gap frames %+v (sent %d)", gaps, byG[g].Sent)
	}
	ms := box.get(g)
	if len(ms) != byG[g].Sent || ms[0].Seq != 6 {
		t.Fatalf("pushed %d, first %d", len(ms), ms[0].Seq)
	}
}

func TestIdleGrainsPassivateAndComeBack(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.GrainIdleTimeout = 100 * time.Millisecond
	cfg.WatchTTL = 300 * time.Millisecond
	e := startEngine(t, cfg)
	ctx := ctxT(t)
	a := dial(t, e, "alice", nil)
	g, _ := a.CreateGroup(ctx, "sleepy")
	for i := 0; i < 5; i++ {
		if _, err := a.SendText(ctx, g, fmt.Sprint(i), "zzz"); err != nil {
			t.Fatal(err)
		}
	}
	if e.Stats().Grains == 0 {
		t.Fatal("no active grains while in use")
	}
	a.Close()
	waitFor(t, 15*time.Second, "grains passivated", func() bool { return e.Stats().Grains == 0 })
	box := newInbox()
	a2 := dial(t, e, "alice", box)
	h, err := a2.History(ctx, wire.HistoryArgs{Group: g})
	if err != nil || len(h.Msgs) != 6 {
		t.Fatalf("history after passivation: %d %v", len(h.Msgs), err)
	}
	r, err := a2.SendText(ctx, g, "4", "zzz")
	if err != nil || !r.Dup {
		t.Fatalf("dedup after passivation: %+v %v", r, err)
	}
	r, err = a2.SendText(ctx, g, "new", "awake")
	if err != nil || r.Seq != 7 {
		t.Fatalf("send after passivation: %+v %v", r, err)
	}
	waitFor(t, 5*time.Second, "live push after reactivation", func() bool { return len(box.get(g)) == 1 })
}

func TestBadTokensAreRefused(t *testing.T) { eachTransport(t, testBadTokensAreRefused) }

func testBadTokensAreRefused(t *testing.T, tr transport) {
	e := startEngine(t, testConfig(""))
	expired, _ := engine.MintToken(e.Secret(), "alice", -time.Hour)
	other, _ := engine.MintToken([]byte("another-secret-0123456789"), "alice", time.Hour)
	for tok, code := range map[string]wire.Code{
		// No token at all: an anonymous room viewer (room_anon_test.go).
		expired:                   wire.CodeTokenExpired,
		other:                     wire.CodeUnauthenticated,
		strings.Repeat(".", 6000): wire.CodeUnauthenticated, // over MaxTokenLen, under the handshake frame limit
		"eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.": wire.CodeUnauthenticated, // alg none
	} {
		_, err := client.Dial(context.Background(), tr.addr(e), client.Options{Token: tok})
		if wire.CodeOf(err) != code {
			t.Errorf("token %.20q: %v, want %s", tok, err, code)
		}
	}
}

// TestReconnectKeepsPushes: a connection that closes just before the same
// user reconnects must not leave the group unwatched (an unwatch racing a
// new watch once dropped pushes until the lease renewal).
func TestReconnectKeepsPushes(t *testing.T) {
	e := startEngine(t, testConfig(""))
	ctx := ctxT(t)
	o := dial(t, e, "owner", nil)
	g, _ := o.CreateGroup(ctx, "flappy")
	b := dial(t, e, "bob", nil)
	if _, err := b.Join(ctx, g); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		o.Close()
		// Let the server see the close first, so the group's last local
		// subscriber goes away before the new one arrives.
		waitFor(t, 5*time.Second, "close seen", func() bool { return e.Stats().Conns == 1 })
		box := newInbox()
		o = dial(t, e, "owner", box)
		r, err := b.SendText(ctx, g, fmt.Sprint(i), "ping")
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, 3*time.Second, "push after reconnect", func() bool {
			ms := box.get(g)
			return len(ms) > 0 && ms[len(ms)-1].Seq == r.Seq
		})
	}
}
