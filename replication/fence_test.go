package replication

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/qunchat/qun/persistence"
)

func TestFencedBatchCodec(t *testing.T) {
	f := FencedBatch{Batch: sampleBatch(), Fences: []StreamFence{{Stream: "g/a", Prev: 6}, {Stream: "g/b", Prev: 0}}, Rewrites: []int{1}}
	enc, err := EncodeFencedBatch(f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeFencedBatch(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Fences, f.Fences) || !reflect.DeepEqual(got.Rewrites, f.Rewrites) || !reflect.DeepEqual(normal(got.Batch), normal(f.Batch)) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, f)
	}
	if b, err := DecodeBatch(enc); err != nil || !reflect.DeepEqual(normal(b), normal(f.Batch)) {
		t.Fatalf("DecodeBatch of a fenced batch: %v", err)
	}
	for i := 0; i < len(enc); i++ {
		if _, err := DecodeFencedBatch(enc[:i]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated at %d: %v", i, err)
		}
	}
	// A rewrite index past the events, or not ascending, is corrupt.
	for _, rw := range [][]int{{2}, {1, 1}, {1, 0}} {
		bad := f
		bad.Rewrites = rw
		enc, err := EncodeFencedBatch(bad)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeFencedBatch(enc); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("rewrites %v: %v", rw, err)
		}
	}
}

