package replication

import (
	"fmt"

	"github.com/qunchat/qun/persistence"
	"net"
	"sync"
	"testing"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

var testSecret = []byte("0123456789abcdef-cluster-secret")

// tcpCluster starts n nodes on real TCP on 127.0.0.1:0.
func tcpClusterWith(t *testing.T, n int, shards uint32, tweak func(*Config)) ([]*testNode, []*TCPTransport) {
	t.Helper()
	var peers []uint64
	trs := make([]*TCPTransport, n)
	for i := 0; i < n; i++ {
		peers = append(peers, uint64(i+1))
		tr, err := ListenTCP(TCPConfig{StoreID: uint64(i + 1), Listen: "127.0.0.1:0", Secret: testSecret, Shards: shards, SnapshotChunkBytes: 1024})
		if err != nil {
			t.Fatal(err)
		}
		trs[i] = tr
	}
	for _, tr := range trs {
		for j, other := range trs {
			tr.SetPeer(uint64(j+1), other.Addr())
		}
	}
	nodes := make([]*testNode, n)
	for i := range nodes {
		cfg := DefaultConfig()
		cfg.StoreID, cfg.Peers, cfg.Shards = uint64(i+1), peers, shards
		cfg.TickInterval = 50 * time.Millisecond
		if tweak != nil {
			tweak(&cfg)
		}
		nodes[i] = openNode(t, t.TempDir(), cfg, trs[i])
	}
	t.Cleanup(func() {
		for _, tn := range nodes {
			tn.close(t)
		}
	})
	return nodes, trs
}

func pollUntil(t *testing.T, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// writer keeps appending to one stream through whichever node leads its
// shard, continuing from the leader's applied last seq after a failure (as
// a reactivated grain does), and records every acknowledged seq.
type writer struct {
	stream string
	shard  uint32
	mu     sync.Mutex
	acked  []uint64
	ackAt  []time.Time
}

func (w *writer) run(t *testing.T, nodes func() []*testNode, stop chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		var l *testNode
		for _, tn := range nodes() {
			if !tn.dead.Load() && tn.node.Leader(w.shard).Ready {
				l = tn
				break
			}
		}
		if l == nil {
			time.Sleep(2 * time.Millisecond)
			continue
		}
		info := l.node.Leader(w.shard)
		rd := make(chan error, 1)
		l.node.ReadIndex(w.shard, func(err error) { rd <- err })
		if err := <-rd; err != nil {
			continue
		}
		last, err := l.store.LastSeq(w.stream)
		if err != nil {
			continue
		}
		ch := make(chan error, 1)
		l.node.StoreFor(w.shard, info.Term).Commit(events(w.stream, last+1, last+2), func(err error) { ch <- err })
		if err := <-ch; err == nil {
			w.mu.Lock()
			w.acked = append(w.acked, last+1, last+2)
			w.ackAt = append(w.ackAt, time.Now())
			w.mu.Unlock()
		}
	}
}

func TestTCPLeaderKillNoAckedLoss(t *testing.T) {
	const shards = 8
	// Production timing: 100 ms ticks, election after 10 ticks.
	nodes, _ := tcpClusterWith(t, 3, shards, func(c *Config) { c.TickInterval = DefaultConfig().TickInterval })
	var mu sync.Mutex
	live := func() []*testNode {
		mu.Lock()
		defer mu.Unlock()
		return append([]*testNode(nil), nodes...)
	}
	pollUntil(t, 10*time.Second, "a leader for every shard", func() bool {
		for s := uint32(0); s < shards; s++ {
			if leaderOf(nodes, s) == nil {
				return false
			}
		}
		return true
	})
	var ws []*writer
	for s := uint32(0); s < shards; s++ {
		ws = append(ws, &writer{stream: fmt.Sprintf("g/w%d", s), shard: s})
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func() { defer wg.Done(); w.run(t, live, stop) }()
	}
	acked := func() int {
		n := 0
		for _, w := range ws {
			w.mu.Lock()
			n += len(w.acked)
			w.mu.Unlock()
		}
		return n
	}
	pollUntil(t, 10*time.Second, "writes acknowledged", func() bool { return acked() > 200 })
	// Kill the node leading the most shards.
	count := map[*testNode]int{}
	for s := uint32(0); s < shards; s++ {
		if l := leaderOf(nodes, s); l != nil {
			count[l]++
		}
	}
	var victim *testNode
	for tn, c := range count {
		if victim == nil || c > count[victim] {
			victim = tn
		}
	}
	var orphaned []uint32
	for s := uint32(0); s < shards; s++ {
		if victim.node.Leader(s).Local {
			orphaned = append(orphaned, s)
		}
	}
	kill := time.Now()
	mu.Lock()
	victim.close(t)
	mu.Unlock()
	// Every orphaned shard elects a new leader and acknowledges a write.
	var worst time.Duration
	for _, s := range orphaned {
		w := ws[s]
		pollUntil(t, 10*time.Second, fmt.Sprintf("shard %d writable again", s), func() bool {
			w.mu.Lock()
			defer w.mu.Unlock()
			return len(w.ackAt) > 0 && w.ackAt[len(w.ackAt)-1].After(kill)
		})
		w.mu.Lock()
		for _, at := range w.ackAt {
			if at.After(kill) {
				worst = max(worst, at.Sub(kill))
				break
			}
		}
		w.mu.Unlock()
	}
	t.Logf("killed store %d leading %d of %d shards; the last orphaned shard acknowledged a new write %v after the kill", victim.id, len(orphaned), shards, worst.Round(time.Millisecond))
	close(stop)
	wg.Wait()
	// No acknowledged entry is lost on any survivor, and seqs are contiguous.
	for _, tn := range nodes {
		if tn == victim {
			continue
		}
		for _, w := range ws {
			w.mu.Lock()
			want := uint64(0)
			for _, s := range w.acked {
				want = max(want, s)
			}
			w.mu.Unlock()
			pollUntil(t, 10*time.Second, "survivors to apply every acked write", func() bool {
				seqs := journal(t, tn.store, w.stream)
				return len(seqs) > 0 && seqs[len(seqs)-1] >= want
			})
			seqs := journal(t, tn.store, w.stream)
			for i, s := range seqs {
				if s != uint64(i+1) {
					t.Fatalf("store %d stream %s: seqs not contiguous at %d: %v", tn.id, w.stream, i, s)
				}
			}
		}
	}
	t.Logf("%d acknowledged events, none lost", acked())
}

// A peer without the cluster secret is refused before any raft message is
// accepted, in both directions.
func TestTCPRefusesPeerWithoutSecret(t *testing.T) {
	rec := &recHandler{}
	good, err := ListenTCP(TCPConfig{StoreID: 1, Listen: "127.0.0.1:0", Secret: testSecret, Shards: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := good.Start(rec); err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	bad, err := ListenTCP(TCPConfig{StoreID: 2, Listen: "127.0.0.1:0", Secret: []byte("another-secret-of-16+bytes"), Shards: 4})
	if err != nil {
		t.Fatal(err)
	}
	badRec := &recHandler{}
	if err := bad.Start(badRec); err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	bad.SetPeer(1, good.Addr())
	good.SetPeer(2, bad.Addr())
	msg := &pb.Message{Type: pb.MsgHeartbeat.Enum(), To: proto.Uint64(1), From: proto.Uint64(2), Term: proto.Uint64(5)}
	// The impostor's sends fail: it reports the peer unreachable.
	pollUntil(t, 5*time.Second, "the impostor to be refused", func() bool {
		bad.Send(1, []Envelope{{Shard: 0, Msg: msg}})
		return badRec.unreachableCount() > 0
	})
	// And the honest node refuses to talk to it.
	pollUntil(t, 5*time.Second, "the honest node to refuse the impostor", func() bool {
		good.Send(2, []Envelope{{Shard: 0, Msg: msg}})
		return rec.unreachableCount() > 0
	})
	// A raw client that skips the proof gets nothing delivered either.
	c, err := net.Dial("tcp", good.Addr())
	if err != nil {
		t.Fatal(err)
	}
	hello := append([]byte(handshakeMagic), connMessages, 0, 0, 0, 0, 0, 0, 0, 2)
	hello = append(hello, make([]byte, nonceLen)...)
	c.Write(hello)
	reply := make([]byte, 8+nonceLen+macLen)
	if _, err := c.Read(reply); err != nil {
		t.Fatal(err)
	}
	c.Write(make([]byte, macLen)) // a wrong proof
	frame := appendFrame(nil, func(b []byte) []byte {
		b, _ = appendMessages(b, []Envelope{{Shard: 0, Msg: msg}})
		return b
	})
	c.Write(frame)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(reply); err == nil {
		t.Fatal("connection with a wrong proof was not closed")
	}
	c.Close()
	if good.Stats().Refused == 0 || bad.Stats().Refused == 0 {
		t.Fatalf("refusals not counted: %+v %+v", good.Stats(), bad.Stats())
	}
	if n := rec.messageCount(); n != 0 {
		t.Fatalf("%d raft messages accepted from unauthenticated peers", n)
	}
	// With the right secret the same message is delivered.
	peer, err := ListenTCP(TCPConfig{StoreID: 3, Listen: "127.0.0.1:0", Secret: testSecret, Shards: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := peer.Start(&recHandler{}); err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	peer.SetPeer(1, good.Addr())
	pollUntil(t, 5*time.Second, "the authenticated message", func() bool {
		peer.Send(1, []Envelope{{Shard: 0, Msg: msg}})
		return rec.messageCount() > 0
	})
}

type recHandler struct {
	mu          sync.Mutex
	msgs        int
	unreachable int
}

func (h *recHandler) HandleMessages(from uint64, envs []Envelope) {
	h.mu.Lock()
	h.msgs += len(envs)
	h.mu.Unlock()
}
func (h *recHandler) HandleSnapshot(uint64, uint32, *pb.Message, []KV) {}
func (h *recHandler) Unreachable(uint64) {
	h.mu.Lock()
	h.unreachable++
	h.mu.Unlock()
}
func (h *recHandler) messageCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.msgs
}
func (h *recHandler) unreachableCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.unreachable
}

// Over real TCP: a node restarted on its data dir rejoins and catches up
// from the log; a node whose disk was wiped rejoins under a new store id
// and gets the shard's data as a snapshot streamed in many chunks.
func TestTCPRestartAndWipedRejoin(t *testing.T) {
	const shards = 2
	tweak := func(c *Config) { c.TruncateEvery, c.TruncateMinEntries, c.MaxLogEntries = 1, 1, 8 }
	nodes, trs := tcpClusterWith(t, 3, shards, tweak)
	var shard uint32
	stream := "g/tcp"
	for ShardOf(stream, shards) != shard {
		stream += "x"
	}
	var l *testNode
	pollUntil(t, 10*time.Second, "a leader", func() bool { l = leaderOf(nodes, shard); return l != nil })
	write := func(from, to uint64) {
		t.Helper()
		for s := from; s <= to; s++ {
			b := events(stream, s, s)
			b.Puts = []persistence.KV{{Key: fmt.Sprintf("ga/tcp/%d", s), Value: make([]byte, 300)}}
			if err := commit(t, l, shard, b); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(1, 20)
	// Restart a follower on the same dir, at a new address.
	var fi int
	for i, tn := range nodes {
		if tn != l {
			fi = i
		}
	}
	f := nodes[fi]
	dir, cfg := f.dir, f.node.cfg
	f.close(t)
	write(21, 30)
	tr, err := ListenTCP(TCPConfig{StoreID: cfg.StoreID, Listen: "127.0.0.1:0", Secret: testSecret, Shards: shards})
	if err != nil {
		t.Fatal(err)
	}
	for j, other := range trs {
		if j != fi {
			tr.SetPeer(uint64(j+1), other.Addr())
			other.SetPeer(cfg.StoreID, tr.Addr())
		}
	}
	trs[fi] = tr
	nodes[fi] = openNode(t, dir, cfg, tr)
	pollUntil(t, 10*time.Second, "the restarted node to catch up", func() bool {
		return contiguous(journal(t, nodes[fi].store, stream), 30)
	})
	// Wipe the other follower: it comes back empty as store 4.
	var wi int
	for i, tn := range nodes {
		if tn != l && i != fi {
			wi = i
		}
	}
	oldID := nodes[wi].id
	nodes[wi].close(t)
	write(31, 50) // past MaxLogEntries: the log is truncated past the wiped node
	tr4, err := ListenTCP(TCPConfig{StoreID: 4, Listen: "127.0.0.1:0", Secret: testSecret, Shards: shards, SnapshotChunkBytes: 1024})
	if err != nil {
		t.Fatal(err)
	}
	for j, other := range trs {
		if j != wi {
			tr4.SetPeer(uint64(j+1), other.Addr())
			other.SetPeer(4, tr4.Addr())
		}
	}
	c4 := DefaultConfig()
	c4.StoreID, c4.Shards, c4.TickInterval = 4, shards, 50*time.Millisecond
	tweak(&c4)
	nodes[wi] = openNode(t, t.TempDir(), c4, tr4)
	errc := make(chan error, 1)
	l.node.ChangeReplicas(shard, []uint64{4}, []uint64{oldID}, func(err error) { errc <- err })
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	pollUntil(t, 15*time.Second, "the wiped node to get the snapshot", func() bool {
		return contiguous(journal(t, nodes[wi].store, stream), 50)
	})
	for s := 1; s <= 50; s++ {
		if _, ok, _ := nodes[wi].store.Get(fmt.Sprintf("ga/tcp/%d", s)); !ok {
			t.Fatalf("KV %d missing on the wiped node", s)
		}
	}
	var chunks uint64
	for _, other := range trs {
		chunks += other.Stats().SnapshotChunks
	}
	if chunks < 5 {
		t.Fatalf("snapshot sent in %d chunks, want many 1 KiB chunks", chunks)
	}
	write(51, 51)
	pollUntil(t, 10*time.Second, "every replica to apply 51", func() bool {
		for _, tn := range nodes {
			if !contiguous(journal(t, tn.store, stream), 51) {
				return false
			}
		}
		return true
	})
}
