package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/qunchat/qun/wire"
)

// ErrSubscribed is returned by Subscribe for a group already subscribed.
var ErrSubscribed = errors.New("client: group already subscribed")

// SessionOptions configure a Session. The embedded Options are used for
// every connection; OnPush, OnGap, OnFrame and OnClose belong to the
// session and must be nil.
type SessionOptions struct {
	Options
	// MinBackoff is the first wait between reconnect or send attempts.
	// Default 100 ms.
	MinBackoff time.Duration
	// MaxBackoff bounds the wait, which doubles per failed attempt.
	// Default 3.2 s.
	MaxBackoff time.Duration
	// MaxReconnects is how many dials in a row may fail before the session
	// gives up (Done closes, Err says why). Default 0: until Close.
	MaxReconnects int
	// SendAttempts bounds the attempts of one SendText. Default 10.
	SendAttempts int
	// AttemptTimeout bounds each request the session makes: one send
	// attempt, a resync, a history page. Default 10 s.
	AttemptTimeout time.Duration
	// HistoryPage is the page size used to fill gaps. Default 200.
	HistoryPage int
	// QueueLimit bounds the events buffered per subscription; past it the
	// session stops taking pushes for the group and fills from history as
	// the reader catches up. Default 4096.
	QueueLimit int
	// OnState, if set, is told when the connection is lost (Connected
	// false, Err why) and when it is back, resynced (Connected true). It
	// runs on the session's reconnect goroutine.
	OnState func(State)
}

// State is a change of a Session's connection.
type State struct {
	Connected bool
	Err       error // why the connection was lost
}

func (o *SessionOptions) ensureDefaults() error {
	if o.OnPush != nil || o.OnGap != nil || o.OnFrame != nil || o.OnClose != nil {
		return errors.New("client: SessionOptions: OnPush, OnGap, OnFrame and OnClose belong to the session")
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 100 * time.Millisecond
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(3200*time.Millisecond, o.MinBackoff)
	}
	if o.SendAttempts <= 0 {
		o.SendAttempts = 10
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = 10 * time.Second
	}
	if o.HistoryPage <= 0 {
		o.HistoryPage = 200
	}
	if o.QueueLimit <= 0 {
		o.QueueLimit = 4096
	}
	return nil
}

// Session is a connection that stays up: it reconnects with bounded
// backoff when the connection drops, resyncs its subscriptions from the
// last seq each has delivered, fills gaps from history, and retries sends
// with the same client message id so that none is posted twice. It is what
// a bot or an embedder's user interface wants instead of a bare Client.
// A Session is safe for concurrent use; Close it when done.
type Session struct {
	addr string
	opts SessionOptions
	ctx  context.Context
	stop context.CancelFunc

	mu      sync.Mutex
	c       *Client       // the current connection
	changed chan struct{} // closed when c is replaced
	subs    map[string]*Subscription
	closed  bool
	err     error
	wg      sync.WaitGroup
	done    chan struct{}
}

// Connect dials addr and returns a live session. ctx bounds the first dial
// only; the session lives until Close (or MaxReconnects failed dials).
func Connect(ctx context.Context, addr string, opts SessionOptions) (*Session, error) {
	if err := opts.ensureDefaults(); err != nil {
		return nil, err
	}
	s := &Session{addr: addr, opts: opts, changed: make(chan struct{}), subs: map[string]*Subscription{}, done: make(chan struct{})}
	s.ctx, s.stop = context.WithCancel(context.Background())
	c, err := s.dial(ctx)
	if err != nil {
		s.stop()
		return nil, err
	}
	s.c = c
	s.wg.Add(1)
	go s.reconnectLoop()
	return s, nil
}

func (s *Session) dial(ctx context.Context) (*Client, error) {
	o := s.opts.Options
	o.OnPush, o.OnGap = s.onPush, s.onGap
	return Dial(ctx, s.addr, o)
}

// Conn returns the live connection, waiting while the session reconnects,
// for calls the session does not wrap.
func (s *Session) Conn(ctx context.Context) (*Client, error) {
	for {
		s.mu.Lock()
		c, changed := s.c, s.changed
		s.mu.Unlock()
		select {
		case <-c.Done():
		default:
			return c, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.done:
			return nil, s.Err()
		}
	}
}

// User is the authenticated user id.
func (s *Session) User() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.c.User()
}

// Done is closed when the session ends: Close, or MaxReconnects failed dials.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err says why the session ended (ErrClosed after Close), nil while it runs.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the session and its subscriptions and waits for its goroutines.
func (s *Session) Close() error {
	s.end(ErrClosed)
	s.wg.Wait()
	return nil
}

// end closes the session with err unless it has ended already.
func (s *Session) end(err error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed, s.err = true, err
	c := s.c
	s.mu.Unlock()
	s.stop()
	c.Close()
	close(s.done)
}

// spawn runs f on a goroutine Close waits for, unless the session ended.
func (s *Session) spawn(f func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
	return true
}

// backoff is the wait before retry number attempt (from 0).
func (s *Session) backoff(attempt int) time.Duration {
	return min(s.opts.MinBackoff<<min(attempt, 20), s.opts.MaxBackoff)
}

