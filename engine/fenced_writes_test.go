package engine_test

import (
	"testing"

	"github.com/qunchat/qun/wire"
)

// TestRewritesAndGapsAcrossRestart: the writes replication's fence must
// tell from a stale replay (replication/fence.go) apply through the raft
// path and survive a restart: a recall (the tombstone rewrites a record
// already in the journal) and a room's gift after chatter (the journal
// skips the chatter's seqs). After the restart, the next activation's
// writes follow on, a recall included.
func TestRewritesAndGapsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	e := startEngine(t, cfg)
	ctx := ctxT(t)
	c := dial(t, e, "alice", nil)
	g, err := c.CreateGroup(ctx, "fence")
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, text := range []string{"one", "two", "three"} {
		r, err := c.SendText(ctx, g, text, text)
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, r.Seq)
	}
	if _, err := c.Recall(ctx, g, seqs[1]); err != nil {
		t.Fatalf("recall: %v", err)
	}
	room, err := e.OpenRoom(ctx, "fence", "host")
	if err != nil {
		t.Fatal(err)
	}
	host := dial(t, e, "host", nil)
	var gifts []uint64
	for i := range 3 {
		for range 3 {
			if _, err := host.RoomSend(ctx, room, "", "chatter", wire.LaneChatter); err != nil {
				t.Fatal(err)
			}
		}
		r, err := host.RoomSend(ctx, room, "", "gift", wire.LaneHigh)
		if err != nil {
			t.Fatalf("gift %d after chatter: %v", i, err)
		}
		gifts = append(gifts, r.Seq)
	}
	c.Close()
	host.Close()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	e = startEngine(t, cfg)
	c = dial(t, e, "alice", nil)
	h, err := c.History(ctx, wire.HistoryArgs{Group: g, After: wire.After(0), Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[uint64]wire.MsgType{}
	for _, m := range h.Msgs {
		kinds[m.Seq] = m.Type
	}
	if kinds[seqs[0]] != wire.MsgText || kinds[seqs[1]] != wire.MsgRecalled || kinds[seqs[2]] != wire.MsgText {
		t.Fatalf("after the restart: %v, want text, recalled, text at %v", kinds, seqs)
	}
	r, err := c.SendText(ctx, g, "four", "four")
	if err != nil || r.Seq != h.LastSeq+1 {
		t.Fatalf("send after the restart: seq %d (last %d), %v", r.Seq, h.LastSeq, err)
	}
	if _, err := c.Recall(ctx, g, seqs[0]); err != nil {
		t.Fatalf("recall after the restart: %v", err)
	}
	host = dial(t, e, "host", nil)
	if _, err := host.RoomSend(ctx, room, "", "chatter", wire.LaneChatter); err != nil {
		t.Fatal(err)
	}
	gift, err := host.RoomSend(ctx, room, "", "gift", wire.LaneHigh)
	if err != nil || gift.Seq <= gifts[len(gifts)-1] {
		t.Fatalf("gift after the restart: seq %d (last gift %d), %v", gift.Seq, gifts[len(gifts)-1], err)
	}
	rh, err := host.History(ctx, wire.HistoryArgs{Group: room, After: wire.After(0), Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	have := map[uint64]bool{}
	for _, m := range rh.Msgs {
		have[m.Seq] = true
	}
	for _, s := range append(gifts, gift.Seq) {
		if !have[s] {
			t.Fatalf("room history lacks gift %d: %v", s, have)
		}
	}
}
