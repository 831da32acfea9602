package engine_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/engine"
)

// Environment of a TestChildServer that is a member of a replicated cluster.
const (
	childGossipEnv = "QUN_TEST_CHILD_GOSSIP" // its gossip address
	childJoinEnv   = "QUN_TEST_CHILD_JOIN"   // comma-separated gossip addresses to join
	childExpectEnv = "QUN_TEST_CHILD_EXPECT" // BootstrapExpect
)

var testClusterSecret = []byte("test-cluster-secret-0123456789")

// childCluster applies the cluster settings of the child's environment.
func childCluster(cfg *engine.Config) {
	if g := os.Getenv(childGossipEnv); g != "" {
		cfg.GossipAddr = g
	}
	if j := os.Getenv(childJoinEnv); j != "" {
		cfg.Join = strings.Split(j, ",")
	}
	if os.Getenv("QUN_TEST_CHILD_LOG") != "" { // debugging: the child's log on stderr
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	if n, err := strconv.Atoi(os.Getenv(childExpectEnv)); err == nil {
		cfg.BootstrapExpect = n
		cfg.ClusterSecret = testClusterSecret
		if s := os.Getenv(childSecretEnv); s != "" { // faults_test.go: an impostor
			cfg.ClusterSecret = []byte(s)
		}
	}
}

// childStatus answers "STATUS" lines on stdin with "LEADS <n>": how many
// shards this node leads and serves.
func childStatus(e *engine.Engine) {
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if sc.Text() != "STATUS" {
			childCommand(e, sc.Text()) // faults_harness_test.go
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		st, err := e.ReplicationStatus(ctx)
		cancel()
		n, known := 0, 0
		for _, s := range st.Shards {
			if s.Local && s.Ready {
				n++
			}
			if s.Lead != 0 {
				known++
			}
		}
		if err != nil {
			n, known = -1, -1
		}
		fmt.Println("LEADS", n, known)
	}
}

// member is one child process of a replicated cluster.
type member struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	addr  chan string
	leads chan [2]int
	reply chan string // answers to childCommand (faults_harness_test.go)
	done  chan struct{}
}

// launch starts a cluster member without waiting for it (its Start waits
// for the other bootstrap members).
func launch(t *testing.T, dir, gossip string, join []string) *member {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildServer$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+dir, childGossipEnv+"="+gossip,
		childJoinEnv+"="+strings.Join(join, ","), childExpectEnv+"=3")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	m := &member{cmd: cmd, stdin: in, addr: make(chan string, 1), leads: make(chan [2]int, 16), reply: make(chan string, 16), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "ADDR "):
				m.addr <- strings.TrimPrefix(line, "ADDR ")
			case strings.HasPrefix(line, "ERR "):
				fmt.Fprintln(os.Stderr, "member", gossip, line)
				m.addr <- ""
			case strings.HasPrefix(line, "R "):
				m.reply <- strings.TrimPrefix(line, "R ")
			case strings.HasPrefix(line, "LEADS "):
				var v [2]int
				_, _ = fmt.Sscanf(line, "LEADS %d %d", &v[0], &v[1])
				m.leads <- v
			}
		}
	}()
	go func() { _ = cmd.Wait(); close(m.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		select {
		case <-m.done:
		case <-time.After(10 * time.Second):
		}
	})
	return m
}

func (m *member) wait(t *testing.T) string {
	t.Helper()
	select {
	case a := <-m.addr:
		if a == "" {
			t.Fatal("member failed to start")
		}
		return a
	case <-time.After(60 * time.Second):
		t.Fatal("member did not start")
	}
	return ""
}

// status returns how many shards the member leads and serves, and for how
// many it knows a leader.
func (m *member) status(t *testing.T) (led, known int) {
	t.Helper()
	if _, err := io.WriteString(m.stdin, "STATUS\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-m.leads:
		return v[0], v[1]
	case <-time.After(10 * time.Second):
		t.Fatal("no status answer")
	}
	return 0, 0
}

