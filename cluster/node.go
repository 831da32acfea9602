package cluster

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/identitylookup/disthash"
	"github.com/asynkron/protoactor-go/eventstream"
	"github.com/asynkron/protoactor-go/remote"
)

// Defaults of NodeConfig.
const (
	DefaultClusterName    = "qun"
	DefaultRemoteHost     = "127.0.0.1"
	DefaultRequestTimeout = 5 * time.Second

	// gossipOff is the protoactor gossip interval used to keep its gossip
	// loop idle.
	gossipOff = 100 * 365 * 24 * time.Hour
)

// NodeConfig is everything needed to run one Proto.Actor cluster member with
// the memberlist provider. The zero value of every field means its default
// (see DefaultNodeConfig).
type NodeConfig struct {
	// ClusterName names the cluster. Members of different clusters ignore
	// each other's gossip (it is memberlist's packet label). At most 255
	// bytes. Default "qun".
	ClusterName string

	// RemoteHost is the host protoactor's gRPC remote listens on. Default
	// "127.0.0.1". An unspecified address (0.0.0.0, ::) needs AdvertisedHost,
	// since other members must be told a reachable host.
	RemoteHost string

	// RemotePort is the remote's port; default 0 = any free port. protoactor
	// supports port 0: it listens on RemoteHost:0 and reports the bound
	// address (Node.Address). With AdvertisedHost set and port 0, StartNode
	// first picks a free port by listening on RemoteHost:0 and closing it,
	// because protoactor would otherwise advertise the host without a port;
	// another process could take that port in between (StartNode then fails).
	RemotePort int

	// AdvertisedHost is the host other members use to reach this remote,
	// when it differs from RemoteHost (NAT, containers). A host only; the
	// port is RemotePort (or the one picked). Default: RemoteHost.
	AdvertisedHost string

	// Gossip configures the memberlist provider. Gossip.Logger defaults to
	// Logger. Gossip.NodeID defaults to a fresh NewNodeID() per StartNode:
	// leave it empty (see Config.NodeID).
	Gossip Config

	// Kinds are the grain kinds this member hosts (pcluster.NewKind). May be
	// empty: the member then only calls grains hosted elsewhere.
	Kinds []*pcluster.Kind

	// Client starts a cluster client instead of a member
	// (Cluster.StartClient): it gossips to learn the topology and calls
	// grains, but hosts none and is not in the topology. Kinds must be empty.
	// Default false.
	Client bool

	// RequestTimeout is the default timeout of Cluster.Request. Note that
	// protoactor retries up to 3 times and waits the full timeout on each
	// attempt. Default 5s.
	RequestTimeout time.Duration

	// Logger receives protoactor's logs (through actor.WithLoggerFactory,
	// instead of protoactor's coloured stderr logger) with the attribute
	// node=<node id>, and memberlist's unless Gossip.Logger is set.
	// Default: discard.
	Logger *slog.Logger

	// ProtoActorGossipInterval enables protoactor's own gossip (member
	// heartbeats, exchange of blocked member ids, consensus checks) with this
	// interval. Default 0 = off: memberlist is the membership and failure
	// detector; protoactor's gossip would block a member id forever after a
	// 20 s pause while memberlist still has the member alive (split brain),
	// and its paths read protoactor's block list without the lock that its
	// writers take (data races under -race).
	ProtoActorGossipInterval time.Duration

	// Leaders, when set, replaces disthash with a LeaderLookup over it:
	// grains are activated only on the node whose replica leads their
	// shard (see LeaderLookup). Default nil: disthash.
	Leaders LeaderOracle

	// LeaderLookup bounds the LeaderLookup's waits. Defaults as
	// LeaderLookupConfig's.
	LeaderLookup LeaderLookupConfig

	// ProtoActorLogLevel is the lowest level of protoactor records passed to
	// Logger (a slog.Level, or a *slog.LevelVar to change it at run time).
	// protoactor logs every routine step at Info (about 40 lines per node
	// start, join and stop) and an Error line per connection a departed peer
	// leaves behind. Default (nil) slog.LevelWarn.
	ProtoActorLogLevel slog.Leveler
}

