package replication

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/qunchat/qun/persistence"
	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// replica is one shard's raft group member on this node. Owned by the loop.
type replica struct {
	shard   uint32
	rn      *raft.RawNode
	st      *logStorage
	applied appliedState

	lead  bool   // leader as of the last Ready
	term  uint64 // term of the last Ready's hard state
	ready bool   // lead, and applied an entry of term
	known uint64 // leader id as of the last Ready

	pending     map[uint64]*proposal
	readQueue   []func(error)
	readBatches map[uint64][]func(error)
	readWait    []readWait

	truncAt        uint64 // index of our last truncation proposal
	snapIn         *stagedSnap
	persistApplied bool // write the applied state in the next round

	// Per round, reset by round.
	rd       raft.Ready
	hasRd    bool
	early    bool // leader's appends and heartbeats already sent
	outcomes []outcome
	notify   []func()
	restored bool
	compact  uint64
}

type readWait struct {
	index uint64
	done  []func(error)
}

type outcome struct {
	p   *proposal
	err error
}

func (n *Node) addReplica(shard uint32, st *logStorage, applied appliedState) error {
	r := &replica{shard: shard, st: st, applied: applied, pending: map[uint64]*proposal{}, readBatches: map[uint64][]func(error){}}
	st.cs = applied.cs
	st.snap = func() (*pb.Snapshot, error) { return n.snapshot(r) }
	rn, err := raft.NewRawNode(&raft.Config{
		ID:                        n.cfg.StoreID,
		ElectionTick:              n.cfg.ElectionTicks,
		HeartbeatTick:             n.cfg.HeartbeatTicks,
		Storage:                   st,
		Applied:                   applied.index,
		MaxSizePerMsg:             n.cfg.MaxSizePerMsg,
		MaxInflightMsgs:           n.cfg.MaxInflightMsgs,
		MaxUncommittedEntriesSize: n.cfg.MaxUncommittedBytes,
		CheckQuorum:               true,
		PreVote:                   true,
		DisableProposalForwarding: true,
		StepDownOnRemoval:         true,
		Logger:                    raftLogger{n.log.With("shard", shard)},
	})
	if err != nil {
		return fmt.Errorf("replication: shard %d: %w", shard, err)
	}
	r.rn = rn
	n.replicas[shard] = r
	return nil
}

// snapshot is the replica's raft.Storage.Snapshot: a snapshot at the
// applied index, whose data is streamed out of band from a Pebble view
// taken now. Raft only calls it from the loop between rounds, when Pebble
// holds exactly the applied state.
func (n *Node) snapshot(r *replica) (*pb.Snapshot, error) {
	term, err := r.st.Term(r.applied.index)
	if err != nil {
		return nil, raft.ErrSnapshotTemporarilyUnavailable
	}
	view, err := n.store.RawView()
	if err != nil {
		return nil, raft.ErrSnapshotTemporarilyUnavailable
	}
	n.nextSnap++
	n.snapsOut[n.nextSnap] = &outSnap{shard: r.shard, view: view}
	return &pb.Snapshot{
		Data: binary.BigEndian.AppendUint64(nil, n.nextSnap),
		Metadata: &pb.SnapshotMetadata{
			Index: proto.Uint64(r.applied.index), Term: proto.Uint64(term), ConfState: proto.Clone(r.applied.cs).(*pb.ConfState),
		},
	}, nil
}

