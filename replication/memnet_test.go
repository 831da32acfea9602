package replication

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qunchat/qun/persistence"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// memNet is an in-memory network of transports: messages are marshalled
// and unmarshalled as on the wire, and delivered synchronously into the
// receiver's queue. Stores can be cut off (partitioned) both ways.
type memNet struct {
	mu    sync.Mutex
	nodes map[uint64]Handler
	cut   map[uint64]bool
}

func newMemNet() *memNet { return &memNet{nodes: map[uint64]Handler{}, cut: map[uint64]bool{}} }

func (m *memNet) transport(id uint64) *memTransport { return &memTransport{net: m, id: id} }

func (m *memNet) setCut(id uint64, cut bool) {
	m.mu.Lock()
	m.cut[id] = cut
	m.mu.Unlock()
}

func (m *memNet) target(from, to uint64) Handler {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cut[from] || m.cut[to] {
		return nil
	}
	return m.nodes[to]
}

type memTransport struct {
	net *memNet
	id  uint64
}

func (t *memTransport) Start(h Handler) error {
	t.net.mu.Lock()
	t.net.nodes[t.id] = h
	t.net.mu.Unlock()
	return nil
}

func cloneMsg(m *pb.Message) *pb.Message {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err)
	}
	out := &pb.Message{}
	if err := proto.Unmarshal(b, out); err != nil {
		panic(err)
	}
	return out
}

func (t *memTransport) Send(to uint64, envs []Envelope) {
	h := t.net.target(t.id, to)
	if h == nil {
		if self := t.net.target(t.id, t.id); self != nil {
			self.Unreachable(to)
		}
		return
	}
	out := make([]Envelope, len(envs))
	for i, e := range envs {
		out[i] = Envelope{Shard: e.Shard, Msg: cloneMsg(e.Msg)}
	}
	h.HandleMessages(t.id, out)
}

func (t *memTransport) SendSnapshot(ctx context.Context, to uint64, shard uint32, msg *pb.Message, each func(yield func(k, v []byte) error) error) error {
	h := t.net.target(t.id, to)
	if h == nil {
		return fmt.Errorf("store %d unreachable", to)
	}
	var kvs []KV
	if err := each(func(k, v []byte) error {
		kvs = append(kvs, KV{Key: append([]byte(nil), k...), Value: append([]byte(nil), v...)})
		return ctx.Err()
	}); err != nil {
		return err
	}
	h.HandleSnapshot(t.id, shard, cloneMsg(msg), kvs)
	return nil
}

func (t *memTransport) Close() error {
	t.net.mu.Lock()
	delete(t.net.nodes, t.id)
	t.net.mu.Unlock()
	return nil
}

// testNode is one node of a test cluster.
type testNode struct {
	id    uint64
	dir   string
	store *persistence.PebbleStore
	node  *Node
	lis   *recListener
	dead  atomic.Bool // closed: node and store stay set (reads are safe) but unused
}

// recListener records leadership notifications.
type recListener struct {
	mu     sync.Mutex
	ready  map[uint32]uint64
	lost   []uint32
	events int
}

func (l *recListener) LeaderReady(shard uint32, term uint64) {
	l.mu.Lock()
	l.ready[shard] = term
	l.events++
	l.mu.Unlock()
}

func (l *recListener) LeaderLost(shard uint32, term uint64) {
	l.mu.Lock()
	delete(l.ready, shard)
	l.lost = append(l.lost, shard)
	l.events++
	l.mu.Unlock()
}

func (l *recListener) readyTerm(shard uint32) (uint64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.ready[shard]
	return t, ok
}

func testConfig(id uint64, peers []uint64) Config {
	c := DefaultConfig()
	c.StoreID = id
	c.Peers = peers
	c.Shards = 4
	c.TickInterval = 0
	return c
}

