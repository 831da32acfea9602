package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"time"
)

// shape is the same load for Qun and for a peer: connections, groups
// (subjects for NATS) with their member connections, and who sends where.
type shape struct {
	conns      int
	groups     [][]int // member connection indices; groups[g][0] owns g
	senders    []senderSpec
	rate       float64 // messages/s in total; 0 = saturation
	readers    bool    // false: nobody counts deliveries (persist)
	ackLatency bool    // latency is send → acknowledgement (persist)
	payload    int
	room       bool // a live room: viewers watch, the sender owns it (room.go)
	highSender int  // index of the high-priority (gift) sender, or -1
	paced      int  // senders sharing rate (those without their own)
}

type senderSpec struct {
	conn   int
	groups []int
	rate   float64 // its own rate (gifts), instead of a share of shape.rate
}

// fanoutShape: one group of all members; senders are the first S members.
func fanoutShape(cfg *Config) *shape {
	sh := &shape{conns: cfg.Members, rate: cfg.Rate, readers: true, payload: cfg.Payload}
	g := make([]int, cfg.Members)
	for i := range g {
		g[i] = i
	}
	sh.groups = [][]int{g}
	for j := 0; j < cfg.Senders; j++ {
		sh.senders = append(sh.senders, senderSpec{conn: j, groups: []int{0}})
	}
	return sh
}

// groupsShape: G groups of M members drawn from U users (user k of group g
// is (g*M + k) mod U, so each user is in about G*M/U groups); group g is
// sent to by its owner, the groups dealt round-robin to S sender loops.
func groupsShape(cfg *Config) *shape {
	sh := &shape{conns: cfg.Users, rate: cfg.Rate * float64(cfg.Groups), readers: true, payload: cfg.Payload}
	for g := 0; g < cfg.Groups; g++ {
		seen := map[int]bool{}
		var ms []int
		for k := 0; len(ms) < cfg.Members; k++ {
			u := (g*cfg.Members + k) % cfg.Users
			if !seen[u] {
				seen[u] = true
				ms = append(ms, u)
			}
		}
		sh.groups = append(sh.groups, ms)
	}
	s := min(cfg.Senders, cfg.Groups)
	for j := 0; j < s; j++ {
		sh.senders = append(sh.senders, senderSpec{conn: -1})
	}
	for g := 0; g < cfg.Groups; g++ {
		sp := &sh.senders[g%s]
		sp.groups = append(sp.groups, g)
	}
	return sh
}

// roomShape: fanout's shape as a live room: the members watch, sender 0
// (the owner) posts chatter at the rate, and with --gifts a second sender
// on the same connection posts gifts (high priority) at their own rate.
func roomShape(cfg *Config) *shape {
	sh := fanoutShape(cfg)
	sh.room, sh.highSender, sh.paced = true, -1, len(sh.senders)
	if cfg.Gifts > 0 {
		sh.highSender = len(sh.senders)
		sh.senders = append(sh.senders, senderSpec{conn: 0, groups: []int{0}, rate: cfg.Gifts})
	}
	return sh
}

// persistShape: G groups, each with one member, its owner; S senders each
// own and send to every S-th group. Nobody else is online.
func persistShape(cfg *Config) *shape {
	s := min(cfg.Senders, cfg.Groups)
	sh := &shape{conns: s, rate: cfg.Rate, ackLatency: true, payload: cfg.Payload}
	for j := 0; j < s; j++ {
		sh.senders = append(sh.senders, senderSpec{conn: j})
	}
	for g := 0; g < cfg.Groups; g++ {
		sh.groups = append(sh.groups, []int{g % s})
		sh.senders[g%s].groups = append(sh.senders[g%s].groups, g)
	}
	return sh
}

// sendSide is one sending connection of a system under test.
type sendSide interface {
	// send sends payload to group gi; it may block while the window is
	// full and returns false once the run is over. sent is the time the
	// payload carries.
	send(gi, conn int, payload []byte, sent int64) bool
	// wait waits (bounded) for outstanding acknowledgements.
	wait(d time.Duration)
}

// loadTarget is a system under test for fanout, groups, room and persist.
type loadTarget interface {
	name() string
	mode() string
	open(ctx context.Context, cfg *Config, sh *shape, m *meter) error
	sender(j int) sendSide
	proc() proc
	close()
	notes() []string
}

