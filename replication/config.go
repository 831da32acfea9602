package replication

import (
	"fmt"
	"time"
)

// Config configures a Node. DefaultConfig returns every default filled in;
// the zero value of a field is invalid unless noted.
type Config struct {
	// StoreID identifies this node's store for all time. It is the node's
	// raft replica id in every shard it hosts, so a node whose disk was wiped
	// must come back with a new StoreID. Required, > 0.
	StoreID uint64
	// Shards is the number of shards S, fixed at bootstrap and persisted:
	// a restarted node uses the persisted value and refuses a different one.
	// Default 64.
	Shards uint32
	// Replicas is R, the number of replicas of each shard. Default 3; it is
	// capped by the number of bootstrap peers (a lone node runs R = 1).
	Replicas int
	// Peers are the store ids that form the cluster at bootstrap, this
	// node's included. Each shard is placed on Replicas of them (see
	// Placement). Empty means a node that joins an existing cluster: it
	// hosts the replicas other nodes add it to.
	Peers []uint64
	// TickInterval is the raft tick. Default 100 ms. 0 disables the ticker:
	// the caller ticks with Node.Tick (deterministic tests).
	TickInterval time.Duration
	// ElectionTicks is raft's election timeout in ticks. Default 10.
	ElectionTicks int
	// HeartbeatTicks is raft's heartbeat interval in ticks. Default 1.
	HeartbeatTicks int
	// MaxSizePerMsg bounds the entries in one append message. Default 1 MiB.
	MaxSizePerMsg uint64
	// MaxInflightMsgs bounds unacknowledged append messages per follower.
	// Default 256.
	MaxInflightMsgs int
	// MaxUncommittedBytes bounds a leader's uncommitted log per shard; over
	// it proposals fail with ErrBackpressure. Default 16 MiB.
	MaxUncommittedBytes uint64
	// MaxQueuedProposals bounds proposals waiting for the node loop; over it
	// Propose fails with ErrBackpressure. Default 65536.
	MaxQueuedProposals int
	// MaxInbox bounds raft messages waiting for the node loop; more are
	// dropped (raft retransmits). Default 65536.
	MaxInbox int
	// TruncateEvery is how many rounds pass between log truncation checks.
	// Default 64.
	TruncateEvery int
	// TruncateMinEntries is the fewest entries a truncation removes, to
	// amortize it. Default 256.
	TruncateMinEntries uint64
	// LogKeep is how many applied entries a leader keeps in a shard's log
	// for followers that are behind, unless they all caught up. Default 0:
	// truncate to the lowest index every replica has.
	LogKeep uint64
	// MaxLogEntries is a shard log's length past which the leader truncates
	// even if a replica is behind (it then gets a snapshot). Default 10000.
	MaxLogEntries uint64
	// SnapshotChunkBytes bounds one chunk of a streamed snapshot. Default
	// 1 MiB.
	SnapshotChunkBytes int
	// MaxSnapshotBytes bounds a received snapshot; a larger one is refused.
	// Default 1 GiB.
	MaxSnapshotBytes int64
}

// Defaults.
const (
	DefaultShards   = 64
	DefaultReplicas = 3
)

// DefaultConfig returns the defaults. StoreID and Peers must still be set.
func DefaultConfig() Config {
	return Config{
		Shards:              DefaultShards,
		Replicas:            DefaultReplicas,
		TickInterval:        100 * time.Millisecond,
		ElectionTicks:       10,
		HeartbeatTicks:      1,
		MaxSizePerMsg:       1 << 20,
		MaxInflightMsgs:     256,
		MaxUncommittedBytes: 16 << 20,
		MaxQueuedProposals:  1 << 16,
		MaxInbox:            1 << 16,
		TruncateEvery:       64,
		TruncateMinEntries:  256,
		MaxLogEntries:       10000,
		SnapshotChunkBytes:  1 << 20,
		MaxSnapshotBytes:    1 << 30,
	}
}

// Validate reports the first unusable field.
func (c Config) Validate() error {
	bad := func(f string, v any) error { return fmt.Errorf("%w: %s = %v", ErrInvalidConfig, f, v) }
	switch {
	case c.StoreID == 0:
		return bad("StoreID", c.StoreID)
	case c.Shards == 0 || c.Shards > 1<<16:
		return bad("Shards", c.Shards)
	case c.Replicas < 1 || c.Replicas > 7:
		return bad("Replicas", c.Replicas)
	case c.TickInterval < 0:
		return bad("TickInterval", c.TickInterval)
	case c.HeartbeatTicks < 1:
		return bad("HeartbeatTicks", c.HeartbeatTicks)
	case c.ElectionTicks <= c.HeartbeatTicks:
		return bad("ElectionTicks", c.ElectionTicks)
	case c.MaxSizePerMsg == 0:
		return bad("MaxSizePerMsg", c.MaxSizePerMsg)
	case c.MaxInflightMsgs < 1:
		return bad("MaxInflightMsgs", c.MaxInflightMsgs)
	case c.MaxUncommittedBytes == 0:
		return bad("MaxUncommittedBytes", c.MaxUncommittedBytes)
	case c.MaxQueuedProposals < 1:
		return bad("MaxQueuedProposals", c.MaxQueuedProposals)
	case c.MaxInbox < 1:
		return bad("MaxInbox", c.MaxInbox)
	case c.TruncateEvery < 1:
		return bad("TruncateEvery", c.TruncateEvery)
	case c.TruncateMinEntries < 1:
		return bad("TruncateMinEntries", c.TruncateMinEntries)
	case c.MaxLogEntries < 1:
		return bad("MaxLogEntries", c.MaxLogEntries)
	case c.SnapshotChunkBytes < 1024 || c.SnapshotChunkBytes > 16<<20:
		return bad("SnapshotChunkBytes", c.SnapshotChunkBytes)
	case c.MaxSnapshotBytes < int64(c.SnapshotChunkBytes):
		return bad("MaxSnapshotBytes", c.MaxSnapshotBytes)
	}
	seen := map[uint64]bool{}
	for _, p := range c.Peers {
		if p == 0 || seen[p] {
			return bad("Peers", c.Peers)
		}
		seen[p] = true
	}
	if len(c.Peers) > 0 && !seen[c.StoreID] {
		return fmt.Errorf("%w: Peers %v do not include StoreID %d", ErrInvalidConfig, c.Peers, c.StoreID)
	}
	return nil
}
