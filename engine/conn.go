package engine

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qunchat/qun/wire"
)

// handshakeMaxFrame bounds frames before authentication.
const handshakeMaxFrame = 8 << 10

// acceptLoop serves the connections of one listener: the TCP one, or the
// WebSocket one (websocket.go), whose connections are adapted to the same
// framing. A connection is a connection: nothing below depends on which.
func (e *Engine) acceptLoop(ln net.Listener) {
	defer e.wg.Done()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if e.closing.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Temporary failure (e.g. out of file descriptors): back off.
			if delay == 0 {
				delay = 5 * time.Millisecond
			} else if delay < time.Second {
				delay *= 2
			}
			if delay == 5*time.Millisecond { // once per episode, never per retry
				e.log.Warn("accept failing (out of file descriptors?): backing off", "err", err)
			}
			select {
			case <-time.After(delay):
			case <-e.closed:
				return
			}
			continue
		}
		if delay != 0 {
			e.log.Info("accept works again")
		}
		delay = 0
		c := newConn(e, nc)
		if code := e.admitConn(c); code != 0 { // limits.go
			refuse(nc, code)
			continue
		}
		e.mu.Lock()
		if e.closing.Load() {
			e.mu.Unlock()
			nc.Close()
			return
		}
		e.conns[c] = struct{}{}
		e.mu.Unlock()
		e.stats.conns.Add(1)
		e.wg.Add(1)
		go c.readLoop()
	}
}

// conn is one client connection. The reader goroutine decodes frames and
// dispatches requests; a writer goroutine, running only while the outbound
// queue is not empty (writer.go), drains it, copying every queued frame into
// one buffer per write.
type conn struct {
	e    *Engine
	nc   net.Conn
	user string

	mu         sync.Mutex
	queue      [][]byte
	queued     int      // bytes in queue
	early      [][]byte // pushes held until the welcome is queued (greet)
	greeted    bool
	closing    bool
	writing    bool          // a writer goroutine is running (writer.go)
	done       bool          // the reader has returned: no writer starts any more
	waitQ      []awaited     // requests at their grains, oldest first (awaiter.go)
	awaiting   bool          // the awaiter goroutine runs
	batch      *batchState   // requests gathered per group, the reply process (batch.go); nil until the first in-order request
	room       chan struct{} // signalled by the writer each time it empties the queue
	inflight   atomic.Int32
	reading    atomic.Bool
	first      firstByte   // the byte that woke an idle reader (reader.go)
	ip         string      // source address, and whether it still counts as
	unauth     bool        // unauthenticated (both under e.limits.mu; limits.go)
	linger     atomic.Bool // the writer half-closed: the reader drains and closes
	readerGone bool        // under mu: the reader will not drain (linger.go)
	ctx        context.Context
	cancel     context.CancelFunc
}

func newConn(e *Engine, nc net.Conn) *conn {
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	c := &conn{e: e, nc: nc, room: make(chan struct{}, 1)}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.reading.Store(true)
	return c
}

// User implements actors.Conn.
func (c *conn) User() string { return c.user }

// Push implements actors.Conn: it enqueues a frame without blocking. A full
// queue closes the connection as a slow consumer.
func (c *conn) Push(frame []byte) bool {
	c.mu.Lock()
	if !c.greeted && !c.closing {
		// Subscribed before the welcome: hold the push until the welcome
		// is queued, so that it can neither overtake the welcome nor be
		// lost to a client that sends as soon as it is welcomed.
		if len(c.early) >= c.e.cfg.OutboundFrames {
			c.mu.Unlock()
			c.e.stats.slow.Add(1)
			c.closeWith(wire.CodeSlowConsumer, "outbound queue full: reconnect and resync")
			return false
		}
		c.early = append(c.early, frame)
		c.mu.Unlock()
		return true
	}
	c.mu.Unlock()
	return c.enqueue(frame)
}

// enqueue adds a frame to the outbound queue and wakes the writer; a full
// queue closes the connection as a slow consumer.
func (c *conn) enqueue(frame []byte) bool {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return false
	}
	if !c.fits(frame) {
		c.mu.Unlock()
		c.closeWith(wire.CodeSlowConsumer, "a frame over max_frame was dropped: reconnect and resync")
		return false
	}
	if len(c.queue) >= c.e.cfg.OutboundFrames || c.queued+len(frame) > c.e.cfg.OutboundBytes {
		c.mu.Unlock()
		c.e.stats.slow.Add(1)
		c.closeWith(wire.CodeSlowConsumer, "outbound queue full: reconnect and resync")
		return false
	}
	c.queue = append(c.queue, frame)
	c.queued += len(frame)
	c.startWriter()
	c.mu.Unlock()
	return true
}

// greet queues the welcome, then every push that arrived while the
// connection was being subscribed, and from then on lets pushes through.
func (c *conn) greet(welcome []byte) {
	c.mu.Lock()
	early := c.early
	c.early, c.greeted = nil, true
	c.mu.Unlock()
	c.enqueue(welcome)
	for _, f := range early {
		c.enqueue(f)
	}
}