// round persists every replica's Ready in one batch (one fsync), then sends
// messages, reports outcomes and advances. synced reports whether the batch
// waited for an fsync: a round with nothing raft needs durable (no log
// entries, snapshot, term or vote: only applies of committed entries and
// the commit index, which a crash re-derives from the synced log) is
// written without one (persistence.PebbleStore.CommitNoSync).
func (n *Node) round() (synced bool, err error) {
	active := n.active[:0]
	ops := n.ops[:0]
	if cap(n.arena) > maxArena {
		n.arena = nil
	}
	n.arena = n.arena[:0]
	needSync := false
	for _, r := range n.replicas {
		if !r.rn.HasReady() && !r.persistApplied {
			continue
		}
		needSync = needSync || r.persistApplied
		r.rd, r.hasRd = raft.Ready{}, false
		if r.rn.HasReady() {
			r.rd, r.hasRd = r.rn.Ready(), true
			needSync = needSync || r.needsSync()
		}
		active = append(active, r)
		if ops, err = n.prepare(r, ops); err != nil {
			return false, err
		}
	}
	defer func() {
		clear(active)
		n.active = active[:0]
	}()
	if len(active) == 0 {
		return false, nil
	}
	n.rounds++
	n.stats.rounds.Add(1)
	// A leader's appends and heartbeats may leave before its own write is
	// durable (raft's contract, and what etcd's server does): the
	// followers' fsyncs then overlap the leader's. Everything else waits.
	for _, r := range active {
		if !r.lead {
			continue
		}
		for _, m := range r.rd.Messages {
			if t := m.GetType(); t == pb.MsgApp || t == pb.MsgHeartbeat {
				n.outMsgs[m.GetTo()] = append(n.outMsgs[m.GetTo()], Envelope{Shard: r.shard, Msg: m})
			}
		}
		r.early = true
	}
	for to, envs := range n.outMsgs {
		n.deps.Transport.Send(to, envs)
		delete(n.outMsgs, to)
	}
	if len(ops) > 0 {
		n.stats.commits.Add(1)
		n.batch.Raw = ops
		if needSync {
			n.store.Commit(&n.batch, n.committed)
		} else {
			n.store.CommitNoSync(&n.batch, n.committed)
		}
		err := <-n.commitErr
		n.batch.Raw = nil
		if err != nil {
			return false, err
		}
	}
	clear(ops)
	n.ops = ops[:0]
	if dn, ok := n.deps.Applier.(DurableNotifier); ok {
		dn.Durable()
	}
	for _, r := range active {
		n.finish(r)
	}
	for to, envs := range n.outMsgs {
		n.deps.Transport.Send(to, envs)
		delete(n.outMsgs, to)
	}
	if n.rounds%uint64(n.cfg.TruncateEvery) == 0 {
		n.maybeTruncate()
	}
	return needSync && len(ops) > 0, nil
}

// maxArena bounds the round arena kept between rounds.
const maxArena = 4 << 20

// appendLogKey appends logKey(shard, index) to dst.
func appendLogKey(dst []byte, shard uint32, index uint64) []byte {
	dst = append(dst, persistence.RawTag, subLog)
	dst = binary.BigEndian.AppendUint32(dst, shard)
	return binary.BigEndian.AppendUint64(dst, index)
}

// needsSync reports whether r's Ready holds anything raft requires durable
// before its messages leave or its entries count as stable: log entries, a
// snapshot, or a hard state whose term or vote changed. The commit index
// alone does not: it is re-learned from the synced log after a crash (a
// lone replica re-commits its log on election; a follower from its leader).
func (r *replica) needsSync() bool {
	rd := &r.rd
	if len(rd.Entries) > 0 || (rd.Snapshot != nil && !raft.IsEmptySnap(rd.Snapshot)) {
		return true
	}
	if hs := rd.HardState; hs != nil && !raft.IsEmptyHardState(hs) {
		old := r.st.hard
		return old == nil || hs.GetTerm() != old.GetTerm() || hs.GetVote() != old.GetVote()
	}
	return false
}

