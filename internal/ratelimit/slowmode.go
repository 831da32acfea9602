package ratelimit

import (
	"fmt"
	"sync"
	"time"
)

// slowEntry is a key's last accepted event and the interval then in force.
type slowEntry struct {
	last  time.Time
	every time.Duration
}

// SlowMode allows at most one event per interval per key (e.g. per viewer of
// a room whose admins set slow mode). It is safe for concurrent use.
type SlowMode[K comparable] struct {
	mu sync.Mutex
	t  table[K, slowEntry]
	st Stats
}

// SlowModeConfig configures SlowMode. The interval itself is passed on each
// call, so that an admin's change takes effect at once.
type SlowModeConfig struct {
	// MaxKeys bounds the keys held. Default 100 000.
	MaxKeys int
}

// DefaultSlowModeConfig returns the defaults documented on each field.
func DefaultSlowModeConfig() SlowModeConfig { return SlowModeConfig{MaxKeys: 100_000} }

// Validate checks the config.
func (c SlowModeConfig) Validate() error {
	if c.MaxKeys < 1 || c.MaxKeys > MaxKeysLimit {
		return fmt.Errorf("%w: MaxKeys %d not in [1, %d]", ErrConfig, c.MaxKeys, MaxKeysLimit)
	}
	return nil
}

// NewSlowMode returns a SlowMode for cfg.
func NewSlowMode[K comparable](cfg SlowModeConfig) (*SlowMode[K], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &SlowMode[K]{t: newTable[K, slowEntry](cfg.MaxKeys)}, nil
}

// Allow records an event for key at now if at least every has passed since
// the key's last accepted event; otherwise it returns false and the time
// left. every ≤ 0 means slow mode is off: always true, nothing recorded.
// Time going backwards counts as no time passing.
func (s *SlowMode[K]) Allow(key K, now time.Time, every time.Duration) (bool, time.Duration) {
	if every <= 0 {
		return true, 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.t.get(key)
	if n != nil {
		if next := n.val.last.Add(every); now.Before(next) {
			return false, next.Sub(now)
		}
	} else {
		var evicted bool
		n, evicted = s.t.insert(key)
		if evicted {
			s.st.Evicted++
			if !n.val.idle(now) {
				s.st.EvictedBusy++
			}
		}
	}
	n.val = slowEntry{last: now, every: every}
	return true, 0
}

func (e *slowEntry) idle(now time.Time) bool { return !now.Before(e.last.Add(e.every)) }

// Sweep drops up to limit idle keys (interval passed) from the least
// recently used end and returns how many it dropped.
func (s *SlowMode[K]) Sweep(now time.Time, limit int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.t.sweep(limit, func(e *slowEntry) bool { return e.idle(now) })
	s.st.Swept += uint64(n)
	return n
}

// Stats returns the key count and eviction counters.
func (s *SlowMode[K]) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	st.Keys = len(s.t.m)
	return st
}
