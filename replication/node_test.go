package replication

import (
	"errors"
	"testing"

	"github.com/qunchat/qun/persistence"
)

func TestLoneNodeR1(t *testing.T) {
	net := newMemNet()
	dir := t.TempDir()
	cfg := testConfig(1, []uint64{1})
	n := openNode(t, dir, cfg, net.transport(1))
	nodes := []*testNode{n}
	stream := "g/lone"
	shard := ShardOf(stream, cfg.Shards)
	l := awaitLeader(t, nodes, shard)
	if err := commit(t, l, shard, events(stream, 1, 3)); err != nil {
		t.Fatal(err)
	}
	if got := journal(t, n.store, stream); !contiguous(got, 3) {
		t.Fatalf("journal %v", got)
	}
	term, ok := n.lis.readyTerm(shard)
	if !ok || term != n.node.Leader(shard).Term {
		t.Fatalf("LeaderReady not heard: %d %v", term, ok)
	}
	// Restart: the data and the applied state survive; writes continue.
	n.close(t)
	n = openNode(t, dir, cfg, net.transport(1))
	defer n.close(t)
	nodes = []*testNode{n}
	l = awaitLeader(t, nodes, shard)
	if err := commit(t, l, shard, events(stream, 4, 5)); err != nil {
		t.Fatal(err)
	}
	if err := commit(t, l, shard, events(stream, 4, 4)); !errors.Is(err, ErrSeqGap) {
		t.Fatalf("replayed seq 4: %v, want ErrSeqGap", err)
	}
	if got := journal(t, n.store, stream); !contiguous(got, 5) {
		t.Fatalf("journal after restart %v", got)
	}
	// A different shard count is refused.
	bad := cfg
	bad.Shards = 8
	if _, err := New(bad, Deps{Store: n.store, Applier: NewStoreApplier(n.store), Transport: net.transport(9)}); !errors.Is(err, ErrShardsMismatch) {
		t.Fatalf("shards mismatch: %v", err)
	}
	_ = persistence.Batch{}
}
