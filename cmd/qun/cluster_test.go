package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/internal/admin"
	"github.com/qunchat/qun/internal/testserver"
)

// TestClusterStatus runs qun cluster status against a node's
// admin listener, wired as qund wires it (GET /cluster serves
// Engine.ReplicationStatus behind the admin token).
func TestClusterStatus(t *testing.T) {
	cfg := testserver.Config(t.TempDir())
	cfg.Shards = 8
	e := testserver.Start(t, cfg)
	const token = "admin-token-0123456789"
	srv, err := admin.Listen(admin.Config{Addr: "127.0.0.1:0", Token: token, Gatherer: prometheus.NewRegistry(),
		Cluster: func(ctx context.Context) (any, error) { return e.ReplicationStatus(ctx) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	addr := srv.Addr().String()
	qun := func(args ...string) (string, int, error) {
		var out bytes.Buffer
		code, err := run(args, strings.NewReader(""), &out)
		return out.String(), code, err
	}
	// A lone node leads its shards once it has applied an entry of its
	// term: poll until every shard shows a ready leader.
	var out string
	deadline := time.Now().Add(20 * time.Second)
	for {
		o, code, err := qun("cluster", "status", "--admin", addr, "--admin-token", token)
		if code != 0 {
			t.Fatalf("exit %d: %v\n%s", code, err, o)
		}
		out = o
		if strings.Contains(out, "leading 8 (8 ready)") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("shards not all led within 20 s:\n%s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	st, err := e.ReplicationStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"1 members, 8 local replicas", "SHARD", "LEADER", "TERM", "APPLIED", "COMMIT", "LAG",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// One line per shard, each led by this store, applied == commit, lag 0.
	row := regexp.MustCompile(`(?m)^\s+(\d+)\s+(\d+)\s+(\d+)\s+leader\s+(\d+)\s+(\d+)\s+(\d+)\s+0\s+(\d+)$`)
	rows := row.FindAllStringSubmatch(out, -1)
	if len(rows) != 8 {
		t.Fatalf("%d leader rows, want 8:\n%s", len(rows), out)
	}
	for _, r := range rows {
		if r[2] != r[7] || r[2] != strings.TrimSpace(formatU(st.StoreID)) {
			t.Errorf("shard %s: leader %s voters %s, want store %d", r[1], r[2], r[7], st.StoreID)
		}
		if r[4] != r[5] {
			t.Errorf("shard %s: applied %s != commit %s on an idle lone node", r[1], r[4], r[5])
		}
	}

	// --json passes the node's document through.
	js, code, err := qun("cluster", "status", "--admin", addr, "--admin-token", token, "--json")
	if code != 0 {
		t.Fatalf("--json: exit %d: %v", code, err)
	}
	var got engine.ReplicationStatus
	if err := json.Unmarshal([]byte(js), &got); err != nil || got.StoreID != st.StoreID || len(got.Shards) != 8 {
		t.Fatalf("--json: %v, %+v", err, got)
	}

	// Without the token: refused, exit 1, says what to pass.
	o, code, err := qun("cluster", "status", "--admin", addr)
	if code != 1 || err == nil || !strings.Contains(o, "admin-token") {
		t.Fatalf("no token: exit %d, err %v, out %q", code, err, o)
	}
	// Not a subcommand it knows: a usage error.
	if _, code, _ := qun("cluster", "join"); code != 2 {
		t.Fatalf("cluster join: exit %d, want 2", code)
	}
}

func formatU(v uint64) string {
	b, _ := json.Marshal(v)
	return string(b)
}
