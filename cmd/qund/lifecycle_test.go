package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/qunchat/qun/engine"
)

// The readiness func and the engine collector follow the node's life: not
// ready and no engine series before Start, ready with them after, not ready
// again once shutting down.
func TestLifecycleReadinessAndSeries(t *testing.T) {
	cfg := engine.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Listen = "127.0.0.1:0"
	reg := prometheus.NewRegistry()
	cfg.Metrics = reg
	e, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	life := &lifecycle{e: e}
	reg.MustRegister(life.collectors()...)
	// series: the engine's scrape-time series, present while the engine
	// runs (qun_connections has a tcp and a websocket series).
	check := func(stage string, ready bool, reason string, series int) {
		t.Helper()
		err := life.ready()
		if (err == nil) != ready || (err != nil && !strings.Contains(err.Error(), reason)) {
			t.Errorf("%s: ready() = %v", stage, err)
		}
		n, gerr := testutil.GatherAndCount(reg, "qun_connections", "qun_store_commits_total")
		if gerr != nil {
			t.Fatal(gerr)
		}
		if n != series {
			t.Errorf("%s: %d engine series, want %d", stage, n, series)
		}
		want := map[bool]string{true: "1", false: "0"}[ready]
		if err := testutil.GatherAndCompare(reg, strings.NewReader("# HELP qun_ready 1 while /readyz answers 200: the node serves clients.\n# TYPE qun_ready gauge\nqun_ready "+want+"\n"), "qun_ready"); err != nil {
			t.Errorf("%s: %v", stage, err)
		}
	}
	check("before start", false, "starting", 0)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	life.set(stateReady)
	check("started", true, "", 3)
	life.set(stateStopping)
	check("stopping", false, "shutting down", 3)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	check("closed", false, "shutting down", 0)
}
