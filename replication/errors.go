package replication

import "errors"

var (
	// ErrInvalidConfig is wrapped by Config.Validate errors.
	ErrInvalidConfig = errors.New("replication: invalid config")
	// ErrClosed is reported after Node.Close (or after the node failed).
	ErrClosed = errors.New("replication: node closed")
	// ErrNotLeader is reported for a proposal or read on a replica that is
	// not its shard's leader (or not hosted here).
	ErrNotLeader = errors.New("replication: not the shard leader")
	// ErrStaleEpoch is reported for a proposal evaluated under a leader
	// epoch (raft term) other than the one it would commit in: refused at
	// propose time, or rejected by the deterministic apply on every replica.
	ErrStaleEpoch = errors.New("replication: stale leader epoch")
	// ErrLeadershipLost is reported for proposals and reads pending when
	// their replica stopped leading: the outcome is unknown (the entry may
	// still commit under the next leader); retry idempotently.
	ErrLeadershipLost = errors.New("replication: leadership lost, outcome unknown")
	// ErrBackpressure is reported when a shard's uncommitted log or the
	// node's proposal queue is full.
	ErrBackpressure = errors.New("replication: too many uncommitted proposals")
	// ErrRejected wraps the error of an Applier that rejected a command:
	// the entry committed but applied as a no-op on every replica.
	ErrRejected = errors.New("replication: command rejected at apply")
	// ErrSeqGap is the StoreApplier's rejection of a journal batch whose
	// first seq does not follow the stream's applied last seq.
	ErrSeqGap = errors.New("replication: journal batch does not follow the applied last seq")
	// ErrCorrupt is reported for undecodable stored state, commands or frames.
	ErrCorrupt = errors.New("replication: corrupt data")
	// ErrShardsMismatch is reported when Config.Shards differs from the
	// count persisted at bootstrap.
	ErrShardsMismatch = errors.New("replication: shard count differs from the bootstrapped one")
	// ErrAuth is reported when a transport peer fails the handshake.
	ErrAuth = errors.New("replication: peer authentication failed")
	// ErrFrameTooLarge is reported for a transport frame over its bound.
	ErrFrameTooLarge = errors.New("replication: frame too large")
)
