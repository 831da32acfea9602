package replication

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qunchat/qun/persistence"
	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// Deps are a Node's collaborators.
type Deps struct {
	// Store is the node's Pebble store, shared with everything else on the
	// node. Required. The Node does not close it.
	Store *persistence.PebbleStore
	// Applier is the application's state machine. Required.
	Applier Applier
	// Transport carries raft messages; the Node owns it. Required.
	Transport Transport
	// Listener hears about leadership. Optional.
	Listener Listener
	// Logger gets errors and leadership changes. Default discard.
	Logger *slog.Logger
}

// Node runs every local replica of the shards: one loop goroutine drives
// all their raft.RawNodes and writes each round's log appends, hard states
// and applied commands of all shards in one Pebble batch with one fsync.
type Node struct {
	cfg    Config
	deps   Deps
	store  *persistence.PebbleStore
	log    *slog.Logger
	shards uint32

	mu     sync.Mutex
	props  []*proposal
	reads  []readReq
	inbox  []inbound
	ctrl   []func()
	ticks  int
	closed bool

	unreachable map[uint64]bool
	failErr     error

	wake      chan struct{}
	stop      chan struct{}
	done      chan struct{}
	snapWG    sync.WaitGroup
	closeOnce sync.Once
	closeErr  error

	leaders []atomic.Pointer[LeaderInfo]

	// Owned by the loop goroutine.
	replicas  map[uint32]*replica
	nextProp  uint64
	nextRead  uint64
	nextSnap  uint64
	snapsOut  map[uint64]*outSnap
	rounds    uint64
	ops       []persistence.RawOp
	outMsgs   map[uint64][]Envelope
	active    []*replica
	arena     []byte            // the round's log keys and entries, reused
	batch     persistence.Batch // the round's, reused
	commitErr chan error        // the round's commit outcome
	committed func(error)       // sends to commitErr (one closure, made once)

	stats nodeStats
}

type nodeStats struct {
	rounds, commits, applied, rejected atomic.Uint64
}

// LeaderInfo is what this node knows of a shard's leadership.
type LeaderInfo struct {
	// Lead is the store id of the leader this replica knows (0: none).
	Lead uint64
	// Term is the current raft term of this replica.
	Term uint64
	// Local is true when this replica leads; Ready when, in addition, it
	// has applied an entry of Term (it may serve the shard).
	Local, Ready bool
}

type proposal struct {
	shard     uint32
	epoch     uint64
	data      []byte
	done      func(error)
	unchecked bool // tests: skip the propose-time epoch check
}

type readReq struct {
	shard uint32
	done  func(error)
}

type inbound struct {
	from  uint64
	envs  []Envelope
	snap  *stagedSnap
	shard uint32
}

type stagedSnap struct {
	msg *pb.Message
	kvs []KV
}

type outSnap struct {
	shard uint32
	view  persistence.RawView
}

// New opens the node's replicas (bootstrapping them on a fresh store from
// cfg.Peers) and starts its loop and transport.
func New(cfg Config, deps Deps) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Store == nil || deps.Applier == nil || deps.Transport == nil {
		return nil, fmt.Errorf("%w: Deps.Store, Applier and Transport are required", ErrInvalidConfig)
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	n := &Node{
		cfg: cfg, deps: deps, store: deps.Store, log: deps.Logger.With("store_id", cfg.StoreID),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		replicas: map[uint32]*replica{}, snapsOut: map[uint64]*outSnap{}, outMsgs: map[uint64][]Envelope{},
		commitErr: make(chan error, 1),
	}
	n.committed = func(err error) { n.commitErr <- err }
	if err := n.open(); err != nil {
		return nil, err
	}
	n.leaders = make([]atomic.Pointer[LeaderInfo], n.shards)
	for s := range n.leaders {
		n.leaders[s].Store(&LeaderInfo{})
	}
	if err := deps.Transport.Start(n); err != nil {
		return nil, err
	}
	go n.run()
	return n, nil
}

