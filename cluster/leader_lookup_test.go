package cluster

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// tableOracle is a LeaderOracle the test flips by hand, standing for the
// replication layer's leadership table.
type tableOracle struct {
	mu      sync.Mutex
	leaders map[string]string // id -> address
}

func (o *tableOracle) LeaderOf(_, id string) (string, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	a, ok := o.leaders[id]
	return a, ok
}

func (o *tableOracle) set(id, addr string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if addr == "" {
		delete(o.leaders, id)
	} else {
		o.leaders[id] = addr
	}
}

const countKind = "counted"

// countedGrain counts its activations and answers with the count it saw.
type countedGrain struct {
	starts *atomic.Int64
	gen    int64
}

func (g *countedGrain) Receive(ctx actor.Context) {
	switch ctx.Message().(type) {
	case *actor.Started:
		g.gen = g.starts.Add(1)
	case *wrapperspb.StringValue:
		ctx.Respond(wrapperspb.Int64(g.gen))
	}
}

func TestLeaderLookupPlacesOnLeaderAndEvicts(t *testing.T) {
	var starts atomic.Int64
	oracle := &tableOracle{leaders: map[string]string{}}
	cfg := testNodeConfig()
	cfg.Kinds = []*pcluster.Kind{pcluster.NewKind(countKind, actor.PropsFromProducer(func() actor.Actor { return &countedGrain{starts: &starts} }))}
	cfg.Leaders = oracle
	cfg.LeaderLookup = LeaderLookupConfig{Wait: 300 * time.Millisecond, ActivationTimeout: 200 * time.Millisecond}
	cfg.RequestTimeout = 500 * time.Millisecond
	n, err := StartNode(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop(true)
	if n.Leaders == nil {
		t.Fatal("Node.Leaders not set")
	}
	call := func(id string) (int64, error) {
		res, err := n.Cluster.Request(id, countKind, wrapperspb.String("hi"))
		if err != nil {
			return 0, err
		}
		return res.(*wrapperspb.Int64Value).Value, nil
	}
	// No leader known: no activation anywhere, the call fails in bounded time.
	start := time.Now()
	if _, err := call("a"); err == nil {
		t.Fatal("activated without a leader")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("call without a leader took %v", d)
	}
	if starts.Load() != 0 {
		t.Fatal("a grain started without a leader")
	}
	// Another node leads: this node's activator refuses to host it.
	oracle.set("a", "127.0.0.1:1")
	res, err := n.System.Root.RequestFuture(actor.NewPID(n.Address(), LeaderActivatorName),
		&pcluster.ActivationRequest{ClusterIdentity: pcluster.NewClusterIdentity("a", countKind)}, time.Second).Result()
	if err != nil {
		t.Fatal(err)
	}
	if r := res.(*pcluster.ActivationResponse); !r.Failed {
		t.Fatal("activator hosted a grain whose shard another node leads")
	}
	// This node leads: the grain is activated here, once.
	oracle.set("a", n.Address())
	for i := 0; i < 3; i++ {
		if gen, err := call("a"); err != nil || gen != 1 {
			t.Fatalf("call %d: gen %d err %v", i, gen, err)
		}
	}
	// Leadership lost: Evict stops it at once, and while there is no ready
	// leader (an election) it is not re-activated. (A test address of a
	// node that does not exist would leave protoactor a gRPC endpoint to it.)
	oracle.set("a", "")
	n.Leaders.Evict(func(kind, id string) bool { return kind == countKind && id == "a" })
	if _, err := call("a"); err == nil {
		t.Fatal("evicted grain still answered from this node")
	}
	if starts.Load() != 1 {
		t.Fatalf("%d activations, want 1", starts.Load())
	}
	// Regained: a fresh activation (it reloads from storage in Qun).
	oracle.set("a", n.Address())
	deadline := time.Now().Add(10 * time.Second)
	for {
		gen, err := call("a")
		if err == nil && gen == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no re-activation: gen %d err %v", gen, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