func (c *conn) PushWait(frame []byte) bool {
	deadline := time.NewTimer(c.e.cfg.WriteTimeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		if c.closing {
			c.mu.Unlock()
			return false
		}
		if len(c.queue) < c.e.cfg.OutboundFrames/2 && c.queued+len(frame) <= c.e.cfg.OutboundBytes/2 || len(c.queue) == 0 {
			c.mu.Unlock()
			return c.Push(frame)
		}
		c.mu.Unlock()
		select {
		case <-c.room:
		case <-c.ctx.Done():
			return false
		case <-deadline.C:
			return c.Push(frame) // the reader stalled: let the queue bound decide
		}
	}
}

// closeWith queues a final error frame (dropping what was still queued) and
// lets the writer flush it and close the socket.
func (c *conn) closeWith(code wire.Code, msg string) {
	frame, _ := wire.EncodeFrame(wire.FrameError, &wire.ErrorFrame{Code: code, Msg: msg})
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	c.closing = true
	c.queue = append(c.queue[:0], frame)
	c.queued = len(frame)
	c.startWriter()
	c.mu.Unlock()
	c.stopReading()
}

// stopReading makes the reader return at once.
func (c *conn) stopReading() {
	c.reading.Store(false)
	_ = c.nc.SetReadDeadline(time.Now())
}

// send queues a frame built from v.
func (c *conn) send(t wire.FrameType, v any) {
	frame, err := wire.EncodeFrame(t, v)
	if err != nil {
		c.closeWith(wire.CodeInternal, "encode failed")
		return
	}
	if r, ok := v.(*wire.Reply); ok && !c.fits(frame) {
		frame = tooLarge(r.ID)
	}
	c.enqueue(frame)
}

func (c *conn) fail(code wire.Code, msg string) {
	c.closeWith(code, msg)
}

// badFrame closes the connection for a frame that breaks the protocol.
func (c *conn) badFrame(code wire.Code, msg string) {
	c.e.stats.badFrames.Add(1)
	c.fail(code, msg)
}

func (c *conn) readLoop() {
	defer c.e.wg.Done()
	defer func() {
		c.cancel()
		if c.user != "" {
			c.e.hub.Detach(c)
		}
		c.e.mu.Lock()
		delete(c.e.conns, c)
		c.e.offline(c.user)
		c.e.mu.Unlock()
		c.e.released(c)    // limits.go
		c.releaseReplies() // batch.go
		c.readerDone()
	}()
	// A small read buffer keeps idle connections cheap; frames larger than
	// it are read straight into the frame buffer.
	r := c.borrowReader()
	if !c.handshake(r) {
		c.returnReader(r)
		c.waitWriter()
		return
	}
	var buf []byte
	max := c.e.cfg.MaxFrameSize
	frames := 0 // read since the buffer last ran out
	for c.reading.Load() {
		if !frameReady(r) {
			c.flushGathered() // what was read goes out before the reader may block (batch.go)
			r, frames = c.grow(r, frames), 0
		}
		frames++
		_ = c.nc.SetReadDeadline(time.Now().Add(c.e.cfg.IdleTimeout))
		if r.Buffered() == 0 {
			// Nothing read ahead: wait for traffic without buffers (reader.go).
			var err error
			if r, buf, err = c.idle(r, buf); err != nil {
				c.readError(err)
				break
			}
		}
		t, body, b, err := wire.ReadFrame(r, max, buf)
		buf = b
		if err != nil {
			c.readError(err)
			break
		}
		if !c.handle(t, body) {
			break
		}
	}
	c.flushGathered()
	c.returnReader(r)
	c.waitWriter()
}