func (m *member) kill9(t *testing.T) {
	t.Helper()
	_ = m.cmd.Process.Kill()
	select {
	case <-m.done:
	case <-time.After(10 * time.Second):
		t.Fatal("member did not die")
	}
}

// TestReplicatedKill9 runs three replicating nodes as processes, sends with
// client message ids on several groups through all of them, kills -9 the
// node leading most shards, keeps sending through the survivors (retrying
// unacknowledged sends with the same cmid), restarts the killed node, and
// checks through every node that every acknowledged (group, seq, cmid) is
// present exactly once with seqs contiguous from 1. It reports the longest
// time from the kill to a group's first acknowledged send.
func TestReplicatedKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	const groups, before, after = 8, 15, 15
	gossip := []string{freeAddr(t), freeAddr(t), freeAddr(t)}
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	others := func(i int) []string {
		var o []string
		for j, g := range gossip {
			if j != i {
				o = append(o, g)
			}
		}
		return o
	}
	ms := make([]*member, 3)
	for i := range ms {
		var join []string
		if i > 0 {
			join = gossip[:1]
		}
		ms[i] = launch(t, dirs[i], gossip[i], join)
		if i == 0 { // the others join it: wait until it gossips
			waitFor(t, 30*time.Second, "the first member's gossip", func() bool {
				c, err := net.DialTimeout("tcp", gossip[0], time.Second)
				if err == nil {
					c.Close()
				}
				return err == nil
			})
		}
	}
	addrs := make([]string, 3)
	for i, m := range ms {
		addrs[i] = m.wait(t)
	}
	// Groups: two owners, four groups each (the default tier), created
	// through different nodes.
	var gs []string
	for o := range 2 {
		c := dialAddr(t, addrs[o], fmt.Sprintf("owner%d", o))
		for i := range groups / 2 {
			g, err := c.CreateGroup(ctxT(t), fmt.Sprintf("g%d-%d", o, i))
			if err != nil {
				t.Fatal(err)
			}
			gs = append(gs, g)
		}
	}
	var (
		mu        sync.Mutex
		acked     = map[string]map[string]uint64{} // group -> cmid -> seq
		firstAck  = map[string]time.Time{}         // group -> first ack after the kill
		killed    atomic.Int32                     // index of the killed node + 1
		killedAt  atomic.Int64                     // unix nanos
		stop      = make(chan struct{})
		countFrom = func(g string) int { mu.Lock(); defer mu.Unlock(); return len(acked[g]) }
	)
	for _, g := range gs {
		acked[g] = map[string]uint64{}
	}
	var wg sync.WaitGroup
	for gi, g := range gs {
		tok := token(t, fmt.Sprintf("owner%d", gi/(groups/2)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			node := gi % 3
			var c *client.Client
			defer func() {
				if c != nil {
					c.Close()
				}
			}()
			deadline := time.Now().Add(90 * time.Second)
			for i := 0; time.Now().Before(deadline); {
				select {
				case <-stop:
					return
				default:
				}
				if c == nil {
					if k := int(killed.Load()); k > 0 && node == k-1 {
						node = (node + 1) % 3
					}
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					cc, err := client.Dial(ctx, addrs[node], client.Options{Token: tok})
					cancel()
					if err != nil {
						node = (node + 1) % 3
						continue
					}
					c = cc
				}
				cmid := fmt.Sprintf("%s-%d", g, i)
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				r, err := c.SendText(ctx, g, cmid, "m")
				cancel()
				if err != nil {
					// Same cmid again, through a fresh connection.
					c.Close()
					c = nil
					continue
				}
				mu.Lock()
				acked[g][cmid] = r.Seq
				if at := killedAt.Load(); at != 0 {
					if _, ok := firstAck[g]; !ok {
						firstAck[g] = time.Now()
					}
				}
				mu.Unlock()
				i++
			}
		}()
	}
	waitFor(t, 60*time.Second, "sends before the kill", func() bool {
		for _, g := range gs {
			if countFrom(g) < before {
				return false
			}
		}
		return true
	})
	victim, most := 0, -1
	for i, m := range ms {
		if n, _ := m.status(t); n > most {
			victim, most = i, n
		}
	}
	base := map[string]int{}
	for _, g := range gs {
		base[g] = countFrom(g)
	}
	killedAt.Store(time.Now().UnixNano())
	killed.Store(int32(victim + 1))
	ms[victim].kill9(t)
	waitFor(t, 60*time.Second, "sends after the kill", func() bool {
		for _, g := range gs {
			if countFrom(g) < base[g]+after {
				return false
			}
		}
		return true
	})
	ms[victim] = launch(t, dirs[victim], gossip[victim], others(victim))
	addrs[victim] = ms[victim].wait(t)
	close(stop)
	wg.Wait()
	// The restarted member has caught up once it knows every shard's leader.
	waitFor(t, 30*time.Second, "the restarted member to know every leader", func() bool {
		_, known := ms[victim].status(t)
		return known == 64
	})

	var maxGap time.Duration
	at := time.Unix(0, killedAt.Load())
	for _, g := range gs {
		if d := firstAck[g].Sub(at); d > maxGap {
			maxGap = d
		}
	}
	total := 0
	for i := range ms {
		c := redial(t, addrs[i], "owner0")
		c1 := redial(t, addrs[i], "owner1")
		for gi, g := range gs {
			cc := c
			if gi >= groups/2 {
				cc = c1
			}
			msgs := allHistory(t, cc, g)
			checkJournal(t, msgs, acked[g])
			if i == 0 {
				total += len(msgs)
			}
		}
	}
	t.Logf("killed node %d (leading %d of 64 shards); %d messages on %d groups; max time from kill to a group's first ack %v",
		victim, most, total, len(gs), maxGap)
	if maxGap > 5*time.Second {
		t.Errorf("a group took %v after the kill to acknowledge a send (want <= 5 s)", maxGap)
	}
}

