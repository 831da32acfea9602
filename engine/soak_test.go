package engine_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/wire"
)

// TestSoak is opt-in: QUN_SOAK=30m go test -run TestSoak -timeout 40m ./engine/
//
// One node with the default limits, on disk, and a steady mix for the
// given duration: members that send, read history, leave and rejoin,
// reconnect and resync; slow readers that stop reading (cut as slow
// consumers, then back); hostile connections (garbage, oversize and
// out-of-range frames, silence). It samples the process's RSS, goroutines
// and open file descriptors (server and clients share the process: they
// must stay flat) at the start, middle and end, after a GC, and logs every
// error code seen. It fails if goroutines or fds at the end exceed the
// start by more than half plus a margin.
func TestSoak(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("QUN_SOAK"))
	if err != nil || d <= 0 {
		t.Skip("set QUN_SOAK to a duration (e.g. 30m) to run the soak")
	}
	cfg := testConfig(t.TempDir())
	cfg.Limits = engine.DefaultLimits()
	cfg.OutboundFrames = 256 // slow readers are cut quickly
	cfg.OutboundBytes = 1 << 20
	cfg.DefaultTier.MaxOwnedGroups = 100
	e := startEngine(t, cfg)
	const members, slow, hostile, ngroups = 16, 2, 2, 8
	owner := dial(t, e, "owner", nil)
	var groups []string
	for i := 0; i < ngroups; i++ {
		g, err := owner.CreateGroup(ctxT(t), fmt.Sprint("soak", i))
		if err != nil {
			t.Fatal(err)
		}
		groups = append(groups, g)
	}
	start := time.Now()
	end := start.Add(d)
	var (
		mu     sync.Mutex
		codes  = map[string]int{}
		ops    atomic.Int64
		cycles atomic.Int64
	)
	note := func(err error) {
		if err == nil {
			return
		}
		k := "other: " + err.Error()
		if c := wire.CodeOf(err); c != wire.CodeInternal || strings.Contains(err.Error(), "internal") {
			k = c.String()
		}
		if len(k) > 60 {
			k = k[:60]
		}
		mu.Lock()
		codes[k]++
		mu.Unlock()
	}
	var wg sync.WaitGroup
	run := func(name string, every time.Duration, f func(rng *rand.Rand)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(len(name)), uint64(time.Now().UnixNano())))
			tick := time.NewTicker(every) // the workload's pace
			defer tick.Stop()
			for time.Now().Before(end) {
				f(rng)
				<-tick.C
			}
		}()
	}
	dialUser := func(user string) *client.Client {
		tok, _ := e.MintToken(user)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := client.Dial(ctx, e.Addr().String(), client.Options{Token: tok})
		note(err)
		return c
	}
	for i := 0; i < members; i++ {
		user := fmt.Sprint("m", i)
		var c *client.Client
		last := map[string]uint64{}
		k := 0
		run(user, 100*time.Millisecond, func(rng *rand.Rand) {
			if c == nil {
				if c = dialUser(user); c == nil {
					return
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				_, err := c.Resync(ctx, last)
				cancel()
				note(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			g := groups[rng.IntN(len(groups))]
			k++
			var err error
			switch r := rng.IntN(100); {
			case r < 60:
				var res wire.SendResult
				res, err = c.SendText(ctx, g, fmt.Sprint(user, "-", k), strings.Repeat("s", 1+rng.IntN(300)))
				if err == nil {
					last[g] = res.Seq
				}
			case r < 80:
				_, err = c.History(ctx, wire.HistoryArgs{Group: g, Limit: 1 + rng.IntN(100)})
			case r < 86:
				_, err = c.Join(ctx, g)
				if wire.CodeOf(err) == wire.CodeAlreadyMember {
					err = nil
				}
			case r < 90:
				err = c.Call(ctx, wire.OpLeave, &wire.GroupArgs{Group: g}, nil)
				if wire.CodeOf(err) == wire.CodeNotMember {
					err = nil
				}
			case r < 95:
				err = c.Call(ctx, wire.OpMyGroups, &wire.Empty{}, nil)
			default: // reconnect
				c.Close()
				c = nil
				cycles.Add(1)
			}
			ops.Add(1)
			if wire.CodeOf(err) == wire.CodeNotMember {
				err = nil // left earlier
			}
			note(err)
			if err != nil && c != nil && c.Err() != nil {
				c.Close()
				c = nil
			}
		})
	}
	for i := 0; i < slow; i++ {
		user := fmt.Sprint("slow", i)
		run(user, 2*time.Second, func(rng *rand.Rand) {
			// Joins every group, asks for lots, never reads; cut, then again.
			tok, _ := e.MintToken(user)
			nc, err := net.DialTimeout("tcp", e.Addr().String(), 5*time.Second)
			if err != nil {
				note(err)
				return
			}
			defer nc.Close()
			f, _ := wire.EncodeFrame(wire.FrameHello, &wire.Hello{Version: 1, Token: tok})
			_, _ = nc.Write(f)
			for j, g := range groups {
				a, _ := wire.Marshal(&wire.JoinArgs{Group: g})
				f, _ = wire.EncodeFrame(wire.FrameRequest, &wire.Request{ID: uint32(j + 1), Op: wire.OpJoin, Args: a})
				_, _ = nc.Write(f)
			}
			a, _ := wire.Marshal(&wire.HistoryArgs{Group: groups[0], Limit: 200})
			for j := 0; j < 150; j++ {
				f, _ = wire.EncodeFrame(wire.FrameRequest, &wire.Request{ID: uint32(100 + j), Op: wire.OpHistory, Args: a})
				_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
				if _, err := nc.Write(f); err != nil {
					break
				}
			}
			cycles.Add(1)
		})
	}
	hostileFrames := [][]byte{
		{0x7f, 0xff, 0xff, 0xff, 3}, // oversize
		{0, 0, 0, 0},                // empty
		rawFrame(wire.FrameRequest, []byte{0xdd, 0xff, 0xff, 0xff, 0xff}), // huge array
		rawFrame(wire.FrameRequest, kv("id", 1, "op", u32(65555), "args", kv())),
		rawFrame(wire.FrameRequest, kv("id", 0, "op", 8, "args", kv())),
		rawFrame(wire.FrameRequest, []byte(strings.Repeat("\x91", 40)+"\xc0")),
		rawFrame(wire.FrameType(77), []byte{0x80}),
		nil, // silence until the handshake deadline
	}
	for i := 0; i < hostile; i++ {
		user := fmt.Sprint("evil", i)
		run(user, 300*time.Millisecond, func(rng *rand.Rand) {
			nc, err := net.DialTimeout("tcp", e.Addr().String(), 5*time.Second)
			if err != nil {
				note(err)
				return
			}
			defer nc.Close()
			if rng.IntN(2) == 0 {
				tok, _ := e.MintToken(user)
				f, _ := wire.EncodeFrame(wire.FrameHello, &wire.Hello{Version: 1, Token: tok})
				_, _ = nc.Write(f)
			}
			if f := hostileFrames[rng.IntN(len(hostileFrames))]; f != nil {
				_, _ = nc.Write(f)
			} else {
				garbage := make([]byte, rng.IntN(64))
				for j := range garbage {
					garbage[j] = byte(rng.Uint32())
				}
				_, _ = nc.Write(garbage)
			}
			_ = nc.SetReadDeadline(time.Now().Add(6 * time.Second))
			buf := make([]byte, 4096)
			for j := 0; j < 100; j++ { // until the server closes
				if _, err := nc.Read(buf); err != nil {
					break
				}
			}
			cycles.Add(1)
		})
	}

	type sample struct {
		at                    time.Duration
		rssKB, gor, fds, conn int
		ops                   int64
	}
	take := func() sample {
		runtime.GC()
		s := sample{at: time.Since(start).Round(time.Second), gor: runtime.NumGoroutine(), fds: openFDs(), rssKB: rssKB(),
			conn: e.Stats().Conns, ops: ops.Load()}
		t.Logf("soak sample at %v: RSS %d KiB, goroutines %d, open fds %d, connections %d, member ops %d, reconnect/slow/hostile cycles %d",
			s.at, s.rssKB, s.gor, s.fds, s.conn, s.ops, cycles.Load())
		return s
	}
	warm := d / 10
	if warm > time.Minute {
		warm = time.Minute
	}
	time.Sleep(warm) // the workload's schedule: sample once it is running
	first := take()
	time.Sleep(time.Until(start.Add(d / 2)))
	take()
	time.Sleep(time.Until(end.Add(-2 * time.Second)))
	last := take()
	wg.Wait()
	owner.Close()
	mu.Lock()
	t.Logf("soak: %v, %d member ops, errors seen: %v", d, ops.Load(), codes)
	mu.Unlock()
	if last.gor > first.gor*3/2+50 || last.fds > first.fds*3/2+50 {
		t.Fatalf("not flat: start %+v, end %+v", first, last)
	}
}

func openFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

func rssKB() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			n, _ := strconv.Atoi(strings.Fields(l)[1])
			return n
		}
	}
	return -1
}
