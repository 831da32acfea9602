//go:build !race

// Two protoactor nodes in one process cannot pass the race detector:
// protoactor's remote.Start calls grpclog.SetLoggerV2, a plain write of a
// global that the first node's gRPC goroutines read. Under -race the same
// scenario runs with the second node in a child process
// (TestNodesAcrossProcesses).

package cluster

import (
	"fmt"
	"testing"
	"time"
)

func TestTwoNodesFailoverAndRejoin(t *testing.T) {
	a := startTestNode(t)
	b := startTestNode(t, a.Provider.GossipAddr())

	waitFor(t, 10*time.Second, "both nodes to see 2 members", func() bool { return sees(a, 2)() && sees(b, 2)() })

	ids := make([]string, 64)
	for i := range ids {
		ids[i] = fmt.Sprintf("user-%d", i)
	}

	// From A: grains land on both nodes; replies from B crossed the wire.
	hosts := echoAll(t, a, ids, 10*time.Second)
	perHost := countHosts(hosts)
	t.Logf("placement from A: %v", perHost)
	if perHost[a.Address()] == 0 || perHost[b.Address()] == 0 || len(perHost) != 2 {
		t.Fatalf("placement %v: want grains on both %s and %s", perHost, a.Address(), b.Address())
	}
	// From B: same placement (disthash agrees on both nodes).
	fromB := echoAll(t, b, ids, 10*time.Second)
	for id, h := range hosts {
		if fromB[id] != h {
			t.Fatalf("identity %s on %s seen from A, on %s seen from B", id, h, fromB[id])
		}
	}

	// B leaves gracefully: A drops it at once and re-activates B's grains.
	bGossip, bAddr := b.Provider.GossipAddr(), b.Address()
	stopTestNode(t, b, true)
	assertPortsFree(t, bGossip, bAddr)
	waitFor(t, 5*time.Second, "A to see 1 member after B left", sees(a, 1))
	hosts = echoAll(t, a, ids, 15*time.Second)
	if perHost := countHosts(hosts); perHost[a.Address()] != len(ids) {
		t.Fatalf("after B left, placement %v: want all on %s", perHost, a.Address())
	}

	// B comes back: a new process start, so a new id, seeded with A.
	b2 := startTestNode(t, a.Provider.GossipAddr())
	if b2.ID() == b.ID() {
		t.Fatalf("restarted node reused id %s", b.ID())
	}
	waitFor(t, 10*time.Second, "both nodes to see 2 members after rejoin", func() bool { return sees(a, 2)() && sees(b2, 2)() })
	hosts = echoAll(t, a, ids, 15*time.Second)
	perHost = countHosts(hosts)
	t.Logf("placement after rejoin: %v", perHost)
	if perHost[b2.Address()] == 0 || perHost[a.Address()] == 0 {
		t.Fatalf("after rejoin, placement %v: want grains on both nodes", perHost)
	}

	// A crashes (no leave): B2 drops it after failure detection and takes
	// over every grain.
	stopTestNode(t, a, false)
	waitFor(t, 10*time.Second, "B2 to see 1 member after A crashed", sees(b2, 1))
	hosts = echoAll(t, b2, ids, 15*time.Second)
	if perHost := countHosts(hosts); perHost[b2.Address()] != len(ids) {
		t.Fatalf("after A crashed, placement %v: want all on %s", perHost, b2.Address())
	}
	stopTestNode(t, b2, true)
}

// A cluster client learns the topology by gossip, calls grains on the
// members and is itself no member.
func TestClientNode(t *testing.T) {
	a := startTestNode(t)
	cfg := testNodeConfig(a.Provider.GossipAddr())
	cfg.Kinds = nil
	cfg.Client = true
	start := time.Now()
	c, err := StartNode(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("client started in %v", time.Since(start).Round(time.Millisecond))
	defer c.Stop(false)

	waitFor(t, 10*time.Second, "client to see the member", sees(c, 1))
	if m := c.Provider.Members(); m[0].ID != a.ID() {
		t.Fatalf("client sees %+v", m)
	}
	for i := range 10 {
		id := fmt.Sprintf("c-%d", i)
		if h, err := echo(c, id); err != nil || h != a.Address() {
			t.Fatalf("echo %s from client: %q, %v", id, h, err)
		}
	}
	if !sees(a, 1)() {
		t.Fatalf("member sees %+v: the client must not be a member", a.Provider.Members())
	}
	stopTestNode(t, c, true)
}
