package engine

import (
	"time"

	"golang.org/x/time/rate"

	"github.com/qunchat/qun/internal/ratelimit"
	"github.com/qunchat/qun/wire"
)

// Rate limits (Config.Limits): a token bucket per connection for all its
// requests, per user × group for sends, per user for group creations,
// joins and applies, and invite-code guesses. Over a limit the request is
// answered rate_limited with the milliseconds to wait; the connection
// stays. Requests from the host's own process (Engine.Call) are not
// limited. The clock is an input (e.now), for testing/synctest.

type userGroup struct{ user, group string }

type rateLimits struct {
	requests *ratelimit.Limiter[*conn]
	sends    *ratelimit.Limiter[userGroup]
	creates  *ratelimit.Limiter[string]
	joins    *ratelimit.Limiter[string]
	guesses  *ratelimit.Limiter[string]
}

func perHour(n int) rate.Limit { return rate.Limit(float64(n) / 3600) }

func newRateLimits(l Limits) (rateLimits, error) {
	var r rateLimits
	var err error
	mk := func(rt rate.Limit, burst int) ratelimit.Config {
		return ratelimit.Config{Rate: rt, Burst: burst, MaxKeys: l.MaxKeys}
	}
	if r.requests, err = ratelimit.New[*conn](mk(rate.Limit(l.RequestsPerSecond), l.RequestBurst)); err != nil {
		return r, err
	}
	if r.sends, err = ratelimit.New[userGroup](mk(rate.Limit(l.SendsPerSecond), l.SendBurst)); err != nil {
		return r, err
	}
	if r.creates, err = ratelimit.New[string](mk(perHour(l.CreatesPerHour), l.CreatesPerHour)); err != nil {
		return r, err
	}
	if r.joins, err = ratelimit.New[string](mk(perHour(l.JoinsPerHour), l.JoinsPerHour)); err != nil {
		return r, err
	}
	r.guesses, err = ratelimit.New[string](mk(perHour(l.CodeGuessesPerHour), l.CodeGuessesPerHour))
	return r, err
}

func limited(what string, wait time.Duration) *wire.Error {
	ms := wait.Milliseconds()
	if ms < 1 {
		ms = 1
	}
	return &wire.Error{Code: wire.CodeRateLimited, Msg: what + ": retry later", RetryAfter: ms}
}

// limitConn takes one request from the connection's bucket.
func (e *Engine) limitConn(c *conn) *wire.Error {
	return e.rates.conn(c, e.now())
}

func (r *rateLimits) conn(c *conn, now time.Time) *wire.Error {
	if ok, wait := r.requests.Allow(c, now); !ok {
		return limited("too many requests on this connection", wait)
	}
	return nil
}

// limitUser applies the per-user limits of op. args are the client's
// (already known to be a map or empty); a group id that does not decode is
// left to the op to refuse.
func (e *Engine) limitUser(user string, op wire.Op, args []byte) *wire.Error {
	return e.rates.user(user, op, args, e.now())
}

func (r *rateLimits) user(user string, op wire.Op, args []byte, now time.Time) *wire.Error {
	switch op {
	case wire.OpSend:
		var a wire.GroupArgs
		if wire.DecodeArgs(args, &a) != nil {
			return nil
		}
		if ok, wait := r.sends.Allow(userGroup{user, a.Group}, now); !ok {
			return limited("too many messages to this group", wait)
		}
	case wire.OpCreateGroup:
		if ok, wait := r.creates.Allow(user, now); !ok {
			return limited("too many groups created this hour", wait)
		}
	case wire.OpJoin, wire.OpApply:
		if op == wire.OpJoin {
			var a wire.JoinArgs
			if wire.DecodeArgs(args, &a) == nil && a.Code != "" {
				if ok, wait := r.guesses.Allow(user, now); !ok {
					return limited("too many invite codes tried this hour", wait)
				}
			}
		}
		if ok, wait := r.joins.Allow(user, now); !ok {
			return limited("too many joins this hour", wait)
		}
	}
	return nil
}

// now is the engine's clock for rate limits.
func (e *Engine) now() time.Time { return time.Now() }

// limitRequest applies the connection's and the user's rate limits to one
// request.
func (e *Engine) limitRequest(c *conn, op wire.Op, args []byte) error {
	if err := e.limitConn(c); err != nil {
		return err
	}
	if err := e.limitUser(c.user, op, args); err != nil {
		return err
	}
	return nil
}
