package engine

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qunchat/qun/actors"
	"github.com/qunchat/qun/internal/wsconn"
	"github.com/qunchat/qun/persistence"
	"github.com/qunchat/qun/wire"
)

// Metrics: with Config.Metrics set, the engine registers its qun_* series
// there. Hot paths only touch what was made ahead of time: each op's
// success counter and latency histogram sit in an array indexed by op code
// (no label lookup per request), the hub adds its deliveries once per
// delivered frame, grains count themselves on start and stop, and the
// store reports each group commit from its commit goroutine. Everything
// else (connections by transport, grains, cluster members, store totals)
// is read at scrape time by collect.

// opSlots bounds the op codes with precomputed series; higher ones share
// the "other" row.
const opSlots = 512

type metrics struct {
	ops      [opSlots]*opMetric
	other    *opMetric
	requests *prometheus.CounterVec   // qun_requests_total{op,code}
	latency  *prometheus.HistogramVec // qun_request_duration_seconds{op}

	commitBatches, commitBytes, commitSeconds prometheus.Histogram
	grains                                    *actors.GrainStats
}

type opMetric struct {
	name string
	ok   prometheus.Counter
	lat  prometheus.Observer
}

func newMetrics(reg prometheus.Registerer, e *Engine) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "qun_requests_total",
			Help: "Client and in-process requests by op and result code (ok, or the error code's name)."}, []string{"op", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "qun_request_duration_seconds",
			Help:    "Time from dispatch to the answer, by op (a send's includes its fsync).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}}, []string{"op"}),
		commitBatches: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "qun_store_group_commit_batches",
			Help: "Batches merged into one group commit.", Buckets: prometheus.ExponentialBuckets(1, 4, 8)}),
		commitBytes: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "qun_store_group_commit_bytes",
			Help: "Encoded bytes of one group commit.", Buckets: prometheus.ExponentialBuckets(256, 4, 9)}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "qun_store_commit_seconds",
			Help:    "Duration of one group commit (write and fsync).",
			Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1}}),
		grains: &actors.GrainStats{},
	}
	m.other = m.op("other")
	for op := range routes {
		if int(op) < opSlots {
			m.ops[op] = m.op(op.String())
		}
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.commitBatches, m.commitBytes, m.commitSeconds, &scrape{e: e}} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("engine: register metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) op(name string) *opMetric {
	return &opMetric{name: name, ok: m.requests.WithLabelValues(name, "ok"), lat: m.latency.WithLabelValues(name)}
}

// opFor is the precomputed row of op.
func (m *metrics) opFor(op wire.Op) *opMetric {
	if int(op) < opSlots && m.ops[op] != nil {
		return m.ops[op]
	}
	return m.other
}

// done records one answered request.
func (m *metrics) done(op wire.Op, start time.Time, err error) {
	om := m.opFor(op)
	om.lat.Observe(time.Since(start).Seconds())
	if err == nil {
		om.ok.Inc()
		return
	}
	code := wire.CodeInternal
	var we *wire.Error
	if errors.As(err, &we) {
		code = we.Code
	}
	m.requests.WithLabelValues(om.name, code.String()).Inc() // errors only: off the success path
}

// onGroupCommit is the store's persistence.Options.OnGroupCommit.
func (m *metrics) onGroupCommit(g persistence.GroupCommit) {
	m.commitBatches.Observe(float64(g.Batches))
	m.commitBytes.Observe(float64(g.Bytes))
	m.commitSeconds.Observe(g.Took.Seconds())
}

// startClock is the dispatch time of a request (zero without metrics).
func (e *Engine) startClock() time.Time {
	if e.metrics == nil {
		return time.Time{}
	}
	return time.Now()
}

// observe records a request's outcome (no-op without metrics).
func (e *Engine) observe(op wire.Op, start time.Time, err error) {
	if e.metrics != nil {
		e.metrics.done(op, start, err)
	}
}

// scrape reports what is read at scrape time, only while the engine runs.
type scrape struct{ e *Engine }

var (
	dConns      = desc("qun_connections", "Open client connections by transport.", "transport")
	dAccepted   = desc("qun_connections_accepted_total", "Client connections accepted since start, by transport.", "transport")
	dSlow       = desc("qun_slow_consumer_disconnects_total", "Connections closed because their outbound queue filled.")
	dBadFrames  = desc("qun_bad_frame_disconnects_total", "Connections closed for a frame that broke the protocol.")
	dRefused    = desc("qun_commerce_credits_refused_total", "Host credits (claims' shares, refunds) the payments host refused for good; each needs an operator (packet_info shows it).")
	dDeliveries = desc("qun_deliveries_total", "Group pushes handed to client connections (one per connection per frame).")
	dHubGroups  = desc("qun_hub_groups", "Groups this node's delivery hub watches.")
	dGrains     = desc("qun_grains_active", "Grains running on this node, by kind.", "kind")
	dPassivated = desc("qun_grain_passivations_total", "Grains stopped for being idle, by kind.", "kind")
	dMembers    = desc("qun_cluster_members", "Cluster members this node knows, by state (routed: grains are placed on it; gossip: seen by gossip, not routed).", "state")
	dMember     = desc("qun_cluster_member", "One series per known cluster member; the value is 1.", "member", "address", "self", "state")
	dStore      = map[string]*prometheus.Desc{}
)

