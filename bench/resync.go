package bench

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/qunchat/qun/client"
)

// runResync: Conns clients, members of Groups groups, go away; Missed
// messages per group are sent meanwhile; then all reconnect at once and
// resync. One cycle per storm, repeated until Duration (the first cycle is
// a warm-up when Warmup > 0). Latency is from the start of the storm to
// each client's resync reply, by which time its missed messages were pushed.
func runResync(ctx context.Context, cfg *Config, last bool) (Result, error) {
	res := Result{Scenario: "resync", System: "qun"}
	q := &qunLoad{cfg: cfg, prefix: runPrefix()}
	if err := checkFDs(q.fdNeed(cfg.Conns+1), "the load generator (with the server in-process)"); err != nil {
		return res, err
	}
	srv, err := startQun(ctx, cfg)
	if err != nil {
		return res, err
	}
	q.srv = srv
	res.Mode = srv.mode
	q.m = newMeter()
	m := q.m
	defer func() {
		if srv.mode != ModeExternal {
			srv.close()
		}
	}()
	// User cfg.Conns is the sender and owns every group; users 0..Conns-1 read.
	owner := cfg.Conns
	groups := make([][]int, cfg.Groups)
	for g := range groups {
		ms := []int{owner}
		for i := 0; i < cfg.Conns; i++ {
			ms = append(ms, i)
		}
		groups[g] = ms
	}
	sctx, cancel := context.WithTimeout(ctx, time.Minute+time.Duration(cfg.Conns*cfg.Groups)*5*time.Millisecond)
	err = q.build(sctx, groups)
	cancel()
	if err != nil {
		return res, fmt.Errorf("qun: setup: %w", err)
	}
	sender, err := q.dial(ctx, owner, client.Options{})
	if err != nil {
		return res, err
	}
	defer sender.Close()

	readers := make([]*qunReader, cfg.Conns)
	clients := make([]*client.Client, cfg.Conns)
	var cmu sync.Mutex
	closeAll := func() {
		var wg sync.WaitGroup
		cmu.Lock()
		for i, c := range clients {
			if c != nil {
				wg.Add(1)
				go func() { defer wg.Done(); c.Close(); <-c.Done() }()
				clients[i] = nil
			}
		}
		cmu.Unlock()
		wg.Wait()
	}
	defer closeAll()
	for i := range readers {
		readers[i] = newQunReader(m, true, true)
		readers[i].mu = &sync.Mutex{}
	}
	m.running.Store(true)
	err = forEach(ctx, cfg.Conns, 64, func(i int) error {
		c, err := q.dial(ctx, i, client.Options{OnFrame: readers[i].onFrame, OnClose: onCloseCounter(m)})
		cmu.Lock()
		clients[i] = c
		cmu.Unlock()
		return err
	})
	if err != nil {
		return res, err
	}
	lastSeq := make([]uint64, cfg.Groups)
	var smu sync.Mutex
	sendRound := func(n int) error {
		payload := newPayload(cfg.Payload)
		return forEach(ctx, n*cfg.Groups, cfg.Window, func(k int) error {
			g := k % cfg.Groups
			p := append([]byte(nil), payload...)
			fillPayload(p, m.now(), 0, uint32(k))
			r, err := sender.SendText(ctx, q.gids[g], "r"+strconv.Itoa(k)+"-"+strconv.FormatInt(m.now(), 36), string(p))
			if err != nil {
				return err
			}
			smu.Lock()
			lastSeq[g] = max(lastSeq[g], r.Seq)
			smu.Unlock()
			return nil
		})
	}
	// Everyone learns where each group stands.
	if err := sendRound(1); err != nil {
		return res, err
	}
	waitCaughtUp(readers, q.gids, lastSeq, 10*time.Second)

	p := srv.proc
	if p.pid >= 0 {
		p.resetPeak()
	}
	var (
		storms   float64
		replayed int64
		cycles   int
		cpu      float64
	)
	lat := newHist()
	begin := time.Now()
	for cycle := 0; cycle < 1000 && ctx.Err() == nil; cycle++ {
		counted := cycle > 0 || cfg.Warmup == 0
		if counted && time.Since(begin) > cfg.Duration && cycles > 0 {
			break
		}
		closeAll()
		time.Sleep(50 * time.Millisecond)
		if err := sendRound(cfg.Missed); err != nil {
			return res, fmt.Errorf("send while away: %w", err)
		}
		if counted && last && cycles == 0 {
			profileStart(cfg, srv)
		}
		before, _, _ := m.sums()
		cpu0 := p.cpu()
		t0 := time.Now()
		var wg sync.WaitGroup
		var lmu sync.Mutex
		for i := range readers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				qr := readers[i]
				qr.mu.Lock()
				want := make(map[string]uint64, len(q.gids))
				for _, g := range q.gids {
					if v := qr.lastBy[g]; v != nil {
						want[g] = *v
					}
				}
				qr.mu.Unlock()
				c, err := q.dial(ctx, i, client.Options{OnFrame: qr.onFrame, OnClose: onCloseCounter(m)})
				if err != nil {
					m.errs.Add(1)
					return
				}
				cmu.Lock()
				clients[i] = c
				cmu.Unlock()
				rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
				_, err = c.Resync(rctx, want)
				cancel()
				d := time.Since(t0)
				if err != nil {
					m.errs.Add(1)
					return
				}
				if counted {
					lmu.Lock()
					_ = lat.RecordValue(max(d.Microseconds(), 1))
					lmu.Unlock()
				}
			}()
		}
		waitGroupTimeout(&wg, 2*time.Minute)
		storm := time.Since(t0).Seconds()
		cpu1 := p.cpu()
		after, _, _ := m.sums()
		if counted {
			cycles++
			storms += storm
			replayed += after - before
			if cpu0 >= 0 && cpu1 >= 0 {
				cpu += cpu1 - cpu0
			}
			if last && cycles == 1 {
				profileStop(cfg, srv)
			}
		}
	}
	// Everyone must now hold every message.
	missing := 0
	for _, qr := range readers {
		qr.mu.Lock()
		for g, id := range q.gids {
			if v := qr.lastBy[id]; v == nil || *v < lastSeq[g] {
				missing++
			}
		}
		qr.mu.Unlock()
	}
	m.running.Store(false)
	_, _, gaps := m.sums()
	res.Latency = latencyOf(lat)
	res.Errors = m.errs.Load() + m.sendErrs.Load() + int64(missing)
	res.SlowConsumers = m.slow.Load()
	res.Gaps = gaps
	res.Replayed = replayed
	res.Deliveries = replayed
	res.Conns = cfg.Conns
	res.Seconds = round3(storms)
	res.Rounds = 1
	res.ServerCPU, res.ServerRSSMB = -1, -1
	if storms > 0 {
		res.DeliveriesPerSec = math.Round(float64(replayed) / storms)
		res.ConnsPerSec = math.Round(float64(cfg.Conns*cycles) / storms)
		res.SendsPerSec = res.ConnsPerSec
		res.ServerCPU = round3(cpu)
	}
	if p.pid >= 0 {
		res.ServerRSSMB = round3(mb(p.status("VmHWM")))
	}
	res.Notes = append(q.notes(), fmt.Sprintf("%d reconnect storms of %d clients; deliveries_per_sec is messages replayed per second of storm; sends_per_sec is resyncs completed per second", cycles, cfg.Conns))
	if missing > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d (client, group) pairs did not catch up to the last seq (counted as errors)", missing))
	}
	return res, nil
}

// waitCaughtUp waits (bounded) until every reader has seen lastSeq in every group.
func waitCaughtUp(readers []*qunReader, gids []string, lastSeq []uint64, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		ok := true
		for _, qr := range readers {
			qr.mu.Lock()
			for g, id := range gids {
				if v := qr.lastBy[id]; v == nil || *v < lastSeq[g] {
					ok = false
				}
			}
			qr.mu.Unlock()
			if !ok {
				break
			}
		}
		if ok {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}
