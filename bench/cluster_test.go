package bench

import (
	"strings"
	"testing"
)

// TestPersistCluster spawns a 3-node replicated Qun cluster (R = 3) and a
// 3-server JetStream cluster (R3 stream) and runs persist against both in
// one run, with the clients spread over the nodes.
func TestPersistCluster(t *testing.T) {
	cfg := Config{Scenario: "persist", Groups: 6, Senders: 3, Rate: 300, Cluster: 3, Rounds: 1}
	if FindNatsServer("") != "" {
		cfg.Vs = "nats-js"
	}
	rep, _ := smoke(t, cfg)
	if rep.Mode != ModeSpawn || rep.Sends == 0 || rep.Latency.N == 0 {
		t.Fatalf("mode %s, sends %d, latencies %d", rep.Mode, rep.Sends, rep.Latency.N)
	}
	if !rep.Config.Spawn || rep.Config.Cluster != 3 {
		t.Errorf("a cluster run must spawn its nodes: %+v", rep.Config)
	}
	if rep.ServerCPU <= 0 {
		t.Errorf("server CPU %v s: want the three children's", rep.ServerCPU)
	}
	if !strings.Contains(strings.Join(rep.Notes, " "), "a cluster of 3 spawned nodes") {
		t.Errorf("notes %q do not describe the cluster", rep.Notes)
	}
	noFailures(t, &rep.Result)
	if cfg.Vs == "" {
		return
	}
	if rep.Peer == nil || rep.Peer.Sends == 0 {
		t.Fatalf("no JetStream figures: %+v", rep.Peer)
	}
	noFailures(t, rep.Peer)
	if !strings.Contains(strings.Join(rep.Peer.Notes, " "), "streams of 3 replicas") {
		t.Errorf("JetStream notes %q do not say R3", rep.Peer.Notes)
	}
}
