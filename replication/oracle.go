package replication

// Oracle answers where a grain may live from this node's view of its
// shard's leadership. Its LeaderOf has the signature of
// cluster.LeaderOracle (replication does not import cluster; the engine
// passes an *Oracle to cluster.NodeConfig.Leaders).
//
// On the leader it answers its own address only once the replica is ready
// (LeaderReady); elsewhere it answers the leader this replica last heard
// from. A node with no replica of the shard knows no leader (phase 1: with
// N <= R every node hosts every shard).
type Oracle struct {
	// Node is the local node. Required.
	Node *Node
	// Key maps a grain to the id ShardOf hashes. Default: the grain's
	// storage name, kind[:1] + "/" + id ("g/<group>", "u/<user>").
	Key func(kind, id string) string
	// AddressOf maps a store id to that node's protoactor address (from
	// membership metadata). Required.
	AddressOf func(storeID uint64) (address string, ok bool)
}

// ShardOfGrain returns the shard of the grain (kind, id).
func (o *Oracle) ShardOfGrain(kind, id string) uint32 {
	if o.Key != nil {
		return o.Node.ShardOf(o.Key(kind, id))
	}
	if kind == "" {
		return o.Node.ShardOf("/" + id)
	}
	return o.Node.ShardOf(kind[:1] + "/" + id)
}

// LeaderOf returns the address of the node that may host (kind, id).
func (o *Oracle) LeaderOf(kind, id string) (string, bool) {
	info := o.Node.Leader(o.ShardOfGrain(kind, id))
	switch {
	case info.Local && info.Ready:
		return o.AddressOf(o.Node.StoreID())
	case info.Local, info.Lead == 0:
		return "", false
	default:
		return o.AddressOf(info.Lead)
	}
}
