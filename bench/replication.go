package bench

import (
	"github.com/qunchat/qun/engine"
)

// replOpts are the replication settings of a server qunbench starts.
type replOpts struct {
	// On turns replicated storage on (engine.Config.Replication): a lone
	// node is a cluster of one (R = 1).
	On bool `json:"on,omitempty"`
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
	if !r.On {
		return
	}
	cfg.Replication = true
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