// TestLoneNodeReplicationStatus: a lone node is a cluster of one that
// leads every shard (R = 1), and its grains persist through them.
func TestLoneNodeReplicationStatus(t *testing.T) {
	cfg := testConfig(t.TempDir())
	e := startEngine(t, cfg)
	c := dial(t, e, "alice", nil)
	g, err := c.CreateGroup(ctxT(t), "solo")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendText(ctxT(t), g, "m1", "hi"); err != nil {
		t.Fatal(err)
	}
	var st engine.ReplicationStatus
	waitFor(t, 10*time.Second, "every shard led", func() bool {
		var err error
		if st, err = e.ReplicationStatus(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		for _, s := range st.Shards {
			if !s.Ready {
				return false
			}
		}
		return true
	})
	if st.StoreID == 0 || len(st.Members) != 1 || !st.Members[0].Self || st.Members[0].StoreID != st.StoreID {
		t.Fatalf("members: %+v (store %d)", st.Members, st.StoreID)
	}
	if len(st.Shards) != 64 {
		t.Fatalf("%d shards", len(st.Shards))
	}
	applied := uint64(0)
	for _, s := range st.Shards {
		if !s.Local || !s.Ready || s.Lead != st.StoreID || len(s.Voters) != 1 {
			t.Fatalf("shard %+v", s)
		}
		applied += s.Applied
	}
	if applied <= 2*64 { // past every shard's bootstrap and election entries: the writes went through raft
		t.Fatalf("applied indexes sum to %d", applied)
	}
}

// redial connects, retrying a failed handshake at most 3 times: right after
// a restart a node's first session setup (the user grain's group list) can
// outlast the client's handshake deadline (a known gap, logged).
func redial(t *testing.T, addr, user string) *client.Client {
	t.Helper()
	var err error
	for attempt := range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var c *client.Client
		c, err = client.Dial(ctx, addr, client.Options{Token: token(t, user)})
		cancel()
		if err == nil {
			t.Cleanup(func() { c.Close() })
			return c
		}
		t.Logf("dial %s as %s, attempt %d: %v", addr, user, attempt+1, err)
	}
	t.Fatal(err)
	return nil
}
