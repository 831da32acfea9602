package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/qunchat/qun/internal/wsconn"
)

// The WebSocket frontend: an HTTP listener whose /ws upgrades to a
// WebSocket carrying the client protocol, one binary message per frame.
// Each WebSocket is adapted to a net.Conn speaking the TCP framing
// (internal/wsconn) and handed to the same accept loop as the TCP
// listener's connections, through a net.Listener: handshake, auth, limits,
// slow-consumer policy and error codes are those of conn.go, unchanged.

// WSPath is the path of the WebSocket endpoint on Config.WSListen.
const WSPath = "/ws"

type wsFrontend struct {
	tcp      net.Listener // the HTTP listener
	srv      *http.Server
	ln       *connListener // the upgraded connections, for acceptLoop
	accepted atomic.Int64
	served   sync.WaitGroup
}

func (c *Config) validateWebSocket() error {
	if c.WSListen == "" {
		if len(c.WSOrigins) > 0 || c.WSHandler != nil {
			return errors.New("WSOrigins or WSHandler set without WSListen")
		}
		return nil
	}
	if _, _, err := net.SplitHostPort(c.WSListen); err != nil {
		return fmt.Errorf("WSListen %q: %v", c.WSListen, err)
	}
	if !isLoopback(c.WSListen) && len(c.Secret) == 0 && c.Hooks.Auth == nil {
		return fmt.Errorf("WebSocket address %q is not loopback: configure a secret explicitly", c.WSListen)
	}
	for _, o := range c.WSOrigins {
		if o == "" {
			return errors.New("an empty WSOrigins pattern")
		}
	}
	return nil
}

func (e *Engine) startWebSocket() error {
	if e.cfg.WSListen == "" {
		return nil
	}
	tcp, err := net.Listen("tcp", e.cfg.WSListen)
	if err != nil {
		return fmt.Errorf("engine: WebSocket listen: %w", err)
	}
	f := &wsFrontend{tcp: tcp, ln: newConnListener(tcp.Addr())}
	opts := &websocket.AcceptOptions{
		OriginPatterns:     slices.DeleteFunc(slices.Clone(e.cfg.WSOrigins), func(o string) bool { return o == "*" }),
		InsecureSkipVerify: slices.Contains(e.cfg.WSOrigins, "*"),
	}
	mux := http.NewServeMux()
	mux.HandleFunc(WSPath, func(w http.ResponseWriter, r *http.Request) {
		if e.closing.Load() {
			http.Error(w, "server shutting down", http.StatusServiceUnavailable)
			return
		}
		c, err := wsconn.Accept(w, r, e.cfg.MaxFrameSize, opts) // answers a refused upgrade itself (403 for a foreign origin)
		if err != nil {
			return
		}
		f.accepted.Add(1)
		if !f.ln.offer(c) {
			_ = c.Close()
		}
	})
	if e.cfg.WSHandler != nil {
		mux.Handle("/", e.cfg.WSHandler)
	}
	f.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: e.cfg.HandshakeTimeout,
		IdleTimeout:       e.cfg.IdleTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          nil,
		BaseContext:       func(net.Listener) context.Context { return context.Background() },
	}
	f.served.Add(1)
	go func() {
		defer f.served.Done()
		_ = f.srv.Serve(tcp)
	}()
	e.ws = f
	e.wg.Add(1)
	go e.acceptLoop(f.ln)
	return nil
}

// stopWebSocket stops taking WebSocket connections; open ones are closed
// with the others.
func (e *Engine) stopWebSocket() {
	f := e.ws
	if f == nil {
		return
	}
	f.ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := f.srv.Shutdown(ctx); err != nil {
		_ = f.srv.Close()
	}
	f.served.Wait()
}

// WSAddr is the WebSocket listener's address (nil without WSListen).
func (e *Engine) WSAddr() net.Addr {
	if e.ws == nil {
		return nil
	}
	return e.ws.tcp.Addr()
}

// WSURL is the WebSocket endpoint, "ws://host:port/ws" ("" without
// WSListen).
func (e *Engine) WSURL() string {
	if e.ws == nil {
		return ""
	}
	return "ws://" + e.ws.tcp.Addr().String() + WSPath
}

// connListener is a net.Listener whose connections are offered by a
// handler (the upgraded WebSockets).
type connListener struct {
	addr  net.Addr
	conns chan net.Conn
	once  sync.Once
	done  chan struct{}
}

func newConnListener(addr net.Addr) *connListener {
	return &connListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

// offer hands c to Accept; false once the listener is closed.
func (l *connListener) offer(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *connListener) Addr() net.Addr { return l.addr }
