package engine_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/wire"
)

// Batching (batch.go, awaiter.go): requests a connection has already read
// go to each group's grain in one message and come back in one; clients see
// exactly what they saw one request at a time.

// pipelined is one request written in a burst, and what it must get.
type pipelined struct {
	op    wire.Op
	args  any
	group string    // a send's group: its seqs must rise in request order
	code  wire.Code // the error it must get (0: a reply)
	free  bool      // not an in-order op: answered whenever it is done
}

// burst writes every request in one write, then reads one answer per
// request and checks that the in-order ones come back in request order
// with the expected codes, and that each group's sends got rising seqs.
func burst(t *testing.T, rc *rawConn, firstID uint32, reqs []pipelined) {
	t.Helper()
	var buf []byte
	for i, r := range reqs {
		args, err := wire.Marshal(r.args)
		if err != nil {
			t.Fatal(err)
		}
		buf = append(buf, mustFrame(t, wire.FrameRequest, &wire.Request{ID: firstID + uint32(i), Op: r.op, Args: args})...)
	}
	rc.write(buf)
	last := map[string]uint64{}
	free := 0
	for _, r := range reqs {
		if r.free {
			free++
		}
	}
	for i := 0; i < len(reqs); i++ {
		r := reqs[i]
		if r.free {
			continue
		}
		id := firstID + uint32(i)
		var ft wire.FrameType
		var body []byte
		for range 1000 { // pushes and answers to free ops come in between
			ft, body = rc.next()
			if ft == wire.FramePush {
				continue
			}
			if ft == wire.FrameReply && free > 0 {
				var rep wire.Reply
				if err := wire.Decode(body, &rep); err == nil && rep.ID >= firstID && int(rep.ID-firstID) < len(reqs) && reqs[rep.ID-firstID].free {
					free--
					continue
				}
			}
			break
		}
		switch ft {
		case wire.FrameReply:
			var rep wire.Reply
			if err := wire.Decode(body, &rep); err != nil {
				t.Fatal(err)
			}
			if rep.ID != id || r.code != 0 {
				t.Fatalf("answer %d: reply to request %d, want request %d with code %s", i, rep.ID, id, r.code)
			}
			if r.group == "" {
				continue
			}
			var sr wire.SendResult
			if err := wire.Decode(rep.Body, &sr); err != nil {
				t.Fatal(err)
			}
			if sr.Seq <= last[r.group] {
				t.Fatalf("request %d: seq %d after %d in group %s", id, sr.Seq, last[r.group], r.group)
			}
			last[r.group] = sr.Seq
		case wire.FrameError:
			var ef wire.ErrorFrame
			if err := wire.Decode(body, &ef); err != nil {
				t.Fatal(err)
			}
			if ef.ID != id || ef.Code != r.code {
				t.Fatalf("answer %d: error %s (%s) for request %d, want request %d with code %s", i, ef.Code, ef.Msg, ef.ID, id, r.code)
			}
		default:
			t.Fatalf("answer %d: got %s frame", i, ft)
		}
	}
	for n := 0; free > 0 && n < 1000; n++ { // the free ops' answers not seen yet
		ft, body := rc.next()
		switch ft {
		case wire.FramePush:
		case wire.FrameReply:
			var rep wire.Reply
			if err := wire.Decode(body, &rep); err != nil || rep.ID < firstID || int(rep.ID-firstID) >= len(reqs) || !reqs[rep.ID-firstID].free {
				t.Fatalf("unexpected reply %d (%v)", rep.ID, err)
			}
			free--
		default:
			t.Fatalf("got %s frame, want the free ops' replies", ft)
		}
	}
	if free > 0 {
		t.Fatalf("%d free ops unanswered", free)
	}
}

var cmids atomic.Int64

func sendArgs(g, text string) *wire.SendArgs {
	return &wire.SendArgs{Group: g, CMID: fmt.Sprint("m", cmids.Add(1)), Type: wire.MsgText, Body: wire.Body{Text: &wire.TextBody{Text: text}}}
}

