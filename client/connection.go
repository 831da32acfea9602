package client

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qunchat/qun/internal/wsconn"
	"github.com/qunchat/qun/wire"
)

// Errors of the client itself (server errors are *wire.Error).
var (
	ErrClosed = errors.New("client: connection closed")
)

// Options configure a connection.
type Options struct {
	// Token authenticates the user (see `qun token`). Required.
	Token string
	// Name is sent in the hello, e.g. "qun-cli/1". Default "qun-go".
	Name string
	// DialTimeout bounds connect plus handshake. Default 5 s.
	DialTimeout time.Duration
	// MaxFrame bounds frames read from the server before the welcome says
	// otherwise. Default 16 MiB.
	MaxFrame int
	// PingInterval sends a ping this often to keep the connection alive.
	// Default 30 s; negative disables.
	PingInterval time.Duration
	// OnPush receives every decoded push, on the reader goroutine.
	OnPush func(*wire.Push)
	// OnGap receives gap markers: messages to fetch with History.
	OnGap func(*wire.Gap)
	// OnNotice receives notices addressed to this user (a join request to
	// review, the outcome of the user's own request), on the reader
	// goroutine. Notices are not stored by the server: one sent while the
	// connection is down is never seen.
	OnNotice func(*wire.Notice)
	// OnFrame, if set, receives push, gap and notice frames raw instead of
	// OnPush, OnGap and OnNotice (for load generators that parse only what
	// they count). body is only valid during the call.
	OnFrame func(t wire.FrameType, body []byte)
	// OnRoomPush receives a live room's merged pushes (room.go), on the
	// reader goroutine.
	OnRoomPush func(*wire.RoomPush)
	// OnClose is called once when the connection ends, with the reason
	// (a *wire.Error when the server said why).
	OnClose func(error)
}

// Client is one authenticated connection.
type Client struct {
	nc      net.Conn
	opts    Options
	welcome wire.Welcome
	wmu     sync.Mutex
	w       *bufio.Writer
	nextID  atomic.Uint32
	mu      sync.Mutex
	pending map[uint32]chan result
	err     error
	done    chan struct{}
	once    sync.Once
}

type result struct {
	body []byte
	err  error
}

// Dial connects, sends the hello and waits for the welcome. addr is a TCP
// "host:port", or a WebSocket URL ("ws://host:port/ws", "wss://..."): the
// same protocol, one binary WebSocket message per frame.
func Dial(ctx context.Context, addr string, opts Options) (*Client, error) {
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 5 * time.Second
	}
	if opts.MaxFrame <= 0 {
		opts.MaxFrame = 16 << 20
	}
	if opts.Name == "" {
		opts.Name = "qun-go"
	}
	if opts.PingInterval == 0 {
		opts.PingInterval = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, opts.DialTimeout)
	defer cancel()
	nc, err := dialTransport(ctx, addr, opts.MaxFrame)
	if err != nil {
		return nil, fmt.Errorf("client: connect %s: %w", addr, err)
	}
	c := &Client{nc: nc, opts: opts, w: bufio.NewWriterSize(nc, 32<<10), pending: map[uint32]chan result{}, done: make(chan struct{})}
	deadline, _ := ctx.Deadline()
	_ = nc.SetDeadline(deadline)
	if err := c.writeFrame(wire.FrameHello, &wire.Hello{Version: wire.ProtocolVersion, Token: opts.Token, Client: opts.Name}); err != nil {
		nc.Close()
		return nil, fmt.Errorf("client: hello: %w", err)
	}
	r := bufio.NewReaderSize(nc, 64<<10)
	t, body, _, err := wire.ReadFrame(r, opts.MaxFrame, nil)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("client: handshake: %w", err)
	}
	switch t {
	case wire.FrameWelcome:
		if err := wire.Decode(body, &c.welcome); err != nil {
			nc.Close()
			return nil, fmt.Errorf("client: bad welcome: %w", err)
		}
	case wire.FrameError:
		var ef wire.ErrorFrame
		nc.Close()
		if err := wire.Decode(body, &ef); err != nil {
			return nil, fmt.Errorf("client: bad error frame: %w", err)
		}
		return nil, &wire.Error{Code: ef.Code, Msg: ef.Msg}
	default:
		nc.Close()
		return nil, fmt.Errorf("client: unexpected %s frame in handshake", t)
	}
	_ = nc.SetDeadline(time.Time{})
	go c.readLoop(r)
	if opts.PingInterval > 0 {
		go c.pinger()
	}
	return c, nil
}

// User is the authenticated user id.
func (c *Client) User() string { return c.welcome.User }

// Welcome is the server's welcome.
func (c *Client) Welcome() wire.Welcome { return c.welcome }

// Done is closed when the connection ends.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is why the connection ended (nil while open or after Close).
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close closes the connection.
func (c *Client) Close() error {
	c.shutdown(nil)
	return nil
}

func (c *Client) shutdown(err error) {
	c.once.Do(func() {
		c.mu.Lock()
		c.err = err
		pend := c.pending
		c.pending = nil
		c.mu.Unlock()
		c.nc.Close()
		close(c.done)
		cerr := err
		if cerr == nil {
			cerr = ErrClosed
		}
		for _, ch := range pend {
			ch <- result{err: cerr}
		}
		if c.opts.OnClose != nil {
			c.opts.OnClose(err)
		}
	})
}

func (c *Client) writeFrame(t wire.FrameType, v any) error {
	frame, err := wire.EncodeFrame(t, v)
	if err != nil {
		return err
	}
	return c.writeRaw(frame)
}

func (c *Client) writeRaw(frame []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if _, err := c.w.Write(frame); err != nil {
		return err
	}
	return c.w.Flush()
}

