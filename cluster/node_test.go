package cluster

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/hashicorp/memberlist"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

const echoKind = "echo"

// echoGrain answers a *wrapperspb.StringValue with
// "<node remote address>|<identity>|<request>", so a test can tell which node
// the grain lives on. StringValue is protobuf, so it crosses nodes.
type echoGrain struct{ identity string }

func (g *echoGrain) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *pcluster.ClusterInit:
		g.identity = msg.Identity.Identity
	case *wrapperspb.StringValue:
		ctx.Respond(wrapperspb.String(ctx.ActorSystem().Address() + "|" + g.identity + "|" + msg.Value))
	}
}

func echoKindDef() *pcluster.Kind {
	return pcluster.NewKind(echoKind, actor.PropsFromProducer(func() actor.Actor { return &echoGrain{} }))
}

func testLogger() *slog.Logger {
	if os.Getenv("QUN_CLUSTER_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return nil
}

// fastGossip detects failures within about a second on loopback.
func fastGossip(seeds ...string) Config {
	return Config{
		Seeds:            seeds,
		GossipInterval:   20 * time.Millisecond,
		ProbeInterval:    100 * time.Millisecond,
		ProbeTimeout:     50 * time.Millisecond,
		SuspicionMult:    2,
		PushPullInterval: time.Second,
	}
}

func testNodeConfig(seeds ...string) NodeConfig {
	cfg := DefaultNodeConfig()
	cfg.Gossip = fastGossip(seeds...)
	cfg.Kinds = []*pcluster.Kind{echoKindDef()}
	cfg.RequestTimeout = time.Second
	cfg.Logger = testLogger()
	cfg.ProtoActorLogLevel = slog.LevelInfo
	return cfg
}

func startTestNode(t *testing.T, seeds ...string) *Node {
	t.Helper()
	start := time.Now()
	n, err := StartNode(testNodeConfig(seeds...))
	if err != nil {
		t.Fatalf("StartNode: %v", err)
	}
	t.Logf("node %s started in %v: remote %s gossip %s", n.ID(), time.Since(start).Round(time.Millisecond), n.Address(), n.Provider.GossipAddr())
	t.Cleanup(func() { _ = n.Stop(false) })
	return n
}

func stopTestNode(t *testing.T, n *Node, graceful bool) {
	t.Helper()
	start := time.Now()
	if err := n.Stop(graceful); err != nil {
		t.Errorf("Stop(%v): %v", graceful, err)
	}
	t.Logf("node %s stopped (graceful=%v) in %v", n.ID(), graceful, time.Since(start).Round(time.Millisecond))
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// echo requests identity from n and returns the address of the node that
// hosts the grain.
func echo(n *Node, identity string) (string, error) {
	res, err := n.Cluster.Request(identity, echoKind, wrapperspb.String("ping-"+identity))
	if err != nil {
		return "", err
	}
	sv, ok := res.(*wrapperspb.StringValue)
	if !ok {
		return "", fmt.Errorf("reply %T, want *wrapperspb.StringValue", res)
	}
	parts := strings.Split(sv.Value, "|")
	if len(parts) != 3 || parts[1] != identity || parts[2] != "ping-"+identity {
		return "", fmt.Errorf("unexpected reply %q", sv.Value)
	}
	return parts[0], nil
}

// echoAll requests every identity from n until each has answered (retrying
// failures until the deadline) and returns identity -> hosting node address.
func echoAll(t *testing.T, n *Node, ids []string, timeout time.Duration) map[string]string {
	t.Helper()
	hosts := make(map[string]string, len(ids))
	deadline := time.Now().Add(timeout)
	var lastErr error
	for len(hosts) < len(ids) {
		for _, id := range ids {
			if _, ok := hosts[id]; ok {
				continue
			}
			if h, err := echo(n, id); err == nil {
				hosts[id] = h
			} else {
				lastErr = err
			}
		}
		if len(hosts) < len(ids) && time.Now().After(deadline) {
			t.Fatalf("only %d of %d identities answered within %v; last error: %v", len(hosts), len(ids), timeout, lastErr)
		}
	}
	return hosts
}

func countHosts(hosts map[string]string) map[string]int {
	c := map[string]int{}
	for _, h := range hosts {
		c[h]++
	}
	return c
}

// sees reports whether n's provider and protoactor both see want members.
func sees(n *Node, want int) func() bool {
	return func() bool {
		return len(n.Provider.Members()) == want && len(n.MemberIDs()) == want
	}
}

// assertPortsFree checks that the gossip (TCP and UDP) and remote ports of a
// stopped node can be bound again.
func assertPortsFree(t *testing.T, gossipAddr, remoteAddr string) {
	t.Helper()
	l, err := net.Listen("tcp", gossipAddr)
	if err != nil {
		t.Errorf("gossip TCP port still taken: %v", err)
	} else {
		l.Close()
	}
	u, err := net.ListenPacket("udp", gossipAddr)
	if err != nil {
		t.Errorf("gossip UDP port still taken: %v", err)
	} else {
		u.Close()
	}
	l, err = net.Listen("tcp", remoteAddr)
	if err != nil {
		t.Errorf("remote port still taken: %v", err)
	} else {
		l.Close()
	}
}

func TestLoneNode(t *testing.T) {
	n := startTestNode(t)

	if _, port, err := net.SplitHostPort(n.Address()); err != nil || port == "0" {
		t.Fatalf("remote address %q has no real port (%v)", n.Address(), err)
	}
	gossip := n.Provider.GossipAddr()
	if _, port, err := net.SplitHostPort(gossip); err != nil || port == "0" {
		t.Fatalf("gossip address %q has no real port (%v)", gossip, err)
	}
	if n.Provider.NodeID() != n.ID() || n.ID() == "" {
		t.Fatalf("provider id %q, node id %q", n.Provider.NodeID(), n.ID())
	}

	members := n.Provider.Members()
	if len(members) != 1 || !members[0].Self || members[0].ID != n.ID() || members[0].Address() != n.Address() ||
		members[0].GossipAddr != gossip {
		t.Fatalf("members = %+v", members)
	}
	if ids := n.MemberIDs(); len(ids) != 1 || ids[0] != n.ID() {
		t.Fatalf("protoactor routes to %v", ids)
	}

	for i := range 20 {
		id := fmt.Sprintf("lone-%d", i)
		host, err := echo(n, id)
		if err != nil {
			t.Fatalf("request %s: %v", id, err)
		}
		if host != n.Address() {
			t.Fatalf("grain %s on %s, want %s", id, host, n.Address())
		}
	}

	remoteAddr := n.Address()
	stopTestNode(t, n, false)
	if err := n.Stop(false); err != nil { // idempotent
		t.Fatalf("second Stop: %v", err)
	}
	if err := n.Provider.Shutdown(true); err != nil {
		t.Fatalf("provider Shutdown after Stop: %v", err)
	}
	if m := n.Provider.Members(); len(m) != 0 {
		t.Fatalf("members after stop: %v", m)
	}
	assertPortsFree(t, gossip, remoteAddr)
}

// logCapture is a slog handler target whose text the test can search.
func logCapture(level slog.Level) (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: level})), buf
}