// open reads or bootstraps the cluster record and loads local replicas.
func (n *Node) open() error {
	v, ok, err := n.store.RawGet(clusterKey())
	if err != nil {
		return err
	}
	if ok {
		if len(v) != 12 {
			return fmt.Errorf("%w: cluster record of %d bytes", ErrCorrupt, len(v))
		}
		n.shards = binary.BigEndian.Uint32(v)
		if id := binary.BigEndian.Uint64(v[4:]); id != n.cfg.StoreID {
			return fmt.Errorf("%w: store id %d, data dir belongs to %d", ErrInvalidConfig, n.cfg.StoreID, id)
		}
		if n.shards != n.cfg.Shards {
			return fmt.Errorf("%w: config %d, bootstrapped %d", ErrShardsMismatch, n.cfg.Shards, n.shards)
		}
	} else {
		if err := n.bootstrap(); err != nil {
			return err
		}
	}
	for s := uint32(0); s < n.shards; s++ {
		st, applied, ok, err := loadReplica(n.store, s)
		if err != nil {
			return fmt.Errorf("replication: load shard %d: %w", s, err)
		}
		if ok {
			if err := n.addReplica(s, st, applied); err != nil {
				return err
			}
		}
	}
	return nil
}

// bootstrap writes the cluster record and, for every shard placed here,
// a replica whose log starts after a snapshot at index 1 holding only the
// voters (the same on every peer).
func (n *Node) bootstrap() error {
	n.shards = n.cfg.Shards
	rec := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32(nil, n.shards), n.cfg.StoreID)
	b := &persistence.Batch{Raw: []persistence.RawOp{{Kind: persistence.RawSet, Key: clusterKey(), Value: rec}}}
	if len(n.cfg.Peers) > 0 {
		for s := uint32(0); s < n.shards; s++ {
			voters := Placement(s, n.cfg.Peers, n.cfg.Replicas)
			if !contains(voters, n.cfg.StoreID) {
				continue
			}
			a := appliedState{index: 1, term: 1, cs: &pb.ConfState{Voters: voters}}
			b.Raw = append(b.Raw,
				persistence.RawOp{Kind: persistence.RawSet, Key: shardKey(subApplied, s), Value: encodeApplied(a)},
				persistence.RawOp{Kind: persistence.RawSet, Key: shardKey(subTruncated, s), Value: encodeIndexTerm(1, 1)})
		}
	}
	return persistence.CommitSync(n.store, b)
}

func contains(ids []uint64, id uint64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// Shards returns S, the number of shards.
func (n *Node) Shards() uint32 { return n.shards }

// ShardOf returns the shard of id on this node's cluster.
func (n *Node) ShardOf(id string) uint32 { return ShardOf(id, n.shards) }

// StoreID returns this node's store id.
func (n *Node) StoreID() uint64 { return n.cfg.StoreID }

// Leader returns what this node knows of shard's leadership.
func (n *Node) Leader(shard uint32) LeaderInfo {
	if shard >= n.shards {
		return LeaderInfo{}
	}
	return *n.leaders[shard].Load()
}

// Propose replicates data on shard as a command evaluated under epoch (the
// term LeaderReady gave). done is called exactly once, on the node loop
// goroutine (it must be quick): nil once the entry is committed on a quorum
// and applied locally, else ErrNotLeader, ErrStaleEpoch, ErrBackpressure,
// ErrLeadershipLost, ErrClosed or an apply rejection wrapping ErrRejected.
// data must not be modified afterwards.
func (n *Node) Propose(shard uint32, epoch uint64, data []byte, done func(error)) {
	n.enqueue(&proposal{shard: shard, epoch: epoch, data: data, done: done})
}

func (n *Node) enqueue(p *proposal) {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		go p.done(ErrClosed)
		return
	}
	if len(n.props) >= n.cfg.MaxQueuedProposals {
		n.mu.Unlock()
		go p.done(ErrBackpressure)
		return
	}
	n.props = append(n.props, p)
	n.mu.Unlock()
	n.signal()
}

// ReadIndex confirms, with a batched raft ReadIndex round, that this replica
// still leads shard, then waits until it has applied everything committed
// when the read arrived: local reads made after done(nil) are linearizable.
// done runs on the node loop goroutine.
func (n *Node) ReadIndex(shard uint32, done func(error)) {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		go done(ErrClosed)
		return
	}
	n.reads = append(n.reads, readReq{shard: shard, done: done})
	n.mu.Unlock()
	n.signal()
}

