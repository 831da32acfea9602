package bench

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/wire"
)

// connectRun is the open-loop connection schedule shared by Qun and NATS:
// connection i is due at t0 + i/rate and is started then, late or not; its
// latency runs from the due time until it is authenticated and has joined
// (subscribed to) its groups.
type connectRun struct {
	cfg    *Config
	m      *meter
	okN    int64
	lastOK int64
	mu     sync.Mutex
}

func (cr *connectRun) run(ctx context.Context, open func(ctx context.Context, i int) error) (launched int, elapsed float64) {
	cfg, m := cr.cfg, cr.m
	step := 1e9 / cfg.Rate
	t0 := m.now() + int64(20*time.Millisecond)
	m.start.Store(t0)
	stopAt := t0 + int64(cfg.Duration)
	var wg sync.WaitGroup
	for i := 0; i < cfg.Conns; i++ {
		due := t0 + int64(float64(i)*step)
		if due >= stopAt || ctx.Err() != nil {
			break
		}
		sleepCtx(ctx, time.Duration(due-m.now()))
		launched++
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := open(ctx, i)
			now := m.now()
			if err != nil {
				m.errs.Add(1)
				return
			}
			recordLatency(&m.shards[i%nShards], now-due)
			cr.mu.Lock()
			cr.okN++
			if now > cr.lastOK {
				cr.lastOK = now
			}
			cr.mu.Unlock()
		}()
	}
	waitGroupTimeout(&wg, 60*time.Second)
	m.end.Store(m.now())
	cr.mu.Lock()
	defer cr.mu.Unlock()
	if cr.lastOK > t0 {
		elapsed = float64(cr.lastOK-t0) / 1e9
	}
	return launched, elapsed
}

func (cr *connectRun) result(system, mode string, launched int, elapsed float64) Result {
	res := Result{Scenario: "connect", System: system, Mode: mode, Conns: int(cr.okN), Seconds: round3(elapsed)}
	res.Latency = latencyOf(cr.m.merged())
	res.Errors = cr.m.errs.Load()
	res.SlowConsumers = cr.m.slow.Load()
	if elapsed > 0 {
		res.ConnsPerSec = math.Round(float64(cr.okN) / elapsed)
		res.SendsPerSec = res.ConnsPerSec
	}
	if launched < cr.cfg.Conns {
		res.Notes = append(res.Notes, fmt.Sprintf("--duration ended the schedule after %d of %d connections", launched, cr.cfg.Conns))
	}
	return res
}

