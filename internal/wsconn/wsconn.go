// Package wsconn adapts a WebSocket carrying Qun frames to a net.Conn that
// speaks Qun's TCP framing, so that code written for the TCP protocol (the
// engine's connection loop, the Go client) serves WebSocket peers unchanged.
//
// On the WebSocket, one binary message carries exactly one frame: the type
// byte followed by the msgpack body, with no length prefix. Through the
// adapter:
//
//   - Read yields each binary message as a length-prefixed frame
//     ([4-byte big-endian L][L bytes]). An empty message yields L = 0 and a
//     message over the size bound yields L = bound+1 (without its bytes), so
//     the frame reader reports them as it reports the same faults on TCP. A
//     text message fails the read with ErrText, which wraps
//     io.ErrUnexpectedEOF: a framing fault, like a truncated TCP frame.
//   - Write takes a byte stream of length-prefixed frames (several
//     coalesced frames in one call, or a frame split over calls) and sends
//     one binary message per frame, without the prefix.
//   - Read and write deadlines behave as on a TCP connection: a read that
//     times out returns an error matching os.ErrDeadlineExceeded and leaves
//     the connection usable, so the server can still write its error frame.
//     (A background goroutine does the WebSocket reads, holding at most one
//     message ahead of Read.)
//   - Close sends a normal-closure close frame; the closing handshake runs
//     in the background (bounded by the WebSocket library's own timeouts).
//
// wsconn imports github.com/coder/websocket and nothing of Qun's.
package wsconn

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Errors of the adapter.
var (
	// ErrText is returned by Read for a text message: frames are binary.
	ErrText = fmt.Errorf("wsconn: a text WebSocket message (frames are binary messages): %w", io.ErrUnexpectedEOF)
	// ErrFrame is returned by Write for a frame whose length prefix is 0 or
	// over the bound.
	ErrFrame = errors.New("wsconn: bad frame length in the written stream")
)

// Conn is a WebSocket seen as a stream of length-prefixed frames. It
// implements net.Conn.
type Conn struct {
	ws            *websocket.Conn
	max           int
	local, remote net.Addr
	ctx           context.Context // the connection's lifetime
	cancel        context.CancelFunc

	msgs       chan message // from the reader goroutine
	readerDone chan struct{}

	rmu   sync.Mutex
	cur   []byte // rest of the frame being read (prefix and body)
	rerr  error
	rdl   deadline
	wmu   sync.Mutex
	wbuf  []byte // an incomplete frame from earlier writes
	wdl   deadline
	wdlAt time.Time

	closeOnce sync.Once
	closed    chan struct{}
	done      chan struct{} // closed when the closing handshake ended
}

type message struct {
	b   []byte
	n   int // the length to announce (len(b), or max+1 for an oversized message)
	err error
}

// New adapts ws. max bounds a frame (type byte and body) in both
// directions, as wire.ReadFrame's maxSize does; a larger incoming message
// is announced as max+1 bytes and not read. local and remote are what
// LocalAddr and RemoteAddr return (nil: a placeholder address).
func New(ws *websocket.Conn, max int, local, remote net.Addr) *Conn {
	ws.SetReadLimit(-1) // bounded here, so that an oversized message is reported, not cut
	if local == nil {
		local = Addr("websocket")
	}
	if remote == nil {
		remote = Addr("websocket")
	}
	c := &Conn{ws: ws, max: max, local: local, remote: remote,
		msgs: make(chan message), readerDone: make(chan struct{}), closed: make(chan struct{}), done: make(chan struct{})}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.rdl.init()
	c.wdl.init()
	go c.reader()
	return c
}

// Dial opens a WebSocket to url (ws:// or wss://) and adapts it. max bounds
// frames as in New; opts may be nil.
func Dial(ctx context.Context, url string, max int, opts *websocket.DialOptions) (*Conn, error) {
	ws, resp, err := websocket.Dial(ctx, url, opts)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, err
	}
	return New(ws, max, nil, Addr(url)), nil
}

// Accept upgrades an HTTP request and adapts the WebSocket, with the
// request's addresses.
func Accept(w http.ResponseWriter, r *http.Request, max int, opts *websocket.AcceptOptions) (*Conn, error) {
	ws, err := websocket.Accept(w, r, opts)
	if err != nil {
		return nil, err
	}
	var local net.Addr
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		local = a
	}
	return New(ws, max, local, Addr(r.RemoteAddr)), nil
}

// WebSocket is the underlying connection (for tests that need to send
// what the adapter never would).
func (c *Conn) WebSocket() *websocket.Conn { return c.ws }

// reader reads messages ahead of Read, one at a time.
func (c *Conn) reader() {
	defer close(c.readerDone)
	for {
		m := c.readMessage()
		select {
		case c.msgs <- m:
		case <-c.ctx.Done():
			return
		}
		if m.err != nil || m.n > c.max {
			return
		}
	}
}

