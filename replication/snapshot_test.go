package replication

import (
	"testing"

	"github.com/qunchat/qun/persistence"
)

// logKeys counts shard's raft log entries in tn's Pebble.
func logKeys(t testing.TB, tn *testNode, shard uint32) (n int, first uint64) {
	t.Helper()
	lo, hi := logBounds(shard, 0, ^uint64(0))
	if err := tn.store.RawScan(lo, hi, func(k, _ []byte) bool {
		if n == 0 {
			first = decodeIndexKey(k)
		}
		n++
		return true
	}); err != nil {
		t.Fatal(err)
	}
	return n, first
}

func decodeIndexKey(k []byte) uint64 {
	var v uint64
	for _, b := range k[len(k)-8:] {
		v = v<<8 | uint64(b)
	}
	return v
}

func TestLogTruncation(t *testing.T) {
	net, nodes := memCluster(t, 3, func(c *Config) { c.TruncateEvery, c.TruncateMinEntries = 1, 1 })
	shard := ShardOf(testStream, 4)
	l := awaitLeader(t, nodes, shard)
	for s := uint64(1); s <= 40; s++ {
		if err := commit(t, l, shard, events(testStream, s, s)); err != nil {
			t.Fatal(err)
		}
	}
	// Every replica applied everything, so every replica's log gets cut to
	// its last few entries, in Pebble and in raft's view.
	waitFor(t, nodes, 100, "the log to be truncated on every replica", func() bool {
		for _, tn := range nodes {
			n, first := logKeys(t, tn, shard)
			if n > 5 || first < 30 || !contiguous(journal(t, tn.store, testStream), 40) {
				return false
			}
		}
		return true
	})
	for _, tn := range nodes {
		if got := journal(t, tn.store, testStream); !contiguous(got, 40) {
			t.Fatalf("store %d journal %v", tn.id, got)
		}
	}
	// Restart a follower on its truncated log: it loads and keeps up.
	var fi int
	for i, tn := range nodes {
		if tn != l {
			fi = i
		}
	}
	f := nodes[fi]
	dir, cfg := f.dir, f.node.cfg
	f.close(t)
	nodes[fi] = openNode(t, dir, cfg, net.transport(cfg.StoreID))
	if err := commit(t, l, shard, events(testStream, 41, 42)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, nodes, 100, "the restarted follower to catch up", func() bool {
		return contiguous(journal(t, nodes[fi].store, testStream), 42)
	})
}

// A replica whose disk was wiped comes back under a new store id; the
// leader swaps it in with a conf change, and since the log was truncated
// the new replica gets the shard's data as a streamed snapshot, then
// follows the log.
func TestSnapshotCatchUpWipedReplica(t *testing.T) {
	net, nodes := memCluster(t, 3, func(c *Config) {
		c.TruncateEvery, c.TruncateMinEntries, c.MaxLogEntries = 1, 1, 6
		c.SnapshotChunkBytes = 1024
	})
	shard := ShardOf(testStream, 4)
	l := awaitLeader(t, nodes, shard)
	for s := uint64(1); s <= 30; s += 3 {
		b := events(testStream, s, s+2)
		b.Puts = []persistence.KV{{Key: "ga/room/k", Value: []byte{byte(s)}}}
		if err := commit(t, l, shard, b); err != nil {
			t.Fatal(err)
		}
	}
	var vi int
	for i, tn := range nodes {
		if tn != l {
			vi = i
		}
	}
	victim := nodes[vi]
	oldID := victim.id
	vn, vfirst := logKeys(t, victim, shard)
	victimLast := vfirst + uint64(vn) - 1
	victim.close(t)
	// Keep writing while it is gone; the log grows past MaxLogEntries and
	// is truncated past everything the dead replica had.
	for s := uint64(31); s <= 40; s++ {
		if err := commit(t, l, shard, events(testStream, s, s)); err != nil {
			t.Fatal(err)
		}
	}
	live := others(nodes, victim)
	waitFor(t, live, 100, "truncation past the dead replica", func() bool {
		_, first := logKeys(t, l, shard)
		return first > victimLast+1
	})
	// The wiped node returns with a new store id and joins (no peers).
	cfg := testConfig(4, nil)
	cfg.TruncateEvery, cfg.TruncateMinEntries, cfg.MaxLogEntries = 1, 1, 6
	nodes[vi] = openNode(t, t.TempDir(), cfg, net.transport(4))
	fresh := nodes[vi]
	errc := make(chan error, 1)
	l.node.ChangeReplicas(shard, []uint64{4}, []uint64{oldID}, func(err error) { errc <- err })
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	waitFor(t, nodes, 300, "the new replica to receive the snapshot", func() bool {
		return contiguous(journal(t, fresh.store, testStream), 40)
	})
	if v, ok, _ := fresh.store.Get("ga/room/k"); !ok || v[0] != 28 {
		t.Fatalf("snapshot lacks the KV state: %v %v", v, ok)
	}
	if err := commit(t, l, shard, events(testStream, 41, 41)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, nodes, 100, "the new replica to follow the log", func() bool {
		return contiguous(journal(t, fresh.store, testStream), 41)
	})
	// The new replica counts in the quorum: with the other old replica cut
	// off, the leader still commits.
	for _, tn := range nodes {
		if tn != l && tn != fresh {
			net.setCut(tn.id, true)
		}
	}
	if err := commit(t, l, shard, events(testStream, 42, 42)); err != nil {
		t.Fatal(err)
	}
	// And the new replica can take over as leader with everything.
	l.node.TransferLeader(shard, 4)
	waitFor(t, nodes, 200, "the new replica to lead", func() bool { return fresh.node.Leader(shard).Ready })
	if err := commit(t, fresh, shard, events(testStream, 43, 43)); err != nil {
		t.Fatal(err)
	}
	if got := journal(t, fresh.store, testStream); !contiguous(got, 43) {
		t.Fatalf("journal on the new replica %v", got)
	}
}
