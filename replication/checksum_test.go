package replication

import (
	"context"
	"testing"

	"github.com/qunchat/qun/persistence"
)

// sumOf returns tn's checksum of shard.
func sumOf(t *testing.T, tn *testNode, shard uint32) ShardChecksum {
	t.Helper()
	sums, err := tn.node.Checksums(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sums {
		if s.Shard == shard {
			return s
		}
	}
	t.Fatalf("store %d has no replica of shard %d", tn.id, shard)
	return ShardChecksum{}
}

// TestChecksumsAgreeAcrossReplicas: replicas at one applied index digest
// the same data to the same sum; a write behind raft's back on one replica
// (a divergence) changes its sum at the same applied index.
func TestChecksumsAgreeAcrossReplicas(t *testing.T) {
	_, nodes := memCluster(t, 3, nil)
	shard := ShardOf(testStream, 4)
	l := awaitLeader(t, nodes, shard)
	for s := uint64(1); s <= 10; s += 2 {
		if err := commit(t, l, shard, events(testStream, s, s+1)); err != nil {
			t.Fatal(err)
		}
	}
	var sums []ShardChecksum
	waitFor(t, nodes, 50, "every replica at one applied index", func() bool {
		sums = sums[:0]
		for _, tn := range nodes {
			sums = append(sums, sumOf(t, tn, shard))
		}
		return sums[1].Applied == sums[0].Applied && sums[2].Applied == sums[0].Applied
	})
	for _, s := range sums[1:] {
		if s != sums[0] {
			t.Fatalf("replicas differ at one applied index: %+v", sums)
		}
	}
	if sums[0].Keys < 10 || sums[0].Sum == 0 {
		t.Fatalf("digest of 10 events: %+v", sums[0])
	}
	// Another shard digests other data.
	other := (shard + 1) % 4
	if s := sumOf(t, l, other); s.Sum == sums[0].Sum {
		t.Fatalf("shards %d and %d digest alike: %+v", shard, other, s)
	}

	f := others(nodes, l)[0]
	if err := persistence.CommitSync(f.store, events(testStream, 11, 11)); err != nil {
		t.Fatal(err)
	}
	after := sumOf(t, f, shard)
	if after.Applied != sums[0].Applied || after.Sum == sums[0].Sum || after.Keys != sums[0].Keys+1 {
		t.Fatalf("a write outside raft went unnoticed: before %+v, after %+v", sums[0], after)
	}
}