func (c *Client) pinger() {
	t := time.NewTicker(c.opts.PingInterval)
	defer t.Stop()
	var n uint64
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			n++
			if err := c.writeFrame(wire.FramePing, &wire.Ping{N: n}); err != nil {
				c.shutdown(err)
				return
			}
		}
	}
}

func (c *Client) readLoop(r *bufio.Reader) {
	max := c.welcome.MaxFrame
	if max <= 0 || max > c.opts.MaxFrame {
		max = c.opts.MaxFrame
	}
	var buf []byte
	for {
		t, body, b, err := wire.ReadFrame(r, max, buf)
		buf = b
		if err != nil {
			c.shutdown(err)
			return
		}
		if err := c.dispatch(t, body); err != nil {
			c.shutdown(err)
			return
		}
	}
}

func (c *Client) dispatch(t wire.FrameType, body []byte) error {
	switch t {
	case wire.FrameReply:
		var rep wire.Reply
		if err := wire.Decode(body, &rep); err != nil {
			return err
		}
		c.complete(rep.ID, result{body: rep.Body})
	case wire.FrameError:
		var ef wire.ErrorFrame
		if err := wire.Decode(body, &ef); err != nil {
			return err
		}
		werr := &wire.Error{Code: ef.Code, Msg: ef.Msg, RetryAfter: ef.RetryAfter}
		if ef.ID == 0 {
			return werr
		}
		c.complete(ef.ID, result{err: werr})
	case wire.FramePush, wire.FrameGap, wire.FrameNotice, wire.FrameRoomPush:
		if c.opts.OnFrame != nil {
			c.opts.OnFrame(t, body)
			return nil
		}
		if t == wire.FrameRoomPush {
			return c.roomPush(body)
		}
		if t == wire.FrameNotice {
			if c.opts.OnNotice != nil {
				var n wire.Notice
				if err := wire.Decode(body, &n); err != nil {
					return err
				}
				c.opts.OnNotice(&n)
			}
			return nil
		}
		if t == wire.FramePush && c.opts.OnPush != nil {
			var p wire.Push
			if err := wire.Decode(body, &p); err != nil {
				return err
			}
			c.opts.OnPush(&p)
		}
		if t == wire.FrameGap && c.opts.OnGap != nil {
			var g wire.Gap
			if err := wire.Decode(body, &g); err != nil {
				return err
			}
			c.opts.OnGap(&g)
		}
	case wire.FramePing:
		var p wire.Ping
		if err := wire.Decode(body, &p); err != nil {
			return err
		}
		go c.writeFrame(wire.FramePong, &p)
	case wire.FramePong:
	case wire.FrameHello, wire.FrameWelcome, wire.FrameRequest:
		return fmt.Errorf("client: unexpected %s frame", t)
	default:
		// A frame type added after this client: ignore it, as the protocol
		// asks.
	}
	return nil
}

func (c *Client) complete(id uint32, r result) {
	c.mu.Lock()
	ch := c.pending[id]
	delete(c.pending, id)
	c.mu.Unlock()
	if ch != nil {
		ch <- r
	}
}

// Call sends a request and waits for its reply, decoding the result into
// res (may be nil). Server errors are *wire.Error.
func (c *Client) Call(ctx context.Context, op wire.Op, args, res any) error {
	ch, err := c.Start(op, args)
	if err != nil {
		return err
	}
	select {
	case r := <-ch:
		if r.err != nil {
			return r.err
		}
		if res != nil {
			return wire.Decode(r.body, res)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Start sends a request and returns a channel that receives its reply.
// Requests started from one goroutine reach the server in order.
func (c *Client) Start(op wire.Op, args any) (<-chan result, error) {
	raw, err := wire.Marshal(args)
	if err != nil {
		return nil, err
	}
	id := c.nextID.Add(1)
	if id == 0 {
		id = c.nextID.Add(1)
	}
	ch := make(chan result, 1)
	c.mu.Lock()
	if c.pending == nil {
		c.mu.Unlock()
		return nil, c.closedErr()
	}
	c.pending[id] = ch
	c.mu.Unlock()
	if err := c.writeFrame(wire.FrameRequest, &wire.Request{ID: id, Op: op, Args: raw}); err != nil {
		c.complete(id, result{})
		c.shutdown(err)
		return nil, err
	}
	return ch, nil
}

func (c *Client) closedErr() error {
	if err := c.Err(); err != nil {
		return err
	}
	return ErrClosed
}

// call runs op and decodes its result as an R.
func call[R any](ctx context.Context, c *Client, op wire.Op, args any) (R, error) {
	var r R
	err := c.Call(ctx, op, args, &r)
	return r, err
}

// seqCall runs an op whose result is a SeqResult.
func (c *Client) seqCall(ctx context.Context, op wire.Op, args any) (uint64, error) {
	r, err := call[wire.SeqResult](ctx, c, op, args)
	return r.Seq, err
}

// millis converts d to whole milliseconds, rounding a positive duration of
// less than 1 ms up so that it does not read as 0.
func millis(d time.Duration) int64 {
	ms := d.Milliseconds()
	if ms == 0 && d > 0 {
		ms = 1
	}
	return ms
}

// dialTransport opens a TCP connection, or a WebSocket adapted to the TCP
// framing (internal/wsconn) for a ws:// or wss:// addr.
func dialTransport(ctx context.Context, addr string, maxFrame int) (net.Conn, error) {
	if strings.HasPrefix(addr, "ws://") || strings.HasPrefix(addr, "wss://") {
		return wsconn.Dial(ctx, addr, maxFrame, nil)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}
