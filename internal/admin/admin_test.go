package admin_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/qunchat/qun/internal/admin"
	"github.com/qunchat/qun/internal/leaktest"
)

func TestMain(m *testing.M) { leaktest.Main(m) }

type snap struct{ conns, total int64 }

func start(t *testing.T, cfg admin.Config) *admin.Server {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Gatherer == nil {
		cfg.Gatherer = admin.NewRegistry()
	}
	s, err := admin.Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return s
}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestMetricsParseAndCarryQunSeries(t *testing.T) {
	reg := admin.NewRegistry()
	var n atomic.Int64
	reg.MustRegister(admin.NewSnapshotCollector(func() (snap, bool) {
		return snap{conns: 3, total: n.Add(1)}, true
	}, []admin.Series[snap]{
		{Name: "qun_connections", Help: "open", Type: prometheus.GaugeValue, Value: func(s snap) float64 { return float64(s.conns) }},
		{Name: "qun_scrapes_total", Help: "scrapes", Type: prometheus.CounterValue, Value: func(s snap) float64 { return float64(s.total) }},
	}))
	s := start(t, admin.Config{Gatherer: reg})
	for want := 1.0; want <= 2; want++ {
		code, body := get(t, s.URL()+"metrics", "")
		if code != 200 {
			t.Fatalf("/metrics: %d %s", code, body)
		}
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(strings.NewReader(body))
		if err != nil {
			t.Fatalf("parse /metrics: %v\n%s", err, body)
		}
		for _, name := range []string{"qun_build_info", "qun_connections", "qun_scrapes_total", "go_goroutines", "process_cpu_seconds_total"} {
			if fams[name] == nil {
				t.Errorf("/metrics has no %s", name)
			}
		}
		if v := fams["qun_connections"].GetMetric()[0].GetGauge().GetValue(); v != 3 {
			t.Errorf("qun_connections = %v, want 3", v)
		}
		// The snapshot is read at scrape time: the second scrape sees 2.
		if v := fams["qun_scrapes_total"].GetMetric()[0].GetCounter().GetValue(); v != want {
			t.Errorf("qun_scrapes_total = %v, want %v", v, want)
		}
	}
}

func TestSnapshotNotReadyOmitsSeries(t *testing.T) {
	reg := admin.NewRegistry()
	reg.MustRegister(admin.NewSnapshotCollector(func() (snap, bool) { return snap{}, false },
		[]admin.Series[snap]{{Name: "qun_connections", Help: "open", Type: prometheus.GaugeValue, Value: func(s snap) float64 { return 1 }}}))
	s := start(t, admin.Config{Gatherer: reg})
	code, body := get(t, s.URL()+"metrics", "")
	if code != 200 || strings.Contains(body, "qun_connections") || !strings.Contains(body, "qun_build_info") {
		t.Fatalf("/metrics while not ready: %d\n%s", code, body)
	}
}

func TestTokenRequiredWhenSet(t *testing.T) {
	const tok = "0123456789abcdef-secret"
	s := start(t, admin.Config{Token: tok})
	for _, path := range []string{"metrics", "readyz", "debug/pprof/", "debug/pprof/cmdline", ""} {
		for _, bad := range []string{"", "wrong-token-wrong-token", tok + "x", strings.ToUpper(tok)} {
			if code, _ := get(t, s.URL()+path, bad); code != http.StatusUnauthorized {
				t.Errorf("/%s with token %q: %d, want 401", path, bad, code)
			}
		}
		if code, body := get(t, s.URL()+path, tok); code != 200 {
			t.Errorf("/%s with the token: %d %s", path, code, body)
		}
	}
	// A token in another scheme is not accepted.
	req, _ := http.NewRequest("GET", s.URL()+"metrics", nil)
	req.Header.Set("Authorization", "Basic "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("Basic scheme: %d", resp.StatusCode)
	}
	// /healthz never needs it.
	if code, body := get(t, s.URL()+"healthz", ""); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz: %d %q", code, body)
	}
}

func TestNoTokenWhenUnset(t *testing.T) {
	s := start(t, admin.Config{})
	for _, path := range []string{"metrics", "readyz", "healthz", "debug/pprof/"} {
		if code, body := get(t, s.URL()+path, ""); code != 200 {
			t.Errorf("/%s: %d %s", path, code, body)
		}
	}
}