// rawMeta is a memberlist delegate gossiping fixed (possibly bad) metadata.
type rawMeta []byte

func (m rawMeta) NodeMeta(limit int) []byte                { return m }
func (rawMeta) NotifyMsg([]byte)                           {}
func (rawMeta) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (rawMeta) LocalState(join bool) []byte                { return nil }
func (rawMeta) MergeRemoteState(buf []byte, join bool)     {}

// startRawPeer joins a bare memberlist node (no protoactor) to seed.
func startRawPeer(t *testing.T, name, label string, meta []byte, seed string) *memberlist.Memberlist {
	t.Helper()
	c := memberlist.DefaultLocalConfig()
	c.Name = name
	c.Label = label
	c.BindAddr = "127.0.0.1"
	c.BindPort = 0
	c.AdvertisePort = 0
	c.Delegate = rawMeta(meta)
	c.Logger = newMemberlistLogger(discardLogger())
	c.TCPTimeout = 10 * time.Second // the join's push/pull, on a loaded machine
	c.GossipInterval = 20 * time.Millisecond
	c.ProbeInterval = 100 * time.Millisecond
	c.ProbeTimeout = 50 * time.Millisecond
	ml, err := memberlist.Create(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ml.Shutdown() })
	if _, err := ml.Join([]string{seed}); err != nil {
		t.Fatalf("raw peer %s join: %v", name, err)
	}
	return ml
}