// sleep waits d unless ctx or the session ends first (false).
func (s *Session) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.done:
	}
	return false
}

func (s *Session) reconnectLoop() {
	defer s.wg.Done()
	for {
		c := s.current()
		select {
		case <-s.ctx.Done():
			return
		case <-c.Done():
		}
		if s.ctx.Err() != nil {
			return
		}
		s.state(State{Err: orClosed(c.Err())})
		nc, err := s.redial()
		if err != nil {
			s.end(err)
			return
		}
		if !s.install(nc) {
			nc.Close()
			return
		}
		rctx, cancel := context.WithTimeout(s.ctx, s.opts.AttemptTimeout)
		_, _ = nc.Resync(rctx, s.lastSeqs()) // missed messages come as pushes; what it cannot give, the fills below fetch
		cancel()
		s.state(State{Connected: true})
		for _, sub := range s.subscriptions() {
			s.fill(sub)
		}
	}
}

// redial dials until it succeeds, the session is closed, or MaxReconnects
// dials in a row have failed.
func (s *Session) redial() (*Client, error) {
	for attempt := 0; ; attempt++ {
		c, err := s.dial(s.ctx)
		if err == nil {
			return c, nil
		}
		if s.opts.MaxReconnects > 0 && attempt+1 >= s.opts.MaxReconnects {
			return nil, fmt.Errorf("client: session gave up after %d dials: %w", attempt+1, err)
		}
		if !s.sleep(s.ctx, s.backoff(attempt)) {
			return nil, ErrClosed
		}
	}
}

func (s *Session) current() *Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.c
}

// install makes c the current connection unless the session has ended.
func (s *Session) install(c *Client) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.c = c
	close(s.changed)
	s.changed = make(chan struct{})
	return true
}

func (s *Session) state(st State) {
	if s.opts.OnState != nil {
		s.opts.OnState(st)
	}
}

func orClosed(err error) error {
	if err == nil {
		return ErrClosed
	}
	return err
}

// ---- sending ----

// SendText posts a text message and waits until it is durable. It retries
// on a lost connection, a timeout or an overloaded server, always with the
// same client message id (cmid; "" makes one), so the server posts the
// message once however many attempts reach it. It gives up when ctx ends,
// on an error retrying cannot fix, or after SendAttempts attempts.
func (s *Session) SendText(ctx context.Context, group, cmid, text string) (wire.SendResult, error) {
	if cmid == "" {
		cmid = NewCMID()
	}
	var err error
	for attempt := 0; attempt < s.opts.SendAttempts; attempt++ {
		c, cerr := s.Conn(ctx)
		if cerr != nil {
			return wire.SendResult{}, cerr
		}
		actx, cancel := context.WithTimeout(ctx, s.opts.AttemptTimeout)
		var r wire.SendResult
		r, err = c.SendText(actx, group, cmid, text)
		cancel()
		if err == nil || !retryable(err) {
			return r, err
		}
		if !s.sleep(ctx, s.backoff(attempt)) {
			return wire.SendResult{}, orErr(ctx.Err(), s.Err())
		}
	}
	return wire.SendResult{}, fmt.Errorf("client: send not acknowledged after %d attempts: %w", s.opts.SendAttempts, err)
}

// SendPacket sends a red packet like Client.SendPacket, across reconnects:
// every attempt carries the same cmid (a.CMID, or a new one), so the
// packet is sent and paid once however many attempts reach the server. It
// retries on a lost connection, a timeout, a busy server or
// payment_pending, up to SendAttempts attempts.
func (s *Session) SendPacket(ctx context.Context, a wire.SendPacketArgs) (wire.PacketResult, error) {
	if a.CMID == "" {
		a.CMID = NewCMID()
	}
	var err error
	for attempt := 0; attempt < s.opts.SendAttempts; attempt++ {
		c, cerr := s.Conn(ctx)
		if cerr != nil {
			return wire.PacketResult{}, &PacketSendError{CMID: a.CMID, Err: cerr}
		}
		actx, cancel := context.WithTimeout(ctx, s.opts.AttemptTimeout)
		var r wire.PacketResult
		r, err = call[wire.PacketResult](actx, c, wire.OpSendPacket, &a)
		cancel()
		if err == nil {
			return r, nil
		}
		if !packetRetryable(err) {
			return r, &PacketSendError{CMID: a.CMID, Err: err}
		}
		if !s.sleep(ctx, s.backoff(attempt)) {
			return wire.PacketResult{}, &PacketSendError{CMID: a.CMID, Err: orErr(ctx.Err(), s.Err())}
		}
	}
	return wire.PacketResult{}, &PacketSendError{CMID: a.CMID, Err: err}
}

func orErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// retryable says whether the same request may succeed if tried again: the
// connection was lost, the attempt timed out, or the server was busy.
func retryable(err error) bool {
	var we *wire.Error
	if !errors.As(err, &we) {
		return true
	}
	switch we.Code {
	case wire.CodeTimeout, wire.CodeUnavailable, wire.CodeSlowConsumer, wire.CodeShuttingDown:
		return true
	}
	return false
}

// NewCMID returns a random client message id.
func NewCMID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
