package engine_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/wire"
)

// TestLinearizableUnderKill9 records a concurrent history of sends and
// history reads against a real qund child process that is killed with
// SIGKILL and restarted on the same data several times, and checks it per
// group with porcupine against a sequential log: a send takes the next seq;
// a read sees exactly the log so far (its last seq and the cmid at every
// seq it returns). A send whose outcome is unknown (the connection died)
// may or may not have happened: it is recorded as returning at the end of
// time, and applied if the checker places it before a read that saw it.
//
// Bounded: 4 workers × 80 operations, 3 kills (one after every 80
// completed operations), 2 groups, 90 s.
func TestLinearizableUnderKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills server processes")
	}
	const workers, perWorker, kills = 4, 80, 3
	dir := t.TempDir()
	ch := startChild(t, dir)
	var addr atomic.Pointer[string]
	a := ch.addr
	addr.Store(&a)

	// Two groups, every worker a member; the log starts with their events.
	owner := dialAddr(t, ch.addr, "owner")
	var groups []string
	for i := 0; i < 2; i++ {
		g, err := owner.CreateGroup(ctxT(t), fmt.Sprint("lin", i))
		if err != nil {
			t.Fatal(err)
		}
		groups = append(groups, g)
	}
	for w := 0; w < workers; w++ {
		c := dialAddr(t, ch.addr, fmt.Sprint("w", w))
		for _, g := range groups {
			if _, err := c.Join(ctxT(t), g); err != nil {
				t.Fatal(err)
			}
		}
		c.Close()
	}
	initial := map[string][]string{}
	for _, g := range groups {
		for _, m := range allHistory(t, owner, g) {
			initial[g] = append(initial[g], m.CMID)
		}
	}
	owner.Close()

	start := time.Now()
	deadline := start.Add(90 * time.Second)
	now := func() int64 { return time.Since(start).Nanoseconds() }
	var (
		mu        sync.Mutex
		ops       = map[string][]porcupine.Operation{}
		done      atomic.Int64
		unknown   atomic.Int64
		killed    = make(chan struct{}, kills)
		killAfter = int64(workers * perWorker / (kills + 1))
		killTimes []int64
	)
	record := func(g string, op porcupine.Operation) {
		mu.Lock()
		ops[g] = append(ops[g], op)
		mu.Unlock()
		if n := done.Add(1); n%killAfter == 0 && n/killAfter <= kills {
			killed <- struct{}{}
		}
	}
	// The killer: kill -9 and restart after every killAfter operations.
	var kwg sync.WaitGroup
	kwg.Add(1)
	go func() {
		defer kwg.Done()
		for i := 0; i < kills; i++ {
			select {
			case _, ok := <-killed:
				if !ok {
					return
				}
			case <-time.After(time.Until(deadline)):
				return
			}
			ch.kill9(t)
			mu.Lock()
			killTimes = append(killTimes, now())
			mu.Unlock()
			ch = startChild(t, dir)
			a := ch.addr
			addr.Store(&a)
		}
	}()

	dialNow := func(user string) *client.Client {
		for time.Now().Before(deadline) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			c, err := client.Dial(ctx, *addr.Load(), client.Options{Token: token(t, user)})
			cancel()
			if err == nil {
				return c
			}
			time.Sleep(20 * time.Millisecond) // a restart in progress: poll
		}
		return nil
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := fmt.Sprint("w", w)
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			var c *client.Client
			defer func() {
				if c != nil {
					c.Close()
				}
			}()
			for k := 0; k < perWorker && time.Now().Before(deadline); k++ {
				if c == nil {
					if c = dialNow(user); c == nil {
						return
					}
				}
				g := groups[rng.IntN(len(groups))]
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				call := now()
				if rng.IntN(10) < 7 {
					cmid := fmt.Sprintf("%s-%d", user, k)
					r, err := c.SendText(ctx, g, cmid, "x")
					out := sendOut{seq: r.Seq}
					ret := now()
					if err != nil {
						out, ret = sendOut{unknown: true}, 1<<62 // may or may not have happened
						unknown.Add(1)
						c.Close()
						c = nil
					}
					record(g, porcupine.Operation{ClientId: w, Input: linIn{send: true, cmid: cmid}, Call: call, Output: out, Return: ret})
				} else {
					h, err := c.History(ctx, wire.HistoryArgs{Group: g, Limit: 50})
					ret := now()
					if err != nil { // a failed read changed nothing: left out
						c.Close()
						c = nil
					} else {
						out := readOut{last: h.LastSeq}
						for _, m := range h.Msgs {
							out.seqs = append(out.seqs, m.Seq)
							out.cmids = append(out.cmids, m.CMID)
						}
						record(g, porcupine.Operation{ClientId: w, Input: linIn{}, Call: call, Output: out, Return: ret})
					}
				}
				cancel()
			}
		}()
	}
	wg.Wait()
	close(killed) // the killer stops waiting once the workers are done
	kwg.Wait()

	// Resolve the unknown sends from the final log: one that is there took
	// effect, with that seq, before the process it was sent to died; one
	// that is not never did and is left out.
	final := dialAddr(t, ch.addr, "owner")
	resolved, dropped := 0, 0
	for _, g := range groups {
		seqOf := map[string]uint64{}
		for _, m := range allHistory(t, final, g) {
			seqOf[m.CMID] = m.Seq
		}
		kept := ops[g][:0]
		for _, op := range ops[g] {
			if out, ok := op.Output.(sendOut); ok && out.unknown {
				seq, there := seqOf[op.Input.(linIn).cmid]
				if !there {
					dropped++
					continue
				}
				op.Output = sendOut{seq: seq}
				op.Return = now()
				for _, k := range killTimes {
					if k > op.Call {
						op.Return = k
						break
					}
				}
				resolved++
			}
			kept = append(kept, op)
		}
		ops[g] = kept
	}
	t.Logf("unknown sends: %d found in the log after the crashes, %d not", resolved, dropped)
	total := 0
	for _, g := range groups {
		h := ops[g]
		total += len(h)
		res := porcupine.CheckOperationsTimeout(linModel(initial[g]), h, 30*time.Second)
		t.Logf("group %s: %d operations, %s", g, len(h), res)
		if res == porcupine.Illegal {
			t.Fatalf("group %s: history of %d operations is not linearizable", g, len(h))
		}
	}
	t.Logf("linearizability: %d operations (%d with unknown outcome) over %d groups, %d kill -9 restarts, %v",
		total, unknown.Load(), len(groups), kills, time.Since(start).Round(time.Millisecond))
	if total < workers*perWorker/2 {
		t.Fatalf("only %d operations recorded", total)
	}
}

