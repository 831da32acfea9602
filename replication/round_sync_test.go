package replication

import (
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/qunchat/qun/persistence"
)

// TestLoneReplicaOneFsyncPerAck: on a lone replica (R = 1) a proposal is
// acknowledged after one fsync (its log append); its apply is written in
// the same loop pass without one. A crash that loses every unsynced write
// after the acks loses no acknowledged entry: the restarted replica
// re-applies them from its synced log.
func TestLoneReplicaOneFsyncPerAck(t *testing.T) {
	const k = 40
	mem := vfs.NewCrashableMem()
	open := func(fs vfs.FS) *testNode {
		st, err := persistence.OpenPebble("db", persistence.Options{FS: fs})
		if err != nil {
			t.Fatal(err)
		}
		lis := &recListener{ready: map[uint32]uint64{}}
		n, err := New(testConfig(1, []uint64{1}), Deps{Store: st, Applier: NewStoreApplier(st), Transport: newMemNet().transport(1), Listener: lis})
		if err != nil {
			st.Close()
			t.Fatal(err)
		}
		tn := &testNode{id: 1, store: st, node: n, lis: lis}
		t.Cleanup(func() { tn.close(t) })
		return tn
	}
	tn := open(mem)
	awaitLeader(t, []*testNode{tn}, 0)
	before := tn.store.Stats().Fsyncs
	for s := uint64(1); s <= k; s++ {
		if err := commit(t, tn, 0, events("g/a", s, s)); err != nil {
			t.Fatalf("seq %d: %v", s, err)
		}
	}
	// One fsync per ack, plus at most a few for truncation proposals
	// (every TruncateEvery rounds); the former loop took two per ack.
	if d := tn.store.Stats().Fsyncs - before; d < k || d > k+k/4 {
		t.Fatalf("%d fsyncs for %d sequential acks, want about one each", d, k)
	}
	if got := journal(t, tn.store, "g/a"); !contiguous(got, k) {
		t.Fatalf("before the crash: seqs %v", got)
	}
	crashed := mem.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0})
	tn.close(t)

	again := open(crashed)
	awaitLeader(t, []*testNode{again}, 0)
	if got := journal(t, again.store, "g/a"); !contiguous(got, k) {
		t.Fatalf("after a crash losing unsynced writes: seqs %v, want 1..%d", got, k)
	}
	// The stream continues where the acks left it.
	if err := commit(t, again, 0, events("g/a", k+1, k+1)); err != nil {
		t.Fatal(err)
	}
}
