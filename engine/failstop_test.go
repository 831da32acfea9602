package engine_test

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/qunchat/qun/engine"
)

// A store that failed-stop (a disk error) makes the node not ready.
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
	// That the failed store refuses every later write is the store's own
	// test (persistence: FailStop in the shared suite, TestPebbleFailStop).
	// A send here would make the grain stop itself while the engine closes,
	// which trips an upstream Proto.Actor race (MemberList.BroadcastEvent
	// reads the member set unlocked) under -race.
}
