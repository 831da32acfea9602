package admin

import (
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// NewRegistry returns a private registry (never the global one) holding the
// Go runtime and process collectors and qun_build_info. The node adds its
// own qun_* collectors to it, and hands it on as a prometheus.Registerer.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo(),
	)
	return reg
}

// buildInfo is qun_build_info{version,revision,goversion} 1.
func buildInfo() prometheus.Collector {
	version, revision := "(devel)", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "qun_build_info",
		Help:        "Always 1; the labels tell which qund build is running.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": runtime.Version()},
	})
	g.Set(1)
	return g
}

// Series is one metric read from a snapshot of type T.
type Series[T any] struct {
	Name  string // full name, qun_*
	Help  string
	Type  prometheus.ValueType // prometheus.CounterValue or GaugeValue
	Value func(T) float64
}

// SnapshotCollector reads a snapshot once per scrape and reports every
// series from it: the counters stay plain atomics on the node's side, and
// metrics cost nothing between scrapes.
type SnapshotCollector[T any] struct {
	read   func() (T, bool)
	series []Series[T]
	descs  []*prometheus.Desc
}

// NewSnapshotCollector returns a collector over series. read returns false
// when there is nothing to report yet (a node not started, or stopping):
// the scrape then omits these series.
func NewSnapshotCollector[T any](read func() (T, bool), series []Series[T]) *SnapshotCollector[T] {
	c := &SnapshotCollector[T]{read: read, series: series}
	for _, s := range series {
		c.descs = append(c.descs, prometheus.NewDesc(s.Name, s.Help, nil, nil))
	}
	return c
}

// Describe implements prometheus.Collector.
func (c *SnapshotCollector[T]) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *SnapshotCollector[T]) Collect(ch chan<- prometheus.Metric) {
	snap, ok := c.read()
	if !ok {
		return
	}
	for i, s := range c.series {
		ch <- prometheus.MustNewConstMetric(c.descs[i], s.Type, s.Value(snap))
	}
}