// DefaultNodeConfig returns a NodeConfig with every default filled in, apart
// from Gossip.NodeID, which StartNode generates per start.
func DefaultNodeConfig() NodeConfig {
	return NodeConfig{}.withDefaults()
}

func (c NodeConfig) withDefaults() NodeConfig {
	if c.ClusterName == "" {
		c.ClusterName = DefaultClusterName
	}
	if c.RemoteHost == "" {
		c.RemoteHost = DefaultRemoteHost
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.Logger == nil {
		c.Logger = discardLogger()
	}
	if c.ProtoActorLogLevel == nil {
		c.ProtoActorLogLevel = slog.LevelWarn
	}
	if c.Gossip.Logger == nil {
		c.Gossip.Logger = c.Logger
	}
	c.Gossip = c.Gossip.withDefaults()
	return c
}

// Validate reports whether c (with defaults applied to zero fields) is usable.
func (c NodeConfig) Validate() error {
	return c.withDefaults().validate()
}

func (c NodeConfig) validate() error {
	var errs []error
	if len(c.ClusterName) > maxLabelLen {
		errs = append(errs, fmt.Errorf("ClusterName longer than %d bytes", maxLabelLen))
	}
	if c.RemotePort < 0 || c.RemotePort > 65535 {
		errs = append(errs, fmt.Errorf("RemotePort %d out of range", c.RemotePort))
	}
	if ip := net.ParseIP(c.RemoteHost); ip != nil && ip.IsUnspecified() && c.AdvertisedHost == "" {
		errs = append(errs, fmt.Errorf("RemoteHost %q listens on all interfaces: set AdvertisedHost", c.RemoteHost))
	}
	if c.AdvertisedHost != "" {
		if _, _, err := net.SplitHostPort(c.AdvertisedHost); err == nil {
			errs = append(errs, fmt.Errorf("AdvertisedHost %q must be a host without a port", c.AdvertisedHost))
		}
	}
	if c.RequestTimeout < 0 {
		errs = append(errs, errors.New("RequestTimeout must be positive"))
	}
	if c.ProtoActorGossipInterval < 0 {
		errs = append(errs, errors.New("ProtoActorGossipInterval must be positive"))
	}
	if c.Client && len(c.Kinds) > 0 {
		errs = append(errs, errors.New("a Client hosts no Kinds"))
	}
	seen := make(map[string]bool, len(c.Kinds))
	for i, k := range c.Kinds {
		switch {
		case k == nil:
			errs = append(errs, fmt.Errorf("Kinds[%d] is nil", i))
		case k.Kind == "" || len(k.Kind) > maxKindNameLen:
			errs = append(errs, fmt.Errorf("Kinds[%d]: invalid name %q", i, k.Kind))
		case k.Props == nil:
			errs = append(errs, fmt.Errorf("Kinds[%d] %q has no props", i, k.Kind))
		case seen[k.Kind]:
			errs = append(errs, fmt.Errorf("Kinds[%d]: kind %q listed twice", i, k.Kind))
		default:
			seen[k.Kind] = true
		}
	}
	if err := c.Gossip.validate(); err != nil {
		errs = append(errs, fmt.Errorf("Gossip: %w", err))
	}
	return errors.Join(errs...)
}

// Node is a running Proto.Actor cluster member. Use the fields to talk to the
// cluster (Cluster.Request, Cluster.Get...); stop it with Stop, not with
// Cluster.Shutdown.
type Node struct {
	System   *actor.ActorSystem
	Cluster  *pcluster.Cluster
	Provider *Provider
	// Leaders is the LeaderLookup when NodeConfig.Leaders was set, else nil.
	Leaders *LeaderLookup

	logger      *slog.Logger
	topology    atomic.Pointer[[]string] // member ids of protoactor's latest ClusterTopology
	topologySub *eventstream.Subscription
	stopOnce    sync.Once
	stopErr     error
}

// StartNode starts an actor system, its gRPC remote and a cluster member (or
// client, see NodeConfig.Client) using the memberlist provider and disthash
// identity lookup. It returns once the node has joined the gossip ring
// (Seeds) and handed its first topology to protoactor. A member takes a
// little over 1 s to start: protoactor's Cluster.StartMember sleeps 1 s.
// On error, everything started so far is stopped again.
func StartNode(cfg NodeConfig) (*Node, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("qun cluster: invalid node config: %w", err)
	}
	nodeID := cfg.Gossip.NodeID
	if nodeID == "" {
		nodeID = NewNodeID()
		cfg.Gossip.NodeID = nodeID
	}
	logger := cfg.Logger.With(slog.String("node", nodeID))
	if cfg.Gossip.Logger == cfg.Logger {
		cfg.Gossip.Logger = logger
	}

	provider, err := NewProvider(cfg.Gossip)
	if err != nil {
		return nil, err
	}

	remotePort := cfg.RemotePort
	var remoteOpts []remote.ConfigOption
	if cfg.AdvertisedHost != "" {
		if remotePort == 0 {
			if remotePort, err = freeTCPPort(cfg.RemoteHost); err != nil {
				return nil, fmt.Errorf("qun cluster: picking a remote port: %w", err)
			}
		}
		remoteOpts = append(remoteOpts, remote.WithAdvertisedHost(net.JoinHostPort(cfg.AdvertisedHost, strconv.Itoa(remotePort))))
	}

	paLogger := slog.New(minLevelHandler{h: logger.Handler(), min: cfg.ProtoActorLogLevel})
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return paLogger }))
	// The member id is the actor system's ID: protoactor's gossip, block list
	// and remote handshake use ActorSystem.ID. Set it before anything reads it.
	system.ID = nodeID

	var lookup pcluster.IdentityLookup = disthash.New()
	var leaders *LeaderLookup
	if cfg.Leaders != nil {
		leaders = NewLeaderLookup(cfg.Leaders, cfg.LeaderLookup)
		lookup = leaders
	}
	clusterCfg := pcluster.Configure(cfg.ClusterName, provider, lookup,
		remote.Configure(cfg.RemoteHost, remotePort, remoteOpts...),
		pcluster.WithKinds(cfg.Kinds...),
		pcluster.WithRequestTimeout(cfg.RequestTimeout))
	clusterCfg.GossipInterval = cfg.ProtoActorGossipInterval
	if clusterCfg.GossipInterval == 0 {
		// protoactor always starts its gossip loop; a ticker that never
		// fires keeps it idle until Gossip.Shutdown (Stop) ends it.
		clusterCfg.GossipInterval = gossipOff
	}
	c := pcluster.New(system, clusterCfg)

	n := &Node{System: system, Cluster: c, Provider: provider, Leaders: leaders, logger: logger}
	n.topology.Store(&[]string{})
	// protoactor publishes each new topology synchronously, under its member
	// list lock; MemberList.Length and Members read without that lock.
	n.topologySub = system.EventStream.Subscribe(func(evt any) {
		if t, ok := evt.(*pcluster.ClusterTopology); ok {
			ids := make([]string, len(t.Members))
			for i, m := range t.Members {
				ids[i] = MemberIDOf(m.Id) // a re-admitted member's routing id (readmission.go)
			}
			slices.Sort(ids)
			n.topology.Store(&ids)
		}
	})
	start := time.Now()
	if err := startCluster(c, cfg.Client); err != nil {
		n.abortStart()
		return nil, fmt.Errorf("qun cluster: starting node %s: %w", nodeID, err)
	}
	logger.Debug("cluster node started", slog.String("address", n.Address()),
		slog.String("gossip", provider.GossipAddr()), slog.Duration("took", time.Since(start)))
	return n, nil
}

