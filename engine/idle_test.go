package engine_test

import (
	"bufio"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/qunchat/qun/wire"
)

// TestIdleConnectionHasOneGoroutine: once its welcome is written, an idle
// connection keeps only its reader goroutine on the server (no writer, no
// per-request goroutine), and it still answers when traffic resumes.
func TestIdleConnectionHasOneGoroutine(t *testing.T) {
	e := startEngine(t, testConfig(""))
	const n = 20
	settle := func() int {
		// Goroutines of our own (the engine's, the runtime's) settle between
		// connections; take the lowest of a few readings.
		low := runtime.NumGoroutine()
		for i := 0; i < 20; i++ {
			runtime.Gosched()
			if g := runtime.NumGoroutine(); g < low {
				low = g
			}
		}
		return low
	}
	base := settle()
	conns := make([]net.Conn, n)
	readers := make([]*bufio.Reader, n)
	for i := range conns {
		tok, err := e.MintToken("idle" + string(rune('a'+i)))
		if err != nil {
			t.Fatal(err)
		}
		nc, err := net.Dial("tcp", e.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		f, _ := wire.EncodeFrame(wire.FrameHello, &wire.Hello{Version: wire.ProtocolVersion, Token: tok})
		if _, err := nc.Write(f); err != nil {
			t.Fatal(err)
		}
		_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(nc)
		if ft, _, _, err := wire.ReadFrame(r, wire.DefaultMaxFrameSize, nil); err != nil || ft != wire.FrameWelcome {
			t.Fatalf("welcome: %v %v", ft, err)
		}
		conns[i], readers[i] = nc, r
	}
	// One goroutine per connection (the reader), plus a little slack for the
	// engine's own; a writer per connection would make it 2n.
	waitFor(t, 10*time.Second, "idle connections down to their readers", func() bool {
		return settle()-base <= n+n/4
	})
	// Traffic resumes: a ping is answered on each.
	for i, nc := range conns {
		f, _ := wire.EncodeFrame(wire.FramePing, &wire.Ping{N: uint64(i)})
		if _, err := nc.Write(f); err != nil {
			t.Fatal(err)
		}
		ft, body, _, err := wire.ReadFrame(readers[i], wire.DefaultMaxFrameSize, nil)
		var p wire.Ping
		if err != nil || ft != wire.FramePong || wire.Decode(body, &p) != nil || p.N != uint64(i) {
			t.Fatalf("pong %d: %v %v %+v", i, ft, err, p)
		}
	}
}