// runLoad runs one round: set up, warm up, measure, drain, tear down.
func runLoad(ctx context.Context, cfg *Config, t loadTarget, sh *shape, scenario string, hooks roundHooks) (Result, error) {
	res := Result{Scenario: scenario, System: t.name()}
	m := newMeter()
	setup := time.Minute + time.Duration(sh.conns)*5*time.Millisecond
	sctx, cancel := context.WithTimeout(ctx, setup)
	err := t.open(sctx, cfg, sh, m)
	cancel()
	defer t.close()
	if err != nil {
		return res, fmt.Errorf("%s: setup: %w", t.name(), err)
	}
	res.Mode = t.mode()
	p := t.proc()
	if p.pid >= 0 {
		p.resetPeak()
	}
	rctx, rcancel := context.WithCancel(ctx)
	defer rcancel()

	stopMon := make(chan struct{})
	defer close(stopMon)
	monEvery := 100 * time.Millisecond // also the timeline's resolution
	if sh.rate == 0 {
		monEvery = 2 * time.Millisecond
	}
	go m.monitor(monEvery, stopMon)

	t0 := m.now() + int64(20*time.Millisecond)
	winStart := t0 + int64(cfg.Warmup)
	winEnd := winStart + int64(cfg.Duration)
	m.running.Store(true)

	var lagMax int64
	if sh.readers && sh.rate == 0 {
		members := 0
		for _, g := range sh.groups {
			members += len(g)
		}
		avg := float64(members) / float64(len(sh.groups))
		lagMax = int64(4 * float64(cfg.Window*len(sh.senders)) * avg)
	}

	sides := make([]sendSide, len(sh.senders))
	for j := range sh.senders {
		sides[j] = t.sender(j)
	}
	var wg sync.WaitGroup
	for j := range sh.senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			drive(rctx, sh, j, sides[j], m, t0, winEnd, lagMax)
		}()
	}
	stopProg := make(chan struct{})
	progDone := make(chan struct{})
	go func() {
		defer close(progDone)
		progress(cfg, scenario+" "+t.name(), m, t0, winStart, winEnd, stopProg)
	}()

	sleepUntil(rctx, m, winStart)
	m.openWindow()
	cpu0 := p.cpu()
	if hooks.windowOpen != nil {
		hooks.windowOpen()
	}
	sleepUntil(rctx, m, winEnd)
	end := m.closeWindow()
	cpu1 := p.cpu()
	if hooks.windowClose != nil {
		hooks.windowClose()
	}
	seconds := float64(end-m.start.Load()) / 1e9

	waitGroupTimeout(&wg, 10*time.Second)
	for _, s := range sides {
		s.wait(5 * time.Second)
	}
	// Drain: let messages sent inside the window arrive (their latency
	// counts), bounded.
	if sh.readers {
		deadline := time.Now().Add(3 * time.Second)
		for time.Now().Before(deadline) {
			tot, _, _ := m.sums()
			if tot >= m.expected.Load() {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	m.running.Store(false)
	close(stopProg)
	<-progDone
	if err := ctx.Err(); err != nil {
		return res, err
	}

	_, inWin, gaps := m.sums()
	res.Deliveries = inWin
	res.Sends = m.sendsOK.Load()
	res.Seconds = round3(seconds)
	if seconds > 0 {
		res.DeliveriesPerSec = math.Round(float64(inWin) / seconds)
		res.SendsPerSec = math.Round(float64(res.Sends) / seconds)
	}
	res.Latency = latencyOf(m.merged())
	if sh.room {
		if sh.highSender >= 0 {
			hl := latencyOf(m.mergedHigh())
			res.HighLatency = &hl
			res.HighLost = max(0, m.highWant.Load()-m.highGot.Load())
			if seconds > 0 {
				res.HighPerSec = math.Round(float64(m.highIn.Load()) / seconds)
			}
		}
		res.ChatterSkipped, res.Refused = m.skipped.Load(), m.refused.Load()
	}
	tot, _, _ := m.sums()
	m.sample(tot)
	res.Timeline = m.timeline(m.start.Load(), t0, m.now())
	res.Errors = m.sendErrs.Load() + m.errs.Load()
	res.SlowConsumers = m.slow.Load()
	res.Gaps = gaps
	res.ServerCPU = -1
	if cpu0 >= 0 && cpu1 >= 0 {
		res.ServerCPU = round3(cpu1 - cpu0)
	}
	res.ServerRSSMB = -1
	if p.pid >= 0 {
		res.ServerRSSMB = round3(mb(p.status("VmHWM")))
	}
	res.Notes = t.notes()
	if sh.rate > 0 && m.sendsAll.Load() > 0 {
		want := sh.rate * (float64(cfg.Warmup+cfg.Duration) / 1e9)
		if got := float64(m.sendsAll.Load()); got < 0.9*want {
			res.Notes = append(res.Notes, fmt.Sprintf("senders fell behind the schedule: issued %.0f of %.0f sends (the late ones still carry their scheduled time)", got, want))
		}
	}
	return res, nil
}

type roundHooks struct {
	windowOpen, windowClose func()
}

// drive is one sender loop. Paced: send k of sender j is due at
// t0 + (k*S + j)/rate; a late send goes out at once, never skipped, and
// carries its due time. Saturation: sends go out as fast as the window
// allows, held back only while the readers lag more than lagMax
// deliveries behind (the same gate for every system).
func drive(ctx context.Context, sh *shape, j int, side sendSide, m *meter, t0, stopAt int64, lagMax int64) {
	sp := sh.senders[j]
	if len(sp.groups) == 0 {
		return
	}
	S := int64(len(sh.senders))
	if sh.paced > 0 {
		S = int64(sh.paced)
	}
	jj := int64(j) // this sender's slot in the shared schedule
	buf := newPayload(sh.payload)
	seqs := make([]uint32, len(sp.groups))
	var step float64
	if sh.rate > 0 {
		step = 1e9 / sh.rate
	}
	if sp.rate > 0 {
		step, S, jj = 1e9/sp.rate, 1, 0
	}
	const maxSends = 1 << 32
	for k := int64(0); k < maxSends; k++ {
		if ctx.Err() != nil {
			return
		}
		var sent int64
		if step > 0 {
			due := t0 + int64(float64(k*S+jj)*step)
			if due >= stopAt {
				return
			}
			if d := due - m.now(); d > 0 {
				sleepCtx(ctx, time.Duration(d))
			}
			sent = due
		} else {
			if lagMax > 0 {
				for m.expected.Load()-m.delivered.Load() > lagMax {
					if m.now() >= stopAt || ctx.Err() != nil {
						return
					}
					time.Sleep(100 * time.Microsecond)
				}
			}
			sent = m.now()
			if sent >= stopAt {
				return
			}
		}
		i := int(k % int64(len(sp.groups)))
		gi := sp.groups[i]
		seqs[i]++
		fillPayload(buf, sent, j, seqs[i])
		if sh.readers {
			m.expected.Add(int64(len(sh.groups[gi])))
			if sh.room && j == sh.highSender && sent >= m.start.Load() && sent < stopAt {
				m.highWant.Add(int64(len(sh.groups[gi])))
			}
		}
		m.sendsAll.Add(1)
		conn := sp.conn
		if conn < 0 {
			conn = sh.groups[gi][0]
		}
		if !side.send(gi, conn, buf, sent) {
			return
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func sleepUntil(ctx context.Context, m *meter, at int64) {
	sleepCtx(ctx, time.Duration(at-m.now()))
}

func waitGroupTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// progress prints a live line: elapsed, phase, delivery rate over the last
// period, acknowledged sends, p99 so far and errors.
func progress(cfg *Config, label string, m *meter, t0, winStart, winEnd int64, stop <-chan struct{}) {
	w := cfg.Progress
	if w == nil {
		<-stop
		return
	}
	tty := isTerminal(w)
	tick := time.NewTicker(cfg.ProgressEvery)
	defer tick.Stop()
	lastT, lastN := m.now(), int64(0)
	for {
		select {
		case <-stop:
			if tty {
				fmt.Fprint(w, "\r\x1b[K")
			}
			return
		case <-tick.C:
		}
		now := m.now()
		tot, _, gaps := m.sums()
		rate := float64(tot-lastN) / (float64(now-lastT) / 1e9)
		lastT, lastN = now, tot
		phase := "warm-up"
		switch {
		case now >= winEnd:
			phase = "drain"
		case now >= winStart:
			phase = "measure"
		}
		p99 := float64(m.merged().ValueAtQuantile(99)) / 1000
		line := fmt.Sprintf("[%s] %5.1fs %-7s deliveries %8s/s  sends ok %d  p99 %.2f ms  errors %d  slow %d  gaps %d",
			label, float64(now-t0)/1e9, phase, human(rate), m.sendsOK.Load(), p99, m.sendErrs.Load()+m.errs.Load(), m.slow.Load(), gaps)
		if tty {
			fmt.Fprint(w, "\r\x1b[K"+line)
		} else {
			fmt.Fprintln(w, line)
		}
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