// Tick advances every replica's logical clock by one tick. With
// Config.TickInterval 0 it is the only clock.
func (n *Node) Tick() {
	n.mu.Lock()
	n.ticks++
	n.mu.Unlock()
	n.signal()
}

func (n *Node) control(f func()) {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	n.ctrl = append(n.ctrl, f)
	n.mu.Unlock()
	n.signal()
}

// HandleMessages implements Handler.
func (n *Node) HandleMessages(from uint64, envs []Envelope) {
	n.mu.Lock()
	if n.closed || len(n.inbox) >= n.cfg.MaxInbox {
		n.mu.Unlock()
		return // dropped: raft retransmits
	}
	n.inbox = append(n.inbox, inbound{from: from, envs: envs})
	n.mu.Unlock()
	n.signal()
}

// HandleSnapshot implements Handler.
func (n *Node) HandleSnapshot(from uint64, shard uint32, msg *pb.Message, kvs []KV) {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	n.inbox = append(n.inbox, inbound{from: from, shard: shard, snap: &stagedSnap{msg: msg, kvs: kvs}})
	n.mu.Unlock()
	n.signal()
}

// Unreachable implements Handler. Reports are coalesced per peer until
// the loop takes them.
func (n *Node) Unreachable(to uint64) {
	n.mu.Lock()
	if n.closed || n.unreachable[to] {
		n.mu.Unlock()
		return
	}
	if n.unreachable == nil {
		n.unreachable = map[uint64]bool{}
	}
	n.unreachable[to] = true
	n.mu.Unlock()
	n.signal()
}

func (n *Node) signal() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// Close stops the loop (failing pending proposals and reads with
// ErrClosed), waits for snapshot senders, and closes the transport. The
// store stays open. Idempotent.
func (n *Node) Close() error {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	n.closeOnce.Do(func() {
		close(n.stop)
		<-n.done
		n.snapWG.Wait()
		n.closeErr = n.deps.Transport.Close()
	})
	return n.closeErr
}

// Err returns the error that stopped the node, if any (a failed store).
func (n *Node) Err() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.failErr
}

