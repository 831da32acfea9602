package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/qunchat/qun/wire"
)

func TestMain(m *testing.M) {
	MaybeServeChild() // --spawn re-executes this test binary as the server
	os.Exit(m.Run())
}

// smoke runs cfg with tiny sizes and checks the JSON object's keys.
func smoke(t *testing.T, cfg Config) (*Report, map[string]any) {
	t.Helper()
	if cfg.Duration == 0 {
		cfg.Duration = time.Second
	}
	if cfg.Warmup == 0 {
		cfg.Warmup = 200 * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rep.JSON(&buf); err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(buf.Bytes(), &obj); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, buf.String())
	}
	for _, k := range []string{"scenario", "deliveries_per_sec", "sends_per_sec", "latency_ms", "errors", "server_cpu_s", "server_rss_mb"} {
		if _, ok := obj[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	lat, _ := obj["latency_ms"].(map[string]any)
	for _, k := range []string{"p50", "p99", "p999", "max"} {
		if _, ok := lat[k]; !ok {
			t.Errorf("latency_ms lacks %q", k)
		}
	}
	if obj["scenario"] != cfg.Scenario {
		t.Errorf("scenario = %v", obj["scenario"])
	}
	var table bytes.Buffer
	rep.Table(&table)
	if !strings.Contains(table.String(), "latency p99 ms") {
		t.Errorf("table:\n%s", table.String())
	}
	return rep, obj
}

func noFailures(t *testing.T, r *Result) {
	t.Helper()
	if r.Errors != 0 || r.SlowConsumers != 0 || r.Gaps != 0 {
		t.Errorf("%s: errors %d, slow consumers %d, gaps %d", r.System, r.Errors, r.SlowConsumers, r.Gaps)
	}
}

func TestFanoutSmoke(t *testing.T) {
	rep, _ := smoke(t, Config{Scenario: "fanout", Members: 10, Rate: 200})
	if rep.Deliveries == 0 || rep.DeliveriesPerSec <= 0 || rep.Sends == 0 {
		t.Fatalf("no deliveries: %+v", rep.Result)
	}
	// 200 msgs/s to 10 members for ~1 s: about 2000 deliveries.
	if rep.Deliveries < 1000 || rep.Deliveries > 3000 {
		t.Errorf("deliveries %d, want about 2000", rep.Deliveries)
	}
	if rep.Latency.N == 0 || rep.Latency.P99 <= 0 {
		t.Errorf("no latency recorded: %+v", rep.Latency)
	}
	noFailures(t, &rep.Result)
}

func TestFanoutSaturationSpawn(t *testing.T) {
	rep, _ := smoke(t, Config{Scenario: "fanout", Members: 5, Rate: 0, Spawn: true, Window: 16})
	if rep.Mode != ModeSpawn || rep.Deliveries == 0 {
		t.Fatalf("mode %s, deliveries %d", rep.Mode, rep.Deliveries)
	}
	if rep.ServerCPU <= 0 || rep.ServerRSSMB <= 0 {
		t.Errorf("server CPU %v s, RSS %v MB: want them from /proc of the child", rep.ServerCPU, rep.ServerRSSMB)
	}
	noFailures(t, &rep.Result)
}

func TestGroupsSmoke(t *testing.T) {
	rep, _ := smoke(t, Config{Scenario: "groups", Groups: 4, Members: 3, Users: 6, Senders: 2, Rate: 20})
	if rep.Deliveries == 0 {
		t.Fatalf("no deliveries: %+v", rep.Result)
	}
	noFailures(t, &rep.Result)
}

func TestRoomSmoke(t *testing.T) {
	rep, _ := smoke(t, Config{Scenario: "room", Members: 40, Rate: 20, Gifts: 5, MergeWindowMS: 20})
	if rep.Deliveries == 0 {
		t.Fatalf("no deliveries: %+v", rep.Result)
	}
	if rep.HighPerSec <= 0 || rep.HighLatency == nil || rep.HighLatency.N == 0 || rep.HighLost != 0 {
		t.Fatalf("gifts: %v/s, latency %+v, lost %d", rep.HighPerSec, rep.HighLatency, rep.HighLost)
	}
	noFailures(t, &rep.Result)
}

// TestWalkRoomPush: the lean reader reads a RoomPush's messages and its
// skipped count, as the server encodes them.
func TestWalkRoomPush(t *testing.T) {
	p := wire.RoomPush{Group: "room-x", Skipped: 7, Online: 3, Msgs: []wire.Message{
		{Seq: 5, Type: wire.MsgText, Body: wire.Body{Text: &wire.TextBody{Text: "a"}}, Lane: wire.LaneChatter},
		{Seq: 6, Type: wire.MsgText, Body: wire.Body{Text: &wire.TextBody{Text: "b"}}, Lane: wire.LaneHigh},
	}}
	body, err := wire.Marshal(&p)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	skipped, ok := walkRoomPush(body, func(g []byte, seq, typ uint64, text []byte) {
		if string(g) != "room-x" || typ != 1 {
			t.Errorf("group %q type %d", g, typ)
		}
		seqs = append(seqs, seq)
	})
	if !ok || skipped != 7 || len(seqs) != 2 || seqs[1] != 6 {
		t.Fatalf("ok %v skipped %d seqs %v", ok, skipped, seqs)
	}
	if _, ok := walkRoomPush(body[:len(body)-3], func([]byte, uint64, uint64, []byte) {}); ok {
		t.Fatal("a truncated frame passed")
	}
}

func FuzzWalkRoomPush(f *testing.F) {
	b, _ := wire.Marshal(&wire.RoomPush{Group: "g", Skipped: 1, Msgs: []wire.Message{{Seq: 1, Type: 1, Body: wire.Body{Text: &wire.TextBody{Text: "x"}}}}})
	f.Add(b)
	f.Fuzz(func(t *testing.T, body []byte) {
		walkRoomPush(body, func([]byte, uint64, uint64, []byte) {})
	})
}

func TestPersistSmoke(t *testing.T) {
	rep, _ := smoke(t, Config{Scenario: "persist", Groups: 20, Senders: 2, Rate: 0, Window: 16})
	if rep.Sends == 0 || rep.SendsPerSec <= 0 || rep.Latency.N == 0 {
		t.Fatalf("no durable sends: %+v", rep.Result)
	}
	if rep.Errors != 0 {
		t.Errorf("errors %d", rep.Errors)
	}
}

func TestConnectSmoke(t *testing.T) {
	rep, _ := smoke(t, Config{Scenario: "connect", Conns: 20, Rate: 200, Join: 1})
	if rep.Conns != 20 || rep.ConnsPerSec <= 0 || rep.Latency.N != 20 {
		t.Fatalf("conns %d, %v/s, latency count %d", rep.Conns, rep.ConnsPerSec, rep.Latency.N)
	}
	if rep.Errors != 0 {
		t.Errorf("errors %d", rep.Errors)
	}
}

func TestResyncSmoke(t *testing.T) {
	rep, _ := smoke(t, Config{Scenario: "resync", Conns: 10, Groups: 2, Missed: 5, Warmup: time.Millisecond})
	// Each storm replays 2 groups × 5 missed messages to 10 clients.
	if rep.Replayed < 100 || rep.Latency.N < 10 {
		t.Fatalf("replayed %d, resyncs %d", rep.Replayed, rep.Latency.N)
	}
	noFailures(t, &rep.Result)
}

func TestVsNats(t *testing.T) {
	if FindNatsServer("") == "" {
		t.Skip("nats-server is not installed")
	}
	rep, obj := smoke(t, Config{Scenario: "fanout", Members: 5, Rate: 100, Vs: "nats", Rounds: 1})
	if rep.Peer == nil || rep.Ratio == nil {
		t.Fatal("no peer result")
	}
	if rep.Peer.Deliveries == 0 || rep.Ratio.DeliveriesPerSec <= 0 {
		t.Fatalf("peer %+v ratio %+v", rep.Peer, rep.Ratio)
	}
	for _, k := range []string{"peer", "ratio"} {
		if _, ok := obj[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	r, _ := obj["ratio"].(map[string]any)
	for _, k := range []string{"deliveries_per_sec", "p99"} {
		if _, ok := r[k]; !ok {
			t.Errorf("ratio lacks %q", k)
		}
	}
	noFailures(t, rep.Peer)
}

func TestVsNatsMissing(t *testing.T) {
	rep, _ := smoke(t, Config{Scenario: "fanout", Members: 3, Rate: 50, Vs: "nats", NatsServer: "/nonexistent/nats-server", Duration: 500 * time.Millisecond})
	if rep.Peer != nil {
		t.Fatal("a peer without nats-server")
	}
	found := false
	for _, n := range rep.Notes {
		found = found || strings.Contains(n, "not installed")
	}
	if !found {
		t.Errorf("notes %q do not say nats-server is missing", rep.Notes)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []Config{
		{Scenario: "nope"},
		{Scenario: "fanout", Members: 2, Senders: 3},
		{Scenario: "fanout", Payload: 10},
		{Scenario: "fanout", Window: 300},
		{Scenario: "fanout", Vs: "redis"},
		{Scenario: "fanout", Server: "127.0.0.1:1"},
		{Scenario: "fanout", Vs: "nats-js"}, // JetStream is for persist only
	} {
		c := Defaults(c)
		if err := c.Validate(); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
	for _, vs := range []string{"nats", "nats-js"} {
		if c := Defaults(Config{Scenario: "persist", Vs: vs}); c.Validate() != nil {
			t.Errorf("persist --vs %s: %v", vs, c.Validate())
		}
	}
}

func TestFDLimitError(t *testing.T) {
	soft, _, err := FDLimit()
	if err != nil {
		t.Skip(err)
	}
	err = checkFDs(soft+1, "test")
	if _, ok := err.(*ErrFDLimit); !ok || !strings.Contains(err.Error(), "file-descriptor limit stops this run") {
		t.Fatalf("err = %v", err)
	}
}

func TestPayload(t *testing.T) {
	b := newPayload(100)
	fillPayload(b, 123456789, 7, 42)
	ts, s, q, ok := parsePayload(b)
	if !ok || ts != 123456789 || s != 7 || q != 42 || len(b) != 100 {
		t.Fatalf("%d %d %d %v", ts, s, q, ok)
	}
	if ts2, ok := payloadTime(b); !ok || ts2 != ts {
		t.Fatal(ts2)
	}
	if _, _, _, ok := parsePayload([]byte("hello")); ok {
		t.Fatal("short payload parsed")
	}
}

func pushFrame(t testing.TB, n int) []byte {
	p := wire.Push{Group: "gabc"}
	for i := 0; i < n; i++ {
		pl := newPayload(100)
		fillPayload(pl, int64(1000+i), 1, uint32(i))
		p.Msgs = append(p.Msgs, wire.Message{Seq: uint64(10 + i), Time: 1, Sender: "alice", CMID: "c1", Type: wire.MsgText,
			Body: wire.Body{Text: &wire.TextBody{Text: string(pl), Mentions: []string{"bob"}}}})
	}
	p.Msgs = append(p.Msgs, wire.Message{Seq: uint64(10 + n), Type: wire.MsgSystem, Body: wire.Body{System: &wire.SystemBody{Event: "joined", Actor: "x"}}})
	f, err := wire.EncodeFrame(wire.FramePush, &p)
	if err != nil {
		t.Fatal(err)
	}
	_, body, err := wire.FrameBody(f)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func TestWalkPush(t *testing.T) {
	body := pushFrame(t, 3)
	var seqs []uint64
	var times []int64
	ok := walkPush(body, func(g []byte, seq, typ uint64, text []byte) {
		if string(g) != "gabc" {
			t.Errorf("group %q", g)
		}
		seqs = append(seqs, seq)
		if typ == uint64(wire.MsgText) {
			ts, _ := payloadTime(text)
			times = append(times, ts)
		} else if text != nil {
			t.Errorf("system message with text %q", text)
		}
	})
	if !ok || len(seqs) != 4 || seqs[0] != 10 || seqs[3] != 13 || len(times) != 3 || times[2] != 1002 {
		t.Fatalf("ok %v seqs %v times %v", ok, seqs, times)
	}
	// Truncated or garbage input is refused without panicking.
	for i := 0; i < len(body); i++ {
		walkPush(body[:i], func([]byte, uint64, uint64, []byte) {})
	}
	if walkPush([]byte{0xdf, 0xff, 0xff, 0xff, 0xff}, func([]byte, uint64, uint64, []byte) {}) {
		t.Fatal("huge map accepted")
	}
}

func TestMedian(t *testing.T) {
	m := median([]Result{{DeliveriesPerSec: 1, Errors: 1}, {DeliveriesPerSec: 5}, {DeliveriesPerSec: 3, Errors: 2}})
	if m.DeliveriesPerSec != 3 || m.Errors != 3 || m.Rounds != 3 {
		t.Fatalf("%+v", m)
	}
}

// BenchmarkReader compares the lean reader's work per push with a full
// decode (what an application reader does): the load generator spends the
// former.
func BenchmarkReader(b *testing.B) {
	body := pushFrame(b, 4)
	b.Run("walk", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			walkPush(body, func(_ []byte, _, _ uint64, text []byte) {
				if _, ok := payloadTime(text); ok {
					n++
				}
			})
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var p wire.Push
			if err := wire.Decode(body, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("nats-payload", func(b *testing.B) {
		pl := newPayload(100)
		b.ReportAllocs()
		for b.Loop() {
			parsePayload(pl)
		}
	})
}
