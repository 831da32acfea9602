package client

import "sync"

// Tracker follows the last seq seen per group, so that an application sees
// every message once, in order, and knows when it must fetch history.
type Tracker struct {
	mu   sync.Mutex
	last map[string]uint64
}

// NewTracker returns an empty tracker.
func NewTracker() *Tracker { return &Tracker{last: map[string]uint64{}} }

// Verdict says what to do with a received seq.
type Verdict int

// Verdicts.
const (
	Deliver   Verdict = iota // next in order
	Duplicate                // already seen: drop
	Gap                      // messages between Last and this seq are missing: fetch them first
)

// Observe classifies seq for group. With Deliver the tracker advances; with
// Gap it does not (fetch Last+1 .. seq-1 with History, Observe those, then
// this one again). A group never seen before accepts any seq.
func (t *Tracker) Observe(group string, seq uint64) (Verdict, uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	last, known := t.last[group]
	switch {
	case known && seq <= last:
		return Duplicate, last
	case known && seq > last+1:
		return Gap, last
	}
	t.last[group] = seq
	return Deliver, last
}

// Set records the last seq of a group (e.g. from history or my-groups).
func (t *Tracker) Set(group string, seq uint64) {
	t.mu.Lock()
	if seq > t.last[group] {
		t.last[group] = seq
	}
	t.mu.Unlock()
}

// Last returns a copy of the last seq per group, for a resync.
func (t *Tracker) Last() map[string]uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := make(map[string]uint64, len(t.last))
	for g, s := range t.last {
		m[g] = s
	}
	return m
}
