package engine_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"testing"

	"github.com/coder/websocket"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/internal/wsconn"
)

// A connection is a connection: the end-to-end tests that exercise the
// client protocol run once per transport (eachTransport), against the same
// engine code. testConfig turns both listeners on.

type transport struct {
	name string
	// stream: a byte stream, where a frame can be truncated or a length
	// prefix can lie (TCP); a WebSocket delimits each frame itself.
	stream bool
	// addr is what client.Dial takes for e.
	addr func(e *engine.Engine) string
	// conn opens a connection speaking the TCP framing (for WebSocket, the
	// adapter the Go client uses).
	conn func(ctx context.Context, e *engine.Engine) (net.Conn, error)
}

var transports = []transport{
	{name: "tcp", stream: true,
		addr: func(e *engine.Engine) string { return e.Addr().String() },
		conn: func(ctx context.Context, e *engine.Engine) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", e.Addr().String())
		}},
	{name: "websocket",
		addr: func(e *engine.Engine) string { return e.WSURL() },
		conn: func(ctx context.Context, e *engine.Engine) (net.Conn, error) {
			return wsconn.Dial(ctx, e.WSURL(), 16<<20, &websocket.DialOptions{HTTPClient: smallBuffers})
		}},
}

// smallBuffers dials WebSockets with a 16 KiB receive buffer, as the TCP
// slow reader does, so that a reader that stops reading fills the server's
// queue after about as many messages on either transport.
var smallBuffers = &http.Client{Transport: &http.Transport{
	DisableKeepAlives: true,
	DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		nc, err := d.DialContext(ctx, network, addr)
		if tc, ok := nc.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(16 << 10)
		}
		return nc, err
	},
}}

// eachTransport runs f as a subtest per transport.
func eachTransport(t *testing.T, f func(t *testing.T, tr transport)) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) { f(t, tr) })
	}
}

// dial is a client over this transport (see the package-level dial).
func (tr transport) dial(t testing.TB, e *engine.Engine, user string, box *inbox) *client.Client {
	t.Helper()
	tok, err := e.MintToken(user)
	if err != nil {
		t.Fatal(err)
	}
	opts := client.Options{Token: tok}
	if box != nil {
		opts.OnPush, opts.OnGap = box.onPush, box.onGap
	}
	c, err := client.Dial(context.Background(), tr.addr(e), opts)
	if err != nil {
		t.Fatalf("dial %s: %v", tr.name, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// rawDial is a connection that writes whatever bytes a test gives it.
func (tr transport) rawDial(t *testing.T, e *engine.Engine) *rawConn {
	t.Helper()
	nc, err := tr.conn(ctxT(t), e)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc, r: bufio.NewReader(nc)}
}
