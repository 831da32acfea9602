package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/qunchat/qun/actors"
	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/replication"
	"github.com/qunchat/qun/wire"
)

// The fault tests' harness: three replicating child processes
// (TestChildServer) driven over stdin, and a client load on many groups
// that records every acknowledged send and a history for porcupine.

// childCommand answers one stdin line of a cluster member with one
// "R <json>" line (see childStatus):
//
//	STAT               -> faultStat
//	SUMS               -> []replication.ShardChecksum
//	TRANSFER <store>   -> shards asked to hand leadership to store
func childCommand(e *engine.Engine, line string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f := strings.Fields(line)
	var out any
	var err error
	switch {
	case len(f) == 1 && f[0] == "STAT":
		var st engine.ReplicationStatus
		st, err = e.ReplicationStatus(ctx)
		fs := faultStat{StoreID: st.StoreID}
		for _, s := range st.Shards {
			fs.Shards = append(fs.Shards, faultShard{Shard: s.Shard, Lead: s.Lead, Serving: s.Local && s.Ready, Applied: s.Applied, FirstIndex: s.FirstIndex, Voters: s.Voters})
		}
		fs.Self, fs.Gossip, fs.Routed = e.ClusterMembers()
		ts := e.RaftTransportStats()
		fs.Refused, fs.Snapshots = ts.Refused, ts.Snapshots
		for _, m := range st.Members {
			if m.Self {
				fs.RaftAddr = m.RaftAddr
			}
		}
		out = fs
	case len(f) == 1 && f[0] == "SUMS":
		out, err = e.ReplicationChecksums(ctx)
	case len(f) == 2 && f[0] == "TRANSFER":
		to, _ := strconv.ParseUint(f[1], 10, 64)
		out, err = e.TransferLeadership(ctx, to)
	default:
		err = fmt.Errorf("unknown command %q", line)
	}
	if err != nil {
		out = map[string]string{"error": err.Error()}
	}
	b, _ := json.Marshal(out)
	fmt.Println("R", string(b))
}

// childSecretEnv overrides a cluster member's cluster secret.
const childSecretEnv = "QUN_TEST_CHILD_SECRET"

// faultStat is a member's view for the fault tests.
type faultStat struct {
	StoreID        uint64
	Self           string // member id
	RaftAddr       string
	Refused        uint64 // raft handshakes refused
	Snapshots      uint64 // raft snapshots sent
	Shards         []faultShard
	Gossip, Routed []string // member ids (engine.ClusterMembers)
}

type faultShard struct {
	Shard   uint32
	Lead    uint64
	Serving bool // leads and may serve the shard's grains
	Applied uint64
	// FirstIndex is the first index of the retained log (past 2: the log
	// was truncated, a replica that needs earlier entries gets a snapshot).
	FirstIndex uint64
	Voters     []uint64
}

func (s faultStat) serving() int {
	n := 0
	for _, sh := range s.Shards {
		if sh.Serving {
			n++
		}
	}
	return n
}

func (s faultStat) knownLeaders() int {
	n := 0
	for _, sh := range s.Shards {
		if sh.Lead != 0 {
			n++
		}
	}
	return n
}

// ask sends a command to a member and decodes its answer into v.
func (m *member) ask(t *testing.T, line string, v any) {
	t.Helper()
	if _, err := io.WriteString(m.stdin, line+"\n"); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	select {
	case r := <-m.reply:
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal([]byte(r), &e) == nil && e.Error != "" {
			t.Fatalf("%s: %s", line, e.Error)
		}
		if err := json.Unmarshal([]byte(r), v); err != nil {
			t.Fatalf("%s: answer %q: %v", line, r, err)
		}
	case <-m.done:
		t.Fatalf("%s: member exited", line)
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: no answer", line)
	}
}

// faultCluster is three members on loopback, restartable on their dirs.
type faultCluster struct {
	t      *testing.T
	gossip []string
	dirs   []string
	addrs  []string
	ms     []*member
	down   []atomic.Bool // killed or stopped: the load avoids it
}

const faultShards = 64 // the default shard count the children bootstrap

func startFaultCluster(t *testing.T) *faultCluster {
	t.Helper()
	c := &faultCluster{t: t, gossip: []string{freeAddr(t), freeAddr(t), freeAddr(t)},
		dirs: []string{t.TempDir(), t.TempDir(), t.TempDir()}, addrs: make([]string, 3),
		ms: make([]*member, 3), down: make([]atomic.Bool, 3)}
	for i := range c.ms {
		var join []string
		if i > 0 {
			join = c.gossip[:1]
		}
		c.ms[i] = launch(t, c.dirs[i], c.gossip[i], join)
		if i == 0 {
			waitFor(t, 30*time.Second, "the first member's gossip", func() bool {
				cn, err := net.DialTimeout("tcp", c.gossip[0], time.Second)
				if err == nil {
					cn.Close()
				}
				return err == nil
			})
		}
	}
	for i, m := range c.ms {
		c.addrs[i] = m.wait(t)
	}
	c.waitSettled(60 * time.Second)
	return c
}

