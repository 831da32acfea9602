package engine_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunchat/qun/wire"
)

// pacedReader reads at most n bytes per tick: a reader slow in its own
// process, whose socket buffers fill while the server's queue stays short.
type pacedReader struct {
	r    io.Reader
	tick <-chan time.Time
	stop <-chan struct{}
	n    int
}

func (p *pacedReader) Read(b []byte) (int, error) {
	select {
	case <-p.tick:
	case <-p.stop:
		return 0, io.EOF
	}
	return p.r.Read(b[:min(len(b), p.n)])
}

// slowViewer is a hand-spoken viewer reading through a pacedReader.
type slowViewer struct {
	mu      sync.Mutex
	skipped int
	seen    map[uint64]wire.Lane
	closed  *wire.ErrorFrame
	done    chan struct{}
	stop    chan struct{}
}

func (v *slowViewer) read(t *testing.T, nc net.Conn, tick <-chan time.Time, n int) {
	defer close(v.done)
	r := bufio.NewReaderSize(&pacedReader{r: nc, tick: tick, stop: v.stop, n: n}, n)
	var buf []byte
	for i := 0; i < 1_000_000; i++ {
		ft, body, b, err := wire.ReadFrame(r, 16<<20, buf)
		buf = b
		if err != nil {
			return
		}
		switch ft {
		case wire.FrameRoomPush:
			var p wire.RoomPush
			if err := wire.Decode(body, &p); err != nil {
				t.Errorf("room push: %v", err)
				return
			}
			v.mu.Lock()
			v.skipped += p.Skipped
			for _, m := range p.Msgs {
				v.seen[m.Seq] = m.Lane
			}
			v.mu.Unlock()
		case wire.FrameError:
			var f wire.ErrorFrame
			if wire.Decode(body, &f) == nil && f.ID == 0 {
				v.mu.Lock()
				v.closed = &f
				v.mu.Unlock()
			}
		}
	}
}

func (v *slowViewer) state() (skipped int, closed *wire.ErrorFrame) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.skipped, v.closed
}

func (v *slowViewer) has(seqs []uint64) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, s := range seqs {
		if _, ok := v.seen[s]; !ok {
			return false
		}
	}
	return true
}

// dialSlowViewer connects by hand, watches room and reads n bytes every
// tick, with a small receive buffer.
func dialSlowViewer(t *testing.T, addr, user, room string, every time.Duration, n int) *slowViewer {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = nc.(*net.TCPConn).SetReadBuffer(8 << 10)
	for _, f := range []struct {
		t wire.FrameType
		v any
	}{
		{wire.FrameHello, &wire.Hello{Version: wire.ProtocolVersion, Token: token(t, user)}},
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
	tick := time.NewTicker(every)
	v := &slowViewer{seen: map[uint64]wire.Lane{}, done: make(chan struct{}), stop: make(chan struct{})}
	go v.read(t, nc, tick.C, n)
	t.Cleanup(func() {
		close(v.stop)
		nc.Close()
		<-v.done
		tick.Stop()
	})
	return v
}

// TestRoomSlowReaderIsThinned: a viewer that reads slowly in its own
// process (its socket buffers absorb the room, its queue on the server
// stays short) gets chatter sampled by delivery age, with the skipped
// count, and every gift; a viewer that reads at full speed gets every
// message, chatter included, and is never thinned.
func TestRoomSlowReaderIsThinned(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Group.Room.ThinBacklog = 1000               // only the delivery age can thin here
	cfg.Group.Room.ThinLag = 300 * time.Millisecond // well above a reading viewer's, under -race on a busy machine
	cfg.Group.Room.ThinAbove = 1e6                  // no room-wide thinning
	cfg.Group.Room.SampleK = 5
	cfg.Group.Room.ChatterCap, cfg.Group.Room.ChatterBurst = 1e6, 1e6
	e := startEngine(t, cfg)
	addr := e.Addr().String()
	ctx := ctxT(t)
	room, err := e.OpenRoom(ctx, "slowread", "host")
	if err != nil {
		t.Fatal(err)
	}
	fast, fv := dialViewer(t, addr, "fast")
	if _, err := fast.WatchRoom(ctx, room, nil); err != nil {
		t.Fatal(err)
	}
	// 4 KiB every 20 ms: 200 KiB/s, a fraction of what the room offers below.
	slow := dialSlowViewer(t, addr, "slow", room, 20*time.Millisecond, 4096)
	waitFor(t, 10*time.Second, "both viewers watching", func() bool { return e.Stats().Conns == 2 })
	host := dialAddr(t, addr, "host")
	chatter := strings.Repeat("c", 4000)
	var all, gifts []uint64
	start := time.Now()
	// Chatter as fast as the host gets it accepted with a gift every 20
	// messages, until the slow viewer has been thinned for a while
	// (bounded: 30 s, 40 000 sends).
	thinnedAt := -1
	pace := time.NewTicker(10 * time.Millisecond) // ~400 KiB/s of chatter
	defer pace.Stop()
	for i := 0; i < 40_000 && time.Since(start) < 30*time.Second; i++ {
		lane, text := wire.LaneChatter, chatter
		if i%20 == 0 {
			lane, text = wire.LaneHigh, fmt.Sprintf("gift %d", i)
		}
		res, err := host.RoomSend(ctx, room, "", text, lane)
		if err != nil {
			sk, cl := slow.state()
			t.Fatalf("send %d: %v (slow reader: skipped %d, closed %+v; %+v)", i, err, sk, cl, e.RoomStats())
		}
		all = append(all, res.Seq)
		if lane == wire.LaneHigh {
			gifts = append(gifts, res.Seq)
		}
		<-pace.C
		if thinnedAt < 0 {
			if s, _ := slow.state(); s > 0 {
				thinnedAt = i
			}
		} else if i > thinnedAt+200 {
			break
		}
	}
	if thinnedAt < 0 {
		t.Fatalf("the slow reader was never thinned (%d sends in %v)", len(all), time.Since(start))
	}
	t.Logf("thinned after %d sends, %v", thinnedAt, time.Since(start))
	waitFor(t, 30*time.Second, "the slow reader gets every gift", func() bool {
		if _, closed := slow.state(); closed != nil {
			t.Fatalf("the slow reader was closed: %+v", closed)
		}
		return slow.has(gifts)
	})
	waitFor(t, 30*time.Second, "the fast reader gets every message", func() bool { return fv.has(all) })
	skipped, closed := slow.state()
	if closed != nil {
		t.Fatalf("the slow reader was closed: %+v", closed)
	}
	fv.mu.Lock()
	defer fv.mu.Unlock()
	if fv.skipped != 0 || fv.closedBy != nil {
		t.Fatalf("the fast reader: skipped %d, closed %v", fv.skipped, fv.closedBy)
	}
	if st := e.RoomStats(); st.Skipped == 0 || st.Thinned == 0 {
		t.Fatalf("room stats %+v", st)
	}
	// Room deliveries count like a group's: the console's top groups and
	// qun_deliveries_total (one per viewer per message).
	top := e.TopGroups(3)
	if len(top) == 0 || top[0].Group != room || top[0].Deliveries < uint64(len(all)) {
		t.Fatalf("top groups %+v, want %s with at least %d deliveries", top, room, len(all))
	}
	t.Logf("%v: %d sends, %d gifts; the slow reader skipped %d chatter", time.Since(start), len(all), len(gifts), skipped)
}