func openNode(t testing.TB, dir string, cfg Config, tr Transport) *testNode {
	t.Helper()
	st, err := persistence.OpenPebble(dir, persistence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	lis := &recListener{ready: map[uint32]uint64{}}
	n, err := New(cfg, Deps{Store: st, Applier: NewStoreApplier(st), Transport: tr, Listener: lis})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	return &testNode{id: cfg.StoreID, dir: dir, store: st, node: n, lis: lis}
}

func (tn *testNode) close(t testing.TB) {
	t.Helper()
	if tn.dead.Swap(true) {
		return
	}
	if err := tn.node.Close(); err != nil {
		t.Error(err)
	}
	if err := tn.store.Close(); err != nil {
		t.Error(err)
	}
}

// memCluster starts n nodes (store ids 1..n) on a memNet.
func memCluster(t testing.TB, n int, tweak func(*Config)) (*memNet, []*testNode) {
	t.Helper()
	net := newMemNet()
	var peers []uint64
	for i := 1; i <= n; i++ {
		peers = append(peers, uint64(i))
	}
	nodes := make([]*testNode, n)
	for i := range nodes {
		cfg := testConfig(uint64(i+1), peers)
		if tweak != nil {
			tweak(&cfg)
		}
		nodes[i] = openNode(t, t.TempDir(), cfg, net.transport(uint64(i+1)))
	}
	t.Cleanup(func() {
		for _, tn := range nodes {
			tn.close(t)
		}
	})
	return net, nodes
}

// waitFor ticks the given nodes and polls cond until it holds, failing
// after maxTicks ticks or 10 s.
func waitFor(t testing.TB, nodes []*testNode, maxTicks int, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; ; i++ {
		if cond() {
			return
		}
		if i >= maxTicks || time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		for _, tn := range nodes {
			if !tn.dead.Load() {
				tn.node.Tick()
			}
		}
		// Let the loops run this tick's work: poll, bounded.
		for j := 0; j < 20 && !cond(); j++ {
			time.Sleep(time.Millisecond)
		}
	}
}

// leaderOf returns the node whose replica of shard is a ready leader.
func leaderOf(nodes []*testNode, shard uint32) *testNode {
	for _, tn := range nodes {
		if !tn.dead.Load() && tn.node.Leader(shard).Ready {
			return tn
		}
	}
	return nil
}

func awaitLeader(t testing.TB, nodes []*testNode, shard uint32) *testNode {
	t.Helper()
	var l *testNode
	waitFor(t, nodes, 200, fmt.Sprintf("a leader of shard %d", shard), func() bool {
		l = leaderOf(nodes, shard)
		return l != nil
	})
	return l
}

// commit proposes b on tn's replica of shard at its current epoch and
// waits for the outcome.
func commit(t testing.TB, tn *testNode, shard uint32, b *persistence.Batch) error {
	t.Helper()
	return commitAt(t, tn, shard, tn.node.Leader(shard).Term, b)
}

func commitAt(t testing.TB, tn *testNode, shard uint32, epoch uint64, b *persistence.Batch) error {
	t.Helper()
	ch := make(chan error, 1)
	tn.node.StoreFor(shard, epoch).Commit(b, func(err error) { ch <- err })
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("commit outcome not reported within 10 s")
		return nil
	}
}

// commitPlain proposes b as a plain batch (EncodeBatch: no fence, the
// events must continue each stream exactly) and waits for the outcome.
func commitPlain(t testing.TB, tn *testNode, shard uint32, b *persistence.Batch) error {
	t.Helper()
	data, err := EncodeBatch(b)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan error, 1)
	tn.node.Propose(shard, tn.node.Leader(shard).Term, data, func(err error) { ch <- err })
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("commit outcome not reported within 10 s")
		return nil
	}
}

func events(stream string, from, to uint64) *persistence.Batch {
	b := &persistence.Batch{}
	for s := from; s <= to; s++ {
		b.Events = append(b.Events, persistence.Event{Stream: stream, Seq: s, Data: fmt.Appendf(nil, "%s#%d", stream, s)})
	}
	return b
}

// journal returns the seqs of stream in tn's store.
func journal(t testing.TB, st persistence.Store, stream string) []uint64 {
	t.Helper()
	var seqs []uint64
	if err := st.ReadRange(stream, 1, ^uint64(0), 0, func(e persistence.Event) bool {
		if string(e.Data) != fmt.Sprintf("%s#%d", stream, e.Seq) {
			t.Errorf("stream %s seq %d has data %q", stream, e.Seq, e.Data)
		}
		seqs = append(seqs, e.Seq)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	return seqs
}

func contiguous(seqs []uint64, n uint64) bool {
	if uint64(len(seqs)) != n {
		return false
	}
	for i, s := range seqs {
		if s != uint64(i+1) {
			return false
		}
	}
	return true
}