func (c *faultCluster) others(i int) []string {
	var o []string
	for j, g := range c.gossip {
		if j != i {
			o = append(o, g)
		}
	}
	return o
}

func (c *faultCluster) stat(i int) faultStat {
	var s faultStat
	c.ms[i].ask(c.t, "STAT", &s)
	return s
}

// leader returns the member serving the most shards.
func (c *faultCluster) leader() (idx, shards int) {
	idx, shards = -1, -1
	for i := range c.ms {
		if c.down[i].Load() {
			continue
		}
		if n := c.stat(i).serving(); n > shards {
			idx, shards = i, n
		}
	}
	return idx, shards
}

func (c *faultCluster) kill9(i int) {
	c.down[i].Store(true)
	c.ms[i].kill9(c.t)
}

// restart starts member i again on its data dir, joining the others.
func (c *faultCluster) restart(i int) {
	c.ms[i] = launch(c.t, c.dirs[i], c.gossip[i], c.others(i))
	c.addrs[i] = c.ms[i].wait(c.t)
	c.down[i].Store(false)
}

func (c *faultCluster) signal(i int, sig syscall.Signal) {
	if err := c.ms[i].cmd.Process.Signal(sig); err != nil {
		c.t.Fatal(err)
	}
}

// waitSettled waits until every live member knows a leader for every shard
// and some member serves each of them.
func (c *faultCluster) waitSettled(d time.Duration) {
	c.t.Helper()
	waitFor(c.t, d, "every shard led and known everywhere", func() bool {
		served := map[uint32]bool{}
		for i := range c.ms {
			if c.down[i].Load() {
				continue
			}
			s := c.stat(i)
			if s.knownLeaders() != faultShards {
				return false
			}
			for _, sh := range s.Shards {
				if sh.Serving {
					served[sh.Shard] = true
				}
			}
		}
		return len(served) == faultShards
	})
}

// checksumsAgree polls the live members' replica checksums until every
// shard has a replica on each of them (want per shard) at one applied
// index, and fails at once if two replicas at the same applied index
// differ. It returns the number of keys digested per replica set.
func (c *faultCluster) checksumsAgree(d time.Duration, want int) (keys int) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for attempt := 0; ; attempt++ {
		byShard := map[uint32][]replication.ShardChecksum{}
		for i := range c.ms {
			if c.down[i].Load() {
				continue
			}
			var sums []replication.ShardChecksum
			c.ms[i].ask(c.t, "SUMS", &sums)
			for _, s := range sums {
				byShard[s.Shard] = append(byShard[s.Shard], s)
			}
		}
		settled := len(byShard) == faultShards
		keys = 0
		for shard, rs := range byShard {
			if len(rs) != want {
				settled = false
				continue
			}
			for _, r := range rs[1:] {
				if r.Applied != rs[0].Applied {
					settled = false
				} else if r.Sum != rs[0].Sum || r.Keys != rs[0].Keys {
					c.t.Fatalf("shard %d: replicas differ at applied index %d: %+v", shard, r.Applied, rs)
				}
			}
			keys += rs[0].Keys
		}
		if settled {
			return keys
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("replica checksums not at a common applied index after %v (%d attempts): %v", d, attempt+1, byShard)
		}
		time.Sleep(50 * time.Millisecond) // poll
	}
}

// faultLoad sends with client message ids on many groups, one sender per
// group (paced, retrying an unacknowledged send with the same cmid through
// another member), plus readers reading random groups' history; it
// records every acknowledged send, each group's last ack time, and a
// porcupine history per group.
type faultLoad struct {
	c       *faultCluster
	groups  []string
	owner   map[string]string
	initial map[string][]string // each group's log before the load (cmids)
	start   time.Time

	gate sync.RWMutex // senders hold it shared per send; pause takes it

	mu      sync.Mutex
	acked   map[string]map[string]uint64 // group -> cmid -> seq
	lastAck map[string]time.Time
	ops     map[string][]porcupine.Operation
	pending map[string]porcupine.Operation // a group's send left unacknowledged at the end
	failed  atomic.Int64                   // send attempts that failed (then retried)

	// verified is each group's log (cmid by seq - 1) as checked so far by
	// checkNew; seen its cmids.
	verified map[string][]string
	seen     map[string]map[string]bool

	stop chan struct{}
	wg   sync.WaitGroup
}

