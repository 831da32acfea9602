package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/qunchat/qun/replication"
)

// Replication operations beyond status: replica checksums, leadership
// transfer and replacing a store that is gone for good (a wiped disk comes
// back under a new store id). Each acts on the shards this node can act
// on; run it on every node (or until the cluster status shows it done).

// ReplicationChecksums digests the data of every local replica at its
// applied index (replication.Node.Checksums). Replicas of a shard that
// report the same applied index must report the same sum.
func (e *Engine) ReplicationChecksums(ctx context.Context) ([]replication.ShardChecksum, error) {
	n, err := e.replNode()
	if err != nil {
		return nil, err
	}
	return n.Checksums(ctx)
}

// TransferLeadership asks every shard this node leads, and of which store
// to is a voter, to hand its leadership to to. It returns how many shards
// it asked; the transfers complete (or not) asynchronously.
func (e *Engine) TransferLeadership(ctx context.Context, to uint64) (int, error) {
	n, err := e.replNode()
	if err != nil {
		return 0, err
	}
	st, err := n.Status(ctx)
	if err != nil {
		return 0, err
	}
	asked := 0
	for _, s := range st {
		if s.Local && s.Lead != to && slices.Contains(s.Voters, to) {
			n.TransferLeader(s.Shard, to)
			asked++
		}
	}
	return asked, nil
}

// ReplaceStore proposes, on every shard this node leads that has old as a
// voter and not yet repl, one joint-consensus change removing old and
// adding repl (replication.Node.ChangeReplicas): repl then gets the
// shard's data by a streamed snapshot. It is what a node does on its own
// when a store comes back with a new id at a gone store's gossip address
// (replication_replace.go); use it by hand for a store that is gone for
// good otherwise. It returns how many changes were proposed; proposed
// changes still have to commit.
func (e *Engine) ReplaceStore(ctx context.Context, old, repl uint64) (int, error) {
	if old == 0 || repl == 0 || old == repl {
		return 0, fmt.Errorf("engine: replace store %d by %d: %w", old, repl, ErrConfig)
	}
	n, err := e.replNode()
	if err != nil {
		return 0, err
	}
	return replaceStore(ctx, n, old, repl)
}

// replaceStore proposes the changes of ReplaceStore on n's led shards.
func replaceStore(ctx context.Context, n *replication.Node, old, repl uint64) (int, error) {
	st, err := n.Status(ctx)
	if err != nil {
		return 0, err
	}
	proposed := 0
	var errs []error
	for _, s := range st {
		if !s.Local || !slices.Contains(s.Voters, old) || slices.Contains(s.Voters, repl) {
			continue
		}
		ch := make(chan error, 1)
		n.ChangeReplicas(s.Shard, []uint64{repl}, []uint64{old}, func(err error) { ch <- err })
		select {
		case err := <-ch:
			if err != nil {
				errs = append(errs, fmt.Errorf("shard %d: %w", s.Shard, err))
				continue
			}
			proposed++
		case <-ctx.Done():
			return proposed, ctx.Err()
		}
	}
	return proposed, errors.Join(errs...)
}

func (e *Engine) replNode() (*replication.Node, error) {
	if e.repl == nil {
		return nil, ErrNotStarted
	}
	n := e.repl.node.Load()
	if n == nil {
		return nil, ErrNotStarted
	}
	return n, nil
}

// RaftTransportStats returns the raft transport's counters (handshakes
// refused, batches dropped, snapshots sent); zero without replication.
func (e *Engine) RaftTransportStats() replication.TCPStats {
	if e.repl == nil {
		return replication.TCPStats{}
	}
	return e.repl.tr.Stats()
}