type linIn struct {
	send bool
	cmid string
}

type sendOut struct {
	seq     uint64
	unknown bool
}

type readOut struct {
	last  uint64
	seqs  []uint64
	cmids []string
}

// linModel is a group's log: the cmid at each seq (index seq-1).
func linModel(initial []string) porcupine.Model {
	return porcupine.Model{
		Init: func() any { return slices.Clone(initial) },
		Step: func(state, input, output any) (bool, any) {
			log := state.([]string)
			in := input.(linIn)
			if in.send {
				out := output.(sendOut)
				if !out.unknown && out.seq != uint64(len(log))+1 {
					return false, log
				}
				return true, append(slices.Clip(log), in.cmid)
			}
			out := output.(readOut)
			if out.last != uint64(len(log)) {
				return false, log
			}
			for i, s := range out.seqs {
				if s == 0 || s > uint64(len(log)) || log[s-1] != out.cmids[i] {
					return false, log
				}
			}
			return true, log
		},
		Equal: func(a, b any) bool { return slices.Equal(a.([]string), b.([]string)) },
		Hash:  func(s any) uint64 { return uint64(len(s.([]string))) },
		DescribeOperation: func(input, output any) string {
			return fmt.Sprintf("%+v -> %+v", input, output)
		},
	}
}

// TestLinModelCatchesAnomalies: the model refuses a lost acknowledged send,
// a seq handed out twice and a read that sees a message at the wrong seq.
func TestLinModelCatchesAnomalies(t *testing.T) {
	m := linModel([]string{""})
	send := func(c, r int64, cmid string, seq uint64) porcupine.Operation {
		return porcupine.Operation{Input: linIn{send: true, cmid: cmid}, Call: c, Output: sendOut{seq: seq}, Return: r}
	}
	read := func(c, r int64, last uint64, seqs []uint64, cmids []string) porcupine.Operation {
		return porcupine.Operation{ClientId: 1, Input: linIn{}, Call: c, Output: readOut{last: last, seqs: seqs, cmids: cmids}, Return: r}
	}
	for _, c := range []struct {
		name string
		h    []porcupine.Operation
		ok   bool
	}{
		{"fine", []porcupine.Operation{send(1, 2, "a", 2), read(3, 4, 2, []uint64{1, 2}, []string{"", "a"})}, true},
		{"acked send lost", []porcupine.Operation{send(1, 2, "a", 2), read(3, 4, 1, []uint64{1}, []string{""})}, false},
		{"seq twice", []porcupine.Operation{send(1, 2, "a", 2), send(3, 4, "b", 2)}, false},
		{"wrong message", []porcupine.Operation{send(1, 2, "a", 2), read(3, 4, 2, []uint64{2}, []string{"b"})}, false},
	} {
		if got := porcupine.CheckOperations(m, c.h); got != c.ok {
			t.Errorf("%s: linearizable %v, want %v", c.name, got, c.ok)
		}
	}
}