// startCluster runs Cluster.StartMember (or StartClient), which report every
// failure (remote listen error, provider error) by panicking.
func startCluster(c *pcluster.Cluster, client bool) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	if client {
		c.StartClient()
	} else {
		c.StartMember()
	}
	return nil
}

// abortStart releases what a failed StartMember may have started. Each step
// may find its part never started (nil fields inside protoactor): recover.
func (n *Node) abortStart() {
	_ = n.Provider.Shutdown(false)
	try := func(f func()) {
		defer func() { _ = recover() }()
		f()
	}
	if n.Cluster.Gossip != nil {
		try(n.Cluster.Gossip.Shutdown) // ends the gossip loop goroutine
	}
	n.System.Shutdown()
	if n.Cluster.Remote != nil {
		try(func() { n.Cluster.Remote.Shutdown(false) })
	}
}

// Address returns the member's protoactor remote address "host:port" (the
// actual port when RemotePort was 0).
func (n *Node) Address() string {
	return n.System.Address()
}

// MemberIDs returns the ids of the members protoactor currently routes grains
// to (its latest ClusterTopology), sorted. Unlike Provider.Members it
// excludes members protoactor has blocked. Use it rather than
// Cluster.MemberList.Length or Members, which read protoactor's member set
// without its lock (a data race while the topology changes).
func (n *Node) MemberIDs() []string {
	return slices.Clone(*n.topology.Load())
}