// Peers gossiping bad metadata are skipped (and logged once); clients are
// not members; the node keeps serving.
func TestBadPeerMetadataIsSkipped(t *testing.T) {
	capture, logs := logCapture(slog.LevelWarn)
	cfg := testNodeConfig()
	cfg.Gossip.Logger = capture
	a, err := StartNode(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Stop(false) })
	seed := a.Provider.GossipAddr()

	huge := `{"v":1,"id":"p-huge","h":"127.0.0.1","p":1,"k":["` + strings.Repeat("x", 480) + `"]}`
	bad := map[string]string{
		"p-json":    `{not json`,
		"p-id":      `{"v":1,"id":"someone-else","h":"127.0.0.1","p":4000}`,
		"p-version": `{"v":2,"id":"p-version","h":"127.0.0.1","p":4000}`,
		"p-port":    `{"v":1,"id":"p-port","h":"127.0.0.1","p":70000}`,
		"p-empty":   ``,
		"p-huge":    huge[:min(len(huge), memberlist.MetaMaxSize)],
		"p-kinds":   `{"v":1,"id":"p-kinds","h":"127.0.0.1","p":4000,"k":["a","a"]}`,
	}
	for name, meta := range bad {
		startRawPeer(t, name, DefaultClusterName, []byte(meta), seed)
	}
	startRawPeer(t, "p-client", DefaultClusterName, []byte(`{"v":1,"id":"p-client","h":"127.0.0.1","p":4000,"c":true}`), seed)

	waitFor(t, 30*time.Second, "every bad peer to be logged", func() bool {
		out := logs.String()
		for name := range bad {
			if !strings.Contains(out, "peer="+name) {
				return false
			}
		}
		return true
	})
	waitFor(t, 30*time.Second, "a topology computed from all peers", func() bool {
		a.Provider.nodesMu.Lock()
		defer a.Provider.nodesMu.Unlock()
		return a.Provider.viewOf == 2+len(bad)
	})
	if m := a.Provider.Members(); len(m) != 1 || !m[0].Self {
		t.Fatalf("members = %+v, want only self", m)
	}
	if ids := a.MemberIDs(); len(ids) != 1 {
		t.Fatalf("protoactor routes to %v", ids)
	}
	if strings.Contains(logs.String(), "peer=p-client") {
		t.Fatalf("client peer was reported as bad:\n%s", logs.String())
	}
	if _, err := echo(a, "still-serving"); err != nil {
		t.Fatal(err)
	}

	// A node of another cluster (other memberlist label) cannot join.
	c := memberlist.DefaultLocalConfig()
	c.Name, c.Label, c.BindAddr, c.BindPort = "p-other", "other-cluster", "127.0.0.1", 0
	c.Logger = newMemberlistLogger(discardLogger())
	c.TCPTimeout = 500 * time.Millisecond
	other, err := memberlist.Create(c)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Shutdown()
	if _, err := other.Join([]string{seed}); err == nil {
		t.Fatal("a node with another cluster label joined")
	}
}

func TestStartNodeFailures(t *testing.T) {
	t.Run("invalid config", func(t *testing.T) {
		cfg := testNodeConfig()
		cfg.Kinds = append(cfg.Kinds, echoKindDef())
		if _, err := StartNode(cfg); err == nil || !strings.Contains(err.Error(), "twice") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("unreachable seed", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := l.Addr().String()
		l.Close() // nothing listens there now
		start := time.Now()
		n, err := StartNode(testNodeConfig(dead))
		if err == nil {
			_ = n.Stop(false)
			t.Fatal("StartNode joined a dead seed")
		}
		if !strings.Contains(err.Error(), "joining") {
			t.Fatalf("err = %v", err)
		}
		t.Logf("failed in %v: %v", time.Since(start).Round(time.Millisecond), err)
	})
	t.Run("remote port taken", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		cfg := testNodeConfig()
		cfg.RemotePort = l.Addr().(*net.TCPAddr).Port
		if n, err := StartNode(cfg); err == nil {
			_ = n.Stop(false)
			t.Fatal("StartNode listened on a taken port")
		} else if !strings.Contains(err.Error(), "listen") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestStartNodeFixedIDAndAdvertisedHost(t *testing.T) {
	cfg := testNodeConfig()
	cfg.Gossip.NodeID = "fixed-id-1"
	cfg.AdvertisedHost = "127.0.0.1"
	cfg.ClusterName = "qun-adv"
	n, err := StartNode(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop(false)
	if n.ID() != "fixed-id-1" || n.Provider.NodeID() != "fixed-id-1" {
		t.Fatalf("id %q / %q", n.ID(), n.Provider.NodeID())
	}
	host, port, err := net.SplitHostPort(n.Address())
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("address %q (%v)", n.Address(), err)
	}
	if h, err := echo(n, "adv"); err != nil || h != n.Address() {
		t.Fatalf("echo: %q, %v", h, err)
	}
}
