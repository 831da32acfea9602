package engine

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/qunchat/qun/actors"
	"github.com/qunchat/qun/actors/pb"
	qcluster "github.com/qunchat/qun/cluster"
	"github.com/qunchat/qun/persistence"
	"github.com/qunchat/qun/replication"
	"github.com/qunchat/qun/wire"
)

// Replication. Every node runs a replication.Node over its Pebble store:
// grains persist through their shard's raft group (Deps.StoreFor binds an
// activation to its shard and leader epoch) and run only on the shard's
// ready leader (cluster.LeaderLookup asks replicator.LeaderOf). A lone node
// is a cluster of one (R = 1) through the same path. Nodes find each
// other's raft store id and address in memberlist metadata (AppMeta).

// replicator wires one engine to its replication.Node.
type replicator struct {
	e       *Engine
	store   *persistence.PebbleStore
	storeID uint64
	shards  uint32
	fresh   bool // the store had no cluster record: bootstrap
	tr      *replication.TCPTransport
	node    atomic.Pointer[replication.Node]
	oracle  atomic.Pointer[replication.Oracle]
	multi   atomic.Bool // more than one store in the cluster

	replace storeReplacer // replication_replace.go

	mu    sync.Mutex
	addrs map[uint64]string // store id -> protoactor address
	lost  map[uint32]bool   // shards whose grains to evict

	wake      chan struct{}
	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// peerRefresh is how often members' metadata is read into the transport's
// peer table and the address book.
const peerRefresh = 100 * time.Millisecond

// newReplicator reads or makes the store id and listens for raft peers.
func newReplicator(e *Engine, st *persistence.PebbleStore) (*replicator, error) {
	r := &replicator{e: e, store: st, addrs: map[uint64]string{}, lost: map[uint32]bool{},
		wake: make(chan struct{}, 1), stop: make(chan struct{})}
	id, shards, ok, err := replication.Bootstrapped(st)
	if err != nil {
		return nil, fmt.Errorf("engine: replication state: %w", err)
	}
	if !ok {
		r.fresh = true
		var b [8]byte
		for id == 0 {
			_, _ = rand.Read(b[:])
			id = binary.BigEndian.Uint64(b[:]) >> 1 // positive, for readable logs
		}
		shards = e.cfg.Shards
		if shards == 0 {
			shards = replication.DefaultShards
		}
	}
	r.storeID, r.shards = id, shards
	secret := e.cfg.ClusterSecret
	if len(secret) == 0 { // a lone node: nobody else can know it
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
	}
	addr := e.cfg.RaftAddr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	tcfg := replication.DefaultTCPConfig()
	tcfg.StoreID, tcfg.Listen, tcfg.Secret, tcfg.Shards = id, addr, secret, shards
	tcfg.Logger = e.log.With("component", "raft-transport")
	if r.tr, err = replication.ListenTCP(tcfg); err != nil {
		return nil, fmt.Errorf("engine: raft transport: %w", err)
	}
	return r, nil
}

// appMeta is what this node gossips: "<store id> <raft address>".
func (r *replicator) appMeta() string {
	return strconv.FormatUint(r.storeID, 10) + " " + r.tr.Addr()
}

func parseAppMeta(s string) (id uint64, raftAddr string, ok bool) {
	a, b, ok := strings.Cut(s, " ")
	if !ok || b == "" {
		return 0, "", false
	}
	id, err := strconv.ParseUint(a, 10, 64)
	return id, b, err == nil && id != 0
}

// start waits for the bootstrap peers (a fresh store with BootstrapExpect
// > 1), then starts the replication node and the loops that feed it.
func (r *replicator) start(ctx context.Context, cn *qcluster.Node) error {
	peers := []uint64{r.storeID}
	if expect := r.e.cfg.BootstrapExpect; r.fresh && expect > 1 {
		wait := r.e.cfg.BootstrapTimeout
		if wait <= 0 {
			wait = 2 * time.Minute
		}
		deadline := time.Now().Add(wait)
		r.e.log.Info("waiting for bootstrap peers", "expect", expect, "store_id", r.storeID)
		for {
			ids := r.refresh(cn)
			if len(ids) >= expect {
				peers = ids
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("engine: bootstrap: %d of %d nodes after %v", len(ids), expect, wait)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(peerRefresh):
			}
		}
		r.e.log.Info("bootstrapping cluster", "peers", len(peers), "store_id", r.storeID)
	}
	rcfg := replication.DefaultConfig()
	rcfg.StoreID, rcfg.Shards, rcfg.Peers = r.storeID, r.shards, peers
	if r.e.cfg.Replicas > 0 {
		rcfg.Replicas = r.e.cfg.Replicas
	}
	applier := replication.NewStoreApplier(r.store)
	applier.OnApplied = r.indexApplied(cn)
	n, err := replication.New(rcfg, replication.Deps{
		Store: r.store, Applier: applier, Transport: r.tr, Listener: r,
		Logger: r.e.log.With("component", "replication"),
	})
	if err != nil {
		return fmt.Errorf("engine: replication: %w", err)
	}
	r.node.Store(n)
	if r.e.cfg.BootstrapExpect <= 1 { // a lone node: lead at once, not after an election timeout
		for s := range n.Shards() {
			n.Campaign(s)
		}
	}
	r.oracle.Store(&replication.Oracle{Node: n, AddressOf: r.addressOf})
	r.refresh(cn)
	r.wg.Add(2)
	go r.peerLoop(cn)
	go r.evictLoop(cn)
	return nil
}

// refresh reads every member's metadata into the transport's peers and
// the address book; it returns the store ids seen, sorted.
func (r *replicator) refresh(cn *qcluster.Node) []uint64 {
	var ids []uint64
	addrs := map[uint64]string{r.storeID: cn.Address()}
	for _, m := range cn.Provider.Members() {
		id, raftAddr, ok := parseAppMeta(m.AppMeta)
		if !ok {
			continue
		}
		ids = append(ids, id)
		if m.Self {
			continue
		}
		addrs[id] = m.Address()
		r.tr.SetPeer(id, raftAddr)
	}
	if !slices.Contains(ids, r.storeID) {
		ids = append(ids, r.storeID)
	}
	slices.Sort(ids)
	if len(ids) > 1 {
		r.multi.Store(true)
	}
	r.mu.Lock()
	r.addrs = addrs
	r.mu.Unlock()
	return slices.Compact(ids)
}

func (r *replicator) peerLoop(cn *qcluster.Node) {
	defer r.wg.Done()
	t := time.NewTicker(peerRefresh)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.refresh(cn)
			r.replaceGone(cn)
		}
	}
}

