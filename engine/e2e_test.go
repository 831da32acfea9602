package engine_test

import (
	"testing"
	"time"

	"github.com/qunchat/qun/wire"
)

func TestTwoClientsChat(t *testing.T) { eachTransport(t, testTwoClientsChat) }

func testTwoClientsChat(t *testing.T, tr transport) {
	e := startEngine(t, testConfig(t.TempDir()))
	ctx := ctxT(t)
	boxA, boxB := newInbox(), newInbox()
	a := tr.dial(t, e, "alice", boxA)
	b := tr.dial(t, e, "bob", boxB)
	g, err := a.CreateGroup(ctx, "friends")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Join(ctx, g); err != nil {
		t.Fatal(err)
	}
	r1, err := a.SendText(ctx, g, "a1", "hello bob")
	if err != nil {
		t.Fatal(err)
	}
	r2, err := b.SendText(ctx, g, "b1", "hi alice")
	if err != nil {
		t.Fatal(err)
	}
	if r2.Seq != r1.Seq+1 {
		t.Fatalf("seqs %d then %d", r1.Seq, r2.Seq)
	}
	for _, box := range []*inbox{boxA, boxB} {
		waitFor(t, 5*time.Second, "both messages pushed", func() bool { return len(texts(box.get(g))) == 2 })
	}
	got := texts(boxB.get(g))
	if got[0] != "3:alice:hello bob" || got[1] != "4:bob:hi alice" {
		t.Fatalf("bob saw %v", got)
	}
	// A non-member cannot send or read.
	c := tr.dial(t, e, "carol", nil)
	if _, err := c.SendText(ctx, g, "c1", "x"); wire.CodeOf(err) != wire.CodeNotMember {
		t.Fatalf("non-member send: %v", err)
	}
	h, err := a.History(ctx, wire.HistoryArgs{Group: g})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Msgs) != 4 || h.Msgs[0].Body.System == nil || h.Msgs[0].Body.System.Event != wire.EventCreated {
		t.Fatalf("history %+v", h.Msgs)
	}
	mg, err := b.MyGroups(ctx)
	if err != nil || len(mg) != 1 || mg[0].Group != g || mg[0].LastSeq != 4 {
		t.Fatalf("my groups %+v %v", mg, err)
	}
}
