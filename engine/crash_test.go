package engine_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/wire"
)

const childEnv = "QUN_TEST_CHILD_DATA"

// TestChildServer is not a test: it is the server process the crash tests
// start, kill and restart. It runs only when childEnv is set.
func TestChildServer(t *testing.T) {
	dir := os.Getenv(childEnv)
	if dir == "" {
		t.Skip("helper process")
	}
	cfg := testConfig(dir)
	childCluster(&cfg) // replication_test.go: a member of a 3-node cluster
	e, err := engine.New(cfg)
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(3)
	}
	if err := e.Start(context.Background()); err != nil {
		fmt.Println("ERR", err)
		os.Exit(3)
	}
	fmt.Println("ADDR", e.Addr().String())
	go childStatus(e)
	ch := make(chan os.Signal, 1)
	signalNotify(ch)
	<-ch
	if err := e.Close(); err != nil {
		fmt.Println("ERR", err)
		os.Exit(4)
	}
	os.Exit(0)
}

type child struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, valid after done
}

func startChild(t *testing.T, dir string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildServer$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	addrCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "ADDR ") {
				addrCh <- strings.TrimPrefix(line, "ADDR ")
			} else if strings.HasPrefix(line, "ERR ") {
				addrCh <- ""
			}
		}
	}()
	go func() { c.err = cmd.Wait(); close(c.done) }()
	select {
	case c.addr = <-addrCh:
		if c.addr == "" {
			t.Fatal("child failed to start")
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("child did not start")
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
		}
	})
	return c
}

func (c *child) kill9(t *testing.T) {
	t.Helper()
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		t.Fatal("child did not die")
	}
}

func (c *child) term(t *testing.T) {
	t.Helper()
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		if c.err != nil {
			t.Fatalf("child exited with %v after SIGTERM", c.err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("child did not stop after SIGTERM")
	}
}

func token(t *testing.T, user string) string {
	tok, err := engine.MintToken([]byte("test-secret-0123456789abcdef"), user, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func dialAddr(t *testing.T, addr, user string) *client.Client {
	t.Helper()
	c, err := client.Dial(context.Background(), addr, client.Options{Token: token(t, user)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// allHistory reads a group's whole history in ascending pages.
func allHistory(t *testing.T, c *client.Client, g string) []wire.Message {
	t.Helper()
	var out []wire.Message
	var after uint64
	for i := 0; i < 10000; i++ {
		h, err := c.History(ctxT(t), wire.HistoryArgs{Group: g, After: wire.After(after), Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, h.Msgs...)
		if len(h.Msgs) == 0 || !h.More {
			return out
		}
		after = h.Msgs[len(h.Msgs)-1].Seq
	}
	t.Fatal("history did not end")
	return nil
}

// checkJournal asserts seqs 1..n with no gap or duplicate, and that every
// acked (cmid → seq) is present with that seq exactly once.
func checkJournal(t *testing.T, msgs []wire.Message, acked map[string]uint64) {
	t.Helper()
	byCMID := map[string]int{}
	for i, m := range msgs {
		if m.Seq != uint64(i+1) {
			t.Fatalf("seq gap or reorder: position %d holds seq %d", i, m.Seq)
		}
		if m.CMID != "" {
			byCMID[m.CMID]++
			if byCMID[m.CMID] > 1 {
				t.Fatalf("cmid %s stored twice", m.CMID)
			}
		}
	}
	for cmid, seq := range acked {
		if seq == 0 || seq > uint64(len(msgs)) || msgs[seq-1].CMID != cmid {
			t.Fatalf("acked message %s (seq %d) missing or moved", cmid, seq)
		}
	}
}

// TestKill9LosesNoAckedMessage sends from several goroutines while the server
// process is killed with SIGKILL, restarts it, and checks that every
// acknowledged message is back with its seq, with no gap and no duplicate.
// Unacknowledged sends are retried with the same cmid after the restart and
// must be stored at most once.
func TestKill9LosesNoAckedMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	srv := startChild(t, dir)
	admin := dialAddr(t, srv.addr, "owner")
	g, err := admin.CreateGroup(ctxT(t), "crash")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	acked := map[string]uint64{}
	var unacked []string
	const senders, perSender = 4, 400
	var wg sync.WaitGroup
	killAt := make(chan struct{})
	var sent sync.Once
	for s := 0; s < senders; s++ {
		user := fmt.Sprintf("s%d", s)
		c := dialAddr(t, srv.addr, user)
		if _, err := c.Join(ctxT(t), g); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perSender; i++ {
				cmid := fmt.Sprintf("%s-%d", user, i)
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				r, err := c.SendText(ctx, g, cmid, "m")
				cancel()
				mu.Lock()
				if err == nil {
					acked[cmid] = r.Seq
					if len(acked) == senders*perSender/4 {
						sent.Do(func() { close(killAt) })
					}
				} else {
					unacked = append(unacked, cmid)
				}
				mu.Unlock()
				if err != nil {
					return // connection is gone
				}
			}
		}()
	}
	select {
	case <-killAt:
	case <-time.After(60 * time.Second):
		t.Fatal("sends did not progress")
	}
	srv.kill9(t)
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("nothing acked before the kill")
	}
	srv2 := startChild(t, dir)
	c := dialAddr(t, srv2.addr, "s0")
	// Retry the unacknowledged ones: each may or may not have been stored.
	for _, cmid := range unacked {
		user := strings.SplitN(cmid, "-", 2)[0]
		cc := c
		if user != "s0" {
			cc = dialAddr(t, srv2.addr, user)
		}
		r, err := cc.SendText(ctxT(t), g, cmid, "m")
		if err != nil {
			t.Fatalf("retry %s: %v", cmid, err)
		}
		acked[cmid] = r.Seq
	}
	msgs := allHistory(t, c, g)
	checkJournal(t, msgs, acked)
	t.Logf("acked before kill: %d, retried after: %d, journal: %d", len(acked)-len(unacked), len(unacked), len(msgs))
	srv2.term(t)
}

// TestRestartAsProcess stops the server with SIGTERM and starts it again.
func TestRestartAsProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	srv := startChild(t, dir)
	c := dialAddr(t, srv.addr, "alice")
	g, err := c.CreateGroup(ctxT(t), "restart")
	if err != nil {
		t.Fatal(err)
	}
	acked := map[string]uint64{}
	for i := 0; i < 50; i++ {
		r, err := c.SendText(ctxT(t), g, fmt.Sprint(i), "hello")
		if err != nil {
			t.Fatal(err)
		}
		acked[fmt.Sprint(i)] = r.Seq
	}
	srv.term(t)
	srv2 := startChild(t, dir)
	c2 := dialAddr(t, srv2.addr, "alice")
	checkJournal(t, allHistory(t, c2, g), acked)
	mg, err := c2.MyGroups(ctxT(t))
	if err != nil || len(mg) != 1 || mg[0].LastSeq != 51 {
		t.Fatalf("my groups after restart: %+v %v", mg, err)
	}
}
