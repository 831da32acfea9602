package cluster

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"

	pcluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/hashicorp/memberlist"
)

// maxLabelLen is memberlist's limit on Config.Label (memberlist.LabelMaxSize).
const maxLabelLen = 255

// MemberInfo describes one member of the current topology, as handed to
// protoactor by the Provider.
type MemberInfo struct {
	ID         string   // member id: the member's actor system ID and memberlist node name
	Host       string   // protoactor remote host
	Port       int      // protoactor remote port
	Kinds      []string // grain kinds the member hosts (sorted)
	GossipAddr string   // memberlist address "ip:port"
	Self       bool     // this member
	AppMeta    string   // the member's Config.AppMeta
}

// Address returns the member's protoactor remote address "host:port".
func (m MemberInfo) Address() string {
	return net.JoinHostPort(m.Host, strconv.Itoa(m.Port))
}

type providerState int

const (
	stateNew providerState = iota
	stateStarted
	stateStopped
)

// Provider is a protoactor cluster.ClusterProvider built on hashicorp
// memberlist. Each member gossips its record (id, remote host and port,
// kinds) as memberlist node metadata; on every join, leave or update seen by
// memberlist the provider recomputes the member list and hands it to
// protoactor with MemberList.UpdateClusterTopology.
//
// A Provider starts once (StartMember or StartClient) and is then shut down;
// it cannot be restarted: make a new one (with a new node id) instead.
// All methods are safe for concurrent use.
type Provider struct {
	cfg    Config
	logger *slog.Logger

	mu      sync.Mutex // guards the fields below
	state   providerState
	ml      *memberlist.Memberlist
	cluster *pcluster.Cluster
	selfID  string
	gossip  string // advertised gossip address, once started

	// nodes is memberlist's live view, kept from EventDelegate callbacks
	// (memberlist calls them with its node lock held: they only copy and
	// signal). nodesMu is never held while calling memberlist or protoactor.
	nodesMu sync.Mutex
	nodes   map[string]nodeEntry
	view    []MemberInfo // last member list handed to protoactor
	adm     admissions   // returns from the dead, per node name (readmission.go)
	viewOf  int          // number of memberlist nodes that view was computed from

	kick     chan struct{} // capacity 1: "the view changed", coalesced
	done     chan struct{} // closed by Shutdown: stops the topology loop
	loopDone chan struct{} // closed when the topology loop has returned

	// warned holds peers whose bad metadata was already logged. Used only by
	// the goroutine that publishes topology.
	warned map[string]string

	shutdownOnce sync.Once
	shutdownErr  error
}

type nodeEntry struct {
	meta []byte // copy of memberlist.Node.Meta
	addr string // memberlist.Node.Address()
}

var _ pcluster.ClusterProvider = (*Provider)(nil)

// NewProvider checks cfg and returns an unstarted Provider.
func NewProvider(cfg Config) (*Provider, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("qun cluster: invalid gossip config: %w", err)
	}
	cfg.Seeds = slices.Clone(cfg.Seeds)
	return &Provider{
		cfg:      cfg,
		logger:   cfg.Logger,
		nodes:    make(map[string]nodeEntry),
		kick:     make(chan struct{}, 1),
		done:     make(chan struct{}),
		loopDone: make(chan struct{}),
		warned:   make(map[string]string),
	}, nil
}

// StartMember joins the gossip ring as a member hosting c's kinds. protoactor
// calls it from Cluster.StartMember, after the remote has started. Its member
// id is c.ActorSystem.ID, which must equal Config.NodeID when that is set.
func (p *Provider) StartMember(c *pcluster.Cluster) error {
	return p.start(c, false)
}

// StartClient joins the gossip ring as a cluster client: it learns the
// topology but is not part of it (it hosts no grains).
func (p *Provider) StartClient(c *pcluster.Cluster) error {
	return p.start(c, true)
}

