// Package examples_test builds and runs every program under examples/, each
// with a deadline, so that none can rot: an example is the first code an
// embedder copies, and it must run as written.
package examples_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runTimeout bounds one example's run (it starts a whole node).
const runTimeout = 2 * time.Minute

func TestExamplesRun(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var progs []string
	for _, d := range entries {
		if !d.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(d.Name(), "main.go")); err == nil {
			progs = append(progs, d.Name())
		}
	}
	if len(progs) == 0 {
		t.Fatal("no example programs found")
	}
	bin := t.TempDir()
	for _, p := range progs {
		t.Run(p, func(t *testing.T) {
			exe := filepath.Join(bin, p)
			build := exec.Command(goTool, "build", "-o", exe, "./"+p)
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("go build ./examples/%s: %v\n%s", p, err, out)
			}
			ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, exe)
			cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
			cmd.WaitDelay = 5 * time.Second
			out, err := cmd.CombinedOutput()
			if ctx.Err() != nil {
				t.Fatalf("examples/%s did not finish within %v\n%s", p, runTimeout, out)
			}
			if err != nil {
				t.Fatalf("examples/%s: %v\n%s", p, err, out)
			}
			if strings.TrimSpace(string(out)) == "" {
				t.Fatalf("examples/%s printed nothing", p)
			}
			t.Logf("examples/%s:\n%s", p, out)
		})
	}
}