func TestNonLoopbackNeedsToken(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:0", "example.com:0"} {
		_, err := admin.Listen(admin.Config{Addr: addr, Gatherer: admin.NewRegistry()})
		if !errors.Is(err, admin.ErrInsecure) {
			t.Errorf("Listen(%q) without token: %v, want ErrInsecure", addr, err)
		}
	}
	if _, err := admin.Listen(admin.Config{Addr: "127.0.0.1:0", Token: "short", Gatherer: admin.NewRegistry()}); !errors.Is(err, admin.ErrToken) {
		t.Errorf("short token: %v", err)
	}
	if _, err := admin.Listen(admin.Config{Addr: "127.0.0.1", Gatherer: admin.NewRegistry()}); !errors.Is(err, admin.ErrConfig) {
		t.Errorf("no port: %v", err)
	}
	// With a token a wildcard address is allowed (bound on all interfaces;
	// the test only talks to it over loopback).
	s := start(t, admin.Config{Addr: "0.0.0.0:0", Token: "0123456789abcdef"})
	if !strings.HasPrefix(s.Addr().String(), "0.0.0.0:") && !strings.HasPrefix(s.Addr().String(), "[::]:") {
		t.Fatalf("bound %s", s.Addr())
	}
	_, port, _ := strings.Cut(s.Addr().String()[strings.LastIndex(s.Addr().String(), ":"):], ":")
	if code, _ := get(t, "http://127.0.0.1:"+port+"/metrics", ""); code != http.StatusUnauthorized {
		t.Errorf("wildcard without token: %d", code)
	}
	if code, _ := get(t, "http://127.0.0.1:"+port+"/metrics", "0123456789abcdef"); code != 200 {
		t.Errorf("wildcard with token: %d", code)
	}
}

func TestReadyzFlips(t *testing.T) {
	var reason atomic.Pointer[string]
	s := start(t, admin.Config{Ready: func() error {
		if r := reason.Load(); r != nil {
			return errors.New(*r)
		}
		return nil
	}})
	r := "store not open"
	reason.Store(&r)
	if code, body := get(t, s.URL()+"readyz", ""); code != http.StatusServiceUnavailable || !strings.Contains(body, "store not open") {
		t.Errorf("not ready: %d %q", code, body)
	}
	if code, _ := get(t, s.URL()+"healthz", ""); code != 200 {
		t.Errorf("/healthz while not ready: %d", code)
	}
	reason.Store(nil)
	if code, body := get(t, s.URL()+"readyz", ""); code != 200 || strings.TrimSpace(body) != "ready" {
		t.Errorf("ready: %d %q", code, body)
	}
	r2 := "shutting down"
	reason.Store(&r2)
	if code, body := get(t, s.URL()+"readyz", ""); code != http.StatusServiceUnavailable || !strings.Contains(body, "shutting down") {
		t.Errorf("draining: %d %q", code, body)
	}
}

func TestPprof(t *testing.T) {
	s := start(t, admin.Config{})
	code, body := get(t, s.URL()+"debug/pprof/goroutine?debug=1", "")
	if code != 200 || !strings.Contains(body, "goroutine profile") {
		t.Fatalf("goroutine profile: %d %.200s", code, body)
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{"127.0.0.1": true, "::1": true, "localhost": true, "127.1.2.3": true,
		"": false, "0.0.0.0": false, "::": false, "10.0.0.1": false, "qun.example": false} {
		if got := admin.IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v", host, got)
		}
	}
}

func TestClusterStatus(t *testing.T) {
	var fail atomic.Bool
	s := start(t, admin.Config{Cluster: func(context.Context) (any, error) {
		if fail.Load() {
			return nil, errors.New("node not ready")
		}
		return map[string]any{"StoreID": 7, "Shards": []int{1, 2}}, nil
	}})
	if code, body := get(t, s.URL()+"cluster", ""); code != 200 || !strings.Contains(body, `"StoreID": 7`) {
		t.Errorf("/cluster: %d %q", code, body)
	}
	fail.Store(true)
	if code, body := get(t, s.URL()+"cluster", ""); code != http.StatusServiceUnavailable || !strings.Contains(body, "not ready") {
		t.Errorf("/cluster while not ready: %d %q", code, body)
	}
	if code, _ := get(t, start(t, admin.Config{}).URL()+"cluster", ""); code != http.StatusNotFound {
		t.Errorf("/cluster without a Cluster func: %d", code)
	}
}