// faultSendTimeout bounds one send attempt of the load (a timed-out send
// is retried with the same cmid through a fresh connection). The time from
// a kill to a group's first ack is measured through these attempts.
const faultSendTimeout = 3 * time.Second

// faultGroupsPerOwner is the default tier's limit of groups an owner creates.
const faultGroupsPerOwner = 4

// newFaultLoad creates owners*4 groups, each through a different member.
func newFaultLoad(t *testing.T, c *faultCluster, owners int) *faultLoad {
	l := &faultLoad{c: c, owner: map[string]string{}, initial: map[string][]string{},
		acked: map[string]map[string]uint64{}, lastAck: map[string]time.Time{},
		ops: map[string][]porcupine.Operation{}, pending: map[string]porcupine.Operation{}, stop: make(chan struct{}),
		verified: map[string][]string{}, seen: map[string]map[string]bool{}}
	for o := range owners {
		user := fmt.Sprintf("fowner%d", o)
		cl := redial(t, c.addrs[o%3], user)
		for i := range faultGroupsPerOwner {
			g, err := cl.CreateGroup(ctxT(t), fmt.Sprintf("f%d-%d", o, i))
			if err != nil {
				t.Fatal(err)
			}
			l.groups = append(l.groups, g)
			l.owner[g] = user
			l.acked[g] = map[string]uint64{}
			for _, m := range allHistory(t, cl, g) {
				l.initial[g] = append(l.initial[g], m.CMID)
			}
		}
		cl.Close()
	}
	return l
}

func (l *faultLoad) now() int64 { return time.Since(l.start).Nanoseconds() }

// run starts the senders (one send per group every pace) and readers.
func (l *faultLoad) run(t *testing.T, pace time.Duration, readers int, limit time.Duration) {
	l.start = time.Now()
	deadline := l.start.Add(limit)
	for gi, g := range l.groups {
		l.wg.Add(1)
		go l.sender(t, gi, g, pace, deadline)
	}
	for r := range readers {
		l.wg.Add(1)
		go l.reader(t, r, pace, deadline)
	}
}

