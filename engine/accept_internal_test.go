package engine

import (
	"bytes"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// emfileListener fails every Accept as a process out of file descriptors.
type emfileListener struct{ calls atomic.Int64 }

func (l *emfileListener) Accept() (net.Conn, error) {
	l.calls.Add(1)
	return nil, &net.OpError{Op: "accept", Net: "tcp", Err: syscall.EMFILE}
}
func (l *emfileListener) Close() error   { return nil }
func (l *emfileListener) Addr() net.Addr { return &net.TCPAddr{} }

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedBuf) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// TestAcceptAtTheFDLimit: out of file descriptors, the accept loop backs
// off (at most about one attempt a second, never a spin), logs once, and
// stops when the engine closes. In a synctest bubble: a minute of virtual
// time.
func TestAcceptAtTheFDLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs lockedBuf
		ln := &emfileListener{}
		e := &Engine{log: slog.New(slog.NewTextHandler(&logs, nil)), closed: make(chan struct{}), conns: map[*conn]struct{}{}}
		e.wg.Add(1)
		go e.acceptLoop(ln)
		time.Sleep(time.Minute)
		calls := ln.calls.Load()
		e.closing.Store(true)
		close(e.closed)
		e.wg.Wait()
		if calls < 30 || calls > 80 {
			t.Fatalf("%d accept attempts in a minute: want a backoff to about one a second", calls)
		}
		if n := strings.Count(logs.b.String(), "accept failing"); n != 1 {
			t.Fatalf("logged %d times:\n%s", n, logs.b.String())
		}
	})
}