// TestPipelinedRequestsAreBatchedInOrder: sends to two groups, reads and
// refusals written in one burst are answered in request order, each with
// what it gets alone, and the reader did hand several to a grain at once.
func TestPipelinedRequestsAreBatchedInOrder(t *testing.T) {
	e := startEngine(t, testConfig(t.TempDir()))
	alice := dial(t, e, "alice", nil)
	g1, err := alice.CreateGroup(ctxT(t), "one")
	if err != nil {
		t.Fatal(err)
	}
	g2, err := alice.CreateGroup(ctxT(t), "two")
	if err != nil {
		t.Fatal(err)
	}
	rc := rawDial(t, e)
	rc.hello("alice", e)
	// What a refusal is alone: a send to a group that does not exist.
	bad, _ := wire.Marshal(sendArgs("g_nosuchgroup", "x"))
	code, _ := rc.request(1, wire.OpSend, bad)
	if code == 0 {
		t.Fatal("a send to a missing group succeeded")
	}
	b0, c0 := engine.BatchCounts()
	id := uint32(2)
	for round := range 3 {
		reqs := []pipelined{
			{op: wire.OpSend, args: sendArgs(g1, fmt.Sprint("a", round)), group: g1},
			{op: wire.OpSend, args: sendArgs(g2, fmt.Sprint("b", round)), group: g2},
			{op: wire.OpSend, args: sendArgs(g1, fmt.Sprint("c", round)), group: g1},
			{op: wire.OpGroupInfo, args: &wire.GroupArgs{Group: g1}},
			{op: wire.OpSend, args: sendArgs("g_nosuchgroup", "x"), code: code},
			{op: wire.OpSend, args: sendArgs(g1, fmt.Sprint("d", round)), group: g1},
			{op: wire.OpSend, args: sendArgs(g2, fmt.Sprint("e", round)), group: g2},
			{op: wire.OpMyGroups, args: struct{}{}, free: true}, // not in order: runs after the ones before reached their grains
			{op: wire.OpSend, args: sendArgs(g1, fmt.Sprint("f", round)), group: g1},
		}
		burst(t, rc, id, reqs)
		id += uint32(len(reqs))
	}
	b1, c1 := engine.BatchCounts()
	if c1-c0 <= b1-b0 {
		t.Fatalf("%d calls in %d batches: no batch carried more than one", c1-c0, b1-b0)
	}
	// Everything is in history once, in order.
	h, err := alice.History(ctxT(t), wire.HistoryArgs{Group: g1, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range h.Msgs {
		if m.Type == wire.MsgText {
			got = append(got, m.Body.Text.Text)
		}
	}
	want := []string{"a0", "c0", "d0", "f0", "a1", "c1", "d1", "f1", "a2", "c2", "d2", "f2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("history %v, want %v", got, want)
	}
}

// TestBatchToAStaleGrainIsRetried: a batch sent to a PID whose grain is
// gone comes back as a dead letter and each of its requests is retried
// through the cluster, in order; the other group's requests are untouched.
func TestBatchToAStaleGrainIsRetried(t *testing.T) {
	e := startEngine(t, testConfig(t.TempDir()))
	alice := dial(t, e, "alice", nil)
	g1, _ := alice.CreateGroup(ctxT(t), "one")
	g2, _ := alice.CreateGroup(ctxT(t), "two")
	rc := rawDial(t, e)
	rc.hello("alice", e)
	engine.StaleGroupPID(e, g1)
	burst(t, rc, 1, []pipelined{
		{op: wire.OpSend, args: sendArgs(g1, "a"), group: g1},
		{op: wire.OpSend, args: sendArgs(g2, "b"), group: g2},
		{op: wire.OpSend, args: sendArgs(g1, "c"), group: g1},
		{op: wire.OpSend, args: sendArgs(g1, "d"), group: g1},
	})
	h, err := alice.History(ctxT(t), wire.HistoryArgs{Group: g1, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range h.Msgs {
		if m.Type == wire.MsgText {
			got = append(got, m.Body.Text.Text)
		}
	}
	if fmt.Sprint(got) != "[a c d]" {
		t.Fatalf("history %v", got)
	}
}

// TestSilentGrainTimesOutOnlyItsRequests: a grain that never answers fails
// its own requests with a timeout at the deadline; a request to another
// group in the same burst is answered, after it (answers keep request
// order), and the group works again once its PID is looked up afresh.
func TestSilentGrainTimesOutOnlyItsRequests(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.RequestTimeout = 500 * time.Millisecond
	e := startEngine(t, cfg)
	alice := dial(t, e, "alice", nil)
	g1, _ := alice.CreateGroup(ctxT(t), "one")
	g2, _ := alice.CreateGroup(ctxT(t), "two")
	rc := rawDial(t, e)
	rc.hello("alice", e)
	engine.MuteGroupPID(e, g1)
	start := time.Now()
	burst(t, rc, 1, []pipelined{
		{op: wire.OpSend, args: sendArgs(g1, "lost"), code: wire.CodeTimeout},
		{op: wire.OpSend, args: sendArgs(g2, "b"), group: g2},
		{op: wire.OpSend, args: sendArgs(g1, "lost2"), code: wire.CodeTimeout},
	})
	if d := time.Since(start); d < cfg.RequestTimeout {
		t.Fatalf("timed out after %v, before the %v deadline", d, cfg.RequestTimeout)
	}
	engine.ForgetGroupPID(e, g1)
	burst(t, rc, 4, []pipelined{{op: wire.OpSend, args: sendArgs(g1, "back"), group: g1}})
}

// TestBatchRepliesAcrossNodes: a connection on one node batches requests to
// a grain on the other; the answers come back to its reply process there.
func TestBatchRepliesAcrossNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two nodes")
	}
	if raceBuild() {
		t.Skip("two in-process nodes race inside protoactor/grpc") // as TestDiscoveryTwoNodes
	}
	es := startCluster(t, 2)
	e1, e2 := es[0], es[1]
	e1.Host().SetTier("alice", engine.Tier{MaxOwnedGroups: 100, MaxMembers: 200})
	c1 := dial(t, e1, "alice", nil)
	local, err := c1.CreateGroup(ctxT(t), "first") // also activates alice's grain
	if err != nil {
		t.Fatal(err)
	}
	var remote string
	base := e2.Stats().Grains
	waitFor(t, 10*time.Second, "a group grain on node 2", func() bool {
		g, err := c1.CreateGroup(ctxT(t), "probe")
		if err != nil {
			t.Fatal(err)
		}
		remote = g
		return e2.Stats().Grains > base
	})
	rc := rawDial(t, e1)
	rc.hello("alice", e1)
	id := uint32(1)
	for round := range 3 {
		reqs := []pipelined{
			{op: wire.OpSend, args: sendArgs(remote, fmt.Sprint("r", round)), group: remote},
			{op: wire.OpSend, args: sendArgs(local, fmt.Sprint("l", round)), group: local},
			{op: wire.OpSend, args: sendArgs(remote, fmt.Sprint("s", round)), group: remote},
			{op: wire.OpGroupInfo, args: &wire.GroupArgs{Group: remote}},
		}
		burst(t, rc, id, reqs)
		id += uint32(len(reqs))
	}
}

// TestLongBurstsKeepFrameBoundaries: bursts of many frames of varied sizes
// (far more than the small read buffer holds) move the reader to its busy
// buffer mid-frame and back when idle; every request is still read whole,
// batched and answered in order.
func TestLongBurstsKeepFrameBoundaries(t *testing.T) {
	e := startEngine(t, testConfig(""))
	alice := dial(t, e, "alice", nil)
	g1, _ := alice.CreateGroup(ctxT(t), "one")
	g2, _ := alice.CreateGroup(ctxT(t), "two")
	rc := rawDial(t, e)
	rc.hello("alice", e)
	id := uint32(1)
	for round := range 5 {
		var reqs []pipelined
		for i := range 60 {
			g := []string{g1, g2}[i%3/2]
			text := fmt.Sprintf("%d-%d-%s", round, i, strings.Repeat("x", i*7%90))
			reqs = append(reqs, pipelined{op: wire.OpSend, args: sendArgs(g, text), group: g})
		}
		burst(t, rc, id, reqs)
		id += uint32(len(reqs))
	}
}
