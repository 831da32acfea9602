package actors

import (
	"fmt"
	"testing"
)

// A snapshot carries the dedup window, so snapshots come no more often than
// once per window's worth of events: SnapshotEvery, or len(dedup) if more.
func TestSnapshotDueFollowsDedupWindow(t *testing.T) {
	m := machine(t, "bob")
	m.cfg.SnapshotEvery = 5
	if _, _, err := m.Snapshot(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		sends int
		due   bool
	}{
		{4, false}, // 4 events, 4 remembered ids: below SnapshotEvery
		{5, true},  // SnapshotEvery reached, window 5
	}
	for _, c := range cases {
		m2 := machine(t, "bob")
		m2.cfg.SnapshotEvery = 5
		_, _, _ = m2.Snapshot()
		for i := 0; i < c.sends; i++ {
			send(t, m2, 2000+int64(i), "bob", fmt.Sprint("c", i), "x")
		}
		if got := m2.SnapshotDue(); got != c.due {
			t.Errorf("%d sends: due %v, want %v", c.sends, got, c.due)
		}
	}
	// Fill the window to 20 ids, snapshot, then 19 more events are not due
	// (the window is 20 > 5); the 20th is.
	for i := 0; i < 20; i++ {
		send(t, m, 2000+int64(i), "bob", fmt.Sprint("w", i), "x")
	}
	if _, _, err := m.Snapshot(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 19; i++ {
		send(t, m, 3000+int64(i), "bob", "", "x") // no cmid: the window stays at 20
		if m.SnapshotDue() {
			t.Fatalf("due after %d events with a window of 20", i+1)
		}
	}
	send(t, m, 3100, "bob", "", "x")
	if !m.SnapshotDue() {
		t.Fatal("not due after 20 events with a window of 20")
	}
}
