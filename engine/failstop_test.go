package engine_test

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/wire"
)

// A store that failed-stop (a disk error) makes the node not ready and
// refuses every send; nothing is acknowledged, the connection stays.
func TestFailedStoreIsNotReady(t *testing.T) {
	e := startEngine(t, testConfig(""))
	ctx := ctxT(t)
	a := dial(t, e, "alice", nil)
	g, err := a.CreateGroup(ctx, "disk")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.SendText(ctx, g, "1", "before"); err != nil {
		t.Fatal(err)
	}
	if err := e.Ready(); err != nil {
		t.Fatalf("Ready before the failure: %v", err)
	}
	engine.FailStore(e, syscall.ENOSPC)
	if err := e.Ready(); err == nil || !strings.Contains(err.Error(), "store failed") || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Ready after the failure: %v", err)
	}
	if r, err := a.SendText(ctx, g, "2", "after"); err == nil {
		t.Fatalf("send acknowledged by a failed store: %+v", r)
	} else if wire.CodeOf(err) == 0 {
		t.Fatalf("send after the failure: %v, want a coded error", err)
	}
}