// record reads stream's journal as "seq:data" strings.
func records(t testing.TB, st persistence.Store, stream string) []string {
	t.Helper()
	var out []string
	if err := st.ReadRange(stream, 1, ^uint64(0), 0, func(e persistence.Event) bool {
		out = append(out, fmt.Sprintf("%d:%s", e.Seq, e.Data))
		return true
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func commitVia(t testing.TB, s *ShardStore, b *persistence.Batch) error {
	t.Helper()
	ch := make(chan error, 1)
	s.Commit(b, func(err error) { ch <- err })
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("commit outcome not reported within 10 s")
		return nil
	}
}

func ev(stream string, seq uint64, data string) persistence.Event {
	return persistence.Event{Stream: stream, Seq: seq, Data: []byte(data)}
}

// A ShardStore marks its activation's rewrites (a recall's tombstone), and
// apply accepts them deterministically on every replica, while a stale
// writer's rewrite, an unread stream's "rewrite", a replay and a stale
// epoch are rejected on every replica. A room's journal may skip the seqs
// its chatter took.
func TestFencedRewritesAndGaps(t *testing.T) {
	_, nodes := memCluster(t, 3, nil)
	shard := ShardOf(testStream, 4)
	l := awaitLeader(t, nodes, shard)
	epoch := l.node.Leader(shard).Term
	a := l.node.StoreFor(shard, epoch) // an activation: reads, then writes
	if _, _, err := a.LoadSnapshot(testStream); err != nil {
		t.Fatal(err)
	}
	if err := commitVia(t, a, &persistence.Batch{Events: []persistence.Event{ev(testStream, 1, "m1"), ev(testStream, 2, "m2"), ev(testStream, 3, "m3")}}); err != nil {
		t.Fatal(err)
	}
	stale := l.node.StoreFor(shard, epoch) // another activation, loaded at 3
	if err := stale.ReadRange(testStream, 1, ^uint64(0), 0, func(persistence.Event) bool { return true }); err != nil {
		t.Fatal(err)
	}
	// The recall: tombstone of 2 and the recall event 4, in one batch.
	if err := commitVia(t, a, &persistence.Batch{Events: []persistence.Event{ev(testStream, 2, "tomb2"), ev(testStream, 4, "recall2")}}); err != nil {
		t.Fatalf("recall: %v", err)
	}
	// The stale activation's recall of 3 (and its own seq 4) is refused.
	if err := commitVia(t, stale, &persistence.Batch{Events: []persistence.Event{ev(testStream, 3, "tomb3"), ev(testStream, 4, "recall3")}}); !errors.Is(err, ErrSeqGap) || !errors.Is(err, ErrRejected) {
		t.Fatalf("stale rewrite: %v, want ErrRejected wrapping ErrSeqGap", err)
	}
	// A store that never read the stream cannot rewrite: seq 3 is a replay.
	if err := commitVia(t, l.node.StoreFor(shard, epoch), &persistence.Batch{Events: []persistence.Event{ev(testStream, 3, "tomb3"), ev(testStream, 5, "m5")}}); !errors.Is(err, ErrSeqGap) {
		t.Fatalf("unread rewrite: %v, want ErrSeqGap", err)
	}
	// A rewrite past the last seq is no rewrite (the fence says so).
	data, err := EncodeFencedBatch(FencedBatch{Batch: &persistence.Batch{Events: []persistence.Event{ev(testStream, 9, "x")}}, Fences: []StreamFence{{Stream: testStream, Prev: 4}}, Rewrites: []int{0}})
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan error, 1)
	l.node.Propose(shard, epoch, data, func(err error) { ch <- err })
	if err := <-ch; !errors.Is(err, ErrSeqGap) {
		t.Fatalf("rewrite past the last seq: %v, want ErrSeqGap", err)
	}
	// The same rewrite under a stale epoch is rejected at apply.
	data, err = EncodeFencedBatch(FencedBatch{Batch: &persistence.Batch{Events: []persistence.Event{ev(testStream, 3, "tomb3"), ev(testStream, 5, "m5")}}, Fences: []StreamFence{{Stream: testStream, Prev: 4}}, Rewrites: []int{0}})
	if err != nil {
		t.Fatal(err)
	}
	l.node.enqueue(&proposal{shard: shard, epoch: epoch - 1, data: data, done: func(err error) { ch <- err }, unchecked: true})
	if err := <-ch; !errors.Is(err, ErrStaleEpoch) {
		t.Fatalf("stale epoch rewrite: %v, want ErrStaleEpoch", err)
	}
	// A room: chatter 5 and 6 live in KV keys, the next journal event is 7.
	room := &persistence.Batch{Puts: []persistence.KV{{Key: "ga/room/c5", Value: []byte("c5")}, {Key: "ga/room/c6", Value: []byte("c6")}}}
	if err := commitVia(t, a, room); err != nil {
		t.Fatal(err)
	}
	if err := commitVia(t, a, &persistence.Batch{Events: []persistence.Event{ev(testStream, 7, "gift7")}}); err != nil {
		t.Fatalf("gift after chatter: %v", err)
	}
	if err := commitVia(t, a, &persistence.Batch{Events: []persistence.Event{ev(testStream, 8, "gift8")}, Snapshots: []persistence.Snapshot{{Stream: testStream, Seq: 9, Data: []byte("s9")}}}); err != nil {
		t.Fatalf("gift and snapshot: %v", err)
	}
	if err := commitVia(t, a, &persistence.Batch{Events: []persistence.Event{ev(testStream, 10, "m10")}}); err != nil {
		t.Fatalf("after a snapshot past the journal: %v", err)
	}
	want := []string{"1:m1", "2:tomb2", "3:m3", "4:recall2", "7:gift7", "8:gift8", "10:m10"}
	waitFor(t, nodes, 100, "every replica to hold the same journal", func() bool {
		for _, tn := range nodes {
			if got := records(t, tn.store, testStream); !reflect.DeepEqual(got, want) {
				return false
			}
		}
		return true
	})
	for _, tn := range nodes {
		if v, ok, _ := tn.store.Get("ga/room/c6"); !ok || !bytes.Equal(v, []byte("c6")) {
			t.Fatalf("store %d lacks the chatter key", tn.id)
		}
	}
}

// A leader that restarts (the store's cache gone) applies a fenced batch
// against what its store holds.
func TestFencedAfterRestart(t *testing.T) {
	net := newMemNet()
	dir := t.TempDir()
	cfg := testConfig(1, []uint64{1})
	n := openNode(t, dir, cfg, net.transport(1))
	shard := ShardOf(testStream, cfg.Shards)
	l := awaitLeader(t, []*testNode{n}, shard)
	s := l.node.StoreFor(shard, l.node.Leader(shard).Term)
	if _, err := s.LastSeq(testStream); err != nil {
		t.Fatal(err)
	}
	if err := commitVia(t, s, &persistence.Batch{Events: []persistence.Event{ev(testStream, 1, "m1"), ev(testStream, 3, "m3")}}); err != nil {
		t.Fatal(err)
	}
	n.close(t)
	n = openNode(t, dir, cfg, net.transport(1))
	defer n.close(t)
	l = awaitLeader(t, []*testNode{n}, shard)
	s = l.node.StoreFor(shard, l.node.Leader(shard).Term)
	if _, _, err := s.LoadSnapshot(testStream); err != nil {
		t.Fatal(err)
	}
	if err := commitVia(t, s, &persistence.Batch{Events: []persistence.Event{ev(testStream, 1, "tomb1"), ev(testStream, 4, "m4")}}); err != nil {
		t.Fatal(err)
	}
	if got, want := records(t, n.store, testStream), []string{"1:tomb1", "3:m3", "4:m4"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("journal %v, want %v", got, want)
	}
}

// A deposed leader that does not know it yet (cut off, its clock stopped)
// still holds the old history locally, but its activation's ConfirmRead
// never lets it serve it: the read fails once it learns, while the new
// leader confirms at once and reads the newer history.
func TestConfirmReadOnDeposedLeader(t *testing.T) {
	net, nodes := memCluster(t, 3, nil)
	shard := ShardOf(testStream, 4)
	old := awaitLeader(t, nodes, shard)
	act := old.node.StoreFor(shard, old.node.Leader(shard).Term)
	if _, _, err := act.LoadSnapshot(testStream); err != nil {
		t.Fatal(err)
	}
	if err := commitVia(t, act, events(testStream, 1, 2)); err != nil {
		t.Fatal(err)
	}
	confirm := func(s *ShardStore) chan error {
		ch := make(chan error, 1)
		s.ConfirmRead(func(err error) { ch <- err })
		return ch
	}
	if err := <-confirm(act); err != nil {
		t.Fatalf("read on the leader: %v", err)
	}
	net.setCut(old.id, true)
	rest := others(nodes, old)
	var nl *testNode
	waitFor(t, rest, 300, "a new leader among the others", func() bool {
		nl = leaderOf(rest, shard)
		return nl != nil
	})
	if err := commit(t, nl, shard, events(testStream, 3, 3)); err != nil {
		t.Fatal(err)
	}
	if !old.node.Leader(shard).Local || !contiguous(journal(t, old.store, testStream), 2) {
		t.Fatal("the old leader should still believe it leads, with the old history")
	}
	read := confirm(act)
	// The others' clocks run for a while: the read stays unanswered (its
	// ReadIndex cannot reach a quorum) or fails, never succeeds.
	for i := 0; i < 20 && len(read) == 0; i++ {
		for _, tn := range rest {
			tn.node.Tick()
		}
		for j := 0; j < 10 && len(read) == 0; j++ {
			time.Sleep(time.Millisecond)
		}
	}
	select {
	case err := <-read:
		if err == nil {
			t.Fatal("a deposed leader confirmed a read")
		}
	default:
	}
	// Its clock runs again: it steps down (check quorum), the read fails.
	waitFor(t, []*testNode{old}, 300, "the deposed leader to step down", func() bool { return !old.node.Leader(shard).Local })
	select {
	case err := <-read:
		if err == nil {
			t.Fatal("a deposed leader confirmed a read")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the deposed leader's read never failed")
	}
	if err := <-confirm(act); err == nil {
		t.Fatal("a read confirmed after the step-down")
	}
	// The new leader's activation confirms and sees seq 3.
	na := nl.node.StoreFor(shard, nl.node.Leader(shard).Term)
	if err := <-confirm(na); err != nil {
		t.Fatalf("read on the new leader: %v", err)
	}
	if !contiguous(journal(t, nl.store, testStream), 3) {
		t.Fatal("the new leader lacks seq 3")
	}
	net.setCut(old.id, false)
}
