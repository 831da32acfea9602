package client_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/internal/testserver"
	"github.com/qunchat/qun/wire"
)

// proxy forwards loopback TCP connections to a real server so that a test
// can cut them (as a server closing them would) or swallow the server's
// replies.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	cuts   int
	hold   atomic.Bool // drop what the server sends
	refuse atomic.Bool // close new connections at once
	wg     sync.WaitGroup
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		down, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.refuse.Load() {
			down.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			down.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, down, up)
		p.mu.Unlock()
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			_, _ = io.Copy(up, down)
			up.Close()
			down.Close()
		}()
		go func() {
			defer p.wg.Done()
			defer up.Close()
			defer down.Close()
			buf := make([]byte, 32<<10)
			for {
				n, err := up.Read(buf)
				if err != nil {
					return
				}
				if p.hold.Load() {
					continue
				}
				if _, err := down.Write(buf[:n]); err != nil {
					return
				}
			}
		}()
	}
}

// cut closes every connection made so far, on both sides.
func (p *proxy) cut() {
	p.mu.Lock()
	conns := p.conns
	p.conns = nil
	p.cuts++
	p.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func dialUser(t *testing.T, e *engine.Engine, user string) *client.Client {
	t.Helper()
	c, err := client.Dial(context.Background(), e.Addr().String(), client.Options{Token: testserver.Token(t, e, user)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// stateLog counts a session's reconnects.
type stateLog struct{ lost, back atomic.Int32 }

func (l *stateLog) on(s client.State) {
	if s.Connected {
		l.back.Add(1)
	} else {
		l.lost.Add(1)
	}
}

func connect(t *testing.T, e *engine.Engine, addr, user string, log *stateLog) *client.Session {
	t.Helper()
	s, err := client.Connect(ctxFor(t), addr, client.SessionOptions{
		Options:    client.Options{Token: testserver.Token(t, e, user)},
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, SendAttempts: 200,
		OnState: log.on,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// collect reads sub until it has seen text want, and checks the stream:
// seqs strictly ascending by one, no gap marker, every text once.
func collect(t *testing.T, sub *client.Subscription, from uint64, want string) []string {
	t.Helper()
	ctx := ctxFor(t)
	var got []string
	next := from + 1
	for i := 0; i < 10000; i++ {
		ev, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("after %v: %v", got, err)
		}
		if ev.Gap != nil {
			t.Fatalf("gap marker %+v after %v", *ev.Gap, got)
		}
		if ev.Msg.Seq != next {
			t.Fatalf("seq %d, want %d, after %v", ev.Msg.Seq, next, got)
		}
		next++
		if ev.Msg.Body.Text == nil {
			continue
		}
		got = append(got, ev.Msg.Body.Text.Text)
		if ev.Msg.Body.Text.Text == want {
			return got
		}
	}
	t.Fatalf("no %q in %v", want, got)
	return nil
}

// wantTexts checks that got is m<from> .. m<to-1>.
func wantTexts(t *testing.T, got []string, from, to int) {
	t.Helper()
	if len(got) != to-from {
		t.Fatalf("got %d messages, want %d: %v", len(got), to-from, got)
	}
	for i, s := range got {
		if w := fmt.Sprint("m", from+i); s != w {
			t.Fatalf("message %d is %q, want %q (all: %v)", i, s, w, got)
		}
	}
}

func TestSessionSurvivesCutConnections(t *testing.T) {
	e := testserver.Start(t, testserver.Config(t.TempDir()))
	p := startProxy(t, e.Addr().String())
	ctx := ctxFor(t)
	writer := dialUser(t, e, "alice")
	g, err := writer.CreateGroup(ctx, "cuts")
	if err != nil {
		t.Fatal(err)
	}
	var log stateLog
	s := connect(t, e, p.addr(), "alice", &log)
	sub, err := s.Subscribe(g, 1) // after the "created" event
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Subscribe(g, 0); err != client.ErrSubscribed {
		t.Fatalf("second Subscribe: %v", err)
	}
	const n = 60
	for i := 0; i < n; i++ {
		switch i {
		case 20: // a cut mid-stream: the next push shows the gap
			p.cut()
		case 40: // the last messages are sent while the session is away: only the resync brings them
			p.refuse.Store(true)
			p.cut()
		}
		if _, err := writer.SendText(ctx, g, fmt.Sprint("c", i), fmt.Sprint("m", i)); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, "the session sees the second cut", func() bool { return log.lost.Load() >= 2 })
	p.refuse.Store(false)
	wantTexts(t, collect(t, sub, 1, fmt.Sprint("m", n-1)), 0, n)
	if log.lost.Load() < 1 || log.back.Load() < 1 {
		t.Fatalf("the session did not see a reconnect: lost %d back %d", log.lost.Load(), log.back.Load())
	}
}

// A send whose reply is lost with the connection is retried with the same
// cmid: the server posts it once and says so.
func TestSessionSendRetryIsNotDuplicated(t *testing.T) {
	e := testserver.Start(t, testserver.Config(t.TempDir()))
	p := startProxy(t, e.Addr().String())
	ctx := ctxFor(t)
	reader := dialUser(t, e, "alice")
	var log stateLog
	s := connect(t, e, p.addr(), "alice", &log)
	c, err := s.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	g, err := c.CreateGroup(ctx, "retries")
	if err != nil {
		t.Fatal(err)
	}
	sub, err := s.Subscribe(g, 0)
	if err != nil {
		t.Fatal(err)
	}
	p.hold.Store(true) // the send reaches the server; its reply does not come back
	type sent struct {
		r   wire.SendResult
		err error
	}
	done := make(chan sent, 1)
	go func() {
		r, err := s.SendText(ctx, g, "", "once")
		done <- sent{r, err}
	}()
	waitUntil(t, "the send is durable", func() bool {
		h, err := reader.History(ctx, wire.HistoryArgs{Group: g, After: wire.After(0)})
		return err == nil && len(h.Msgs) == 2
	})
	p.cut()
	p.hold.Store(false)
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	if !res.r.Dup || res.r.Seq != 2 {
		t.Fatalf("retried send: %+v, want seq 2 and dup (the first attempt's reply was lost)", res.r)
	}
	if _, err := s.SendText(ctx, g, "", "after"); err != nil {
		t.Fatal(err)
	}
	got := collect(t, sub, 0, "after")
	if len(got) != 2 || got[0] != "once" {
		t.Fatalf("stream %v, want [once after]", got)
	}
	h, err := reader.History(ctx, wire.HistoryArgs{Group: g, After: wire.After(0)})
	if err != nil || len(h.Msgs) != 3 {
		t.Fatalf("history: %d messages, %v", len(h.Msgs), err)
	}
}

// The server restarts on the same data dir and address mid-stream: the
// session reconnects and resyncs, and a send made while it was down lands
// once.
func TestSessionSurvivesServerRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := testserver.Config(dir)
	e := testserver.Start(t, cfg)
	addr := e.Addr().String()
	ctx := ctxFor(t)
	writer := dialUser(t, e, "alice")
	g, err := writer.CreateGroup(ctx, "restarts")
	if err != nil {
		t.Fatal(err)
	}
	var log stateLog
	s := connect(t, e, addr, "alice", &log)
	sub, err := s.Subscribe(g, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		if _, err := writer.SendText(ctx, g, fmt.Sprint("a", i), fmt.Sprint("m", i)); err != nil {
			t.Fatal(err)
		}
	}
	wantTexts(t, collect(t, sub, 0, "m9"), 0, 10)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the session sees the loss", func() bool { return log.lost.Load() > 0 })
	sendErr := make(chan error, 1)
	go func() {
		_, err := s.SendText(ctx, g, "", "m10")
		sendErr <- err
	}()
	cfg.Listen = addr
	e2 := testserver.Start(t, cfg)
	if err := <-sendErr; err != nil {
		t.Fatal(err)
	}
	writer2 := dialUser(t, e2, "alice")
	for i := 11; i < 20; i++ {
		if _, err := writer2.SendText(ctx, g, fmt.Sprint("b", i), fmt.Sprint("m", i)); err != nil {
			t.Fatal(err)
		}
	}
	wantTexts(t, collect(t, sub, 11, "m19"), 10, 20)
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A reader slower than the group: past QueueLimit the session stops
// queueing pushes and fetches the rest from history as the reader catches
// up.
func TestSessionSlowReaderCatchesUpFromHistory(t *testing.T) {
	e := testserver.Start(t, testserver.Config(t.TempDir()))
	ctx := ctxFor(t)
	writer := dialUser(t, e, "alice")
	g, err := writer.CreateGroup(ctx, "slow reader")
	if err != nil {
		t.Fatal(err)
	}
	s, err := client.Connect(ctx, e.Addr().String(), client.SessionOptions{
		Options: client.Options{Token: testserver.Token(t, e, "alice")}, QueueLimit: 4, HistoryPage: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sub, err := s.Subscribe(g, 1)
	if err != nil {
		t.Fatal(err)
	}
	const n = 30
	for i := 0; i < n; i++ {
		if _, err := writer.SendText(ctx, g, fmt.Sprint("c", i), fmt.Sprint("m", i)); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, "the subscription is behind and idle", func() bool { return client.BehindAndIdle(sub) })
	wantTexts(t, collect(t, sub, 1, fmt.Sprint("m", n-1)), 0, n)
}