// prepare appends r's durable writes for its Ready to ops and applies its
// committed entries (into ops too).
func (n *Node) prepare(r *replica, ops []persistence.RawOp) ([]persistence.RawOp, error) {
	rd := &r.rd
	if rd.Snapshot != nil && !raft.IsEmptySnap(rd.Snapshot) {
		var err error
		if ops, err = n.installSnapshot(r, rd.Snapshot, ops); err != nil {
			return ops, err
		}
	}
	if len(rd.Entries) > 0 {
		last, _ := r.st.LastIndex()
		first := rd.Entries[0].GetIndex()
		newLast := rd.Entries[len(rd.Entries)-1].GetIndex()
		if newLast < last && first <= last {
			lo, hi := logBounds(r.shard, newLast+1, last+1)
			ops = append(ops, persistence.RawOp{Kind: persistence.RawDeleteRange, Key: lo, End: hi})
		}
		for _, e := range rd.Entries {
			// Key and value go into the round's arena: no allocation per
			// entry (Pebble copies them before the round's commit returns).
			start := len(n.arena)
			n.arena = appendLogKey(n.arena, r.shard, e.GetIndex())
			mid := len(n.arena)
			var err error
			if n.arena, err = (proto.MarshalOptions{}).MarshalAppend(n.arena, e); err != nil {
				return ops, err
			}
			end := len(n.arena)
			ops = append(ops, persistence.RawOp{Kind: persistence.RawSet, Key: n.arena[start:mid:mid], Value: n.arena[mid:end:end]})
		}
		if err := r.st.Append(rd.Entries); err != nil {
			return ops, fmt.Errorf("replication: shard %d append: %w", r.shard, err)
		}
	}
	if rd.HardState != nil && !raft.IsEmptyHardState(rd.HardState) {
		b, err := proto.Marshal(rd.HardState)
		if err != nil {
			return ops, err
		}
		ops = append(ops, persistence.RawOp{Kind: persistence.RawSet, Key: shardKey(subHard, r.shard), Value: b})
		if err := r.st.SetHardState(rd.HardState); err != nil {
			return ops, err
		}
		r.st.hard = rd.HardState
	}
	n.leadership(r)
	before := r.applied.index
	for _, e := range rd.CommittedEntries {
		var err error
		if ops, err = n.apply(r, e, ops); err != nil {
			return ops, err
		}
	}
	if r.applied.index != before || r.persistApplied {
		r.persistApplied = false
		ops = append(ops, persistence.RawOp{Kind: persistence.RawSet, Key: shardKey(subApplied, r.shard), Value: encodeApplied(r.applied)})
	}
	return ops, nil
}

// leadership tracks leader changes from the Ready's soft and hard state.
func (n *Node) leadership(r *replica) {
	rd := &r.rd
	lead, known, term := r.lead, r.known, r.term
	if rd.SoftState != nil {
		lead = rd.SoftState.RaftState == raft.StateLeader
		known = rd.SoftState.Lead
	}
	if rd.HardState != nil && rd.HardState.GetTerm() != 0 {
		term = rd.HardState.GetTerm()
	}
	if r.lead && (!lead || term != r.term) {
		old := r.term
		r.failAll(ErrLeadershipLost)
		r.ready = false
		if l := n.deps.Listener; l != nil {
			shard := r.shard
			r.notify = append(r.notify, func() { l.LeaderLost(shard, old) })
		}
		n.log.Info("replication: lost leadership", "shard", r.shard, "term", old)
	}
	r.lead, r.known, r.term = lead, known, term
}

// failAll fails every pending proposal and read of r.
func (r *replica) failAll(err error) {
	for id, p := range r.pending {
		delete(r.pending, id)
		r.outcomes = append(r.outcomes, outcome{p: p, err: err})
	}
	for id, b := range r.readBatches {
		delete(r.readBatches, id)
		for _, d := range b {
			d(err)
		}
	}
	for _, d := range r.readQueue {
		d(err)
	}
	r.readQueue = nil
	for _, w := range r.readWait {
		for _, d := range w.done {
			d(err)
		}
	}
	r.readWait = nil
	if err == ErrClosed { // no round follows: report now
		for _, o := range r.outcomes {
			o.p.done(o.err)
		}
		r.outcomes = nil
	}
}

