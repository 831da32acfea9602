// Package ratelimit holds keyed, memory-bounded rate limiters whose clock is
// an input: every call takes now, so a state machine can pass its own time
// and tests can use testing/synctest.
//
//   - Limiter: a token bucket per key (user × group, connection, …) on
//     golang.org/x/time/rate; AllowN returns allowed or how long to wait.
//   - SlowMode: at most one event per interval per key (a group's 慢速模式);
//     the interval is passed on each call, so an admin can change it.
//   - Daily: at most N events per key per calendar day in a time zone (e.g.
//     @all three times a day per group); DayCount is the same rule as a
//     plain value a state machine can keep in its own (persisted) state.
//
// # Bounded memory
//
// Each keyed type holds at most MaxKeys keys in a map with an intrusive LRU
// list. A key that is new when the table is full takes the place of the
// least recently used key. A key is idle when forgetting it changes nothing
// (its bucket is full, its interval has passed, its day is over); Sweep drops
// idle keys from the old end, and Stats counts evictions of keys that were
// not idle (EvictedBusy), which hand a fresh allowance to that key: a table
// sized too small for its traffic shows there first. The map never grows
// beyond MaxKeys.
//
// # Cost
//
// A call on a known key takes one mutex and does not allocate; a new key
// allocates one rate.Limiter (Limiter) or nothing (SlowMode, Daily) once the
// table is full.
//
// The package imports none of Qun's packages.
package ratelimit
