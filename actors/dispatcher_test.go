package actors

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Every scheduled run runs, on at most max workers while the queue has room.
func TestWarmDispatcherRunsEverything(t *testing.T) {
	d := newWarmDispatcher(2, 64)
	var ran sync.WaitGroup
	var peak, cur atomic.Int32
	const n = 2000
	ran.Add(n)
	for i := 0; i < n; i++ {
		d.Schedule(func() {
			c := cur.Add(1)
			for p := peak.Load(); c > p && !peak.CompareAndSwap(p, c); p = peak.Load() {
			}
			cur.Add(-1)
			ran.Done()
		})
	}
	done := make(chan struct{})
	go func() { ran.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("scheduled runs did not all run")
	}
	if w := d.workers.Load(); w > 2 {
		t.Errorf("%d workers, limit 2", w)
	}
}

// Schedule never blocks: with every worker blocked and the queue full, a run
// gets a goroutine of its own.
func TestWarmDispatcherNeverBlocks(t *testing.T) {
	d := newWarmDispatcher(2, 4)
	release := make(chan struct{})
	var started atomic.Int32
	const n = 20
	scheduled := make(chan struct{})
	go func() {
		for i := 0; i < n; i++ {
			d.Schedule(func() {
				started.Add(1)
				<-release
			})
		}
		close(scheduled)
	}()
	select {
	case <-scheduled:
	case <-time.After(10 * time.Second):
		t.Fatal("Schedule blocked")
	}
	// 2 on workers, 4 queued behind them, the other 14 on goroutines.
	deadline := time.Now().Add(10 * time.Second)
	for started.Load() < n-4 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if s := started.Load(); s != n-4 {
		t.Errorf("%d runs started, want %d", s, n-4)
	}
	close(release)
	for started.Load() < n && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if s := started.Load(); s != n {
		t.Errorf("%d of %d runs ran", s, n)
	}
}
