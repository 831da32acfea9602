package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/wire"
)

// metricsOf gathers reg into name → label string ("k=v,k=v") → value (the
// sample count for a histogram).
func metricsOf(t *testing.T, reg *prometheus.Registry) map[string]map[string]float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]float64{}
	for _, f := range fams {
		out[f.GetName()] = map[string]float64{}
		for _, m := range f.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				if l.GetName() == "member" || l.GetName() == "address" {
					continue
				}
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			out[f.GetName()][strings.Join(ls, ",")] = value(f.GetType(), m)
		}
	}
	return out
}

func value(t dto.MetricType, m *dto.Metric) float64 {
	switch t {
	case dto.MetricType_COUNTER:
		return m.GetCounter().GetValue()
	case dto.MetricType_GAUGE:
		return m.GetGauge().GetValue()
	case dto.MetricType_HISTOGRAM:
		return float64(m.GetHistogram().GetSampleCount())
	}
	return -1
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	cfg := testConfig(t.TempDir())
	cfg.Metrics = reg
	cfg.GrainIdleTimeout = 100 * time.Millisecond
	cfg.WatchTTL = 300 * time.Millisecond
	e, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Ready(); err == nil || !strings.Contains(err.Error(), "starting") {
		t.Fatalf("Ready before Start: %v", err)
	}
	if m := metricsOf(t, reg); m["qun_connections"] != nil {
		t.Fatalf("scrape-time series before Start: %v", m["qun_connections"])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.Ready(); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	ctx = ctxT(t)
	boxA := newInbox()
	a := transports[0].dial(t, e, "alice", boxA)
	b := transports[1].dial(t, e, "bob", nil)
	g, err := a.CreateGroup(ctx, "measured")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Join(ctx, g); err != nil {
		t.Fatal(err)
	}
	const n = 5
	for i := 0; i < n; i++ {
		if _, err := b.SendText(ctx, g, string(rune('a'+i)), "hi"); err != nil {
			t.Fatal(err)
		}
	}
	c := transports[0].dial(t, e, "carol", nil)
	if _, err := c.SendText(ctx, g, "x", "let me in"); wire.CodeOf(err) != wire.CodeNotMember {
		t.Fatalf("carol's send: %v", err)
	}
	waitFor(t, 5*time.Second, "alice has the sends", func() bool { return len(texts(boxA.get(g))) == n })

	m := metricsOf(t, reg)
	for _, c := range []struct {
		name, labels string
		min, max     float64
	}{
		{"qun_connections", "transport=tcp", 2, 2},
		{"qun_connections", "transport=websocket", 1, 1},
		{"qun_connections_accepted_total", "transport=websocket", 1, 1},
		{"qun_requests_total", "code=ok,op=send", n, n},
		{"qun_requests_total", "code=not_member,op=send", 1, 1},
		{"qun_requests_total", "code=ok,op=create_group", 1, 1},
		{"qun_request_duration_seconds", "op=send", n + 1, n + 1},
		{"qun_deliveries_total", "", 2 * n, 1e9},
		{"qun_grains_active", "kind=group", 1, 1e9},
		{"qun_grains_active", "kind=user", 1, 1e9},
		{"qun_cluster_members", "state=routed", 1, 1},
		{"qun_cluster_member", "self=true,state=routed", 1, 1},
		{"qun_store_commits_total", "", n, 1e9},
		{"qun_store_fsyncs_total", "", 1, 1e9},
		{"qun_store_group_commit_batches", "", 1, 1e9},
		{"qun_store_group_commit_bytes", "", 1, 1e9},
		{"qun_store_commit_seconds", "", 1, 1e9},
		{"qun_slow_consumer_disconnects_total", "", 0, 0},
		{"qun_commerce_credits_refused_total", "", 0, 0},
	} {
		v, ok := m[c.name][c.labels]
		if !ok || v < c.min || v > c.max {
			t.Errorf("%s{%s} = %v (present %v), want %v..%v; have %v", c.name, c.labels, v, ok, c.min, c.max, m[c.name])
		}
	}
	// Idle grains passivate once nobody watches them: close every client.
	for _, cl := range []interface{ Close() error }{a, b, c} {
		cl.Close()
	}
	waitFor(t, 20*time.Second, "a group grain passivated", func() bool {
		return metricsOf(t, reg)["qun_grain_passivations_total"]["kind=group"] >= 1
	})
	// Let every grain passivate, then activate one through the placement
	// actor, so that it has handled every termination before Close: one
	// still in its mailbox while the node leaves the cluster trips a data
	// race inside protoactor.
	waitFor(t, 20*time.Second, "every grain passivated", func() bool {
		g := metricsOf(t, reg)["qun_grains_active"]
		return g["kind=group"] == 0 && g["kind=user"] == 0
	})
	if _, err := transports[0].dial(t, e, "dave", nil).MyGroups(ctx); err != nil {
		t.Fatal(err)
	}
	_ = e.Close()
	if err := e.Ready(); err == nil {
		t.Fatal("Ready after Close")
	}
	if m := metricsOf(t, reg); m["qun_connections"] != nil {
		t.Fatalf("scrape-time series after Close: %v", m["qun_connections"])
	}
}

// With metrics off nothing is registered anywhere, and a registry taken
// twice is an error from New, not a panic.
func TestMetricsRegistryConflict(t *testing.T) {
	reg := prometheus.NewRegistry()
	cfg := testConfig("")
	cfg.Metrics = reg
	if _, err := engine.New(cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := engine.New(cfg); err == nil {
		t.Fatal("a second engine on the same registry")
	}
}
