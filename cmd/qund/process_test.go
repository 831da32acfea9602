package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// qundProc is the test binary running as qund (see TestMain).
type qundProc struct {
	cmd    *exec.Cmd
	lines  chan string
	stderr *syncBuf
	done   chan error
}

func startQund(t *testing.T, env []string, args ...string) *qundProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	// Only the variables the test chooses: a QUN_* of the caller's shell
	// must not change what is tested.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "QUN_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, runAsQund+"=1")
	cmd.Env = append(cmd.Env, "QUN_WS_LISTEN=127.0.0.1:0") // never the default port: tests run side by side
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &qundProc{cmd: cmd, lines: make(chan string, 64), stderr: &syncBuf{}, done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// syncBuf is the child's stderr, written by exec's copying goroutine.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuf) Write(p []byte) (int, error) { b.mu.Lock(); defer b.mu.Unlock(); return b.b.Write(p) }
func (b *syncBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// line waits for the next stdout line matching re.
func (p *qundProc) line(t *testing.T, re string) []string {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("qund exited before printing %s; stderr:\n%s", re, p.stderr)
			}
			if m := regexp.MustCompile(re).FindStringSubmatch(l); m != nil {
				return m
			}
		case <-deadline:
			t.Fatalf("qund did not print %s within 60 s; stderr:\n%s", re, p.stderr)
		}
	}
}

func (p *qundProc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("qund after SIGTERM: %v; stderr:\n%s", err, p.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("qund did not stop within 30 s of SIGTERM; stderr:\n%s", p.stderr)
	}
}

func httpGet(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
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

func scrape(t *testing.T, url, token string) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := httpGet(t, url+"metrics", token)
	if code != 200 {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v\n%s", err, body)
	}
	return fams
}

func metricValue(f *dto.MetricFamily) float64 {
	if f == nil || len(f.GetMetric()) == 0 {
		return -1
	}
	m := f.GetMetric()[0]
	if m.GetCounter() != nil {
		return m.GetCounter().GetValue()
	}
	return m.GetGauge().GetValue()
}

// TestQundServesAdmin runs qund as a process with settings from a file, the
// environment and flags, and reads its admin endpoints over HTTP.
func TestQundServesAdmin(t *testing.T) {
	dir := t.TempDir()
	const token = "process-test-token-0123"
	conf := filepath.Join(dir, "qund.toml")
	if err := os.WriteFile(conf, []byte("admin = \"127.0.0.1:0\"\ngossip = \"127.0.0.1:0\"\nremote = \"127.0.0.1:0\"\nlog_level = \"error\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startQund(t, []string{"QUN_ADMIN_TOKEN=" + token, "QUN_DATA=" + filepath.Join(dir, "data")},
		"--config", conf, "--listen", "127.0.0.1:0")
	url := p.line(t, `^qund admin at (http://127\.0\.0\.1:\d+/) `)[1]
	addr := p.line(t, `^qund listening on (\S+) `)[1]

	if code, body := httpGet(t, url+"healthz", ""); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, _ := httpGet(t, url+"metrics", ""); code != http.StatusUnauthorized {
		t.Errorf("/metrics without the token: %d, want 401", code)
	}
	if code, body := httpGet(t, url+"readyz", token); code != 200 {
		t.Errorf("/readyz: %d %q", code, body)
	}
	fams := scrape(t, url, token)
	for _, name := range []string{"qun_build_info", "qun_ready", "qun_connections", "qun_requests_total", "qun_store_commits_total", "go_goroutines", "process_resident_memory_bytes"} {
		if fams[name] == nil {
			t.Errorf("/metrics has no %s", name)
		}
	}
	if v := metricValue(fams["qun_ready"]); v != 1 {
		t.Errorf("qun_ready = %v", v)
	}
	// The engine's counters are read at scrape time: a client connection
	// shows up in the next scrape.
	before := metricValue(fams["qun_connections_accepted_total"])
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		v := metricValue(scrape(t, url, token)["qun_connections_accepted_total"])
		if v > before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("qun_connections_accepted_total stayed %v after a connection", v)
		}
		time.Sleep(20 * time.Millisecond) // polling with a deadline
	}
	p.stop(t)
}

func TestQundRefusesOpenAdminWithoutToken(t *testing.T) {
	p := startQund(t, nil, "--admin", "0.0.0.0:0", "--data", "", "--listen", "127.0.0.1:0")
	select {
	case err := <-p.done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(p.stderr.String(), "non-loopback address without a token") {
			t.Fatalf("exit %v, stderr %q", err, p.stderr)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("qund with an open admin address and no token did not exit")
	}
}

func TestQundAdminOff(t *testing.T) {
	p := startQund(t, []string{"QUN_ADMIN="}, "--data", "", "--listen", "127.0.0.1:0", "--log-level", "error")
	l := p.line(t, `^qund .*`)
	if !strings.HasPrefix(l[0], "qund listening on ") {
		t.Errorf("first line %q: the admin listener should be off", l[0])
	}
	p.stop(t)
}