// ID returns the member id (the actor system ID and memberlist node name).
func (n *Node) ID() string {
	return n.System.ID
}

// Stop takes the member out of the cluster and frees its ports: memberlist's
// gossip port and the remote's gRPC port. It is idempotent; later calls return
// the first call's result. It does not use protoactor's Cluster.Shutdown,
// whose non-graceful form leaves the provider (and its port) running and
// whose graceful form sleeps 2 s.
//
// graceful=true: broadcast a gossip leave (peers drop this member at once;
// waits up to Gossip.LeaveTimeout), then stop every local grain and wait for
// them (each gets Stopping/Stopped while the other members are still
// reachable; protoactor bounds the wait at 10 s), then close. About 35 ms
// with one peer and idle grains.
//
// graceful=false: stop gossiping without a leave, as a crash would look to
// peers (they drop this member after memberlist's failure detection: a
// failed probe, then SuspicionMult*ProbeInterval, about 3-4 s with the
// defaults), ask local grains to stop without waiting, and close. A few ms.
//
// In both cases outgoing connections to the other members are closed (by
// telling protoactor the topology is now empty), then gossip, the actor
// system and the gRPC server are stopped. The server is stopped at once
// (grpc Server.Stop): protoactor's graceful remote shutdown can wait 10 s for
// peers' streams and races on internal flags.
func (n *Node) Stop(graceful bool) error {
	n.stopOnce.Do(func() { n.stopErr = n.stop(graceful) })
	return n.stopErr
}

func (n *Node) stop(graceful bool) error {
	start := time.Now()
	c := n.Cluster
	err := n.Provider.Shutdown(graceful)
	if graceful || n.Leaders != nil {
		// Poisons local grains and waits for them. LeaderLookup's grains
		// are not stopped by the empty topology below, so it always runs.
		c.IdentityLookup.Shutdown()
	}
	// An empty topology makes protoactor treat every member as gone: it
	// stops local grains, and terminates the endpoint (gRPC client
	// connection) to each peer, which Remote.Shutdown(false) would leak.
	c.MemberList.UpdateClusterTopology(pcluster.Members{})
	n.System.EventStream.Unsubscribe(n.topologySub)
	c.Gossip.Shutdown()
	n.System.Shutdown()
	c.Remote.Shutdown(false)
	n.logger.Debug("cluster node stopped", slog.Bool("graceful", graceful), slog.Duration("took", time.Since(start)))
	return err
}

// freeTCPPort asks the kernel for a free TCP port on host and releases it.
func freeTCPPort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