// apply applies one committed entry into ops.
func (n *Node) apply(r *replica, e *pb.Entry, ops []persistence.RawOp) ([]persistence.RawOp, error) {
	switch e.GetType() {
	case pb.EntryConfChange, pb.EntryConfChangeV2:
		var cc pb.ConfChangeI
		if e.GetType() == pb.EntryConfChange {
			c := &pb.ConfChange{}
			if err := proto.Unmarshal(e.GetData(), c); err != nil {
				return ops, fmt.Errorf("%w: conf change: %w", ErrCorrupt, err)
			}
			cc = c
		} else {
			c := &pb.ConfChangeV2{}
			if err := proto.Unmarshal(e.GetData(), c); err != nil {
				return ops, fmt.Errorf("%w: conf change: %w", ErrCorrupt, err)
			}
			cc = c
		}
		r.applied.cs = r.rn.ApplyConfChange(cc)
		r.st.cs = r.applied.cs
		n.log.Info("replication: conf change applied", "shard", r.shard, "index", e.GetIndex(), "voters", r.applied.cs.GetVoters())
	case pb.EntryNormal:
		if len(e.GetData()) == 0 {
			break // a new leader's first entry
		}
		kind, c, err := decodeEntry(e.GetData())
		if err != nil {
			return ops, err
		}
		if kind == entryTruncate {
			if c.id > r.compact && c.id <= r.applied.index {
				term, terr := r.st.Term(c.id)
				first, _ := r.st.FirstIndex()
				if terr == nil && c.id >= first {
					lo, hi := logBounds(r.shard, 0, c.id+1)
					ops = append(ops,
						persistence.RawOp{Kind: persistence.RawDeleteRange, Key: lo, End: hi},
						persistence.RawOp{Kind: persistence.RawSet, Key: shardKey(subTruncated, r.shard), Value: encodeIndexTerm(c.id, term)})
					r.compact = c.id
				}
			}
			break
		}
		var p *proposal
		if c.proposer == n.cfg.StoreID {
			if p = r.pending[c.id]; p != nil {
				delete(r.pending, c.id)
			}
		}
		err = n.applyCommand(r, e, c, &ops)
		if err != nil {
			n.stats.rejected.Add(1)
		} else {
			n.stats.applied.Add(1)
		}
		if p != nil {
			r.outcomes = append(r.outcomes, outcome{p: p, err: err})
		}
	}
	r.applied.index, r.applied.term = e.GetIndex(), e.GetTerm()
	if r.lead && !r.ready && e.GetTerm() == r.term {
		r.ready = true
		if l := n.deps.Listener; l != nil {
			shard, term := r.shard, r.term
			r.notify = append(r.notify, func() { l.LeaderReady(shard, term) })
		}
		n.log.Info("replication: leading", "shard", r.shard, "term", r.term)
	}
	return ops, nil
}

// applyCommand runs the epoch fence and the Applier; a rejection is
// returned (the entry is a no-op) and never fails the node.
func (n *Node) applyCommand(r *replica, e *pb.Entry, c command, ops *[]persistence.RawOp) error {
	if c.epoch != e.GetTerm() {
		return fmt.Errorf("%w: evaluated under %d, committed in %d", ErrStaleEpoch, c.epoch, e.GetTerm())
	}
	var w persistence.Batch
	if err := n.deps.Applier.Apply(Command{Shard: r.shard, Index: e.GetIndex(), Term: e.GetTerm(), Epoch: c.epoch, Data: c.data}, &w); err != nil {
		return fmt.Errorf("%w: %w", ErrRejected, err)
	}
	out, err := persistence.AppendRawOps(*ops, &w)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrRejected, err)
	}
	*ops = out
	return nil
}

// installSnapshot replaces r's state by a received snapshot.
func (n *Node) installSnapshot(r *replica, snap *pb.Snapshot, ops []persistence.RawOp) ([]persistence.RawOp, error) {
	md := snap.GetMetadata()
	staged := r.snapIn
	r.snapIn = nil
	if staged == nil || staged.msg.GetSnapshot().GetMetadata().GetIndex() != md.GetIndex() {
		return ops, fmt.Errorf("replication: shard %d: snapshot at %d without its data", r.shard, md.GetIndex())
	}
	err := n.deps.Applier.Ranges(r.shard, n.store, func(lo, hi []byte) error {
		ops = append(ops, persistence.RawOp{Kind: persistence.RawDeleteRange, Key: append([]byte(nil), lo...), End: append([]byte(nil), hi...)})
		return nil
	})
	if err != nil {
		return ops, err
	}
	for _, kv := range staged.kvs {
		ops = append(ops, persistence.RawOp{Kind: persistence.RawSet, Key: kv.Key, Value: kv.Value})
	}
	lo, hi := logBounds(r.shard, 0, ^uint64(0))
	r.applied = appliedState{index: md.GetIndex(), term: md.GetTerm(), cs: md.GetConfState()}
	ops = append(ops,
		persistence.RawOp{Kind: persistence.RawDeleteRange, Key: lo, End: hi},
		persistence.RawOp{Kind: persistence.RawSet, Key: shardKey(subTruncated, r.shard), Value: encodeIndexTerm(md.GetIndex(), md.GetTerm())})
	r.persistApplied = true
	if err := r.st.ApplySnapshot(&pb.Snapshot{Metadata: md}); err != nil {
		return ops, fmt.Errorf("replication: shard %d apply snapshot: %w", r.shard, err)
	}
	r.st.cs = md.GetConfState()
	r.compact = md.GetIndex()
	r.restored = true
	n.log.Info("replication: snapshot installed", "shard", r.shard, "index", md.GetIndex(), "keys", len(staged.kvs))
	return ops, nil
}