func (p *Provider) start(c *pcluster.Cluster, client bool) error {
	p.mu.Lock()
	locked := true
	defer func() {
		if locked {
			p.mu.Unlock()
		}
	}()
	switch p.state {
	case stateStarted:
		return errors.New("qun cluster: provider already started")
	case stateStopped:
		return errors.New("qun cluster: provider was shut down; make a new one")
	}
	if c == nil || c.ActorSystem == nil || c.MemberList == nil {
		return errors.New("qun cluster: provider started without a cluster")
	}

	id := c.ActorSystem.ID
	if p.cfg.NodeID != "" && p.cfg.NodeID != id {
		return fmt.Errorf("qun cluster: Config.NodeID %q differs from the actor system ID %q (set ActorSystem.ID before cluster.New, or leave NodeID empty)", p.cfg.NodeID, id)
	}
	host, port, err := c.ActorSystem.GetHostPort()
	if err != nil || port <= 0 {
		return fmt.Errorf("qun cluster: remote address %q unusable (is the remote started?): %v", c.ActorSystem.Address(), err)
	}
	var kinds []string
	if !client {
		kinds = c.GetClusterKinds()
		slices.Sort(kinds)
	}
	meta, err := memberMeta{V: metaVersion, ID: id, Host: host, Port: port, Kinds: kinds, Client: client, App: p.cfg.AppMeta}.encode()
	if err != nil {
		return fmt.Errorf("qun cluster: %w", err)
	}
	label := ""
	if c.Config != nil {
		label = c.Config.Name
	}
	if len(label) > maxLabelLen {
		return fmt.Errorf("qun cluster: cluster name longer than %d bytes", maxLabelLen)
	}

	mlc, err := p.memberlistConfig(id, label, meta)
	if err != nil {
		return err
	}
	ml, err := memberlist.Create(mlc)
	if err != nil {
		return fmt.Errorf("qun cluster: starting memberlist on %s: %w", p.cfg.BindAddr, err)
	}
	if len(p.cfg.Seeds) > 0 {
		if _, err := ml.Join(p.cfg.Seeds); err != nil {
			_ = ml.Shutdown()
			p.nodesMu.Lock()
			clear(p.nodes) // what the failed memberlist reported
			p.nodesMu.Unlock()
			return fmt.Errorf("qun cluster: joining %v: %w", p.cfg.Seeds, err)
		}
	}
	p.ml = ml
	p.cluster = c
	p.selfID = id
	p.gossip = ml.LocalNode().Address()
	p.state = stateStarted
	p.mu.Unlock()
	locked = false
	p.logger.Info("gossip started", slog.String("node", id), slog.String("gossip", p.gossip),
		slog.Any("joined", p.cfg.Seeds), slog.Bool("client", client), slog.Int("members", ml.NumMembers()))

	// First topology synchronously, so that protoactor knows its members when
	// StartMember returns; later ones from a single goroutine, in order.
	p.publish()
	go p.topologyLoop()
	return nil
}

func (p *Provider) memberlistConfig(id, label string, meta []byte) (*memberlist.Config, error) {
	cfg := p.cfg
	bindHost, bindPort, err := splitHostPort(cfg.BindAddr, false)
	if err != nil {
		return nil, fmt.Errorf("qun cluster: BindAddr: %w", err)
	}
	if bindHost == "" {
		bindHost = "0.0.0.0"
	}
	mlc := memberlist.DefaultLocalConfig()
	mlc.Name = id
	mlc.Label = label
	mlc.BindAddr = bindHost
	mlc.BindPort = bindPort
	mlc.AdvertisePort = bindPort
	if cfg.AdvertiseAddr != "" {
		ah, ap, err := splitAdvertise(cfg.AdvertiseAddr)
		if err != nil {
			return nil, fmt.Errorf("qun cluster: AdvertiseAddr: %w", err)
		}
		mlc.AdvertiseAddr = ah
		if ap != 0 {
			mlc.AdvertisePort = ap
		}
	} else if ip := net.ParseIP(bindHost); ip != nil && !ip.IsUnspecified() {
		mlc.AdvertiseAddr = bindHost
	}
	mlc.GossipInterval = cfg.GossipInterval
	mlc.GossipNodes = cfg.GossipNodes
	mlc.ProbeInterval = cfg.ProbeInterval
	mlc.ProbeTimeout = cfg.ProbeTimeout
	mlc.SuspicionMult = cfg.SuspicionMult
	if cfg.PushPullInterval > 0 {
		mlc.PushPullInterval = cfg.PushPullInterval
	} else {
		mlc.PushPullInterval = 0
	}
	mlc.TCPTimeout = cfg.TCPTimeout
	mlc.Events = eventDelegate{p}
	mlc.Delegate = metaDelegate{meta: meta}
	mlc.Logger = newMemberlistLogger(p.logger)
	if len(cfg.Secret) > 0 {
		mlc.SecretKey = gossipKey(cfg.Secret)
		mlc.GossipVerifyIncoming, mlc.GossipVerifyOutgoing = true, true
	}
	mlc.LogOutput = nil
	return mlc, nil
}

// Shutdown stops publishing topology and shuts memberlist down, freeing its
// port. When graceful, it first broadcasts a leave so that peers drop this
// member at once instead of after failure detection. It is idempotent;
// calls after the first return the first call's result.
//
// protoactor's Cluster.Shutdown(true) calls it; Cluster.Shutdown(false) does
// not: use Node.Stop, which always does.
func (p *Provider) Shutdown(graceful bool) error {
	p.shutdownOnce.Do(func() { p.shutdownErr = p.shutdown(graceful) })
	return p.shutdownErr
}

func (p *Provider) shutdown(graceful bool) error {
	p.mu.Lock()
	prev := p.state
	p.state = stateStopped
	ml := p.ml
	p.mu.Unlock()

	close(p.done)
	if prev != stateStarted {
		return nil
	}
	<-p.loopDone

	var errs []error
	if graceful {
		if err := ml.Leave(p.cfg.LeaveTimeout); err != nil {
			errs = append(errs, fmt.Errorf("qun cluster: memberlist leave: %w", err))
		}
	}
	if err := ml.Shutdown(); err != nil {
		errs = append(errs, fmt.Errorf("qun cluster: memberlist shutdown: %w", err))
	}
	p.nodesMu.Lock()
	p.view = nil
	p.nodesMu.Unlock()
	p.logger.Debug("gossip stopped", slog.String("node", p.selfID), slog.Bool("graceful", graceful))
	return errors.Join(errs...)
}

