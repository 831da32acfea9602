package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qunchat/qun/bench"
)

func TestMain(m *testing.M) {
	bench.MaybeServeChild()
	os.Exit(m.Run())
}

func TestHTMLFlag(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.html")
	var out, errb bytes.Buffer
	code := run([]string{"fanout", "--members", "3", "--rate", "50", "--duration", "500ms", "--warmup", "100ms", "--quiet", "--html", path}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(page), "<svg "); n != 2 {
		t.Errorf("%d plots in the page, want 2", n)
	}
	if !strings.Contains(string(page), "deliveries/s") || !strings.Contains(out.String(), "latency p99 ms") {
		t.Errorf("page or table incomplete; stdout:\n%s", out.String())
	}
	if code := run([]string{"fanout", "--members", "3", "--rate", "50", "--duration", "200ms", "--warmup", "50ms", "--quiet", "--html", filepath.Join(t.TempDir(), "no", "such", "dir", "r.html")}, &out, &errb); code != 1 {
		t.Errorf("unwritable --html: exit %d, want 1", code)
	}
}
