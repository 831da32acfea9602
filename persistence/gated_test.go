package persistence

import (
	"errors"
	"syscall"
	"testing"
	"time"
)

// recorder collects done callbacks in delivery order.
type recorder struct {
	ch chan gatedResult
}

type gatedResult struct {
	id  int
	err error
}

func newRecorder() *recorder { return &recorder{ch: make(chan gatedResult, 100)} }

func (r *recorder) done(id int) func(error) {
	return func(err error) { r.ch <- gatedResult{id, err} }
}

// next waits for the next callback and checks it is id with no error.
func (r *recorder) next(t *testing.T, id int, wantErr error) {
	t.Helper()
	got := waitChan(t, r.ch, "callback")
	if got.id != id || !errors.Is(got.err, wantErr) || (wantErr == nil && got.err != nil) {
		t.Fatalf("callback %d (%v), want %d (%v)", got.id, got.err, id, wantErr)
	}
}

func (r *recorder) none(t *testing.T) {
	t.Helper()
	select {
	case got := <-r.ch:
		t.Fatalf("callback %d (%v) delivered while held", got.id, got.err)
	default:
	}
}

func TestGatedHoldsCallbacks(t *testing.T) {
	g := NewGated(NewMemory())
	t.Cleanup(func() { _ = g.Close() })
	r := newRecorder()
	for i := range 5 {
		g.Commit(&Batch{Events: events("gt", uint64(i+1), uint64(i+1))}, r.done(i))
	}
	if !g.WaitHeld(5, 20*time.Second) {
		t.Fatalf("held %d of 5", g.Held())
	}
	// All five are durable in the inner store and visible, none acknowledged.
	r.none(t)
	if g.Pending() != 5 || g.Stats().QueuedBatches != 5 {
		t.Fatalf("pending %d, stats %+v", g.Pending(), g.Stats())
	}
	wantSeqs(t, "visible before release", readRange(t, g, "gt", 0, 100, 0), seqRange(1, 5))

	g.Release(2)
	r.next(t, 0, nil)
	r.next(t, 1, nil)
	// The deliverer popped exactly the two released before calling them.
	if p := g.Pending(); p != 3 {
		t.Fatalf("pending %d after releasing 2 of 5", p)
	}
	r.none(t)

	// A release before the commit exists applies to it.
	g.Commit(&Batch{Events: events("gt", 6, 6)}, r.done(5))
	g.ReleaseAll()
	for i := 2; i <= 5; i++ {
		r.next(t, i, nil)
	}
	// ReleaseAll covers only the commits made before it.
	g.Commit(&Batch{Events: events("gt", 7, 7)}, r.done(6))
	if !g.WaitHeld(1, 20*time.Second) {
		t.Fatal("commit 6 not held")
	}
	r.none(t)
	g.Release(1)
	r.next(t, 6, nil)

	// Without holding, callbacks go as soon as the inner store is done.
	g.SetHold(false)
	mustCommit(t, g, &Batch{Events: events("gt", 8, 8)})
	g.SetHold(true)
	g.Commit(&Batch{Events: events("gt", 9, 9)}, r.done(8))
	if !g.WaitHeld(1, 20*time.Second) {
		t.Fatal("commit 8 not held after SetHold(true)")
	}
	r.none(t)
	if err := g.Health(); err != nil {
		t.Fatal(err)
	}
}

func TestGatedFail(t *testing.T) {
	m := NewMemory()
	g := NewGated(m)
	t.Cleanup(func() { _ = g.Close() })
	r := newRecorder()
	for i := range 3 {
		g.Commit(&Batch{Events: events("gf", uint64(i+1), uint64(i+1))}, r.done(i))
	}
	if !g.WaitHeld(3, 20*time.Second) {
		t.Fatal("not held")
	}
	g.Fail(syscall.ENOSPC)
	wantFailStop(t, "Health", g.Health(), syscall.ENOSPC)
	innerCommits := m.Stats().Commits
	g.Commit(&Batch{Events: events("gf", 4, 4)}, r.done(3))
	g.Commit(&Batch{Events: []Event{{Stream: ""}}}, r.done(4))
	if m.Stats().Commits != innerCommits {
		t.Fatal("a batch reached the inner store after Fail")
	}
	r.none(t)
	g.ReleaseAll()
	for i := range 4 {
		r.next(t, i, ErrFailed)
	}
	r.next(t, 4, ErrInvalidStream)
	if st := g.Stats(); st.FailStops != 1 || st.Refused != 1 || st.QueuedBatches != 0 {
		t.Fatalf("stats %+v", st)
	}
	wantSeqs(t, "reads after Fail", readRange(t, g, "gf", 0, 100, 0), seqRange(1, 3))
}

func TestGatedCloseReleases(t *testing.T) {
	g := NewGated(NewMemory())
	r := newRecorder()
	for i := range 3 {
		g.Commit(&Batch{Puts: []KV{{Key: "k"}}}, r.done(i))
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		r.next(t, i, nil)
	}
	if err := CommitSync(g, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("commit after Close: %v", err)
	}
	if err := g.Health(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Health after Close: %v", err)
	}
}