// dial connects as user to a live member, starting at *node.
func (l *faultLoad) dial(t *testing.T, user string, node *int, deadline time.Time) *client.Client {
	for attempt := 0; attempt < 1000 && time.Now().Before(deadline); attempt++ {
		*node = (*node + 1) % 3
		if l.c.down[*node].Load() {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		c, err := client.Dial(ctx, l.c.addrs[*node], client.Options{Token: token(t, user)})
		cancel()
		if err == nil {
			return c
		}
		select {
		case <-l.stop:
			return nil
		case <-time.After(20 * time.Millisecond): // poll: the members restart
		}
	}
	return nil
}

func (l *faultLoad) sender(t *testing.T, gi int, g string, pace time.Duration, deadline time.Time) {
	defer l.wg.Done()
	tick := time.NewTicker(pace)
	defer tick.Stop()
	node := gi % 3
	var c *client.Client
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	var (
		cmid  string
		call  int64
		retry bool
	)
	for i := 0; time.Now().Before(deadline); {
		if !retry {
			select {
			case <-l.stop:
				return
			case <-tick.C:
			}
			cmid, call = fmt.Sprintf("%s-%d", g, i), l.now()
		} else {
			select {
			case <-l.stop:
				l.mu.Lock()
				l.pending[g] = porcupine.Operation{ClientId: gi, Input: linIn{send: true, cmid: cmid}, Call: call, Output: sendOut{unknown: true}, Return: 1 << 62}
				l.mu.Unlock()
				return
			default:
			}
		}
		if c == nil {
			if c = l.dial(t, l.owner[g], &node, deadline); c == nil {
				retry = true
				continue
			}
		}
		l.gate.RLock()
		// A member stopped with SIGSTOP keeps its connections open: a send
		// to it only fails at this timeout, then goes to another member.
		ctx, cancel := context.WithTimeout(context.Background(), faultSendTimeout)
		r, err := c.SendText(ctx, g, cmid, "m")
		cancel()
		l.gate.RUnlock()
		if err != nil { // outcome unknown: the same cmid again, through a fresh connection
			l.failed.Add(1)
			c.Close()
			c = nil
			retry = true
			continue
		}
		at := time.Now()
		l.mu.Lock()
		l.acked[g][cmid] = r.Seq
		l.lastAck[g] = at
		// One operation per cmid, from its first attempt to its ack: its
		// effect happened once (cmid dedup) somewhere in between.
		l.ops[g] = append(l.ops[g], porcupine.Operation{ClientId: gi, Input: linIn{send: true, cmid: cmid}, Call: call, Output: sendOut{seq: r.Seq}, Return: l.now()})
		l.mu.Unlock()
		retry = false
		i++
	}
	if retry {
		l.mu.Lock()
		l.pending[g] = porcupine.Operation{ClientId: gi, Input: linIn{send: true, cmid: cmid}, Call: call, Output: sendOut{unknown: true}, Return: 1 << 62}
		l.mu.Unlock()
	}
}

// reader reads the latest page of random groups' history; a read that
// fails changed nothing and is left out.
func (l *faultLoad) reader(t *testing.T, r int, pace time.Duration, deadline time.Time) {
	defer l.wg.Done()
	rng := rand.New(rand.NewPCG(uint64(r), 11))
	tick := time.NewTicker(pace / 4)
	defer tick.Stop()
	node := r % 3
	var c *client.Client
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	id := len(l.groups) + r
	// A reader reads the groups of one owner, as that owner (a member).
	first := (r * faultGroupsPerOwner) % len(l.groups)
	mine := l.groups[first : first+faultGroupsPerOwner]
	for time.Now().Before(deadline) {
		select {
		case <-l.stop:
			return
		case <-tick.C:
		}
		g := mine[rng.IntN(len(mine))]
		if c == nil {
			if c = l.dial(t, l.owner[g], &node, deadline); c == nil {
				continue
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		call := l.now()
		h, err := c.History(ctx, wire.HistoryArgs{Group: g, Limit: 20})
		ret := l.now()
		cancel()
		if err != nil {
			c.Close()
			c = nil
			continue
		}
		out := readOut{last: h.LastSeq}
		for _, m := range h.Msgs {
			out.seqs = append(out.seqs, m.Seq)
			out.cmids = append(out.cmids, m.CMID)
		}
		l.mu.Lock()
		l.ops[g] = append(l.ops[g], porcupine.Operation{ClientId: id, Input: linIn{}, Call: call, Output: out, Return: ret})
		l.mu.Unlock()
	}
}

// pause waits for the sends in flight and holds new ones until resume.
func (l *faultLoad) pause()  { l.gate.Lock() }
func (l *faultLoad) resume() { l.gate.Unlock() }

func (l *faultLoad) finish() {
	close(l.stop)
	l.wg.Wait()
}

// lastAcks returns each group's last ack time.
func (l *faultLoad) lastAcks() map[string]time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]time.Time, len(l.lastAck))
	for g, at := range l.lastAck {
		out[g] = at
	}
	return out
}

func (l *faultLoad) count(g string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked[g])
}

func (l *faultLoad) total() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, a := range l.acked {
		n += len(a)
	}
	return n
}

// firstAcks waits until every group acknowledged a send after at and
// returns the longest time from at to a group's first such ack (from the
// recorded operations' return times).
func (l *faultLoad) firstAcks(t *testing.T, at time.Time, d time.Duration) time.Duration {
	t.Helper()
	first := map[string]time.Time{}
	waitFor(t, d, "an acknowledged send on every group after the fault", func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, g := range l.groups {
			if _, ok := first[g]; ok {
				continue
			}
			// The earliest ack after at: scan this group's sends from the end.
			ops := l.ops[g]
			var earliest time.Time
			for k := len(ops) - 1; k >= 0; k-- {
				op := ops[k]
				if _, ok := op.Input.(linIn); !ok || !op.Input.(linIn).send {
					continue
				}
				ret := l.start.Add(time.Duration(op.Return))
				if !ret.After(at) {
					break
				}
				earliest = ret
			}
			if !earliest.IsZero() {
				first[g] = earliest
			}
		}
		return len(first) == len(l.groups)
	})
	var worst time.Duration
	for _, ft := range first {
		worst = max(worst, ft.Sub(at))
	}
	return worst
}

// checkHistories reads every group's whole history through member i and
// checks it against the acknowledged sends: every acked (seq, cmid) there,
// no duplicate cmid, seqs contiguous from 1.
func (l *faultLoad) checkHistories(t *testing.T, i int) (msgs int) {
	t.Helper()
	acked := l.ackedCopy()
	l.eachGroup(t, i, func(g string, c *client.Client) {
		ms := allHistory(t, c, g)
		checkJournal(t, ms, acked[g])
		msgs += len(ms)
	})
	return msgs
}

