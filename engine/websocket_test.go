package engine_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/internal/wsconn"
	"github.com/qunchat/qun/wire"
)

// What only a WebSocket can send wrong: a text message, a message over the
// frame bound (the TCP cases are a length prefix that lies, in
// TestHostileFramesCloseOnlyTheirConnection). Each closes only its own
// connection, after an error frame.
func TestWebSocketFramingFaults(t *testing.T) {
	cfg := testConfig("")
	e := startEngine(t, cfg)
	ctx := ctxT(t)
	ws := transports[1]
	a := ws.dial(t, e, "alice", nil)
	g, err := a.CreateGroup(ctx, "steady")
	if err != nil {
		t.Fatal(err)
	}
	hello := func(t *testing.T, rc *rawConn) { rc.hello("mallory", e) }
	for _, c := range []struct {
		name   string
		before func(*testing.T, *rawConn)
		typ    websocket.MessageType
		msg    []byte
		code   wire.Code
	}{
		{"text hello", nil, websocket.MessageText, mustFrame(t, wire.FrameHello, &wire.Hello{Version: 1})[4:], wire.CodeBadFrame},
		{"text after hello", hello, websocket.MessageText, []byte("{}"), wire.CodeBadFrame},
		{"hello over the handshake bound", nil, websocket.MessageBinary, append([]byte{byte(wire.FrameHello)}, make([]byte, 9000)...), wire.CodeFrameTooLarge},
		{"message over max frame", hello, websocket.MessageBinary, append([]byte{byte(wire.FrameRequest)}, make([]byte, cfg.MaxFrameSize)...), wire.CodeFrameTooLarge},
		{"empty message", hello, websocket.MessageBinary, []byte{}, wire.CodeBadFrame},
	} {
		t.Run(c.name, func(t *testing.T) {
			rc := ws.rawDial(t, e)
			if c.before != nil {
				c.before(t, rc)
			}
			if err := rc.nc.(*wsconn.Conn).WebSocket().Write(ctx, c.typ, c.msg); err != nil {
				t.Fatal(err)
			}
			rc.expectClose(c.code)
			if _, err := a.SendText(ctx, g, c.name, "still here"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Browsers send an Origin: the listener's own host and WSOrigins are
// allowed, any other is refused before the upgrade. Clients that send no
// Origin (not browsers) are allowed.
func TestWebSocketOrigins(t *testing.T) {
	cfg := testConfig("")
	cfg.WSOrigins = []string{"app.example.com", "https://*.example.org"}
	e := startEngine(t, cfg)
	tok, _ := e.MintToken("alice")
	for origin, ok := range map[string]bool{
		"":                              true,
		"http://" + e.WSAddr().String(): true,
		"https://app.example.com":       true,
		"https://chat.example.org":      true,
		"http://chat.example.org":       false,
		"https://evil.example.com":      false,
		"null":                          false,
	} {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		nc, err := wsconn.Dial(ctx, e.WSURL(), 1<<20, &websocket.DialOptions{HTTPHeader: h})
		cancel()
		if (err == nil) != ok {
			t.Errorf("origin %q: %v, want allowed=%v", origin, err, ok)
		}
		if err != nil {
			if !strings.Contains(err.Error(), "403") {
				t.Errorf("origin %q refused with %v, want 403", origin, err)
			}
			continue
		}
		c, err := client.Dial(context.Background(), e.WSURL(), client.Options{Token: tok})
		if err != nil {
			t.Fatalf("origin %q: %v", origin, err)
		}
		c.Close()
		nc.Close()
	}
}

// Every path but /ws goes to WSHandler; without one, 404.
func TestWebSocketListenerServesTheHandler(t *testing.T) {
	cfg := testConfig("")
	cfg.WSHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "console at "+r.URL.Path) })
	e := startEngine(t, cfg)
	resp, err := http.Get("http://" + e.WSAddr().String() + "/groups")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(b, []byte("console at /groups")) {
		t.Fatalf("got %q", b)
	}
	// /ws without an upgrade is refused, not handed to WSHandler.
	resp, err = http.Get("http://" + e.WSAddr().String() + engine.WSPath)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode < 400 || bytes.HasPrefix(b, []byte("console")) {
		t.Fatalf("/ws without an upgrade: %d %q", resp.StatusCode, b)
	}
}

func TestWebSocketConfig(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*engine.Config)
	}{
		{"bad address", func(c *engine.Config) { c.WSListen = "nope" }},
		{"non-loopback without secret", func(c *engine.Config) { c.WSListen = "0.0.0.0:0"; c.Secret = nil }},
		{"origins without listener", func(c *engine.Config) { c.WSListen = ""; c.WSOrigins = []string{"x.example"} }},
	} {
		cfg := testConfig("")
		c.edit(&cfg)
		if _, err := engine.New(cfg); !errors.Is(err, engine.ErrConfig) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
