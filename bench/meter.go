package bench

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Latencies are recorded in microseconds, 1 µs .. 2 min, 3 significant digits.
const (
	histMin   = 1
	histMax   = 120_000_000
	histSig   = 3
	nShards   = 32
	notYet    = math.MaxInt64
	cacheLine = 64
)

func newHist() *hdr.Histogram { return hdr.New(histMin, histMax, histSig) }

type histShard struct {
	mu sync.Mutex
	h  *hdr.Histogram
	_  [cacheLine]byte
}

// meter collects one round's counts. Time is nanoseconds since epoch on
// the monotonic clock of this process: senders and readers share it, so
// latency is measured on one clock.
type meter struct {
	epoch time.Time
	start atomic.Int64 // window start (notYet before the warm-up ends)
	end   atomic.Int64 // window end (notYet until the window closes)

	shards [nShards]histShard

	mu      sync.Mutex
	readers []*reader

	sendsOK   atomic.Int64 // acknowledged (Qun) or published (NATS) inside the window
	sendsAll  atomic.Int64 // issued, all phases
	sendErrs  atomic.Int64
	errs      atomic.Int64 // other errors: unexpected disconnects, bad frames
	slow      atomic.Int64 // slow-consumer disconnects (or NATS client drops)
	expected  atomic.Int64 // deliveries the sends issued so far should cause
	delivered atomic.Int64 // sum of reader totals, refreshed by the monitor
	running   atomic.Bool  // readers should count disconnects as errors

	// Rooms: high-priority deliveries and what was shed.
	high     [nShards]histShard
	highWant atomic.Int64 // high deliveries the window's gifts should cause
	highGot  atomic.Int64 // high deliveries of gifts sent inside the window
	highIn   atomic.Int64 // high deliveries received inside the window
	skipped  atomic.Int64 // chatter left out of room frames (RoomPush.skipped)
	refused  atomic.Int64 // sends refused with rate_limited (shed at ingress)

	smu     sync.Mutex
	samples []sample // taken by the monitor, at least sampleEvery apart
}

// sample is the meter's totals at one instant, for the timeline.
type sample struct {
	at, delivered, sends int64
}

// sampleEvery spaces the timeline's samples (the monitor may tick faster);
// a little under the paced monitor's 100 ms so that ticker jitter does not
// skip every other tick.
const sampleEvery = int64(90 * time.Millisecond)

func newMeter() *meter {
	m := &meter{epoch: time.Now()}
	m.start.Store(notYet)
	m.end.Store(notYet)
	for i := range m.shards {
		m.shards[i].h = newHist()
		m.high[i].h = newHist()
	}
	return m
}

func (m *meter) now() int64 { return int64(time.Since(m.epoch)) }

// reader is one receiving subscription. Counters are atomics so that the
// monitor can read them; only the owning goroutine writes.
type reader struct {
	m     *meter
	shard *histShard
	total atomic.Int64 // text deliveries, all phases
	inWin atomic.Int64 // text deliveries received inside the window
	gaps  atomic.Int64
	_     [cacheLine]byte
}

func (m *meter) newReader() *reader {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := &reader{m: m, shard: &m.shards[len(m.readers)%nShards]}
	m.readers = append(m.readers, r)
	return r
}

// deliver records one message received at now that was (intended to be)
// sent at sent.
func (r *reader) deliver(now, sent int64) {
	r.total.Add(1)
	m := r.m
	st, en := m.start.Load(), m.end.Load()
	if now >= st && now < en {
		r.inWin.Add(1)
	}
	if sent >= st && sent < en {
		recordLatency(r.shard, now-sent)
	}
}

// deliverHigh records a high-priority delivery (in addition to deliver).
func (r *reader) deliverHigh(now, sent int64) {
	m := r.m
	st, en := m.start.Load(), m.end.Load()
	if now >= st && now < en {
		m.highIn.Add(1)
	}
	if sent >= st && sent < en {
		m.highGot.Add(1)
		recordLatency(&m.high[int(sent)&(nShards-1)], now-sent)
	}
}

// mergedHigh is the high-priority latency histogram.
func (m *meter) mergedHigh() *hdr.Histogram {
	h := newHist()
	for i := range m.high {
		s := &m.high[i]
		s.mu.Lock()
		h.Merge(s.h)
		s.mu.Unlock()
	}
	return h
}