// finish runs after r's round is durable: messages, outcomes, reads,
// notifications, Advance.
func (n *Node) finish(r *replica) {
	rd := &r.rd
	if r.restored {
		r.restored = false
		n.deps.Applier.Restored(r.shard)
	}
	for _, m := range rd.Messages {
		env := Envelope{Shard: r.shard, Msg: m}
		if m.GetType() == pb.MsgSnap {
			id := uint64(0)
			if d := m.GetSnapshot().GetData(); len(d) == 8 {
				id = binary.BigEndian.Uint64(d)
			}
			if out := n.snapsOut[id]; out != nil {
				delete(n.snapsOut, id)
				n.sendSnapshot(env, out)
			} else {
				r.rn.ReportSnapshot(m.GetTo(), raft.SnapshotFailure)
			}
			continue
		}
		if t := m.GetType(); r.early && (t == pb.MsgApp || t == pb.MsgHeartbeat) {
			continue // sent before the write
		}
		n.outMsgs[m.GetTo()] = append(n.outMsgs[m.GetTo()], env)
	}
	r.early = false
	for _, rs := range rd.ReadStates {
		if len(rs.RequestCtx) != 8 {
			continue
		}
		id := binary.BigEndian.Uint64(rs.RequestCtx)
		if b, ok := r.readBatches[id]; ok {
			delete(r.readBatches, id)
			r.readWait = append(r.readWait, readWait{index: rs.Index, done: b})
		}
	}
	kept := r.readWait[:0]
	for _, w := range r.readWait {
		if w.index <= r.applied.index {
			for _, d := range w.done {
				d(nil)
			}
		} else {
			kept = append(kept, w)
		}
	}
	r.readWait = kept
	if r.compact > 0 {
		if first, _ := r.st.FirstIndex(); r.compact >= first {
			if err := r.st.Compact(r.compact); err != nil && !errors.Is(err, raft.ErrCompacted) {
				n.log.Warn("replication: compact", "shard", r.shard, "err", err)
			}
		}
	}
	for _, o := range r.outcomes {
		o.p.done(o.err)
	}
	clear(r.outcomes)
	r.outcomes = r.outcomes[:0]
	n.leaders[r.shard].Store(&LeaderInfo{Lead: r.known, Term: r.term, Local: r.lead, Ready: r.ready})
	for _, f := range r.notify {
		f()
	}
	r.notify = r.notify[:0]
	if r.hasRd {
		r.rn.Advance(*rd)
	}
	r.rd, r.hasRd = raft.Ready{}, false
}

// maybeTruncate proposes, on ready leaders, a log truncation up to the
// lowest index every voter has (or up to the applied index when the log is
// longer than MaxLogEntries: a replica that far behind gets a snapshot).
func (n *Node) maybeTruncate() {
	for _, r := range n.replicas {
		if !r.ready {
			continue
		}
		first, _ := r.st.FirstIndex()
		applied := r.applied.index
		if applied < first {
			continue
		}
		idx := applied
		if applied+1-first <= n.cfg.MaxLogEntries {
			st := r.rn.Status()
			for _, pr := range st.Progress {
				if pr.Match < idx {
					idx = pr.Match
				}
			}
		}
		if idx > n.cfg.LogKeep && applied+1-first <= n.cfg.MaxLogEntries {
			idx -= n.cfg.LogKeep
		}
		// Truncate in batches, and never just for the entries our own
		// truncation proposals added (an idle shard stays quiet).
		if idx+1 < first+n.cfg.TruncateMinEntries || idx < r.truncAt+2 {
			continue
		}
		if r.rn.Propose(encodeTruncate(idx)) == nil {
			r.truncAt = idx
		}
	}
}
