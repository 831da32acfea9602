package actors

import (
	"runtime"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// warm is the dispatcher of every grain kind. Proto.Actor's default
// dispatcher runs each mailbox wake-up on a new goroutine, whose stack then
// grows again through the grain's work (stack growth was 13–17% of the
// server in send-bound profiles). warm queues wake-ups for a few workers
// (4 per CPU, started on demand, each exiting after warmIdle without work)
// that keep their grown stacks. Grains never wait on one another (their
// store calls return and commits answer by message), so a bounded pool
// cannot deadlock; still, Schedule never blocks: when the queue is full the
// run gets a goroutine of its own, as with the default dispatcher.
var warm = newWarmDispatcher(4*runtime.GOMAXPROCS(0), 4096)

const warmIdle = time.Second

type warmDispatcher struct {
	work       chan func()
	workers    atomic.Int32
	max        int32
	throughput int
}

func newWarmDispatcher(workers, queue int) *warmDispatcher {
	return &warmDispatcher{work: make(chan func(), queue), max: int32(workers), throughput: 300}
}

var _ actor.Dispatcher = (*warmDispatcher)(nil)

// Schedule implements actor.Dispatcher.
func (d *warmDispatcher) Schedule(fn func()) {
	if d.workers.Load() < d.max {
		if d.workers.Add(1) <= d.max {
			go d.worker(fn)
			return
		}
		d.workers.Add(-1)
	}
	select {
	case d.work <- fn:
	default:
		go fn()
	}
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
