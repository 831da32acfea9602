package actors

import (
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"

	"github.com/qunchat/qun/actors/pb"
	"github.com/qunchat/qun/wire"
)

// Durable timers. A group with something due (a packet expiry, a lottery
// deadline, an order to archive, a host call owed) keeps one key in the
// node's due-time index, dq/<due ms, 16 digits>/<group>, written in the
// same batch as the change that set it. The index is sorted by time, so a
// scan stops at the first key in the future. Every node runs one scanner
// (StartTimers): every Deps.TimerPeriod it sends OpTick to each due group,
// activating it if it was passivated or the node restarted. A grain that is
// active also arms an in-process timer for its next deadline, so a deadline
// is met within milliseconds while the grain lives, and within one period
// otherwise.

// OpTick (internal) tells a group grain to run what is due.
const OpTick wire.Op = 1170

const dueKeyPrefix = "dq/"

// DueKey is the index key of group's due time.
func DueKey(due int64, group string) string {
	return fmt.Sprintf("%s%016d/%s", dueKeyPrefix, due, group)
}

// maxTicksPerScan bounds the groups one scan wakes.
const maxTicksPerScan = 1000

// StartTimers starts the node's scanner of the due-time index; stop ends it
// and waits.
func StartTimers(sys *actor.ActorSystem, d *Deps) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(d.TimerPeriod)
		defer t.Stop()
		for {
			scanDue(sys, d, done)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done) }); wg.Wait() }
}

func scanDue(sys *actor.ActorSystem, d *Deps, done chan struct{}) {
	now := d.Now().UnixMilli()
	var groups []string
	err := d.Store.Scan(dueKeyPrefix, func(k string, v []byte) bool {
		rest := k[len(dueKeyPrefix):]
		if len(rest) < 18 {
			return true
		}
		due, err := strconv.ParseInt(rest[:16], 10, 64)
		if err != nil || due > now || len(groups) >= maxTicksPerScan {
			return false
		}
		groups = append(groups, rest[17:])
		return true
	})
	if err != nil {
		d.Logger.Warn("scan due index", slog.Any("err", err))
		return
	}
	c := cluster.GetCluster(sys)
	for _, g := range groups {
		select {
		case <-done:
			return
		default:
		}
		if _, err := c.Request(g, KindGroup, &pb.Call{Op: uint32(OpTick)}, cluster.WithTimeout(d.HostTimeout)); err != nil {
			d.Logger.Debug("tick group", slog.String("group", g), slog.Any("err", err))
		}
	}
}
