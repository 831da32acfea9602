package main

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qunchat/qun/engine"
)

// Node states, as /readyz and the engine collector see them.
const (
	stateStarting int32 = iota
	stateReady
	stateStopping
)

// lifecycle is what qund knows of its engine's state. /readyz asks the
// engine (Engine.Ready: store open, cluster joined, listeners accepting)
// once qund has started it, and says "shutting down" as soon as a signal
// arrives, before the engine closes.
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
	return l.e.Ready()
}

// cluster is the admin /cluster view (engine.ReplicationStatus).
func (l *lifecycle) cluster(ctx context.Context) (any, error) {
	if l.state.Load() != stateReady {
		return nil, errors.New("node not ready")
	}
	return l.e.ReplicationStatus(ctx)
}

// collectors are qund's own series; the engine registers its qun_* series
// itself (engine.Config.Metrics, read at scrape time or kept off the hot
// paths' locks).
func (l *lifecycle) collectors() []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "qun_ready", Help: "1 while /readyz answers 200: the node serves clients."},
			func() float64 {
				if l.ready() == nil {
					return 1
				}
				return 0
			}),
	}
}
