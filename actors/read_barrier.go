package actors

import (
	"github.com/qunchat/qun/actors/pb"
	"github.com/qunchat/qun/wire"
)

// readBarrierStore is a store whose reads can be made linearizable:
// replication's ShardStore confirms, with a raft ReadIndex, that the
// activation's node still leads the shard at the activation's epoch, and
// waits until everything committed is applied locally.
type readBarrierStore interface {
	ReadBarrier() error
}

// readBarrier runs before a history read: on a replicated store, a grain
// on a leader that was deposed without hearing of it yet (paused past its
// election timeout, partitioned) refuses the read (CodeUnavailable: the
// client retries and reaches the new leader) instead of serving a page
// that misses messages the new leader acknowledged. Plain stores have no
// barrier: their node is the only writer.
func (g *groupGrain) readBarrier() *pb.Result {
	b, ok := g.st().(readBarrierStore)
	if !ok {
		return nil
	}
	if err := b.ReadBarrier(); err != nil {
		return &pb.Result{Code: uint32(wire.CodeUnavailable), Error: "not the leader: retry"}
	}
	return nil
}