// waitWriter gives a closing writer time to flush the final error frame.
func (c *conn) waitWriter() {
	c.mu.Lock()
	closing := c.closing
	c.mu.Unlock()
	if closing {
		select {
		case <-c.ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
	c.mu.Lock()
	c.readerGone = true
	c.mu.Unlock()
	if c.linger.Load() {
		drainAndClose(c.nc)
	}
}

func (c *conn) readError(err error) {
	switch {
	case !c.reading.Load():
	case errors.Is(err, wire.ErrFrameTooLarge):
		c.badFrame(wire.CodeFrameTooLarge, err.Error())
	case errors.Is(err, wire.ErrEmptyFrame), errors.Is(err, io.ErrUnexpectedEOF):
		c.badFrame(wire.CodeBadFrame, err.Error())
	case errors.Is(err, os.ErrDeadlineExceeded):
		c.fail(wire.CodeTimeout, "idle timeout")
	default: // EOF or reset: the client left
		c.cancel()
	}
}

func (c *conn) handshake(r *bufio.Reader) bool {
	_ = c.nc.SetReadDeadline(time.Now().Add(c.e.cfg.HandshakeTimeout))
	t, body, _, err := wire.ReadFrame(r, handshakeMaxFrame, nil)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			c.fail(wire.CodeHandshakeTimeout, "no hello within the handshake deadline")
		} else {
			c.readError(err)
		}
		return false
	}
	if t != wire.FrameHello {
		c.badFrame(wire.CodeExpectedHello, "the first frame must be a hello")
		return false
	}
	var h wire.Hello
	if err := wire.Decode(body, &h); err != nil {
		c.badFrame(wire.CodeBadFrame, "bad hello: "+err.Error())
		return false
	}
	if h.Version != wire.ProtocolVersion {
		c.fail(wire.CodeBadVersion, "unsupported protocol version")
		return false
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.e.cfg.RequestTimeout)
	user, exp, err := c.e.authenticate(ctx, h.Token) // tokens.go
	cancel()
	if err != nil {
		code, msg := wire.CodeUnauthenticated, "invalid token"
		var we *wire.Error
		if errors.As(err, &we) {
			msg = we.Msg
			if we.Code == wire.CodeTokenExpired || we.Code == wire.CodeTokenRevoked {
				code = we.Code
			}
		}
		c.fail(code, msg)
		return false
	}
	if err := ValidUserID(user); err != nil {
		c.fail(wire.CodeUnauthenticated, "invalid user id")
		return false
	}
	c.user = user
	c.e.authenticated(c) // limits.go
	c.watchToken(exp)    // tokens.go
	c.e.mu.Lock()
	c.e.online[user]++
	c.e.mu.Unlock()
	groups, err := c.e.userGroups(user)
	if err != nil {
		c.fail(wire.CodeUnavailable, "cannot load your groups: "+err.Error())
		return false
	}
	ids := make([]string, len(groups))
	for i, g := range groups {
		ids[i] = g.Group
	}
	// Subscribe (and have every group watched) before the welcome, so a
	// client that sends as soon as it is welcomed gets the push; pushes
	// that arrive meanwhile wait behind the welcome (greet).
	c.e.hub.Attach(c, ids)
	welcome, err := wire.EncodeFrame(wire.FrameWelcome, &wire.Welcome{
		Version: wire.ProtocolVersion, User: user, Session: newGroupID()[1:],
		MaxFrame: c.e.cfg.MaxFrameSize, MaxInFlight: c.e.cfg.MaxInFlight, Time: time.Now().UnixMilli(),
	})
	if err != nil {
		c.closeWith(wire.CodeInternal, "encode failed")
		return false
	}
	c.greet(welcome)
	return true
}

// handle processes one frame; false closes the connection.
func (c *conn) handle(t wire.FrameType, body []byte) bool {
	switch t {
	case wire.FramePing:
		var p wire.Ping
		if err := wire.Decode(body, &p); err != nil {
			c.badFrame(wire.CodeBadFrame, "bad ping")
			return false
		}
		c.send(wire.FramePong, &p)
		return true
	case wire.FramePong:
		return true
	case wire.FrameRequest:
	default:
		c.badFrame(wire.CodeUnexpectedFrame, "unexpected "+t.String()+" frame")
		return false
	}
	var req wire.Request
	if err := wire.Decode(body, &req); err != nil {
		c.badFrame(wire.CodeBadFrame, "bad request: "+err.Error())
		return false
	}
	if req.ID == 0 { // id 0 is reserved for connection errors
		c.badFrame(wire.CodeBadFrame, "request id 0 is reserved")
		return false
	}
	if int(c.inflight.Add(1)) > c.e.cfg.MaxInFlight {
		c.fail(wire.CodeTooManyInFlight, "too many requests in flight")
		return false
	}
	c.e.reqs.Add(1)
	if err := c.e.limitRequest(c, req.Op, req.Args); err != nil { // ratelimit.go
		c.finish(req.ID, nil, err)
		return true
	}
	// An in-order op joins its group's next batch; answered when it replies.
	p := c.e.prepare(request{ctx: c.ctx, user: c.user, op: req.Op, args: req.Args, out: c}) // wire.Decode copied req.Args out of the reused read buffer
	if p.err != nil {                                                                       // refused before reaching a grain
		c.finish(req.ID, nil, p.err)
		return true
	}
	if p.call != nil { // answered in order by the conn's awaiter (batch.go, awaiter.go)
		c.gather(req.ID, p)
		return true
	}
	c.flushGathered() // earlier in-order requests reach their grains before this one runs
	go func() {
		body, err := p.wait()
		c.finish(req.ID, body, err)
	}()
	return true
}

func (c *conn) finish(id uint32, body []byte, err error) {
	defer c.e.reqs.Done()
	defer c.inflight.Add(-1)
	if err != nil {
		var we *wire.Error
		if !errors.As(err, &we) {
			we = wire.Errorf(wire.CodeInternal, "%v", err)
		}
		c.send(wire.FrameError, &wire.ErrorFrame{ID: id, Code: we.Code, Msg: we.Msg, RetryAfter: we.RetryAfter})
		return
	}
	c.send(wire.FrameReply, &wire.Reply{ID: id, Body: body})
}
