package cluster

import (
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
)

// LeaderOracle says which node may host a grain: the one whose replica
// leads the grain's shard and is ready to serve it. The engine implements
// it over the replication layer (this package does not import it).
type LeaderOracle interface {
	// LeaderOf returns the protoactor address (Node.Address) of the node
	// whose replica leads the shard of the grain (kind, id) and has applied
	// an entry of its own term; ok is false while there is none (an
	// election) or its address is unknown.
	LeaderOf(kind, id string) (address string, ok bool)
}

// LeaderActivatorName is the name of the actor that activates grains on a
// node under LeaderLookup.
const LeaderActivatorName = "leader-activator"

// LeaderLookupConfig bounds LeaderLookup.Get.
type LeaderLookupConfig struct {
	// Wait bounds how long Get waits for the grain's shard to have a ready
	// leader that accepts the activation (an election). Default 4 s.
	Wait time.Duration
	// ActivationTimeout bounds one activation request. Default 2 s.
	ActivationTimeout time.Duration
}

func (c LeaderLookupConfig) withDefaults() LeaderLookupConfig {
	if c.Wait <= 0 {
		c.Wait = 4 * time.Second
	}
	if c.ActivationTimeout <= 0 {
		c.ActivationTimeout = 2 * time.Second
	}
	return c
}

// LeaderLookup is a Proto.Actor IdentityLookup that activates a grain only
// on the node whose replica leads the grain's shard (LeaderOracle), instead
// of rendezvous hashing over members: placement follows replicated data.
// Topology changes move no grain; leadership changes do: the engine calls
// Evict on LeaderLost, which stops the shard's grains at once (a system
// Stop, ahead of queued messages), and callers' next requests reach the new
// leader through Get.
//
// The activator on the target node checks the oracle again before spawning,
// so a node that just lost leadership refuses (ActivationResponse.Failed)
// and Get retries until Wait runs out.
type LeaderLookup struct {
	oracle LeaderOracle
	cfg    LeaderLookupConfig

	mu        sync.Mutex
	c         *pcluster.Cluster
	activator *actor.PID
}

var _ pcluster.IdentityLookup = (*LeaderLookup)(nil)

// NewLeaderLookup returns a LeaderLookup over oracle.
func NewLeaderLookup(oracle LeaderOracle, cfg LeaderLookupConfig) *LeaderLookup {
	return &LeaderLookup{oracle: oracle, cfg: cfg.withDefaults()}
}

// Get implements pcluster.IdentityLookup: it asks the activator of the
// shard's ready leader for the grain, retrying with a bounded backoff while
// there is no leader or the leader refuses, for at most Wait. nil means no
// activation.
func (l *LeaderLookup) Get(ci *pcluster.ClusterIdentity) *actor.PID {
	l.mu.Lock()
	c := l.c
	l.mu.Unlock()
	if c == nil {
		return nil
	}
	deadline := time.Now().Add(l.cfg.Wait)
	backoff := 5 * time.Millisecond
	for {
		if addr, ok := l.oracle.LeaderOf(ci.Kind, ci.Identity); ok {
			req := &pcluster.ActivationRequest{ClusterIdentity: ci}
			res, err := c.ActorSystem.Root.RequestFuture(actor.NewPID(addr, LeaderActivatorName), req, l.cfg.ActivationTimeout).Result()
			if r, ok := res.(*pcluster.ActivationResponse); err == nil && ok && !r.Failed && r.Pid != nil {
				return r.Pid
			}
		}
		if time.Now().Add(backoff).After(deadline) {
			return nil
		}
		time.Sleep(backoff) // bounded retry while an election runs
		backoff = min(2*backoff, 100*time.Millisecond)
	}
}

// RemovePid implements pcluster.IdentityLookup. The activator learns of
// terminations from its children; nothing else to do.
func (l *LeaderLookup) RemovePid(*pcluster.ClusterIdentity, *actor.PID) {}

// Setup implements pcluster.IdentityLookup: a member starts its activator.
func (l *LeaderLookup) Setup(c *pcluster.Cluster, _ []string, isClient bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.c = c
	if isClient {
		return
	}
	props := actor.PropsFromProducer(func() actor.Actor {
		return &leaderActivator{l: l, c: c, grains: map[string]activation{}}
	})
	l.activator, _ = c.ActorSystem.Root.SpawnNamed(props, LeaderActivatorName)
}

// Shutdown implements pcluster.IdentityLookup: stops the activator and,
// with it, every local grain, and waits.
func (l *LeaderLookup) Shutdown() {
	l.mu.Lock()
	c, pid := l.c, l.activator
	l.activator = nil
	l.mu.Unlock()
	if c != nil && pid != nil {
		_ = c.ActorSystem.Root.PoisonFuture(pid).Wait()
	}
}

// Evict stops at once every local grain for which match(kind, id) is true
// (the grains of a shard whose leadership this node lost). It returns
// once the grains are stopping; their pending requests get dead letters,
// and callers re-resolve through Get.
func (l *LeaderLookup) Evict(match func(kind, id string) bool) {
	l.mu.Lock()
	c, pid := l.c, l.activator
	l.mu.Unlock()
	if c == nil || pid == nil {
		return
	}
	_, _ = c.ActorSystem.Root.RequestFuture(pid, evict{match: match}, l.cfg.ActivationTimeout).Result()
}

type evict struct{ match func(kind, id string) bool }

type activation struct {
	ci  *pcluster.ClusterIdentity
	pid *actor.PID
}

// leaderActivator spawns grains as its children, only while the oracle
// names this node as their shard's ready leader.
type leaderActivator struct {
	l      *LeaderLookup
	c      *pcluster.Cluster
	grains map[string]activation
}

func (a *leaderActivator) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *pcluster.ActivationRequest:
		a.activate(ctx, msg)
	case *actor.Terminated:
		for k, g := range a.grains {
			if g.pid.Equal(msg.Who) {
				delete(a.grains, k)
				if kind := a.c.GetClusterKind(g.ci.Kind); kind != nil {
					kind.Dec()
				}
				break
			}
		}
	case evict:
		for k, g := range a.grains {
			if msg.match(g.ci.Kind, g.ci.Identity) {
				ctx.Stop(g.pid)
				delete(a.grains, k)
				if kind := a.c.GetClusterKind(g.ci.Kind); kind != nil {
					kind.Dec()
				}
			}
		}
		ctx.Respond(true)
	}
}

func (a *leaderActivator) activate(ctx actor.Context, msg *pcluster.ActivationRequest) {
	ci := msg.ClusterIdentity
	if ci == nil {
		ctx.Respond(&pcluster.ActivationResponse{Failed: true})
		return
	}
	if addr, ok := a.l.oracle.LeaderOf(ci.Kind, ci.Identity); !ok || addr != ctx.ActorSystem().Address() {
		ctx.Respond(&pcluster.ActivationResponse{Failed: true})
		return
	}
	key := ci.AsKey()
	if g, ok := a.grains[key]; ok {
		ctx.Respond(&pcluster.ActivationResponse{Pid: g.pid})
		return
	}
	kind := a.c.GetClusterKind(ci.Kind)
	if kind == nil {
		ctx.Respond(&pcluster.ActivationResponse{Failed: true})
		return
	}
	pid := ctx.SpawnPrefix(pcluster.WithClusterIdentity(kind.Props, ci), ci.Identity)
	kind.Inc()
	a.grains[key] = activation{ci: ci, pid: pid}
	ctx.Respond(&pcluster.ActivationResponse{Pid: pid})
}
