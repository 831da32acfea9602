package engine

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qunchat/qun/wire"
)

// Limits bound what connections and users may take from a node. Zero
// fields are not defaults: start from DefaultLimits. See docs/protocol.md,
// "Limits".
type Limits struct {
	// MaxConns bounds the client connections of the node; one more is told
	// too_many_connections and closed. Default 100 000.
	MaxConns int
	// MaxUnauthConns bounds connections that have not completed their
	// handshake, over all addresses. Default 1024.
	MaxUnauthConns int
	// MaxUnauthPerIP bounds such connections from one source IP address.
	// Default 32.
	MaxUnauthPerIP int
	// MaxConnsPerUser bounds one user's connections on this node; when a
	// new one completes its handshake past the bound, the user's oldest
	// connection is closed with replaced. Default 16.
	MaxConnsPerUser int
	// RequestsPerSecond and RequestBurst bound the requests of one
	// connection (token bucket); past them a request is answered
	// rate_limited with a retry-after and the connection stays. Default
	// 100/s, burst 200.
	RequestsPerSecond int
	RequestBurst      int
	// SendsPerSecond and SendBurst bound one user's sends to one group.
	// Default 10/s, burst 50.
	SendsPerSecond int
	SendBurst      int
	// CreatesPerHour bounds one user's create_group calls. Default 10.
	CreatesPerHour int
	// JoinsPerHour bounds one user's join and apply calls. Default 60.
	JoinsPerHour int
	// CodeGuessesPerHour bounds one user's join calls that carry an invite
	// code, answered or not: the number of guesses an attacker gets per
	// account. Default 10.
	CodeGuessesPerHour int
	// MaxKeys bounds the keys each rate limiter holds (least recently used
	// are forgotten first). Default 100 000.
	MaxKeys int
}

// DefaultLimits returns the defaults documented on Limits.
func DefaultLimits() Limits {
	return Limits{
		MaxConns: 100_000, MaxUnauthConns: 1024, MaxUnauthPerIP: 32, MaxConnsPerUser: 16,
		RequestsPerSecond: 100, RequestBurst: 200, SendsPerSecond: 10, SendBurst: 50,
		CreatesPerHour: 10, JoinsPerHour: 60, CodeGuessesPerHour: 10, MaxKeys: 100_000,
	}
}

// Validate reports the first invalid field.
func (l Limits) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"MaxConns", l.MaxConns}, {"MaxUnauthConns", l.MaxUnauthConns}, {"MaxUnauthPerIP", l.MaxUnauthPerIP},
		{"MaxConnsPerUser", l.MaxConnsPerUser}, {"RequestsPerSecond", l.RequestsPerSecond}, {"SendsPerSecond", l.SendsPerSecond}, {"RequestBurst", l.RequestBurst}, {"SendBurst", l.SendBurst},
		{"CreatesPerHour", l.CreatesPerHour}, {"JoinsPerHour", l.JoinsPerHour},
		{"CodeGuessesPerHour", l.CodeGuessesPerHour}, {"MaxKeys", l.MaxKeys}} {
		if f.v < 1 {
			return fmt.Errorf("%w: Limits.%s %d < 1", ErrConfig, f.name, f.v)
		}
	}
	return nil
}

// connLimits is the node's connection accounting.
type connLimits struct {
	mu       sync.Mutex
	unauth   int
	perIP    map[string]int
	perUser  map[string][]*conn // oldest first
	refused  int64
	replaced int64
}

func ipOf(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// admitConn decides on a freshly accepted connection: nil to go on, else the
// code to close it with. An admitted connection counts as unauthenticated
// until authenticated or released.
func (e *Engine) admitConn(c *conn) wire.Code {
	e.mu.Lock()
	total := len(e.conns)
	e.mu.Unlock()
	l := &e.limits
	lim := e.cfg.Limits
	l.mu.Lock()
	defer l.mu.Unlock()
	ip := ipOf(c.nc.RemoteAddr())
	if total >= lim.MaxConns || l.unauth >= lim.MaxUnauthConns || l.perIP[ip] >= lim.MaxUnauthPerIP {
		l.refused++
		return wire.CodeTooManyConnections
	}
	l.unauth++
	l.perIP[ip]++
	c.ip, c.unauth = ip, true
	return 0
}

// refusing counts refusals in progress: past maxRefusing (a flood) a
// refused connection is closed without a word rather than given a
// goroutine.
var refusing atomic.Int32

const maxRefusing = 256

// refuse tells a connection it was not admitted and closes it, off the
// accept loop.
func refuse(nc net.Conn, code wire.Code) {
	if refusing.Add(1) > maxRefusing {
		refusing.Add(-1)
		_ = nc.Close()
		return
	}
	go func() {
		defer refusing.Add(-1)
		f, _ := wire.EncodeFrame(wire.FrameError, &wire.ErrorFrame{Code: code, Msg: "connection limit reached: retry later"})
		_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = nc.Write(f)
		if halfClose(nc) {
			drainAndClose(nc)
			return
		}
		_ = nc.Close()
	}()
}

// leaveUnauth ends a connection's unauthenticated count (idempotent).
func (e *Engine) leaveUnauthLocked(c *conn) {
	l := &e.limits
	if !c.unauth {
		return
	}
	c.unauth = false
	l.unauth--
	if l.perIP[c.ip]--; l.perIP[c.ip] <= 0 {
		delete(l.perIP, c.ip)
	}
}

// authenticated moves c from the unauthenticated count to its user's
// connections, closing the user's oldest past MaxConnsPerUser.
func (e *Engine) authenticated(c *conn) {
	l := &e.limits
	l.mu.Lock()
	e.leaveUnauthLocked(c)
	list := append(l.perUser[c.user], c)
	var old *conn
	if len(list) > e.cfg.Limits.MaxConnsPerUser {
		old, list = list[0], list[1:]
		l.replaced++
	}
	l.perUser[c.user] = list
	l.mu.Unlock()
	if old != nil {
		old.closeWith(wire.CodeReplaced, fmt.Sprintf("more than %d connections for this user: the oldest is closed", e.cfg.Limits.MaxConnsPerUser))
	}
}

// released forgets a connection that ended.
func (e *Engine) released(c *conn) {
	l := &e.limits
	l.mu.Lock()
	defer l.mu.Unlock()
	e.leaveUnauthLocked(c)
	e.rates.requests.Forget(c)
	if c.user == "" {
		return
	}
	list := l.perUser[c.user]
	for i, x := range list {
		if x == c {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(l.perUser, c.user)
	} else {
		l.perUser[c.user] = list
	}
}

// userConns returns the user's live connections on this node.
func (e *Engine) userConns(user string) []*conn {
	l := &e.limits
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*conn(nil), l.perUser[user]...)
}

// UnlimitedLimits returns limits no benchmark or test reaches: every
// bound 2^30, every rate 2^30 per second. Not for a public service.
func UnlimitedLimits() Limits {
	const n = 1 << 30
	return Limits{
		MaxConns: n, MaxUnauthConns: n, MaxUnauthPerIP: n, MaxConnsPerUser: n,
		RequestsPerSecond: n, RequestBurst: n, SendsPerSecond: n, SendBurst: n,
		CreatesPerHour: n, JoinsPerHour: n, CodeGuessesPerHour: n, MaxKeys: 100_000,
	}
}
