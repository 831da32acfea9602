package wsconn_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/qunchat/qun/internal/leaktest"
	"github.com/qunchat/qun/internal/wsconn"
)

func TestMain(m *testing.M) { leaktest.Main(m) }

func frame(body string) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

// pair is a server-side adapted conn (max 64 bytes) and a raw client.
func pair(t *testing.T) (*wsconn.Conn, *websocket.Conn) {
	t.Helper()
	got := make(chan *wsconn.Conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := wsconn.Accept(w, r, 64, nil)
		if err != nil {
			t.Error(err)
			return
		}
		got <- c
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+srv.URL[len("http"):], nil)
	if err != nil {
		t.Fatal(err)
	}
	c := <-got
	t.Cleanup(func() {
		c.Close()
		ws.CloseNow()
		<-c.Done()
	})
	return c, ws
}

func TestMessagesBecomeLengthPrefixedFrames(t *testing.T) {
	c, ws := pair(t)
	ctx := context.Background()
	for _, m := range []string{"\x01hello", "", string(make([]byte, 64)), string(make([]byte, 65))} {
		if err := ws.Write(ctx, websocket.MessageBinary, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	r := bufio.NewReader(c)
	want := []struct {
		n    uint32
		body string
	}{{6, "\x01hello"}, {0, ""}, {64, string(make([]byte, 64))}, {65, ""}} // over the bound: announced as max+1, not read
	for _, w := range want {
		var hdr [4]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			t.Fatal(err)
		}
		if n := binary.BigEndian.Uint32(hdr[:]); n != w.n {
			t.Fatalf("length %d, want %d", n, w.n)
		}
		body := make([]byte, len(w.body))
		if _, err := io.ReadFull(r, body); err != nil || string(body) != w.body {
			t.Fatalf("body %q %v", body, err)
		}
	}
}

func TestTextMessageIsAFramingError(t *testing.T) {
	c, ws := pair(t)
	if err := ws.Write(context.Background(), websocket.MessageText, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	_, err := c.Read(make([]byte, 8))
	if !errors.Is(err, wsconn.ErrText) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("read: %v", err)
	}
}

// Coalesced frames in one write, and a frame split over writes, become one
// message each.
func TestWritesSplitIntoOneMessagePerFrame(t *testing.T) {
	c, ws := pair(t)
	stream := append(append(frame("\x04one"), frame("\x06two")...), frame("\x06three")...)
	if _, err := c.Write(stream[:7]); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(stream[7:]); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, want := range []string{"\x04one", "\x06two", "\x06three"} {
		typ, b, err := ws.Read(ctx)
		if err != nil || typ != websocket.MessageBinary || string(b) != want {
			t.Fatalf("message %q %v %v, want %q", b, typ, err, want)
		}
	}
	if _, err := c.Write(binary.BigEndian.AppendUint32(nil, 65)); !errors.Is(err, wsconn.ErrFrame) {
		t.Fatalf("oversized frame: %v", err)
	}
}

// A read deadline ends the read as on TCP, and the connection still works:
// the server can write its error frame after an idle timeout.
func TestReadDeadlineLeavesTheConnectionUsable(t *testing.T) {
	c, ws := pair(t)
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, err := c.Read(make([]byte, 8))
	var ne net.Error
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read past the deadline: %v", err)
	}
	// A deadline set to now wakes a blocked read.
	_ = c.SetReadDeadline(time.Time{})
	done := make(chan error, 1)
	go func() { _, err := c.Read(make([]byte, 8)); done <- err }()
	_ = c.SetReadDeadline(time.Now())
	if err := <-done; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("woken read: %v", err)
	}
	if _, err := c.Write(frame("\x05bye")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, b, err := ws.Read(ctx); err != nil || string(b) != "\x05bye" {
		t.Fatalf("after the timeout: %q %v", b, err)
	}
	// The peer's normal close reads as EOF.
	_ = c.SetReadDeadline(time.Time{})
	_ = ws.Close(websocket.StatusNormalClosure, "")
	if _, err := c.Read(make([]byte, 8)); err != io.EOF {
		t.Fatalf("after the peer closed: %v", err)
	}
}