// evictLoop stops the grains of every shard whose leadership was lost.
func (r *replicator) evictLoop(cn *qcluster.Node) {
	defer r.wg.Done()
	for {
		select {
		case <-r.stop:
			return
		case <-r.wake:
		}
		r.mu.Lock()
		lost := r.lost
		r.lost = map[uint32]bool{}
		r.mu.Unlock()
		o := r.oracle.Load()
		if len(lost) == 0 || o == nil || cn.Leaders == nil {
			continue
		}
		cn.Leaders.Evict(func(kind, id string) bool { return lost[o.ShardOfGrain(kind, id)] })
	}
}

// indexApplied feeds this node's discovery index from every applied batch
// of every local replica (leader or follower), so a query finds a group on
// whichever node it lands even after its leader died.
func (r *replicator) indexApplied(cn *qcluster.Node) func(uint32, *persistence.Batch) {
	prefix := actors.IndexKey("")
	pid := actor.NewPID(cn.System.Address(), actors.IndexName)
	return func(_ uint32, b *persistence.Batch) {
		for _, kv := range b.Puts {
			if strings.HasPrefix(kv.Key, prefix) {
				cn.System.Root.Send(pid, &pb.Call{Op: uint32(actors.OpIndexPut), Args: slices.Clone(kv.Value)})
			}
		}
		for _, k := range b.Deletes {
			if g, ok := strings.CutPrefix(k, prefix); ok {
				args, err := wire.Marshal(&actors.IndexEntry{Group: g, Dissolved: true})
				if err == nil {
					cn.System.Root.Send(pid, &pb.Call{Op: uint32(actors.OpIndexPut), Args: args})
				}
			}
		}
	}
}

