package cluster

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// childEnv makes the test binary run one cluster node (see childMain)
// instead of the tests; its value is the seed gossip address.
const childEnv = "QUN_CLUSTER_TEST_CHILD_SEED"

// childMain runs a node seeded with seed, prints
// "READY <id> <remote address> <gossip address>", and stops when told on
// stdin: "stop" = Stop(true), "crash-stop" = Stop(false); EOF (parent gone)
// = Stop(true).
func childMain(seed string) int {
	var seeds []string
	if seed != "" {
		seeds = []string{seed}
	}
	n, err := StartNode(testNodeConfig(seeds...))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: StartNode:", err)
		return 2
	}
	fmt.Printf("READY %s %s %s\n", n.ID(), n.Address(), n.Provider.GossipAddr())
	graceful := true
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if cmd := strings.TrimSpace(sc.Text()); cmd == "stop" || cmd == "crash-stop" {
			graceful = cmd == "stop"
			break
		}
	}
	if err := n.Stop(graceful); err != nil {
		fmt.Fprintln(os.Stderr, "child: Stop:", err)
		return 3
	}
	fmt.Println("STOPPED")
	return 0
}

// syncBuffer is an io.Writer safe for the exec copier and the test to share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// childNode is a cluster node running in a child process (this test binary).
type childNode struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout syncBuffer
	stderr syncBuffer
	exited chan struct{}
	err    error // from cmd.Wait, valid once exited is closed

	id, addr, gossip string
}

func startChildNode(t *testing.T, seed string) *childNode {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c := &childNode{exited: make(chan struct{})}
	c.cmd = exec.Command(exe, "-test.run=^$")
	c.cmd.Env = append(os.Environ(), childEnv+"="+seed)
	c.cmd.Stdout = &c.stdout
	c.cmd.Stderr = &c.stderr
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		c.err = c.cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-c.exited:
		default:
			_ = c.cmd.Process.Kill()
			<-c.exited
		}
		if bad, known := childRaces(c.stderr.String()); len(bad) > 0 {
			t.Errorf("child %s reported a data race:\n%s", c.id, strings.Join(bad, "\n"))
		} else if known > 0 {
			t.Logf("child %s: %d report(s) of protoactor's known BlockList race (upstream, see childRaces)", c.id, known)
		}
	})

	waitFor(t, 30*time.Second, "child node to be ready", func() bool {
		select {
		case <-c.exited:
			t.Fatalf("child exited early (%v):\n%s", c.err, c.stderr.String())
		default:
		}
		return strings.Contains(c.stdout.String(), "\n") // READY line complete
	})
	line, _, _ := strings.Cut(c.stdout.String(), "\n")
	f := strings.Fields(line)
	if len(f) != 4 || f[0] != "READY" {
		t.Fatalf("child said %q", line)
	}
	c.id, c.addr, c.gossip = f[1], f[2], f[3]
	t.Logf("child node %s (pid %d) ready in %v: remote %s gossip %s", c.id, c.cmd.Process.Pid,
		time.Since(start).Round(time.Millisecond), c.addr, c.gossip)
	return c
}

// childRaces splits a child's race-detector output into reports and returns
// those that are not protoactor's own BlockList race. That one is upstream:
// remote.BlockList.Block (called by MemberList.UpdateClusterTopology when a
// member leaves) replaces an unsynchronised set that the gRPC endpoint
// reader reads for every new inbound stream; nothing in Qun can order the
// two. Every other report fails the test.
func childRaces(stderr string) (bad []string, known int) {
	for _, r := range strings.Split(stderr, "==================") {
		if !strings.Contains(r, "WARNING: DATA RACE") {
			continue
		}
		if strings.Contains(r, "remote.(*BlockList).IsBlocked") && strings.Contains(r, "remote.(*BlockList).Block") {
			known++
			continue
		}
		bad = append(bad, r)
	}
	return bad, known
}

// stop tells the child to stop (Stop(graceful)) and waits for it to exit.
func (c *childNode) stop(t *testing.T, graceful bool) {
	t.Helper()
	cmd := "stop\n"
	if !graceful {
		cmd = "crash-stop\n"
	}
	if _, err := io.WriteString(c.stdin, cmd); err != nil {
		t.Fatalf("telling child to stop: %v", err)
	}
	select {
	case <-c.exited:
	case <-time.After(20 * time.Second):
		t.Fatalf("child %s did not exit", c.id)
	}
	err := c.err
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 66 { // the race detector's exit code
		if bad, known := childRaces(c.stderr.String()); len(bad) == 0 && known > 0 {
			err = nil // only the known upstream race: reported by the cleanup's log
		}
	}
	if err != nil || !strings.Contains(c.stdout.String(), "STOPPED") {
		t.Fatalf("child %s exit: %v\nstderr:\n%s", c.id, c.err, c.stderr.String())
	}
}

// kill crashes the child (SIGKILL): no leave, no cleanup.
func (c *childNode) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-c.exited
}

// TestNodesAcrossProcesses runs the two-node scenario with node B in child
// processes (one protoactor remote per process, so it also runs under
// -race): placement on both nodes with messages serialized between
// processes, graceful leave, rejoin under a new id, and a real crash
// (SIGKILL) detected by memberlist.
func TestNodesAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	a := startTestNode(t)
	b := startChildNode(t, a.Provider.GossipAddr())
	waitFor(t, 15*time.Second, "A to see 2 members", sees(a, 2))

	ids := make([]string, 64)
	for i := range ids {
		ids[i] = fmt.Sprintf("room-%d", i)
	}
	perHost := countHosts(echoAll(t, a, ids, 15*time.Second))
	t.Logf("placement with child B: %v", perHost)
	if perHost[a.Address()] == 0 || perHost[b.addr] == 0 || len(perHost) != 2 {
		t.Fatalf("placement %v: want grains on both %s and %s", perHost, a.Address(), b.addr)
	}

	// Graceful leave of B.
	b.stop(t, true)
	waitFor(t, 5*time.Second, "A to see 1 member after B left", sees(a, 1))
	if perHost := countHosts(echoAll(t, a, ids, 15*time.Second)); perHost[a.Address()] != len(ids) {
		t.Fatalf("after B left, placement %v: want all on %s", perHost, a.Address())
	}

	// B restarts: a new process, so a new id.
	b2 := startChildNode(t, a.Provider.GossipAddr())
	if b2.id == b.id {
		t.Fatalf("restarted node reused id %s", b.id)
	}
	waitFor(t, 15*time.Second, "A to see 2 members after rejoin", sees(a, 2))
	perHost = countHosts(echoAll(t, a, ids, 15*time.Second))
	t.Logf("placement with child B2: %v", perHost)
	if perHost[b2.addr] == 0 || perHost[a.Address()] == 0 {
		t.Fatalf("after rejoin, placement %v: want grains on both nodes", perHost)
	}

	// B2 crashes for real.
	crashed := time.Now()
	b2.kill(t)
	waitFor(t, 10*time.Second, "A to see 1 member after B2 was killed", sees(a, 1))
	t.Logf("crash detected in %v", time.Since(crashed).Round(time.Millisecond))
	if perHost := countHosts(echoAll(t, a, ids, 20*time.Second)); perHost[a.Address()] != len(ids) {
		t.Fatalf("after B2 crashed, placement %v: want all on %s", perHost, a.Address())
	}
	stopTestNode(t, a, true)
}