func recordLatency(s *histShard, ns int64) {
	us := ns / 1000
	if us < histMin {
		us = histMin
	}
	if us > histMax {
		us = histMax
	}
	s.mu.Lock()
	_ = s.h.RecordValue(us)
	s.mu.Unlock()
}

// ack records a send acknowledged at now; with withLatency (persist) the
// ack time is the latency that counts.
func (m *meter) ack(now, sent int64, withLatency bool, shard int) {
	st, en := m.start.Load(), m.end.Load()
	if now >= st && now < en {
		m.sendsOK.Add(1)
	}
	if withLatency && sent >= st && sent < en {
		recordLatency(&m.shards[shard%nShards], now-sent)
	}
}

// sums returns the readers' totals, in-window deliveries and gaps.
func (m *meter) sums() (total, inWin, gaps int64) {
	m.mu.Lock()
	rs := m.readers
	m.mu.Unlock()
	for _, r := range rs {
		total += r.total.Load()
		inWin += r.inWin.Load()
		gaps += r.gaps.Load()
	}
	return
}

// merged returns a copy of all shards merged.
func (m *meter) merged() *hdr.Histogram {
	h := newHist()
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		h.Merge(s.h)
		s.mu.Unlock()
	}
	return h
}

func (m *meter) openWindow() int64 {
	t := m.now()
	m.start.Store(t)
	return t
}

func (m *meter) closeWindow() int64 {
	t := m.now()
	m.end.Store(t)
	return t
}

// monitor refreshes m.delivered every period until stop is closed.
func (m *meter) monitor(period time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			tot, _, _ := m.sums()
			m.delivered.Store(tot)
			m.sample(tot)
		}
	}
}

func (m *meter) sample(delivered int64) {
	now := m.now()
	m.smu.Lock()
	defer m.smu.Unlock()
	if n := len(m.samples); n > 0 && now-m.samples[n-1].at < sampleEvery {
		return
	}
	m.samples = append(m.samples, sample{at: now, delivered: delivered, sends: m.sendsAll.Load()})
}

// timeline turns the samples between from and to into rates per interval,
// with t in seconds relative to origin (the window's start: warm-up is < 0).
func (m *meter) timeline(origin, from, to int64) []Point {
	m.smu.Lock()
	defer m.smu.Unlock()
	var out []Point
	for i := 1; i < len(m.samples); i++ {
		a, b := m.samples[i-1], m.samples[i]
		if b.at < from || a.at > to || b.at <= a.at {
			continue
		}
		dt := float64(b.at-a.at) / 1e9
		out = append(out, Point{
			T:                round3(float64(b.at-origin) / 1e9),
			DeliveriesPerSec: math.Round(float64(b.delivered-a.delivered) / dt),
			SendsPerSec:      math.Round(float64(b.sends-a.sends) / dt),
		})
	}
	return out
}

// Point is one interval of a round's timeline.
type Point struct {
	T                float64 `json:"t"` // end of the interval, seconds from the window's start
	DeliveriesPerSec float64 `json:"deliveries_per_sec"`
	SendsPerSec      float64 `json:"sends_per_sec"`
}

// Latency is in milliseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
	N    int64   `json:"count"`
	// Curve is the latency at each of curveQuantiles (for plots).
	Curve []Percentile `json:"curve,omitempty"`
}

// Percentile is the latency (ms) at quantile Q (0..100).
type Percentile struct {
	Q  float64 `json:"q"`
	Ms float64 `json:"ms"`
}

var curveQuantiles = []float64{0, 10, 25, 50, 75, 90, 95, 98, 99, 99.5, 99.9, 99.95, 99.99, 100}

func latencyOf(h *hdr.Histogram) Latency {
	ms := func(us int64) float64 { return math.Round(float64(us)) / 1000 }
	l := Latency{
		P50: ms(h.ValueAtQuantile(50)), P99: ms(h.ValueAtQuantile(99)),
		P999: ms(h.ValueAtQuantile(99.9)), Max: ms(h.Max()), N: h.TotalCount(),
	}
	if l.N > 0 {
		for _, q := range curveQuantiles {
			v := h.ValueAtQuantile(q)
			if q == 0 {
				v = h.Min()
			} else if q == 100 {
				v = h.Max()
			}
			l.Curve = append(l.Curve, Percentile{Q: q, Ms: ms(v)})
		}
	}
	return l
}
