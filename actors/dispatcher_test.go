package actors

import (
	"sync"
	"testing"
	"time"
)

// Mailbox runs that block never hold up others: past the worker limit they
// get goroutines of their own.
func TestWarmDispatcherNeverBlocks(t *testing.T) {
	d := &warmDispatcher{work: make(chan func()), throughput: 300, max: 4}
	release := make(chan struct{})
	var started sync.WaitGroup
	const n = 20
	started.Add(n)
	for i := 0; i < n; i++ {
		d.Schedule(func() {
			started.Done()
			<-release
		})
	}
	done := make(chan struct{})
	go func() { started.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("blocked mailbox runs held up others")
	}
	if w := d.workers.Load(); w != 4 {
		t.Errorf("%d workers, want the limit 4", w)
	}
	close(release)
}

// Later runs reuse the idle workers instead of starting goroutines.
func TestWarmDispatcherReusesWorkers(t *testing.T) {
	d := &warmDispatcher{work: make(chan func()), throughput: 300, max: 4}
	var ran sync.WaitGroup
	for i := 0; i < 1000; i++ {
		ran.Add(1)
		d.Schedule(ran.Done)
		ran.Wait()
		if w := d.workers.Load(); w > 4 {
			t.Fatalf("%d workers after %d runs", w, i+1)
		}
	}
	if w := d.workers.Load(); w < 1 {
		t.Fatalf("no worker kept")
	}
}
