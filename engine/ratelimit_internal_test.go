package engine

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/qunchat/qun/wire"
)

func args(t *testing.T, v any) []byte {
	b, err := wire.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRateLimitsOverTime: each limit allows its burst, then answers
// rate_limited with a retry-after that is exactly when the next call
// passes; in a synctest bubble, so time is virtual.
func TestRateLimitsOverTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := DefaultLimits()
		r, err := newRateLimits(l)
		if err != nil {
			t.Fatal(err)
		}
		send := args(t, wire.SendArgs{Group: "g1"})
		join := args(t, wire.JoinArgs{Group: "g1"})
		guess := args(t, wire.JoinArgs{Code: "g1-AAAAAAAA"})
		c := &conn{}
		for _, tc := range []struct {
			name  string
			burst int
			try   func(now time.Time) *wire.Error
			every time.Duration // one more allowed after
		}{
			{"requests per connection", l.RequestBurst, func(now time.Time) *wire.Error { return r.conn(c, now) }, time.Second / time.Duration(l.RequestsPerSecond)},
			{"sends per user per group", l.SendBurst, func(now time.Time) *wire.Error { return r.user("u1", wire.OpSend, send, now) }, time.Second / time.Duration(l.SendsPerSecond)},
			{"creates per hour", l.CreatesPerHour, func(now time.Time) *wire.Error { return r.user("u1", wire.OpCreateGroup, nil, now) }, time.Hour / time.Duration(l.CreatesPerHour)},
			{"joins per hour", l.JoinsPerHour, func(now time.Time) *wire.Error { return r.user("u2", wire.OpJoin, join, now) }, time.Hour / time.Duration(l.JoinsPerHour)},
			{"code guesses per hour", l.CodeGuessesPerHour, func(now time.Time) *wire.Error { return r.user("u3", wire.OpJoin, guess, now) }, time.Hour / time.Duration(l.CodeGuessesPerHour)},
		} {
			for i := 0; i < tc.burst; i++ {
				if err := tc.try(time.Now()); err != nil {
					t.Fatalf("%s: call %d refused: %v", tc.name, i+1, err)
				}
			}
			err := tc.try(time.Now())
			if err == nil || err.Code != wire.CodeRateLimited {
				t.Fatalf("%s: call %d past the burst: %v", tc.name, tc.burst+1, err)
			}
			wait := time.Duration(err.RetryAfter) * time.Millisecond
			if wait <= 0 || wait > tc.every+time.Millisecond {
				t.Fatalf("%s: retry after %v, want about %v", tc.name, wait, tc.every)
			}
			time.Sleep(wait - 2*time.Millisecond) // virtual time
			if err := tc.try(time.Now()); err == nil && wait > 2*time.Millisecond {
				t.Fatalf("%s: allowed before its retry-after", tc.name)
			}
			time.Sleep(4 * time.Millisecond)
			if err := tc.try(time.Now()); err != nil {
				t.Fatalf("%s: refused after its retry-after: %v", tc.name, err)
			}
		}
		// Limits are per key: another user, another group, are untouched.
		if err := r.user("u9", wire.OpCreateGroup, nil, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := r.user("u1", wire.OpSend, args(t, wire.SendArgs{Group: "g2"}), time.Now()); err != nil {
			t.Fatal(err)
		}
		// A guess also counts as a join; a join without a code is not a guess.
		for i := 0; i < 3; i++ {
			if err := r.user("u4", wire.OpJoin, join, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.user("u4", wire.OpJoin, guess, time.Now()); err != nil {
			t.Fatalf("a first guess refused after plain joins: %v", err)
		}
	})
}