// GossipAddr returns the advertised gossip address "ip:port" (the actual
// port when BindAddr asked for port 0): what other nodes put in Seeds.
// It is "" before start.
func (p *Provider) GossipAddr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gossip
}

// NodeID returns the member id, "" before start.
func (p *Provider) NodeID() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.selfID
}

// Members returns the member list last handed to protoactor, sorted by id
// (nil before start and after shutdown). protoactor may further exclude
// members it has blocked.
func (p *Provider) Members() []MemberInfo {
	p.nodesMu.Lock()
	defer p.nodesMu.Unlock()
	out := make([]MemberInfo, len(p.view))
	for i, m := range p.view {
		m.Kinds = slices.Clone(m.Kinds)
		out[i] = m
	}
	return out
}

// topologyLoop is the only goroutine that calls UpdateClusterTopology after
// start, so updates are applied in order and never concurrently.
func (p *Provider) topologyLoop() {
	defer close(p.loopDone)
	for {
		select {
		case <-p.done:
			return
		case <-p.kick:
			select {
			case <-p.done:
				return
			default:
			}
			p.publish()
		}
	}
}

// publish recomputes the member list from the memberlist view and hands it
// to protoactor. Called at start, then only from topologyLoop.
func (p *Provider) publish() {
	p.nodesMu.Lock()
	entries := make(map[string]nodeEntry, len(p.nodes))
	admission := make(map[string]int, len(p.nodes))
	for name, e := range p.nodes {
		entries[name] = e
		admission[name] = p.adm.of(name)
	}
	p.nodesMu.Unlock()

	infos := make([]MemberInfo, 0, len(entries))
	routing := make(map[string]string, len(entries)) // member id -> id handed to protoactor
	for name, e := range entries {
		m, err := decodeMeta(e.meta, name)
		if err != nil {
			if p.warned[name] != err.Error() {
				p.warned[name] = err.Error()
				p.logger.Warn("skipping gossip peer with bad metadata",
					slog.String("peer", name), slog.String("gossip", e.addr), slog.Any("error", err))
			}
			continue
		}
		delete(p.warned, name)
		if m.Client {
			continue
		}
		routing[m.ID] = routingID(m.ID, admission[name])
		infos = append(infos, MemberInfo{
			ID: m.ID, Host: m.Host, Port: m.Port, Kinds: m.Kinds,
			GossipAddr: e.addr, Self: m.ID == p.selfID, AppMeta: m.App,
		})
	}
	for name := range p.warned {
		if _, ok := entries[name]; !ok {
			delete(p.warned, name)
		}
	}
	slices.SortFunc(infos, func(a, b MemberInfo) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})

	members := make(pcluster.Members, len(infos))
	for i, m := range infos {
		members[i] = &pcluster.Member{Id: routing[m.ID], Host: m.Host, Port: int32(m.Port), Kinds: slices.Clone(m.Kinds)}
	}
	p.cluster.MemberList.UpdateClusterTopology(members)

	p.nodesMu.Lock()
	changed := len(p.view) != len(infos)
	p.view = infos
	p.viewOf = len(entries)
	p.nodesMu.Unlock()
	if changed { // at Info only when the count moves: an operator sees joins and departures
		p.logger.Info("cluster members", slog.String("node", p.selfID), slog.Int("members", len(members)))
	} else {
		p.logger.Debug("topology published", slog.String("node", p.selfID), slog.Int("members", len(members)))
	}
}

// nodeChanged records memberlist's news about one node and wakes the
// topology loop. Called by memberlist with its node lock held: no blocking.
func (p *Provider) nodeChanged(n *memberlist.Node, alive bool) {
	p.nodesMu.Lock()
	if alive {
		p.nodes[n.Name] = nodeEntry{meta: slices.Clone(n.Meta), addr: n.Address()}
		p.adm.alive(n.Name)
	} else {
		delete(p.nodes, n.Name)
		p.adm.left(n.Name)
	}
	p.nodesMu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// eventDelegate implements memberlist.EventDelegate.
type eventDelegate struct{ p *Provider }

func (d eventDelegate) NotifyJoin(n *memberlist.Node)   { d.p.nodeChanged(n, true) }
func (d eventDelegate) NotifyLeave(n *memberlist.Node)  { d.p.nodeChanged(n, false) }
func (d eventDelegate) NotifyUpdate(n *memberlist.Node) { d.p.nodeChanged(n, true) }

// metaDelegate implements memberlist.Delegate: it only supplies this node's
// metadata (fixed at start); the provider sends no user messages.
type metaDelegate struct{ meta []byte }

func (d metaDelegate) NodeMeta(limit int) []byte {
	if len(d.meta) > limit {
		return nil // cannot happen: encode checked MetaMaxSize
	}
	return d.meta
}
func (metaDelegate) NotifyMsg([]byte)                           {}
func (metaDelegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (metaDelegate) LocalState(join bool) []byte                { return nil }
func (metaDelegate) MergeRemoteState(buf []byte, join bool)     {}
