package cluster

import (
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestMemberlistLogLines(t *testing.T) {
	logger, buf := logCapture(slog.LevelDebug)
	ml := newMemberlistLogger(logger)
	ml.Printf("[WARN] memberlist: Was able to connect to n2 over TCP but UDP probes failed")
	ml.Printf("[DEBUG] memberlist: Stream connection from=127.0.0.1:1234")
	ml.Printf("no level here")
	out := buf.String()
	for _, want := range []string{
		`level=DEBUG msg="Was able to connect to n2 over TCP but UDP probes failed" ml_level=WARN`,
		`msg="Stream connection from=127.0.0.1:1234" ml_level=DEBUG`,
		`msg="no level here" ml_level=""`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s in:\n%s", want, out)
		}
	}

	quiet, qbuf := logCapture(slog.LevelInfo)
	newMemberlistLogger(quiet).Printf("[ERR] memberlist: peer went away")
	if qbuf.String() != "" {
		t.Fatalf("memberlist line above Debug: %s", qbuf.String())
	}
}

func TestMinLevelHandler(t *testing.T) {
	logger, buf := logCapture(slog.LevelDebug)
	l := slog.New(minLevelHandler{h: logger.Handler(), min: slog.LevelWarn}).With("lib", "pa").WithGroup("g")
	l.Info("routine")
	l.Error("bad", "k", 1)
	if out := buf.String(); strings.Contains(out, "routine") || !strings.Contains(out, "msg=bad lib=pa g.k=1") {
		t.Fatalf("output:\n%s", out)
	}
	if l.Enabled(context.Background(), slog.LevelInfo) {
		t.Fatal("Info enabled below min")
	}
}
