package ratelimit

import (
	"fmt"
	"sync"
	"time"
)

// DayCount is a daily quota as a plain value: the day it counts (days since
// 1970-01-01 in the quota's time zone) and how many events it counted. A
// group state machine keeps one in its state (and snapshot) so the quota
// survives restarts; Daily keeps many in a bounded table.
type DayCount struct {
	Day int64
	N   int
}

// DayOf returns now's day number in loc (days since 1970-01-01 there).
func DayOf(now time.Time, loc *time.Location) int64 {
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// nextMidnight returns the start of the day after now's, in loc.
func nextMidnight(now time.Time, loc *time.Location) time.Time {
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, loc)
}

// Take counts one event at now against limit per day in loc. It returns the
// new count and true, or the count unchanged, false and the time until the
// next day starts in loc.
func (c DayCount) Take(now time.Time, loc *time.Location, limit int) (DayCount, bool, time.Duration) {
	day := DayOf(now, loc)
	if c.Day != day {
		c = DayCount{Day: day}
	}
	if c.N >= limit {
		return c, false, nextMidnight(now, loc).Sub(now)
	}
	c.N++
	return c, true, 0
}

// Remaining returns how many events are left today at now.
func (c DayCount) Remaining(now time.Time, loc *time.Location, limit int) int {
	if c.Day != DayOf(now, loc) {
		return limit
	}
	return max(limit-c.N, 0)
}

// ChinaTime is UTC+8 without daylight saving (China Standard Time), the
// default day boundary for daily quotas.
var ChinaTime = time.FixedZone("UTC+8", 8*60*60)

// DailyConfig configures Daily.
type DailyConfig struct {
	// Limit is the events allowed per key per day. Default 3 (@all per group).
	Limit int
	// Loc is the time zone whose midnight starts a day. Default ChinaTime.
	Loc *time.Location
	// MaxKeys bounds the keys held. Default 100 000.
	MaxKeys int
}

// DefaultDailyConfig returns the defaults documented on each field.
func DefaultDailyConfig() DailyConfig {
	return DailyConfig{Limit: 3, Loc: ChinaTime, MaxKeys: 100_000}
}

// Validate checks the config.
func (c DailyConfig) Validate() error {
	switch {
	case c.Limit < 1:
		return fmt.Errorf("%w: Limit %d must be ≥ 1", ErrConfig, c.Limit)
	case c.Loc == nil:
		return fmt.Errorf("%w: Loc is nil", ErrConfig)
	case c.MaxKeys < 1 || c.MaxKeys > MaxKeysLimit:
		return fmt.Errorf("%w: MaxKeys %d not in [1, %d]", ErrConfig, c.MaxKeys, MaxKeysLimit)
	}
	return nil
}

// Daily allows at most Limit events per key per calendar day. It is safe for
// concurrent use. Its counts live in memory only; a quota that must survive
// restarts belongs in the caller's state as a DayCount.
type Daily[K comparable] struct {
	cfg DailyConfig
	mu  sync.Mutex
	t   table[K, DayCount]
	st  Stats
}

// NewDaily returns a Daily for cfg.
func NewDaily[K comparable](cfg DailyConfig) (*Daily[K], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Daily[K]{cfg: cfg, t: newTable[K, DayCount](cfg.MaxKeys)}, nil
}

// Allow counts one event for key at now. It returns true and the events left
// today, or false, the time until the next day and 0.
func (d *Daily[K]) Allow(key K, now time.Time) (ok bool, retryAfter time.Duration, remaining int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := d.t.get(key)
	if n == nil {
		var evicted bool
		n, evicted = d.t.insert(key)
		if evicted {
			d.st.Evicted++
			if n.val.Day == DayOf(now, d.cfg.Loc) {
				d.st.EvictedBusy++
			}
		}
		n.val = DayCount{}
	}
	var c DayCount
	c, ok, retryAfter = n.val.Take(now, d.cfg.Loc, d.cfg.Limit)
	n.val = c
	if !ok {
		return false, retryAfter, 0
	}
	return true, 0, d.cfg.Limit - c.N
}

// Sweep drops up to limit keys whose day is over from the least recently
// used end and returns how many it dropped.
func (d *Daily[K]) Sweep(now time.Time, limit int) int {
	today := DayOf(now, d.cfg.Loc)
	d.mu.Lock()
	defer d.mu.Unlock()
	n := d.t.sweep(limit, func(c *DayCount) bool { return c.Day != today })
	d.st.Swept += uint64(n)
	return n
}

// Stats returns the key count and eviction counters.
func (d *Daily[K]) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.st
	st.Keys = len(d.t.m)
	return st
}
