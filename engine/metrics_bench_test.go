package engine

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qunchat/qun/wire"
)

// BenchmarkRequestMetrics is what metrics add to one request: the clock
// read at dispatch and the precomputed op counter and histogram at the end.
func BenchmarkRequestMetrics(b *testing.B) {
	e := &Engine{}
	m, err := newMetrics(prometheus.NewRegistry(), e)
	if err != nil {
		b.Fatal(err)
	}
	e.metrics = m
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			start := e.startClock()
			e.observe(wire.OpSend, start, nil)
		}
	})
}

// BenchmarkRequestMetricsOff is the same calls with metrics off.
func BenchmarkRequestMetricsOff(b *testing.B) {
	e := &Engine{}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		start := e.startClock()
		e.observe(wire.OpSend, start, nil)
	}
}