// storeSeries are the persistence.Stats totals, one row each.
var storeSeries = []struct {
	name, help string
	t          prometheus.ValueType
	v          func(persistence.Stats) float64
}{
	{"qun_store_commits_total", "Commit calls accepted by the store.", prometheus.CounterValue, func(s persistence.Stats) float64 { return float64(s.Commits) }},
	{"qun_store_batches_total", "Batches made durable.", prometheus.CounterValue, func(s persistence.Stats) float64 { return float64(s.Batches) }},
	{"qun_store_batches_failed_total", "Batches whose commit failed.", prometheus.CounterValue, func(s persistence.Stats) float64 { return float64(s.Failed) }},
	{"qun_store_group_commits_total", "Group commits (merged writes of one or more batches).", prometheus.CounterValue, func(s persistence.Stats) float64 { return float64(s.Groups) }},
	{"qun_store_fsyncs_total", "Group commits that waited for a WAL fsync.", prometheus.CounterValue, func(s persistence.Stats) float64 { return float64(s.Fsyncs) }},
	{"qun_store_events_total", "Journal events made durable.", prometheus.CounterValue, func(s persistence.Stats) float64 { return float64(s.Events) }},
	{"qun_store_bytes_total", "Encoded bytes of durable batches.", prometheus.CounterValue, func(s persistence.Stats) float64 { return float64(s.Bytes) }},
	{"qun_store_queued_batches", "Batches accepted and not yet durable.", prometheus.GaugeValue, func(s persistence.Stats) float64 { return float64(s.QueuedBatches) }},
	{"qun_store_queued_bytes", "Encoded bytes of batches accepted and not yet durable.", prometheus.GaugeValue, func(s persistence.Stats) float64 { return float64(s.QueuedBytes) }},
	{"qun_store_refused_total", "Batches refused because the store had already failed (fail-stop).", prometheus.CounterValue, func(s persistence.Stats) float64 { return float64(s.Refused) }},
	{"qun_store_failed", "1 once the store has failed-stop on a disk error: it acknowledges no more writes.", prometheus.GaugeValue, func(s persistence.Stats) float64 { return float64(s.FailStops) }},
}

func init() {
	for _, s := range storeSeries {
		dStore[s.name] = desc(s.name, s.help)
	}
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

func (s *scrape) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dConns, dAccepted, dSlow, dBadFrames, dRefused, dDeliveries, dHubGroups, dGrains, dPassivated, dMembers, dMember} {
		ch <- d
	}
	for _, d := range dStore {
		ch <- d
	}
}

func (s *scrape) Collect(ch chan<- prometheus.Metric) {
	e := s.e
	if e.Ready() != nil {
		return // not started, or closing: nothing to read safely
	}
	gauge := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	counter := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, l...)
	}
	var tcp, ws int
	e.mu.Lock()
	for c := range e.conns {
		if _, ok := c.nc.(*wsconn.Conn); ok {
			ws++
		} else {
			tcp++
		}
	}
	e.mu.Unlock()
	gauge(dConns, float64(tcp), "tcp")
	gauge(dConns, float64(ws), "websocket")
	var wsAccepted int64
	if e.ws != nil {
		wsAccepted = e.ws.accepted.Load()
	}
	counter(dAccepted, float64(max(e.stats.conns.Load()-wsAccepted, 0)), "tcp")
	counter(dAccepted, float64(wsAccepted), "websocket")
	counter(dSlow, float64(e.stats.slow.Load()))
	counter(dBadFrames, float64(e.stats.badFrames.Load()))
	counter(dRefused, float64(e.stats.creditsRefused.Load()))
	counter(dDeliveries, float64(e.hub.Delivered()))
	gauge(dHubGroups, float64(e.hub.Stats().Groups))
	g := e.metrics.grains
	gauge(dGrains, float64(g.ActiveGroups()), "group")
	gauge(dGrains, float64(g.ActiveUsers()), "user")
	counter(dPassivated, float64(g.PassivatedGroups()), "group")
	counter(dPassivated, float64(g.PassivatedUsers()), "user")
	routed := e.node.MemberIDs()
	counts := map[string]int{"routed": 0, "gossip": 0}
	for _, m := range e.node.Provider.Members() {
		state := "gossip"
		if slices.Contains(routed, m.ID) {
			state = "routed"
		}
		counts[state]++
		gauge(dMember, 1, m.ID, m.Address(), strconv.FormatBool(m.Self), state)
	}
	for state, n := range counts {
		gauge(dMembers, float64(n), state)
	}
	st := e.store.Stats()
	for _, s := range storeSeries {
		ch <- prometheus.MustNewConstMetric(dStore[s.name], s.t, s.v(st))
	}
}

// Ready reports why the node cannot serve clients yet, or nil: the store is
// open, the node has joined the cluster (it routes grains to itself) and
// the client listeners accept. For a readiness probe (qund's /readyz).
func (e *Engine) Ready() error {
	switch {
	case e.closing.Load():
		return errors.New("shutting down")
	case !e.running.Load():
		return errors.New("starting: opening the store, joining the cluster")
	}
	if err := persistence.Health(e.store); err != nil {
		// Fail-stop: the store refuses every write after a disk error
		// (persistence.ErrFailed); reads may still work.
		return fmt.Errorf("store failed, not acknowledging writes: %w", err)
	}
	if !slices.Contains(e.node.MemberIDs(), e.node.ID()) {
		return errors.New("not yet a routed member of the cluster")
	}
	return nil
}

// GroupTraffic is a group's deliveries on this node (see TopGroups).
type GroupTraffic = actors.GroupTraffic

// TopGroups is the n groups this node delivered the most frames of (one per
// connection per frame) since it began watching them; nil before Start.
func (e *Engine) TopGroups(n int) []GroupTraffic {
	if e.Ready() != nil {
		return nil
	}
	return e.hub.TopGroups(n)
}