func runConnectQun(ctx context.Context, cfg *Config, last bool) (Result, error) {
	need := uint64(cfg.Conns + 64)
	if cfg.Server == "" && !cfg.Spawn {
		need = uint64(2*cfg.Conns + 128)
	}
	if err := checkFDs(need, "the load generator"); err != nil {
		return Result{}, err
	}
	srv, err := startQun(ctx, cfg)
	if err != nil {
		return Result{}, err
	}
	defer func() {
		if srv.mode != ModeExternal {
			srv.close()
		}
	}()
	m := newMeter()
	m.running.Store(true)
	prefix := runPrefix()
	// An admin creates the K groups everybody joins.
	gids := make([]string, cfg.Join)
	if cfg.Join > 0 {
		tok, _ := srv.token(prefix + "admin")
		admin, err := client.Dial(ctx, srv.addr, client.Options{Token: tok, Name: "qunbench"})
		if err != nil {
			return Result{}, err
		}
		for k := range gids {
			if gids[k], err = admin.CreateGroup(ctx, "connect "+strconv.Itoa(k)); err != nil {
				admin.Close()
				return Result{}, err
			}
		}
		admin.Close()
	}
	p := srv.proc
	time.Sleep(200 * time.Millisecond)
	base, _ := srv.stats(true)
	rss0 := p.status("VmRSS")
	cpu0 := p.cpu()
	if last {
		profileStart(cfg, srv)
	}
	clients := make([]*client.Client, cfg.Conns)
	defer func() {
		var wg sync.WaitGroup
		for _, c := range clients {
			if c != nil {
				wg.Add(1)
				go func() { defer wg.Done(); c.Close() }()
			}
		}
		wg.Wait()
	}()
	cr := &connectRun{cfg: cfg, m: m}
	launched, elapsed := cr.run(ctx, func(ctx context.Context, i int) error {
		tok, err := srv.token(prefix + "c" + strconv.Itoa(i))
		if err != nil {
			return err
		}
		c, err := client.Dial(ctx, srv.addr, client.Options{Token: tok, Name: "qunbench", DialTimeout: 30 * time.Second,
			OnFrame: func(wire.FrameType, []byte) {}, OnClose: onCloseCounter(m)})
		if err != nil {
			return err
		}
		clients[i] = c
		for _, g := range gids {
			if _, err := c.Join(ctx, g); err != nil {
				return err
			}
		}
		return nil
	})
	if last {
		profileStop(cfg, srv)
	}
	cpu1 := p.cpu()
	res := cr.result("qun", srv.mode, launched, elapsed)
	res.ServerCPU, res.ServerRSSMB = -1, -1
	if cpu0 >= 0 && cpu1 >= 0 {
		res.ServerCPU = round3(cpu1 - cpu0)
	}
	// Idle memory: let the connections settle, then compare with the
	// baseline. RSS is read before any forced GC (as for NATS); the Go heap
	// and stack figures come after one.
	time.Sleep(time.Second)
	if n := float64(cr.okN); n > 0 && rss0 > 0 {
		res.IdleConnKB = round3(float64(p.status("VmRSS")-rss0) / n / 1024)
		if st, err := srv.stats(true); err == nil {
			res.IdleConnHeapKB = round3(float64(st.HeapInuse-base.HeapInuse) / n / 1024)
			res.IdleConnStackKB = round3(float64(st.StackInuse-base.StackInuse) / n / 1024)
		}
	}
	if p.pid >= 0 {
		res.ServerRSSMB = round3(mb(p.status("VmHWM")))
	}
	switch srv.mode {
	case ModeInProcess:
		res.Notes = append(res.Notes, "server runs in-process: memory per connection includes the Go client's own buffers (~100 KB); use --spawn for the server's figure")
	case ModeExternal:
		res.Notes = append(res.Notes, "external server: CPU and memory are not measured")
	}
	m.running.Store(false)
	return res, nil
}

func runConnectNats(ctx context.Context, cfg *Config, bin string) (Result, error) {
	if err := checkFDs(uint64(cfg.Conns+64), "the load generator"); err != nil {
		return Result{}, err
	}
	srv, err := startNats(ctx, bin, false)
	if err != nil {
		return Result{}, err
	}
	defer srv.close()
	m := newMeter()
	m.running.Store(true)
	nl := &natsLoad{srv: srv}
	subjects := make([]string, cfg.Join)
	for k := range subjects {
		subjects[k] = "connect.g" + strconv.Itoa(k)
	}
	p := proc{pid: srv.pid()}
	time.Sleep(200 * time.Millisecond)
	rss0 := p.status("VmRSS")
	cpu0 := p.cpu()
	conns := make([]*nats.Conn, cfg.Conns)
	defer func() {
		for _, nc := range conns {
			if nc != nil {
				nc.Close()
			}
		}
	}()
	cr := &connectRun{cfg: cfg, m: m}
	launched, elapsed := cr.run(ctx, func(ctx context.Context, i int) error {
		nc, err := nl.connect(ctx, m, 0)
		if err != nil {
			return err
		}
		conns[i] = nc
		for _, s := range subjects {
			if _, err := nc.Subscribe(s, func(*nats.Msg) {}); err != nil {
				return err
			}
		}
		return nc.FlushTimeout(30 * time.Second)
	})
	cpu1 := p.cpu()
	res := cr.result("nats", ModeProcess, launched, elapsed)
	res.ServerCPU = -1
	if cpu0 >= 0 && cpu1 >= 0 {
		res.ServerCPU = round3(cpu1 - cpu0)
	}
	time.Sleep(time.Second)
	if n := float64(cr.okN); n > 0 && rss0 > 0 {
		res.IdleConnKB = round3(float64(p.status("VmRSS")-rss0) / n / 1024)
	}
	res.ServerRSSMB = round3(mb(p.status("VmHWM")))
	m.running.Store(false)
	return res, nil
}