// ackedCopy is a copy of the acknowledged sends, per group cmid -> seq.
func (l *faultLoad) ackedCopy() map[string]map[string]uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	acked := make(map[string]map[string]uint64, len(l.acked))
	for g, a := range l.acked {
		acked[g] = make(map[string]uint64, len(a))
		for k, v := range a {
			acked[g][k] = v
		}
	}
	return acked
}

// eachGroup calls f for every group with a connection to member i signed
// in as the group's owner (one connection per owner, closed at the end).
func (l *faultLoad) eachGroup(t *testing.T, i int, f func(g string, c *client.Client)) {
	t.Helper()
	clients := map[string]*client.Client{}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	for _, g := range l.groups {
		user := l.owner[g]
		c := clients[user]
		if c == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			var err error
			c, err = client.Dial(ctx, l.c.addrs[i], client.Options{Token: token(t, user)})
			cancel()
			if err != nil {
				t.Fatalf("dial member %d: %v", i, err)
			}
			clients[user] = c
		}
		f(g, c)
	}
}

// checkNew reads, through member i, every group's messages after those
// already verified and checks them: seqs follow on, no cmid twice, and
// every send acknowledged before the call is at its seq. It returns the
// number of messages read.
func (l *faultLoad) checkNew(t *testing.T, i int) (read int) {
	t.Helper()
	acked := l.ackedCopy()
	l.eachGroup(t, i, func(g string, c *client.Client) {
		if l.seen[g] == nil {
			l.seen[g] = map[string]bool{}
		}
		log := l.verified[g]
		for page := 0; page < 10000; page++ {
			h, err := c.History(ctxT(t), wire.HistoryArgs{Group: g, After: wire.After(uint64(len(log))), Limit: 200})
			if err != nil {
				t.Fatalf("history of %s through member %d: %v", g, i, err)
			}
			for _, m := range h.Msgs {
				if m.Seq != uint64(len(log)+1) {
					t.Fatalf("group %s: seq %d after %d", g, m.Seq, len(log))
				}
				if m.CMID != "" {
					if l.seen[g][m.CMID] {
						t.Fatalf("group %s: cmid %s stored twice", g, m.CMID)
					}
					l.seen[g][m.CMID] = true
				}
				log = append(log, m.CMID)
			}
			read += len(h.Msgs)
			if len(h.Msgs) == 0 || !h.More {
				break
			}
		}
		l.verified[g] = log
		for cmid, seq := range acked[g] {
			if seq == 0 || seq > uint64(len(log)) || log[seq-1] != cmid {
				t.Fatalf("group %s: acknowledged %s (seq %d) missing or moved", g, cmid, seq)
			}
		}
	})
	return read
}

// checkLinearizable resolves the sends left unacknowledged from the final
// logs (read through member i) and checks every group's history with
// porcupine against linModel. It returns the number of operations.
func (l *faultLoad) checkLinearizable(t *testing.T, i int) (ops, resolved, dropped int) {
	t.Helper()
	final := redial(t, l.c.addrs[i], l.owner[l.groups[0]])
	users := map[string]*client.Client{l.owner[l.groups[0]]: final}
	end := l.now()
	for _, g := range l.groups {
		h := l.ops[g]
		if p, ok := l.pending[g]; ok {
			c := users[l.owner[g]]
			if c == nil {
				c = redial(t, l.c.addrs[i], l.owner[g])
				users[l.owner[g]] = c
			}
			found := false
			for _, m := range allHistory(t, c, g) {
				if m.CMID == p.Input.(linIn).cmid {
					p.Output, p.Return, found = sendOut{seq: m.Seq}, end, true
				}
			}
			if found {
				h = append(h, p)
				resolved++
			} else {
				dropped++
			}
		}
		ops += len(h)
		res, info := porcupine.CheckOperationsVerbose(linModel(l.initial[g]), h, 30*time.Second)
		if res == porcupine.Illegal {
			path := t.TempDir() + "/lin.html"
			if f, err := os.Create(path); err == nil {
				_ = porcupine.Visualize(linModel(l.initial[g]), info, f)
				f.Close()
			}
			t.Fatalf("group %s: history of %d operations is not linearizable (visualization %s)", g, len(h), path)
		}
		if res == porcupine.Unknown {
			t.Logf("group %s: linearizability check timed out on %d operations", g, len(h))
		}
	}
	return ops, resolved, dropped
}

// shardOfGroup is the replication shard of a group's grain.
func shardOfGroup(g string) uint32 {
	return replication.ShardOf(actors.KindGroup[:1]+"/"+g, faultShards)
}

// envInt reads a positive integer from the environment, or def.
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
