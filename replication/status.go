package replication

import "context"

// ShardStatus is one local replica's state, for operations (cluster
// status: shards, leaders, applied indexes, lag).
type ShardStatus struct {
	Shard uint32
	// Lead is the leader's store id as this replica knows it (0: none).
	Lead uint64
	Term uint64
	// Local and Ready as in LeaderInfo.
	Local, Ready bool
	// Applied is the applied index; Committed the commit index.
	Applied, Committed uint64
	// FirstIndex and LastIndex bound the retained log.
	FirstIndex, LastIndex uint64
	// Voters are the store ids of the shard's voters.
	Voters []uint64
	// Match is, on a leader, each voter's replicated index (its lag is
	// LastIndex - Match).
	Match map[uint64]uint64
}

// Status returns the state of every local replica, in shard order.
func (n *Node) Status(ctx context.Context) ([]ShardStatus, error) {
	ch := make(chan []ShardStatus, 1)
	n.control(func() {
		out := make([]ShardStatus, 0, len(n.replicas))
		for s := uint32(0); s < n.shards; s++ {
			r := n.replicas[s]
			if r == nil {
				continue
			}
			st := r.rn.Status()
			first, _ := r.st.FirstIndex()
			last, _ := r.st.LastIndex()
			ss := ShardStatus{
				Shard: s, Lead: r.known, Term: r.term, Local: r.lead, Ready: r.ready,
				Applied: r.applied.index, Committed: st.GetCommit(), FirstIndex: first, LastIndex: last,
				Voters: append([]uint64(nil), r.applied.cs.GetVoters()...),
			}
			if r.lead {
				ss.Match = map[uint64]uint64{}
				for id, pr := range st.Progress {
					ss.Match[id] = pr.Match
				}
			}
			out = append(out, ss)
		}
		ch <- out
	})
	select {
	case out := <-ch:
		return out, nil
	case <-n.done:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
