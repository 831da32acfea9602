package engine_test

import (
	"testing"

	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/wire"
)

// TestHistoryConfirmsLeadership: history and resync are served only after
// a ReadIndex confirmed the grain's leadership. Once the node's replicas
// are cut off (its replication node stopped), the group's grain is still
// active and its store still holds the messages, yet history and resync
// answer unavailable: a leader that may have been deposed serves no
// possibly stale history.
func TestHistoryConfirmsLeadership(t *testing.T) {
	e := startEngine(t, testConfig(""))
	ctx := ctxT(t)
	c := dial(t, e, "alice", nil)
	g, err := c.CreateGroup(ctx, "confirm")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := c.SendText(ctx, g, string(rune('a'+i)), "hi"); err != nil {
			t.Fatal(err)
		}
	}
	h, err := c.History(ctx, wire.HistoryArgs{Group: g, Limit: 10})
	if err != nil || len(texts(h.Msgs)) != 3 {
		t.Fatalf("history while leading: %d messages, %v", len(texts(h.Msgs)), err)
	}
	if r, err := c.Resync(ctx, map[string]uint64{g: 0}); err != nil || len(r.Groups) != 1 || r.Groups[0].Code != 0 || r.Groups[0].Sent == 0 {
		t.Fatalf("resync while leading: %+v %v", r, err)
	}
	if err := engine.StopReplication(e); err != nil {
		t.Fatal(err)
	}
	if h, err := c.History(ctx, wire.HistoryArgs{Group: g, Limit: 10}); wire.CodeOf(err) != wire.CodeUnavailable {
		t.Fatalf("history once cut off: %d messages, %v; want unavailable", len(h.Msgs), err)
	}
	r, err := c.Resync(ctx, map[string]uint64{g: 0})
	if err != nil || len(r.Groups) != 1 || r.Groups[0].Code != wire.CodeUnavailable || r.Groups[0].Sent != 0 {
		t.Fatalf("resync once cut off: %+v %v; want the group unavailable, nothing sent", r, err)
	}
}
