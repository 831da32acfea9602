package main

import (
	"errors"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/internal/admin"
)

// Node states, as /readyz and the engine collector see them.
const (
	stateStarting int32 = iota
	stateReady
	stateStopping
)

// lifecycle is what qund knows of its engine's state. engine.Start returns
// only once the store is open, the node has joined the cluster (a failed
// join fails Start) and the client listener accepts; Close begins by
// closing the listener. So "between Start and Close" is "ready".
type lifecycle struct {
	e     *engine.Engine
	state atomic.Int32
}

func (l *lifecycle) set(s int32) { l.state.Store(s) }

// ready is /readyz's check.
func (l *lifecycle) ready() error {
	switch l.state.Load() {
	case stateStarting:
		return errors.New("starting: opening the store, joining the cluster")
	case stateStopping:
		return errors.New("shutting down")
	}
	if l.e.Addr() == nil {
		return errors.New("client listener not bound")
	}
	return nil
}

// stats reads the engine's counters, only while it runs: Stats must not
// race with Start, and after Close the hub no longer answers.
func (l *lifecycle) stats() (engine.Stats, bool) {
	if l.state.Load() != stateReady {
		return engine.Stats{}, false
	}
	return l.e.Stats(), true
}

// collectors are qund's qun_* series: readiness, and the engine's counters
// read once per scrape (no cost between scrapes, nothing on hot paths).
func (l *lifecycle) collectors() []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "qun_ready", Help: "1 while /readyz answers 200: the node serves clients."},
			func() float64 {
				if l.ready() == nil {
					return 1
				}
				return 0
			}),
		admin.NewSnapshotCollector(l.stats, engineSeries),
	}
}

const (
	counter = prometheus.CounterValue
	gauge   = prometheus.GaugeValue
)

// engineSeries maps engine.Stats to qun_* series: one row per figure.
var engineSeries = []admin.Series[engine.Stats]{
	series("qun_connections", "Open client connections.", gauge, func(s engine.Stats) float64 { return float64(s.Conns) }),
	series("qun_connections_accepted_total", "Client connections accepted since start.", counter, func(s engine.Stats) float64 { return float64(s.ConnsTotal) }),
	series("qun_slow_consumer_disconnects_total", "Connections closed because their outbound queue filled.", counter, func(s engine.Stats) float64 { return float64(s.SlowConsumer) }),
	series("qun_bad_frame_disconnects_total", "Connections closed for a frame that broke the protocol.", counter, func(s engine.Stats) float64 { return float64(s.BadFrames) }),
	series("qun_requests_total", "Client requests handled.", counter, func(s engine.Stats) float64 { return float64(s.Requests) }),
	series("qun_hub_groups", "Groups this node's delivery hub watches.", gauge, func(s engine.Stats) float64 { return float64(s.Groups) }),
	series("qun_grains_active", "Group and user grains active on this node.", gauge, func(s engine.Stats) float64 { return float64(s.Grains) }),
	series("qun_store_commits_total", "Commit calls accepted by the store.", counter, func(s engine.Stats) float64 { return float64(s.Store.Commits) }),
	series("qun_store_batches_total", "Batches made durable.", counter, func(s engine.Stats) float64 { return float64(s.Store.Batches) }),
	series("qun_store_batches_failed_total", "Batches whose commit failed.", counter, func(s engine.Stats) float64 { return float64(s.Store.Failed) }),
	series("qun_store_group_commits_total", "Group commits (merged writes, one or more batches each).", counter, func(s engine.Stats) float64 { return float64(s.Store.Groups) }),
	series("qun_store_fsyncs_total", "Group commits that waited for a WAL fsync.", counter, func(s engine.Stats) float64 { return float64(s.Store.Fsyncs) }),
	series("qun_store_events_total", "Journal events made durable.", counter, func(s engine.Stats) float64 { return float64(s.Store.Events) }),
	series("qun_store_bytes_total", "Encoded bytes of durable batches.", counter, func(s engine.Stats) float64 { return float64(s.Store.Bytes) }),
	series("qun_store_queued_batches", "Batches accepted and not yet durable.", gauge, func(s engine.Stats) float64 { return float64(s.Store.QueuedBatches) }),
	series("qun_store_queued_bytes", "Encoded bytes of batches accepted and not yet durable.", gauge, func(s engine.Stats) float64 { return float64(s.Store.QueuedBytes) }),
}

func series(name, help string, t prometheus.ValueType, v func(engine.Stats) float64) admin.Series[engine.Stats] {
	return admin.Series[engine.Stats]{Name: name, Help: help, Type: t, Value: v}
}