func (n *Node) run() {
	defer close(n.done)
	defer n.shutdown()
	var tick <-chan time.Time
	if n.cfg.TickInterval > 0 {
		t := time.NewTicker(n.cfg.TickInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		if !n.hasReady() {
			select {
			case <-n.stop:
				return
			case <-n.wake:
			case <-tick:
				n.tickAll()
			}
		} else {
			// Busy: still take a due tick, or heartbeats would starve
			// under sustained load and followers would call elections.
			select {
			case <-n.stop:
				return
			case <-tick:
				n.tickAll()
			default:
			}
		}
		n.drain()
		synced, err := n.round()
		if err == nil && synced {
			// What the synced batch made stable is ready now (on a lone
			// replica: the entries just appended are committed): apply it
			// at once, without the fsync and without taking new work, so
			// an ack costs one fsync, not two.
			_, err = n.round()
		}
		if err != nil {
			n.fail(err)
			return
		}
	}
}

func (n *Node) tickAll() {
	for _, r := range n.replicas {
		r.rn.Tick()
	}
}

func (n *Node) hasReady() bool {
	for _, r := range n.replicas {
		if r.rn.HasReady() {
			return true
		}
	}
	return false
}

// drain takes everything queued and feeds it to the replicas.
func (n *Node) drain() {
	n.mu.Lock()
	props, reads, inbox, ctrl, ticks := n.props, n.reads, n.inbox, n.ctrl, n.ticks
	n.props, n.reads, n.inbox, n.ctrl, n.ticks = nil, nil, nil, nil, 0
	var unreachable []uint64
	for id := range n.unreachable {
		unreachable = append(unreachable, id)
		delete(n.unreachable, id)
	}
	n.mu.Unlock()
	for _, id := range unreachable {
		for _, r := range n.replicas {
			r.rn.ReportUnreachable(id)
		}
	}
	for i := 0; i < ticks; i++ {
		n.tickAll()
	}
	for _, f := range ctrl {
		f()
	}
	for _, in := range inbox {
		if in.snap != nil {
			n.stepSnapshot(in.shard, in.snap)
			continue
		}
		for _, e := range in.envs {
			n.step(e)
		}
	}
	for _, p := range props {
		n.propose(p)
	}
	for _, rq := range reads {
		r := n.replicas[rq.shard]
		if r == nil || !r.lead {
			rq.done(ErrNotLeader)
			continue
		}
		r.readQueue = append(r.readQueue, rq.done)
	}
	for _, r := range n.replicas {
		if len(r.readQueue) > 0 {
			n.nextRead++
			ctx := binary.BigEndian.AppendUint64(nil, n.nextRead)
			r.readBatches[n.nextRead] = r.readQueue
			r.readQueue = nil
			r.rn.ReadIndex(ctx)
		}
	}
}

func (n *Node) step(e Envelope) {
	if e.Msg == nil || e.Msg.GetTo() != n.cfg.StoreID || e.Shard >= n.shards {
		return
	}
	if e.Msg.GetType() == pb.MsgSnap {
		return // a snapshot comes only with its data, through HandleSnapshot
	}
	r, err := n.replicaFor(e.Shard)
	if err != nil {
		n.log.Error("replication: create replica", "shard", e.Shard, "err", err)
		return
	}
	_ = r.rn.Step(e.Msg) // errors are stale or foreign messages: ignored as raft intends
}

func (n *Node) stepSnapshot(shard uint32, s *stagedSnap) {
	if s.msg.GetTo() != n.cfg.StoreID || shard >= n.shards || s.msg.GetType() != pb.MsgSnap {
		return
	}
	r, err := n.replicaFor(shard)
	if err != nil {
		return
	}
	r.snapIn = s
	_ = r.rn.Step(s.msg)
}

// replicaFor returns the local replica of shard, creating an empty one
// (a store added to the shard by a conf change) on first contact.
func (n *Node) replicaFor(shard uint32) (*replica, error) {
	if r := n.replicas[shard]; r != nil {
		return r, nil
	}
	st := &logStorage{MemoryStorage: raft.NewMemoryStorage()}
	if err := n.addReplica(shard, st, appliedState{cs: &pb.ConfState{}}); err != nil {
		return nil, err
	}
	r := n.replicas[shard]
	r.persistApplied = true
	return r, nil
}

func (n *Node) propose(p *proposal) {
	r := n.replicas[p.shard]
	if r == nil || !r.lead {
		p.done(ErrNotLeader)
		return
	}
	if !p.unchecked && p.epoch != r.term {
		p.done(ErrStaleEpoch)
		return
	}
	n.nextProp++
	id := n.nextProp
	err := r.rn.Propose(encodeCommand(command{proposer: n.cfg.StoreID, id: id, epoch: p.epoch, data: p.data}))
	if err != nil {
		if errors.Is(err, raft.ErrProposalDropped) {
			if st := r.rn.BasicStatus(); st.RaftState != raft.StateLeader {
				err = ErrNotLeader
			} else {
				err = ErrBackpressure
			}
		}
		p.done(err)
		return
	}
	r.pending[id] = p
}

func (n *Node) fail(err error) {
	n.log.Error("replication: node failed", "err", err)
	n.mu.Lock()
	n.failErr = err
	n.closed = true
	n.mu.Unlock()
}

// shutdown fails everything pending; runs on the loop goroutine as it exits.
func (n *Node) shutdown() {
	n.mu.Lock()
	n.closed = true
	props, reads := n.props, n.reads
	n.props, n.reads, n.inbox, n.ctrl = nil, nil, nil, nil
	n.mu.Unlock()
	for _, p := range props {
		p.done(ErrClosed)
	}
	for _, rq := range reads {
		rq.done(ErrClosed)
	}
	for _, r := range n.replicas {
		r.failAll(ErrClosed)
	}
	for id, s := range n.snapsOut {
		_ = s.view.Close()
		delete(n.snapsOut, id)
	}
	for s := range n.leaders {
		n.leaders[s].Store(&LeaderInfo{})
	}
}
