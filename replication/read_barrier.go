package replication

import (
	"fmt"
	"time"
)

// ReadBarrierTimeout bounds ShardStore.ReadBarrier: a leader cut off from
// its quorum cannot confirm a read until CheckQuorum deposes it (an
// election timeout); the reader gets an error instead of waiting longer.
const ReadBarrierTimeout = 3 * time.Second

// ReadBarrier makes the activation's next reads linearizable: it confirms
// with a raft ReadIndex that this replica still leads the shard at the
// activation's epoch and waits until everything committed before the call
// is applied locally. A leader that was deposed without hearing of it yet
// (paused past the election timeout, partitioned) fails here instead of
// serving a stale page. Reads of a round share one ReadIndex.
func (s *ShardStore) ReadBarrier() error {
	if info := s.n.Leader(s.shard); !info.Local || info.Term != s.epoch {
		return fmt.Errorf("%w: shard %d epoch %d, replica at term %d", ErrStaleEpoch, s.shard, s.epoch, info.Term)
	}
	ch := make(chan error, 1)
	s.n.ReadIndex(s.shard, func(err error) { ch <- err })
	select {
	case err := <-ch:
		if err != nil {
			return err
		}
	case <-time.After(ReadBarrierTimeout):
		return fmt.Errorf("%w: read index of shard %d not confirmed within %v", ErrLeadershipLost, s.shard, ReadBarrierTimeout)
	case <-s.n.done:
		return ErrClosed
	}
	// Still the same leadership: the read index was confirmed under the
	// activation's epoch, not a later one.
	if info := s.n.Leader(s.shard); !info.Local || info.Term != s.epoch {
		return fmt.Errorf("%w: shard %d epoch %d, replica at term %d", ErrStaleEpoch, s.shard, s.epoch, info.Term)
	}
	return nil
}