func (r *replicator) addressOf(id uint64) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.addrs[id]
	return a, ok
}

// LeaderOf implements cluster.LeaderOracle (no leader before start).
func (r *replicator) LeaderOf(kind, id string) (string, bool) {
	o := r.oracle.Load()
	if o == nil {
		return "", false
	}
	return o.LeaderOf(kind, id)
}

// LeaderReady implements replication.Listener.
func (r *replicator) LeaderReady(shard uint32, term uint64) {}

// LeaderLost implements replication.Listener: the shard's grains are
// evicted at once (off the raft loop).
func (r *replicator) LeaderLost(shard uint32, term uint64) {
	r.mu.Lock()
	r.lost[shard] = true
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// storeFor binds a grain activation to its shard and the leader epoch it
// starts under (actors.Deps.StoreFor).
func (r *replicator) storeFor(kind, id string) persistence.Store {
	n, o := r.node.Load(), r.oracle.Load()
	if n == nil || o == nil {
		return nil
	}
	shard := o.ShardOfGrain(kind, id)
	return n.StoreFor(shard, n.Leader(shard).Term)
}

// close stops the loops and the replication node (or, before it started,
// the transport). The store stays open.
func (r *replicator) close() error {
	var err error
	r.closeOnce.Do(func() {
		close(r.stop)
		r.wg.Wait()
		if n := r.node.Load(); n != nil {
			err = n.Close()
		} else {
			err = r.tr.Close()
		}
	})
	return err
}

// ReplicationStatus is a node's view of the cluster for operations.
type ReplicationStatus struct {
	StoreID uint64
	Members []ReplicationMember
	Shards  []replication.ShardStatus
}

// ReplicationMember is one member as this node sees it.
type ReplicationMember struct {
	StoreID  uint64
	Address  string // protoactor address
	RaftAddr string
	Self     bool
}

// ReplicationStatus returns this node's store id, the members it sees and
// the state of its shard replicas (leaders, applied indexes, lag).
func (e *Engine) ReplicationStatus(ctx context.Context) (ReplicationStatus, error) {
	if e.repl == nil || e.repl.node.Load() == nil {
		return ReplicationStatus{}, ErrNotStarted
	}
	st := ReplicationStatus{StoreID: e.repl.storeID}
	for _, m := range e.node.Provider.Members() {
		id, ra, ok := parseAppMeta(m.AppMeta)
		if ok {
			st.Members = append(st.Members, ReplicationMember{StoreID: id, Address: m.Address(), RaftAddr: ra, Self: m.Self})
		}
	}
	var err error
	st.Shards, err = e.repl.node.Load().Status(ctx)
	return st, err
}

var (
	_ qcluster.LeaderOracle = (*replicator)(nil)
	_ replication.Listener  = (*replicator)(nil)
)

// leaderPoll is how often a request in flight on a multi-node cluster
// checks that its grain's shard is still led where the request went.
const leaderPoll = 50 * time.Millisecond

// awaitLeader waits for f, a request to the grain (kind, id) at the PID in
// the cache. On a cluster of more than one node it gives up early
// (moved) once the oracle names another node as the shard's leader: the
// PID's node lost the shard (or died), so the caller retries at the new
// leader at once instead of waiting out the timeout.
func (e *Engine) awaitLeader(f actor.Future, kind, id string) (res any, err error, moved bool) {
	r := e.repl
	pid, ok := e.node.Cluster.PidCache.Get(id, kind)
	if r == nil || !r.multi.Load() || !ok {
		res, err = f.Result()
		return res, err, false
	}
	type outcome struct {
		res any
		err error
	}
	ch := make(chan outcome, 1)
	go func() { // ends when f completes or times out (RequestTimeout)
		res, err := f.Result()
		ch <- outcome{res, err}
	}()
	t := time.NewTicker(leaderPoll)
	defer t.Stop()
	for {
		select {
		case o := <-ch:
			return o.res, o.err, false
		case <-t.C:
			if addr, ok := r.LeaderOf(kind, id); ok && addr != pid.Address {
				return nil, nil, true
			}
		}
	}
}
