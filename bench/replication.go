package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/qunchat/qun/engine"
)

// replOpts are the replication settings of a server qunbench starts.
type replOpts struct {
	// Gossip and Raft are this node's addresses in a spawned cluster
	// (empty: the engine's loopback defaults).
	Gossip string `json:"gossip,omitempty"`
	Raft   string `json:"raft,omitempty"`
	// Join lists every node's gossip address; Expect is the cluster size
	// (engine.Config.BootstrapExpect); ClusterSecret authenticates them.
	Join          []string `json:"join,omitempty"`
	Expect        int      `json:"expect,omitempty"`
	ClusterSecret string   `json:"cluster_secret,omitempty"`
}

func (r replOpts) apply(cfg *engine.Config) {
	if r.Gossip != "" {
		cfg.GossipAddr = r.Gossip
	}
	if r.Raft != "" {
		cfg.RaftAddr = r.Raft
	}
	if r.Expect > 1 {
		cfg.Join = r.Join
		cfg.BootstrapExpect = r.Expect
		cfg.ClusterSecret = []byte(r.ClusterSecret)
	}
}

// ClusterReplicas is R of a spawned cluster (Config.Cluster), and of the
// JetStream stream it is compared with.
func ClusterReplicas(nodes int) int { return min(nodes, 3) }

// spawnCluster starts cfg.Cluster child servers forming one replicated
// cluster on loopback (each with its own data dir, the same token secret,
// every node's gossip address to join, BootstrapExpect = the node count),
// then waits until every shard has a ready leader. s becomes node 0; the
// others are its peers.
func (s *qunServer) spawnCluster(ctx context.Context, cfg *Config) error {
	n := cfg.Cluster
	raw := make([]byte, 24)
	_, _ = rand.Read(raw)
	clusterSecret := hex.EncodeToString(raw)
	gossip := make([]string, n)
	for i := range gossip {
		port, err := freePort()
		if err != nil {
			return err
		}
		gossip[i] = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	}
	nodes := []*qunServer{s}
	for i := 1; i < n; i++ {
		dir, err := os.MkdirTemp("", "qunbench-")
		if err != nil {
			return err
		}
		p := &qunServer{secret: s.secret, dir: dir, metrics: s.metrics}
		s.peers = append(s.peers, p)
		nodes = append(nodes, p)
	}
	for i, node := range nodes {
		err := node.spawnStart(replOpts{Gossip: gossip[i], Join: gossip, Expect: n, ClusterSecret: clusterSecret})
		if err != nil {
			return err
		}
	}
	for _, node := range nodes {
		if err := node.awaitListening(ctx); err != nil {
			return err
		}
		s.addrs = append(s.addrs, node.addr)
		if node != s {
			s.proc.more = append(s.proc.more, node.proc.pid)
		}
	}
	say(cfg, "cluster of %d nodes up (R = %d); waiting for every shard's leader", n, ClusterReplicas(n))
	deadline := time.Now().Add(2 * time.Minute)
	for {
		shards, led, known := 0, 0, -1 // known: the fewest over the nodes
		var per []int
		for _, node := range nodes {
			line, err := node.control("leaders")
			if err != nil {
				return err
			}
			var st leaders
			if err := json.Unmarshal([]byte(line), &st); err != nil {
				return fmt.Errorf("node %s: %s", node.addr, line)
			}
			shards, led = max(shards, st.Shards), led+st.Led
			per = append(per, st.Led)
			if known < 0 || st.Known < known {
				known = st.Known
			}
		}
		if shards > 0 && led >= shards && known >= shards {
			say(cfg, "every shard has a leader; shards led per node: %v", per)
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("cluster: %d of %d shards with a ready leader after 2 min", led, shards)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// leaders is a node's answer to the "leaders" control command.
type leaders struct {
	// Shards is S; Led the shards this node leads and may serve; Known the
	// local replicas that know their leader.
	Shards, Led, Known int
}

func leadersLine(e *engine.Engine) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := e.ReplicationStatus(ctx)
	if err != nil {
		return "error " + err.Error()
	}
	var l leaders
	for _, sh := range st.Shards {
		l.Shards = max(l.Shards, int(sh.Shard)+1)
		if sh.Local && sh.Ready {
			l.Led++
		}
		if sh.Lead != 0 {
			l.Known++
		}
	}
	b, _ := json.Marshal(l)
	return string(b)
}

// clusterStats adds up the nodes' stats.
func (s *qunServer) clusterStats(gc bool) (serverStats, error) {
	var sum serverStats
	c := "stats"
	if gc {
		c = "mem"
	}
	for _, node := range append([]*qunServer{s}, s.peers...) {
		line, err := node.control(c)
		if err != nil {
			return serverStats{}, err
		}
		var st serverStats
		if err := json.Unmarshal([]byte(line), &st); err != nil {
			return serverStats{}, err
		}
		sum.HeapInuse += st.HeapInuse
		sum.StackInuse += st.StackInuse
		sum.Goroutines += st.Goroutines
		sum.RSS += st.RSS
		sum.Conns += st.Conns
		sum.Slow += st.Slow
		sum.Fsyncs += st.Fsyncs
		sum.Events += st.Events
	}
	return sum, nil
}
