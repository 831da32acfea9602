package actors

import (
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// warm is the dispatcher of every grain kind. Proto.Actor's default
// dispatcher runs each mailbox wake-up on a new goroutine, whose stack then
// grows again through the grain's work (stack growth was 13–17% of the
// server in send-bound profiles). warm hands a wake-up to an idle worker
// that kept its grown stack; when none is idle it starts one (up to
// warmWorkers), past that a plain goroutine, so a blocked mailbox can never
// hold up another. A worker exits after warmIdle without work.
var warm = &warmDispatcher{work: make(chan func()), throughput: 300, max: warmWorkers}

const (
	warmWorkers = 64
	warmIdle    = time.Second
)

type warmDispatcher struct {
	work       chan func() // unbuffered: a send succeeds only to an idle worker
	workers    atomic.Int32
	max        int32
	throughput int
}

var _ actor.Dispatcher = (*warmDispatcher)(nil)

// Schedule implements actor.Dispatcher.
func (d *warmDispatcher) Schedule(fn func()) {
	select {
	case d.work <- fn:
		return
	default:
	}
	if d.workers.Add(1) <= d.max {
		go d.worker(fn)
		return
	}
	d.workers.Add(-1)
	go fn()
}

// Throughput implements actor.Dispatcher: messages per mailbox run, as
// Proto.Actor's default.
func (d *warmDispatcher) Throughput() int { return d.throughput }

func (d *warmDispatcher) worker(fn func()) {
	defer d.workers.Add(-1)
	fn()
	t := time.NewTimer(warmIdle)
	defer t.Stop()
	for {
		select {
		case fn := <-d.work:
			fn()
			t.Reset(warmIdle)
		case <-t.C:
			return
		}
	}
}
