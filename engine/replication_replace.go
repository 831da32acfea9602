package engine

import (
	"context"
	"sync"
	"time"

	qcluster "github.com/qunchat/qun/cluster"
)

// Automatic replacement of a store whose disk is gone. A node whose data
// dir was wiped (or lost) restarts under a new store id (raft ids are
// never reused) at the same gossip address. Every node remembers the
// store id each gossip address carried; when an address comes back with
// another store id while the old one is no longer in gossip, the old
// store is gone for good, and each node proposes, on the shards it leads,
// the joint-consensus change that swaps the old store for the new one
// (replaceStore). The new store then gets every shard's data by a
// streamed snapshot. Until no local replica lists the old store as a
// voter, the node retries (leadership moves, proposals drop) every
// replaceRetry.
//
// A store that is merely down (restarted with its data dir) comes back
// with the same store id and is left alone.

// replaceRetry is how often pending replacements are proposed again.
const replaceRetry = 500 * time.Millisecond

// storeReplacer is the replicator's memory of gossip addresses and its
// pending replacements. Used only by peerLoop.
type storeReplacer struct {
	mu       sync.Mutex
	byGossip map[string]uint64 // gossip address -> store id last seen there
	pending  map[uint64]uint64 // gone store id -> its replacement
	last     time.Time         // last attempt
}

// replaceGone notes the store ids at the members' gossip addresses and
// proposes the pending replacements (at most every replaceRetry).
func (r *replicator) replaceGone(cn *qcluster.Node) {
	n := r.node.Load()
	if n == nil {
		return
	}
	s := &r.replace
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byGossip == nil {
		s.byGossip, s.pending = map[string]uint64{}, map[uint64]uint64{}
	}
	members := cn.Provider.Members()
	live := map[uint64]bool{}
	at := map[string][]uint64{} // gossip address -> live store ids there
	for _, m := range members {
		if id, _, ok := parseAppMeta(m.AppMeta); ok {
			live[id] = true
			if m.GossipAddr != "" {
				at[m.GossipAddr] = append(at[m.GossipAddr], id)
			}
		}
	}
	for addr, ids := range at {
		if len(ids) != 1 { // the old member not yet declared dead: wait
			continue
		}
		id := ids[0]
		if old, seen := s.byGossip[addr]; seen && old != id && !live[old] {
			if s.pending[old] != id {
				r.e.log.Info("store came back under a new id: replacing it in its shards",
					"old_store", old, "new_store", id, "gossip", addr)
			}
			s.pending[old] = id
		}
		s.byGossip[addr] = id
	}
	if len(s.pending) == 0 || time.Since(s.last) < replaceRetry {
		return
	}
	s.last = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := n.Status(ctx)
	if err != nil {
		return
	}
	for old, repl := range s.pending {
		if live[old] { // it is back after all: leave it
			delete(s.pending, old)
			continue
		}
		still := false
		for _, sh := range st {
			for _, v := range sh.Voters {
				still = still || v == old
			}
		}
		if !still {
			delete(s.pending, old)
			r.e.log.Info("store replaced in every local shard", "old_store", old, "new_store", repl)
			continue
		}
		if _, err := replaceStore(ctx, n, old, repl); err != nil {
			r.e.log.Debug("replacing a store", "old_store", old, "new_store", repl, "err", err)
		}
	}
}