func (c *Conn) readMessage() message {
	typ, r, err := c.ws.Reader(c.ctx)
	if err != nil {
		switch {
		case websocket.CloseStatus(err) == websocket.StatusNormalClosure, websocket.CloseStatus(err) == websocket.StatusGoingAway,
			errors.Is(err, net.ErrClosed), errors.Is(err, context.Canceled), errors.Is(err, io.EOF):
			return message{err: io.EOF}
		}
		return message{err: err}
	}
	if typ != websocket.MessageBinary {
		return message{err: ErrText}
	}
	// Read at most max+1 bytes: enough to tell an oversized message.
	var b []byte
	buf := make([]byte, 0, 512)
	lr := io.LimitReader(r, int64(c.max)+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return message{err: err}
		}
	}
	b = buf
	if len(b) > c.max {
		return message{n: c.max + 1}
	}
	return message{b: b, n: len(b)}
}

// Read implements net.Conn.
func (c *Conn) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if len(c.cur) == 0 {
		if c.rerr != nil {
			return 0, c.rerr
		}
		if c.rdl.expired() {
			return 0, os.ErrDeadlineExceeded
		}
		select {
		case m := <-c.msgs:
			if m.err != nil {
				c.rerr = m.err
				return 0, m.err
			}
			c.cur = binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(m.b)), uint32(m.n))
			c.cur = append(c.cur, m.b...)
		case <-c.rdl.wait():
			return 0, os.ErrDeadlineExceeded
		case <-c.closed:
			return 0, net.ErrClosed
		}
	}
	n := copy(p, c.cur)
	c.cur = c.cur[n:]
	return n, nil
}

// Write implements net.Conn: each complete frame in the stream is sent as
// one binary message.
func (c *Conn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	if c.wdl.expired() {
		return 0, os.ErrDeadlineExceeded
	}
	ctx := c.ctx
	if !c.wdlAt.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, c.wdlAt)
		defer cancel()
	}
	data := p
	if len(c.wbuf) > 0 {
		c.wbuf = append(c.wbuf, p...)
		data = c.wbuf
	}
	for {
		frame, rest, err := nextFrame(data, c.max)
		if err != nil {
			return 0, err
		}
		if frame == nil {
			break
		}
		if err := c.ws.Write(ctx, websocket.MessageBinary, frame); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				err = fmt.Errorf("%w: %w", os.ErrDeadlineExceeded, err)
			}
			return 0, err
		}
		data = rest
	}
	c.wbuf = append(c.wbuf[:0], data...)
	return len(p), nil
}

// nextFrame splits the first complete length-prefixed frame off data: its
// body (type byte and msgpack, without the prefix) and the rest. A nil
// frame means data holds no complete frame yet. A length of 0 is an empty
// frame (non-nil, empty); one over max is ErrFrame.
func nextFrame(data []byte, max int) (frame, rest []byte, err error) {
	if len(data) < 4 {
		return nil, data, nil
	}
	n := binary.BigEndian.Uint32(data)
	if uint64(n) > uint64(max) {
		return nil, data, fmt.Errorf("%w: %d", ErrFrame, n)
	}
	if uint64(len(data)-4) < uint64(n) {
		return nil, data, nil
	}
	return data[4 : 4+n : 4+n], data[4+n:], nil
}

// Close implements net.Conn. It returns at once; the closing handshake
// completes in the background (see Done).
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		go func() {
			defer close(c.done)
			_ = c.ws.Close(websocket.StatusNormalClosure, "")
			c.cancel()
			<-c.readerDone
		}()
	})
	return nil
}

// Done is closed once Close's closing handshake has ended and the reader
// goroutine has returned.
func (c *Conn) Done() <-chan struct{} { return c.done }

// LocalAddr implements net.Conn.
func (c *Conn) LocalAddr() net.Addr { return c.local }

// RemoteAddr implements net.Conn.
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// SetDeadline implements net.Conn.
func (c *Conn) SetDeadline(t time.Time) error {
	_ = c.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}

// SetReadDeadline implements net.Conn; it also wakes a blocked Read.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.rdl.set(t)
	return nil
}

// SetWriteDeadline implements net.Conn. A write that runs past it ends the
// WebSocket (as the library does for any cancelled write).
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.wdl.set(t)
	c.wmu.Lock()
	c.wdlAt = t
	c.wmu.Unlock()
	return nil
}

// Addr is a net.Addr for a WebSocket peer.
type Addr string

// Network implements net.Addr.
func (Addr) Network() string { return "websocket" }

// String implements net.Addr.
func (a Addr) String() string { return string(a) }

// deadline is a settable deadline whose channel is closed when it passes
// (the pattern of net.Pipe).
type deadline struct {
	mu     sync.Mutex
	timer  *time.Timer
	cancel chan struct{}
}

func (d *deadline) init() { d.cancel = make(chan struct{}) }

func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil && !d.timer.Stop() {
		<-d.cancel // the timer fired: wait until it closed the channel
	}
	d.timer = nil
	closed := isClosed(d.cancel)
	if t.IsZero() {
		if closed {
			d.cancel = make(chan struct{})
		}
		return
	}
	if dur := time.Until(t); dur > 0 {
		if closed {
			d.cancel = make(chan struct{})
		}
		ch := d.cancel
		d.timer = time.AfterFunc(dur, func() { close(ch) })
		return
	}
	if !closed {
		close(d.cancel)
	}
}

func (d *deadline) wait() chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cancel
}

func (d *deadline) expired() bool { return isClosed(d.wait()) }

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
