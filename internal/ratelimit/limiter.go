package ratelimit

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Never is the retry-after of a request that can never be allowed (more
// tokens than the burst).
const Never = rate.InfDuration

// MaxKeysLimit is the largest MaxKeys a config may set.
const MaxKeysLimit = 1 << 24

// ErrConfig is a bad limiter config.
var ErrConfig = errors.New("ratelimit: bad config")

// Config configures a keyed token-bucket Limiter.
type Config struct {
	// Rate is the tokens added per second to each key's bucket. Default 1.
	Rate rate.Limit
	// Burst is each bucket's size; a new key starts full. Default 3.
	Burst int
	// MaxKeys bounds the keys held. Default 100 000.
	MaxKeys int
}

// DefaultConfig returns the defaults documented on each field (one event a
// second with a burst of 3, the per-viewer send rate of a live room).
func DefaultConfig() Config { return Config{Rate: 1, Burst: 3, MaxKeys: 100_000} }

// Validate checks the config.
func (c Config) Validate() error {
	switch {
	case !(c.Rate > 0): // also refuses NaN; rate.Inf allows everything
		return fmt.Errorf("%w: Rate %v must be > 0", ErrConfig, c.Rate)
	case c.Burst < 1:
		return fmt.Errorf("%w: Burst %d must be ≥ 1", ErrConfig, c.Burst)
	case c.MaxKeys < 1 || c.MaxKeys > MaxKeysLimit:
		return fmt.Errorf("%w: MaxKeys %d not in [1, %d]", ErrConfig, c.MaxKeys, MaxKeysLimit)
	}
	return nil
}

// Limiter is a token bucket per key. It is safe for concurrent use.
type Limiter[K comparable] struct {
	cfg Config
	mu  sync.Mutex
	t   table[K, *rate.Limiter]
	st  Stats
}

// New returns a Limiter for cfg.
func New[K comparable](cfg Config) (*Limiter[K], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Limiter[K]{cfg: cfg, t: newTable[K, *rate.Limiter](cfg.MaxKeys)}, nil
}

// Config returns the limiter's config.
func (l *Limiter[K]) Config() Config { return l.cfg }

// Allow is AllowN(key, now, 1).
func (l *Limiter[K]) Allow(key K, now time.Time) (bool, time.Duration) {
	return l.AllowN(key, now, 1)
}

// AllowN takes n tokens from key's bucket at now. It returns true, or false
// and how long from now until n tokens will be there (Never when n exceeds
// the burst). A refused call takes nothing.
func (l *Limiter[K]) AllowN(key K, now time.Time, n int) (bool, time.Duration) {
	if n > l.cfg.Burst {
		return false, Never
	}
	if n <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	nd := l.t.get(key)
	if nd == nil {
		var evicted bool
		nd, evicted = l.t.insert(key)
		if evicted {
			l.st.Evicted++
			if !l.idle(nd.val, now) {
				l.st.EvictedBusy++
			}
		}
		nd.val = rate.NewLimiter(l.cfg.Rate, l.cfg.Burst)
	}
	lim := nd.val
	if lim.AllowN(now, n) {
		return true, 0
	}
	return false, retryAfter(lim, now, n)
}

// idle reports whether lim's bucket is full at now.
func (l *Limiter[K]) idle(lim *rate.Limiter, now time.Time) bool {
	return lim.TokensAt(now) >= float64(l.cfg.Burst)
}

// retryAfter is how long from now until lim holds n tokens: the exact
// quotient rounded up, then checked against the limiter's own arithmetic.
func retryAfter(lim *rate.Limiter, now time.Time, n int) time.Duration {
	need := float64(n) - lim.TokensAt(now)
	if need <= 0 {
		return 0
	}
	secs := need / float64(lim.Limit())
	if secs*float64(time.Second) >= float64(math.MaxInt64) {
		return Never
	}
	d := time.Duration(math.Ceil(secs * float64(time.Second)))
	for i := 0; i < 64 && lim.TokensAt(now.Add(d)) < float64(n); i++ {
		d += time.Microsecond // float rounding; a step or two at most
	}
	return d
}

// Sweep drops up to limit idle keys (full buckets) from the least recently
// used end and returns how many it dropped.
func (l *Limiter[K]) Sweep(now time.Time, limit int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.t.sweep(limit, func(v **rate.Limiter) bool { return l.idle(*v, now) })
	l.st.Swept += uint64(n)
	return n
}

// Forget drops key, e.g. when its connection closes.
func (l *Limiter[K]) Forget(key K) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := l.t.m[key]; n != nil {
		l.t.unlink(n)
		delete(l.t.m, key)
	}
}

// Stats returns the key count and eviction counters.
func (l *Limiter[K]) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.st
	s.Keys = len(l.t.m)
	return s
}
