package engine_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/wire"
)

// viewer collects a room's merged pushes.
type viewer struct {
	mu       sync.Mutex
	frames   int
	merged   int // frames with more than one message
	skipped  int
	online   int
	seen     map[uint64]wire.Message
	closedBy error
}

func (v *viewer) onRoomPush(p *wire.RoomPush) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.frames++
	if len(p.Msgs) > 1 {
		v.merged++
	}
	v.skipped += p.Skipped
	if p.Online > 0 {
		v.online = p.Online
	}
	for _, m := range p.Msgs {
		v.seen[m.Seq] = m
	}
}

func (v *viewer) has(seqs []uint64) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, s := range seqs {
		if _, ok := v.seen[s]; !ok {
			return false
		}
	}
	return true
}

func dialViewer(t *testing.T, addr, user string) (*client.Client, *viewer) {
	t.Helper()
	v := &viewer{seen: map[uint64]wire.Message{}}
	c, err := client.Dial(context.Background(), addr, client.Options{Token: token(t, user), OnRoomPush: v.onRoomPush,
		OnClose: func(err error) { v.mu.Lock(); v.closedBy = err; v.mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, v
}

// TestRoomEndToEnd: several viewers over TCP; chatter at a high rate and a
// gift every 50 ms. Viewers see merged frames, chatter thinned (with the
// skipped count), every gift; the chatter cap refuses the excess with a
// retry-after; history shows the gifts and the retained chatter; the
// online count is pushed.
func TestRoomEndToEnd(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Group.Room.ThinAbove = 20 // every viewer's chatter is sampled once the room passes 20/s
	cfg.Group.Room.SampleK = 5
	cfg.Group.Room.CountEvery = 100 * time.Millisecond
	cfg.Group.Room.ChatterCap, cfg.Group.Room.ChatterBurst = 50, 20 // low enough for a slow test machine to pass it
	e := startEngine(t, cfg)
	addr := e.Addr().String()
	ctx := ctxT(t)

	room, err := e.OpenRoom(ctx, "live1", "host")
	if err != nil || room != "room-live1" {
		t.Fatalf("open: %q %v", room, err)
	}
	host := dialAddr(t, addr, "host")
	const nViewers = 4
	views := make([]*viewer, nViewers)
	for i := range views {
		var c *client.Client
		c, views[i] = dialViewer(t, addr, fmt.Sprintf("viewer%d", i))
		info, err := c.WatchRoom(ctx, room, nil)
		if err != nil || info.Owner != "host" || info.WindowMS != 50 {
			t.Fatalf("watch: %+v %v", info, err)
		}
	}
	// A viewer may speak, a flood is refused with a retry-after.
	speaker, _ := dialViewer(t, addr, "viewer0")
	var limited *wire.Error
	spoke := 0
	for i := 0; i < 5 && limited == nil; i++ {
		if _, err := speaker.RoomSend(ctx, room, "", "hello", wire.LaneChatter); err == nil {
			spoke++
		} else if !errors.As(err, &limited) {
			t.Fatal(err)
		}
	}
	if limited == nil || limited.Code != wire.CodeRateLimited || limited.RetryAfter <= 0 {
		t.Fatalf("viewer flood: %v", limited)
	}

	// At least 1.5 s of chatter from the host as fast as it is taken,
	// until the room cap has refused some (bounded: 20 s), and a gift
	// every 50 ms.
	var gifts []uint64
	chatterOK, refused := 0, 0
	start := time.Now()
	nextGift := start
	for i := 0; (time.Since(start) < 1500*time.Millisecond || refused == 0) && time.Since(start) < 20*time.Second && i < 100000; i++ {
		if time.Now().After(nextGift) {
			res, err := host.RoomSend(ctx, room, "", fmt.Sprintf("gift %d", len(gifts)), wire.LaneHigh)
			if err != nil {
				t.Fatalf("gift refused: %v", err)
			}
			gifts = append(gifts, res.Seq)
			nextGift = nextGift.Add(50 * time.Millisecond)
		}
		// A window of chatter in flight at once: the rate passes the cap
		// whatever one durable round trip takes on a loaded machine.
		_, errs := roomSendWindow(ctx, host, room, "chatter", wire.LaneChatter, 8)
		for _, err := range errs {
			var we *wire.Error
			switch {
			case err == nil:
				chatterOK++
			case errors.As(err, &we) && we.Code == wire.CodeRateLimited && we.RetryAfter > 0:
				refused++
			default:
				t.Fatal(err)
			}
		}
	}
	if refused == 0 || chatterOK == 0 {
		t.Fatalf("chatter taken %d, refused %d: the cap did not act", chatterOK, refused)
	}
	for i, v := range views {
		waitFor(t, 10*time.Second, fmt.Sprintf("viewer %d gets every gift", i), func() bool { return v.has(gifts) })
	}
	waitFor(t, 10*time.Second, "online count pushed", func() bool {
		views[0].mu.Lock()
		defer views[0].mu.Unlock()
		return views[0].online >= nViewers
	})
	for i, v := range views {
		v.mu.Lock()
		chatter := 0
		for _, m := range v.seen {
			if m.Lane == wire.LaneChatter {
				chatter++
			}
		}
		t.Logf("viewer %d: %d frames (%d merged), %d chatter of %d, %d skipped", i, v.frames, v.merged, chatter, chatterOK, v.skipped)
		if v.merged == 0 || v.skipped == 0 || chatter >= chatterOK || v.closedBy != nil {
			t.Errorf("viewer %d: merged %d, skipped %d, chatter %d of %d, closed %v", i, v.merged, v.skipped, chatter, chatterOK, v.closedBy)
		}
		v.mu.Unlock()
	}
	if st := e.RoomStats(); st.Skipped == 0 || st.Thinned == 0 {
		t.Errorf("room stats %+v", st)
	}

	// History, read by someone who never watched: every gift and the
	// retained chatter, in seq order.
	reader := dialAddr(t, addr, "latecomer")
	hist := allHistory(t, reader, room)
	var hg, hc int
	for i, m := range hist {
		if i > 0 && m.Seq <= hist[i-1].Seq {
			t.Fatalf("history out of order at %d", i)
		}
		switch {
		case m.Lane == wire.LaneHigh && m.Type == wire.MsgText:
			hg++
		case m.Lane == wire.LaneChatter:
			hc++
		}
	}
	if hg != len(gifts) || hc != chatterOK+spoke {
		t.Fatalf("history: %d gifts of %d, %d chatter of %d", hg, len(gifts), hc, chatterOK+spoke)
	}

	// A resync from the middle pushes what was missed.
	late, _ := dialViewer(t, addr, "viewer9")
	mid := gifts[len(gifts)/2]
	info, err := late.WatchRoom(ctx, room, wire.After(mid))
	if err != nil || info.Sent == 0 {
		t.Fatalf("watch with after: %+v %v", info, err)
	}

	// Closing ends the stream: no more watchers or messages; history stays.
	if _, err := host.CloseRoom(ctx, room); err != nil {
		t.Fatal(err)
	}
	if _, err := reader.WatchRoom(ctx, room, nil); wire.CodeOf(err) != wire.CodeRoomClosed {
		t.Fatalf("watch after close: %v", err)
	}
	if _, err := host.RoomSend(ctx, room, "", "x", wire.LaneHigh); wire.CodeOf(err) != wire.CodeRoomClosed {
		t.Fatalf("send after close: %v", err)
	}
	if n := len(allHistory(t, reader, room)); n != len(hist)+1 {
		t.Fatalf("history after close: %d, want %d", n, len(hist)+1)
	}
}

// TestNotARoomOverTCP: room ops on a plain group answer not_a_room.
func TestNotARoomOverTCP(t *testing.T) {
	e := startEngine(t, testConfig(""))
	c := dial(t, e, "alice", nil)
	g, err := c.CreateGroup(ctxT(t), "plain")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WatchRoom(ctxT(t), g, nil); wire.CodeOf(err) != wire.CodeNotARoom {
		t.Fatalf("watch a group: %v", err)
	}
	if _, err := c.RoomSend(ctxT(t), g, "", "x", wire.LaneHigh); wire.CodeOf(err) != wire.CodeNotARoom {
		t.Fatalf("room send to a group: %v", err)
	}
	if _, err := c.WatchRoom(ctxT(t), "room-nothing", nil); wire.CodeOf(err) != wire.CodeNoSuchGroup {
		t.Fatalf("watch a room never opened: %v", err)
	}
}

// TestRoomSurvivesKill9: gifts (journal) and chatter (retention ring) that
// were acknowledged survive kill -9, and seqs continue after the restart.
func TestRoomSurvivesKill9(t *testing.T) {
	dir := t.TempDir()
	ch := startChild(t, dir)
	host := dialAddr(t, ch.addr, "host")
	ctx := ctxT(t)
	res, err := host.OpenRoom(ctx, "crash", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	room := res.Room
	acked := map[uint64]wire.Lane{}
	for i := 0; i < 60; i++ {
		lane := wire.LaneChatter
		if i%6 == 0 {
			lane = wire.LaneHigh
		}
		r, err := host.RoomSend(ctx, room, fmt.Sprintf("c%d", i), fmt.Sprintf("m%d", i), lane)
		if err != nil {
			t.Fatal(err)
		}
		acked[r.Seq] = lane
	}
	ch.kill9(t)
	ch = startChild(t, dir)
	defer ch.term(t)
	c := dialAddr(t, ch.addr, "reader")
	hist := allHistory(t, c, room)
	got := map[uint64]wire.Lane{}
	for _, m := range hist {
		got[m.Seq] = m.Lane
	}
	for s, l := range acked {
		if g, ok := got[s]; !ok || g != l {
			t.Errorf("acked seq %d (%v) after kill -9: present %v lane %v", s, l, ok, g)
		}
	}
	host = dialAddr(t, ch.addr, "host")
	r, err := host.RoomSend(ctx, room, "after", "after restart", wire.LaneChatter)
	if err != nil {
		t.Fatal(err)
	}
	if _, reused := acked[r.Seq]; reused || r.Seq <= uint64(len(acked)) {
		t.Fatalf("seq %d after restart reuses or precedes the acked ones", r.Seq)
	}
}

// TestRoomTwoNodes: viewers on two nodes; each message reaches each node
// once (its hub counts messages, not viewers) and is fanned out there; the
// online count pushed to every viewer is the sum over the nodes.
func TestRoomTwoNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two nodes")
	}
	if raceBuild() {
		t.Skip("two in-process nodes race inside protoactor/grpc (see TestDiscoveryTwoNodes)")
	}
	es := startClusterWith(t, 2, func(c *engine.Config) { c.Group.Room.CountEvery = 100 * time.Millisecond })
	e1, e2 := es[0], es[1]
	ctx := ctxT(t)
	room, err := e1.OpenRoom(ctx, "two", "host")
	if err != nil {
		t.Fatal(err)
	}
	var views []*viewer
	for i, e := range []*engine.Engine{e1, e1, e2, e2, e2} {
		c, v := dialViewer(t, e.Addr().String(), fmt.Sprintf("v%d", i))
		if _, err := c.WatchRoom(ctx, room, nil); err != nil {
			t.Fatal(err)
		}
		views = append(views, v)
	}
	host := dialAddr(t, e2.Addr().String(), "host")
	var seqs []uint64
	for i := 0; i < 20; i++ {
		r, err := host.RoomSend(ctx, room, "", fmt.Sprintf("gift %d", i), wire.LaneHigh)
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, r.Seq)
	}
	for i, v := range views {
		waitFor(t, 10*time.Second, fmt.Sprintf("viewer %d gets every message", i), func() bool { return v.has(seqs) })
		waitFor(t, 10*time.Second, fmt.Sprintf("viewer %d sees 5 online", i), func() bool {
			v.mu.Lock()
			defer v.mu.Unlock()
			return v.online == len(views)
		})
	}
	s1, s2 := e1.RoomStats(), e2.RoomStats()
	if s1.Msgs != uint64(len(seqs)) || s2.Msgs != uint64(len(seqs)) {
		t.Fatalf("messages reaching each node: %d and %d, want %d each", s1.Msgs, s2.Msgs, len(seqs))
	}
}

// TestRoomStalledViewerIsCut: a viewer that stops reading is closed as a
// slow consumer once its queue overflows (gifts are never dropped for it),
// while another viewer keeps receiving every gift.
func TestRoomStalledViewerIsCut(t *testing.T) {
	cfg := testConfig("")
	cfg.OutboundFrames, cfg.OutboundBytes = 64, 256<<10
	e := startEngine(t, cfg)
	addr := e.Addr().String()
	ctx := ctxT(t)
	room, err := e.OpenRoom(ctx, "stall", "host")
	if err != nil {
		t.Fatal(err)
	}
	// The stalled viewer speaks the protocol by hand and never reads after
	// its watch request.
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.(*net.TCPConn).SetReadBuffer(4 << 10)
	for _, f := range []struct {
		t wire.FrameType
		v any
	}{
		{wire.FrameHello, &wire.Hello{Version: wire.ProtocolVersion, Token: token(t, "stalled")}},
		{wire.FrameRequest, &wire.Request{ID: 1, Op: wire.OpWatchRoom, Args: marshal(t, wire.WatchRoomArgs{Room: room})}},
	} {
		b, err := wire.EncodeFrame(f.t, f.v)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := nc.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	c, v := dialViewer(t, addr, "reader")
	if _, err := c.WatchRoom(ctx, room, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "both viewers watching", func() bool { return e.Stats().Conns == 2 })
	host := dialAddr(t, addr, "host")
	big := strings.Repeat("g", 4000)
	slow0 := e.Stats().SlowConsumer
	var seqs []uint64
	for i := 0; i < 3000/16 && e.Stats().SlowConsumer == slow0; i++ {
		got, errs := roomSendWindow(ctx, host, room, big, wire.LaneHigh, 16)
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		seqs = append(seqs, got...)
	}
	if e.Stats().SlowConsumer == slow0 {
		t.Fatal("the stalled viewer was never cut off")
	}
	waitFor(t, 20*time.Second, "the reading viewer gets every gift", func() bool { return v.has(seqs) })
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closedBy != nil {
		t.Fatalf("the reading viewer was closed: %v", v.closedBy)
	}
}

func marshal(t *testing.T, v any) []byte {
	b, err := wire.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// roomSendWindow sends n messages into room at once and returns the seqs
// of those taken and every send's error.
func roomSendWindow(ctx context.Context, c *client.Client, room, text string, lane wire.Lane, n int) ([]uint64, []error) {
	seqs := make([]uint64, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := c.RoomSend(ctx, room, "", text, lane)
			seqs[i], errs[i] = r.Seq, err
		}()
	}
	wg.Wait()
	var out []uint64
	for i, s := range seqs {
		if errs[i] == nil {
			out = append(out, s)
		}
	}
	return out, errs
}
