package replication

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/qunchat/qun/persistence"
)

const testStream = "g/room"

func others(nodes []*testNode, x *testNode) []*testNode {
	var out []*testNode
	for _, tn := range nodes {
		if tn != x {
			out = append(out, tn)
		}
	}
	return out
}

// propose queues b on tn at epoch without waiting; the outcome arrives on ch.
func proposeAsync(tn *testNode, shard uint32, epoch uint64, b *persistence.Batch, ch chan error) {
	tn.node.StoreFor(shard, epoch).Commit(b, func(err error) { ch <- err })
}

func TestThreeReplicasCommitEverywhere(t *testing.T) {
	_, nodes := memCluster(t, 3, nil)
	shard := ShardOf(testStream, 4)
	l := awaitLeader(t, nodes, shard)
	for s := uint64(1); s <= 10; s += 2 {
		if err := commit(t, l, shard, events(testStream, s, s+1)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, nodes, 50, "every replica applied 10 events", func() bool {
		for _, tn := range nodes {
			if len(journal(t, tn.store, testStream)) != 10 {
				return false
			}
		}
		return true
	})
	st, err := l.node.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ss *ShardStatus
	for i := range st {
		if st[i].Shard == shard {
			ss = &st[i]
		}
	}
	if ss == nil || !ss.Ready || len(ss.Voters) != 3 || len(ss.Match) != 3 || ss.Applied < 7 || ss.Committed < ss.Applied {
		t.Fatalf("leader status %+v", ss)
	}
	for _, tn := range others(nodes, l) {
		if err := commit(t, tn, shard, events(testStream, 11, 11)); !errors.Is(err, ErrNotLeader) {
			t.Fatalf("proposal on follower %d: %v, want ErrNotLeader", tn.id, err)
		}
	}
}

// A leader cut off with a batch in flight loses leadership: the batch's
// proposer is told the outcome is unknown (never "ok"), the new leader
// continues from the committed state, and the old leader's uncommitted
// entries are gone everywhere once it rejoins.
func TestLeaderChangeMidBatch(t *testing.T) {
	net, nodes := memCluster(t, 3, nil)
	shard := ShardOf(testStream, 4)
	old := awaitLeader(t, nodes, shard)
	if err := commit(t, old, shard, events(testStream, 1, 2)); err != nil {
		t.Fatal(err)
	}
	net.setCut(old.id, true)
	ch := make(chan error, 4)
	epoch := old.node.Leader(shard).Term
	proposeAsync(old, shard, epoch, events(testStream, 3, 4), ch)
	proposeAsync(old, shard, epoch, events(testStream, 5, 5), ch)
	rest := others(nodes, old)
	var nl *testNode
	waitFor(t, nodes, 300, "a new leader and the old one stepping down", func() bool {
		nl = leaderOf(rest, shard)
		return nl != nil && !old.node.Leader(shard).Local
	})
	for i := 0; i < 2; i++ {
		if err := <-ch; !errors.Is(err, ErrLeadershipLost) {
			t.Fatalf("in-flight proposal on the deposed leader: %v, want ErrLeadershipLost", err)
		}
	}
	if _, ok := old.lis.readyTerm(shard); ok {
		t.Fatal("LeaderLost not heard by the old leader")
	}
	// The new leader writes seq 3 on top of the committed 1..2.
	if err := commit(t, nl, shard, events(testStream, 3, 3)); err != nil {
		t.Fatal(err)
	}
	// The old activation's epoch is fenced at the new leader too.
	if err := commitAt(t, nl, shard, epoch, events(testStream, 4, 4)); !errors.Is(err, ErrStaleEpoch) {
		t.Fatalf("old epoch on new leader: %v", err)
	}
	net.setCut(old.id, false)
	waitFor(t, nodes, 200, "the old leader to converge", func() bool {
		return contiguous(journal(t, old.store, testStream), 3)
	})
	for _, tn := range nodes {
		if got := journal(t, tn.store, testStream); !contiguous(got, 3) {
			t.Fatalf("store %d journal %v", tn.id, got)
		}
	}
}

// A node that loses and regains leadership with a batch evaluated under
// its old epoch still queued: the batch is refused at propose time, and a
// stale command that reaches the log anyway is rejected by apply on every
// replica.
func TestRegainedLeadershipStaleBatch(t *testing.T) {
	_, nodes := memCluster(t, 3, nil)
	shard := ShardOf(testStream, 4)
	a := awaitLeader(t, nodes, shard)
	if err := commit(t, a, shard, events(testStream, 1, 1)); err != nil {
		t.Fatal(err)
	}
	staleEpoch := a.node.Leader(shard).Term
	b := others(nodes, a)[0]
	a.node.TransferLeader(shard, b.id)
	waitFor(t, nodes, 200, "leadership to move to b", func() bool { return b.node.Leader(shard).Ready })
	b.node.TransferLeader(shard, a.id)
	waitFor(t, nodes, 200, "leadership to come back to a", func() bool { return a.node.Leader(shard).Ready })
	if now := a.node.Leader(shard).Term; now <= staleEpoch {
		t.Fatalf("term %d did not grow past %d", now, staleEpoch)
	}
	if err := commitAt(t, a, shard, staleEpoch, events(testStream, 2, 2)); !errors.Is(err, ErrStaleEpoch) {
		t.Fatalf("stale batch at propose: %v, want ErrStaleEpoch", err)
	}
	// Bypass the propose-time check: apply's fence must catch it.
	ch := make(chan error, 1)
	data, err := EncodeBatch(events(testStream, 2, 2))
	if err != nil {
		t.Fatal(err)
	}
	a.node.enqueue(&proposal{shard: shard, epoch: staleEpoch, data: data, done: func(err error) { ch <- err }, unchecked: true})
	if err := <-ch; !errors.Is(err, ErrStaleEpoch) {
		t.Fatalf("stale batch at apply: %v, want ErrStaleEpoch", err)
	}
	if err := commit(t, a, shard, events(testStream, 2, 2)); err != nil {
		t.Fatalf("current epoch: %v", err)
	}
	waitFor(t, nodes, 50, "every replica to hold exactly 1..2", func() bool {
		for _, tn := range nodes {
			if !contiguous(journal(t, tn.store, testStream), 2) {
				return false
			}
		}
		return true
	})
}

// Apply fencing on seq continuity, deterministic on every replica.
func TestApplyFencingSeqGap(t *testing.T) {
	_, nodes := memCluster(t, 3, nil)
	shard := ShardOf(testStream, 4)
	l := awaitLeader(t, nodes, shard)
	if err := commit(t, l, shard, events(testStream, 1, 3)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		plain bool // EncodeBatch's plain batch, not a ShardStore's fenced one
		b     *persistence.Batch
	}{
		{"gap", true, events(testStream, 5, 6)},
		{"replay", false, events(testStream, 3, 4)},
		{"replay, plain", true, events(testStream, 3, 4)},
		{"hole inside", true, &persistence.Batch{Events: []persistence.Event{{Stream: testStream, Seq: 4, Data: []byte("x")}, {Stream: testStream, Seq: 6, Data: []byte("y")}}}},
		{"out of order", false, &persistence.Batch{Events: []persistence.Event{{Stream: testStream, Seq: 5, Data: []byte("x")}, {Stream: testStream, Seq: 4, Data: []byte("y")}}}},
	} {
		commitFn := commit
		if c.plain {
			commitFn = commitPlain
		}
		if err := commitFn(t, l, shard, c.b); !errors.Is(err, ErrSeqGap) || !errors.Is(err, ErrRejected) {
			t.Fatalf("%s: %v, want ErrRejected wrapping ErrSeqGap", c.name, err)
		}
	}
	// A batch with KV writes and a snapshot applies as a whole or not at all.
	bad := events(testStream, 3, 3)
	bad.Puts = []persistence.KV{{Key: "ga/room/x", Value: []byte("1")}}
	if err := commit(t, l, shard, bad); !errors.Is(err, ErrSeqGap) {
		t.Fatal(err)
	}
	good := events(testStream, 4, 4)
	good.Puts = []persistence.KV{{Key: "ga/room/y", Value: []byte("2")}}
	good.Snapshots = []persistence.Snapshot{{Stream: testStream, Seq: 4, Data: []byte("snap")}}
	if err := commit(t, l, shard, good); err != nil {
		t.Fatal(err)
	}
	waitFor(t, nodes, 50, "every replica applied 1..4", func() bool {
		for _, tn := range nodes {
			if !contiguous(journal(t, tn.store, testStream), 4) {
				return false
			}
		}
		return true
	})
	for _, tn := range nodes {
		if _, ok, _ := tn.store.Get("ga/room/x"); ok {
			t.Fatalf("store %d applied part of a rejected batch", tn.id)
		}
		if v, ok, _ := tn.store.Get("ga/room/y"); !ok || string(v) != "2" {
			t.Fatalf("store %d lacks the good batch's put", tn.id)
		}
	}
}

// Proposals are refused, never silently lost: on a follower, on an unknown
// shard, and over the uncommitted-size bound (back-pressure).
func TestDroppedProposals(t *testing.T) {
	net, nodes := memCluster(t, 3, func(c *Config) { c.MaxUncommittedBytes = 4 << 10 })
	shard := ShardOf(testStream, 4)
	l := awaitLeader(t, nodes, shard)
	if err := commitAt(t, l, 99, 1, events(testStream, 1, 1)); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("unknown shard: %v", err)
	}
	// Cut the followers off: nothing commits, the uncommitted log fills.
	for _, tn := range others(nodes, l) {
		net.setCut(tn.id, true)
	}
	epoch := l.node.Leader(shard).Term
	ch := make(chan error, 64)
	big := make([]byte, 1<<10)
	for i := 0; i < 16; i++ {
		proposeAsync(l, shard, epoch, &persistence.Batch{Puts: []persistence.KV{{Key: fmt.Sprintf("k%d", i), Value: big}}}, ch)
	}
	// The rest stay pending until leadership is lost (CheckQuorum).
	waitFor(t, nodes, 100, "the isolated leader to step down", func() bool { return !l.node.Leader(shard).Local })
	var pressured, lost int
	for i := 0; i < 16; i++ {
		select {
		case err := <-ch:
			switch {
			case errors.Is(err, ErrBackpressure):
				pressured++
			case errors.Is(err, ErrLeadershipLost):
				lost++
			default:
				t.Fatalf("outcome %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d outcomes", i)
		}
	}
	// About 4 KiB of 1 KiB entries fit; the rest were refused at once.
	if pressured < 8 || lost < 1 {
		t.Fatalf("%d refused by back-pressure, %d lost with leadership", pressured, lost)
	}
}

// ReadIndex: many reads of a round share one raft ReadIndex; they succeed
// on a ready leader after everything committed is applied, fail on a
// follower, and fail (instead of hanging) on a leader cut off from its
// quorum.
func TestReadIndexBatched(t *testing.T) {
	net, nodes := memCluster(t, 3, nil)
	shard := ShardOf(testStream, 4)
	l := awaitLeader(t, nodes, shard)
	if err := commit(t, l, shard, events(testStream, 1, 1)); err != nil {
		t.Fatal(err)
	}
	ch := make(chan error, 32)
	for i := 0; i < 32; i++ {
		l.node.ReadIndex(shard, func(err error) { ch <- err })
	}
	for i := 0; i < 32; i++ {
		if err := <-ch; err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	f := others(nodes, l)[0]
	f.node.ReadIndex(shard, func(err error) { ch <- err })
	if err := <-ch; !errors.Is(err, ErrNotLeader) {
		t.Fatalf("read on follower: %v", err)
	}
	net.setCut(l.id, true)
	l.node.ReadIndex(shard, func(err error) { ch <- err })
	waitFor(t, nodes, 100, "the cut-off leader's read to fail", func() bool { return len(ch) > 0 })
	if err := <-ch; !errors.Is(err, ErrLeadershipLost) {
		t.Fatalf("read on a cut-off leader: %v", err)
	}
}

// StoreApplier.OnApplied sees every applied batch on every replica (the
// discovery index is fed this way), never a rejected one.
func TestOnAppliedFeedsEveryReplica(t *testing.T) {
	net := newMemNet()
	peers := []uint64{1, 2, 3}
	var mu sync.Mutex
	seen := map[uint64][]string{}
	var nodes []*testNode
	for _, id := range peers {
		st, err := persistence.OpenPebble(t.TempDir(), persistence.Options{})
		if err != nil {
			t.Fatal(err)
		}
		app := NewStoreApplier(st)
		app.OnApplied = func(shard uint32, b *persistence.Batch) {
			mu.Lock()
			defer mu.Unlock()
			for _, p := range b.Puts {
				seen[id] = append(seen[id], p.Key)
			}
		}
		lis := &recListener{ready: map[uint32]uint64{}}
		n, err := New(testConfig(id, peers), Deps{Store: st, Applier: app, Transport: net.transport(id), Listener: lis})
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, &testNode{id: id, store: st, node: n, lis: lis})
	}
	defer func() {
		for _, tn := range nodes {
			tn.close(t)
		}
	}()
	shard := ShardOf(testStream, 4)
	l := awaitLeader(t, nodes, shard)
	good := events(testStream, 1, 1)
	good.Puts = []persistence.KV{{Key: "ix/room", Value: []byte("v1")}}
	if err := commit(t, l, shard, good); err != nil {
		t.Fatal(err)
	}
	bad := events(testStream, 1, 1) // a replay
	bad.Puts = []persistence.KV{{Key: "ix/rejected", Value: []byte("v")}}
	if err := commit(t, l, shard, bad); !errors.Is(err, ErrSeqGap) {
		t.Fatal(err)
	}
	waitFor(t, nodes, 50, "every replica to report the applied batch", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, id := range peers {
			if len(seen[id]) != 1 || seen[id][0] != "ix/room" {
				return false
			}
		}
		return true
	})
}

func TestOracleNamesTheReadyLeader(t *testing.T) {
	_, nodes := memCluster(t, 3, nil)
	addr := func(id uint64) (string, bool) { return fmt.Sprintf("node-%d", id), true }
	shard := ShardOf("g/room", 4)
	l := awaitLeader(t, nodes, shard)
	want := fmt.Sprintf("node-%d", l.id)
	waitFor(t, nodes, 100, "every node to name the leader", func() bool {
		for _, tn := range nodes {
			o := &Oracle{Node: tn.node, AddressOf: addr}
			if o.ShardOfGrain("group", "room") != shard {
				t.Fatal("grain key is not its storage name")
			}
			if got, ok := o.LeaderOf("group", "room"); !ok || got != want {
				return false
			}
		}
		return true
	})
}
