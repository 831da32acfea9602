package engine

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	pcluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/qunchat/qun/actors"
	qcluster "github.com/qunchat/qun/cluster"
	"github.com/qunchat/qun/persistence"
	"github.com/qunchat/qun/wire"
)

// Errors of the engine's lifecycle.
var (
	ErrNotStarted = errors.New("engine: not started")
	ErrStarted    = errors.New("engine: already started")
	ErrClosed     = errors.New("engine: closed")
)

// Engine is one Qun node: a cluster member hosting group and user grains, a
// delivery hub, a Pebble store holding its replicas of the shards, and the
// client TCP frontend.
type Engine struct {
	cfg    Config
	log    *slog.Logger
	auth   Authenticator
	secret []byte
	host   *MemoryHost // default for nil hooks
	hooks  Hooks       // with defaults filled in

	store   persistence.Store
	repl    *replicator
	node    *qcluster.Node
	hub     *actors.Hub
	index   *actors.IndexActor
	deps    *actors.Deps
	ln      net.Listener
	ws      *wsFrontend // nil without Config.WSListen
	metrics *metrics    // nil without Config.Metrics
	running atomic.Bool // between a successful Start and Close (Ready)
	// stopTimers stops the due-time scanner (actors/timers.go).
	stopTimers func()

	mu     sync.Mutex
	conns  map[*conn]struct{}
	online map[string]int // user → connections past their hello (under mu)
	// host events (host_events.go)
	hostMu   sync.RWMutex // guards hostEvs against its close
	hostEvs  chan actors.HostEvent
	hostDone chan struct{}
	started  bool
	closing  atomic.Bool
	closed   chan struct{}
	wg       sync.WaitGroup // accept loop and connections
	reqs     sync.WaitGroup // requests in flight
	stats    counters
	limits   connLimits // limits.go
	rates    rateLimits // ratelimit.go
	tokens   tokenState // tokens.go
}

type counters struct {
	conns, slow, badFrames, requests atomic.Int64
	hostDropped                      atomic.Int64 // host events dropped on a full queue
	creditsRefused                   atomic.Int64 // host credits refused for good (host_events.go)
}

// New validates cfg and returns an engine that is not yet started.
func New(cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{cfg: cfg, log: log, conns: map[*conn]struct{}{}, online: map[string]int{}, closed: make(chan struct{})}
	e.limits.perIP, e.limits.perUser = map[string]int{}, map[string][]*conn{}
	rates, err := newRateLimits(cfg.Limits)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	e.rates = rates
	if cfg.Metrics != nil {
		m, err := newMetrics(cfg.Metrics, e)
		if err != nil {
			return nil, err
		}
		e.metrics = m
	}
	e.host = NewMemoryHost(cfg.DefaultTier)
	e.hooks = cfg.Hooks
	if e.hooks.Profiles == nil {
		e.hooks.Profiles = e.host
	}
	if e.hooks.Social == nil {
		e.hooks.Social = e.host
	}
	if e.hooks.Moderation == nil {
		e.hooks.Moderation = e.host
	}
	if e.hooks.Tiers == nil {
		e.hooks.Tiers = e.host
	}
	if e.hooks.Payments == nil {
		e.hooks.Payments = e.host
	}
	if e.hooks.Coupons == nil {
		e.hooks.Coupons = e.host
	}
	e.fanHookDefaults()
	return e, nil
}

// Host is the in-memory host behind every hook the config left nil: fill it
// with profiles, follows, tiers and moderation rules.
func (e *Engine) Host() *MemoryHost { return e.host }

// Start opens the store, joins the cluster, starts the hub and listens for
// clients. It returns once clients can connect.
func (e *Engine) Start(ctx context.Context) (err error) {
	e.mu.Lock()
	if e.started {
		e.mu.Unlock()
		return ErrStarted
	}
	e.started = true
	e.mu.Unlock()
	defer func() {
		if err != nil {
			e.teardown()
		}
	}()
	if err := ctx.Err(); err != nil {
		return err
	}
	e.secret = e.cfg.Secret
	if len(e.secret) == 0 {
		if e.cfg.DataDir != "" {
			if e.secret, err = LoadOrCreateSecret(e.cfg.DataDir); err != nil {
				return err
			}
		} else {
			raw := make([]byte, 32)
			_, _ = rand.Read(raw)
			e.secret = raw
		}
	}
	e.auth = e.cfg.Hooks.Auth
	if e.auth == nil {
		e.auth = JWTAuth{Secret: e.secret, Previous: e.cfg.PreviousSecrets}
	}
	opts := persistence.DefaultOptions()
	opts.Logger = e.log.With("component", "pebble")
	if e.metrics != nil {
		opts.OnGroupCommit = e.metrics.onGroupCommit
	}
	dir := "qun" // Pebble on an in-memory file system without a data dir
	if e.cfg.DataDir != "" {
		if err := os.MkdirAll(e.cfg.DataDir, 0o700); err != nil {
			return fmt.Errorf("engine: data dir: %w", err)
		}
		dir = filepath.Join(e.cfg.DataDir, "pebble")
	} else {
		opts.FS = vfs.NewMem()
	}
	st, err := persistence.OpenPebble(dir, opts)
	if err != nil {
		return fmt.Errorf("engine: open store: %w", err)
	}
	e.store = st
	// Every grain persists through its shard's raft group (replication.go).
	if e.repl, err = newReplicator(e, st); err != nil {
		return err
	}
	e.deps = &actors.Deps{
		Store: e.store, Group: e.cfg.Group, IdleTimeout: e.cfg.GrainIdleTimeout, WatchTTL: e.cfg.WatchTTL,
		Logger: e.log.With("component", "actors"), OnHostEvent: e.hostEvent, StoreFor: e.repl.storeFor,
		Commerce: commerceHost{e.hooks.Payments, e.hooks.Coupons}, TimerPeriod: e.cfg.TimerPeriod,
	}
	if e.metrics != nil {
		e.deps.Stats = e.metrics.grains
	}
	e.startHostEvents()
	if err := e.deps.EnsureDefaults().Validate(); err != nil {
		return err
	}
	rhost, rport, err := splitHostPort(e.cfg.RemoteAddr)
	if err != nil {
		return err
	}
	ncfg := qcluster.DefaultNodeConfig()
	ncfg.RemoteHost, ncfg.RemotePort = rhost, rport
	ncfg.Gossip.BindAddr = e.cfg.GossipAddr
	ncfg.Gossip.Seeds = e.cfg.Join
	ncfg.Gossip.Secret = e.cfg.ClusterSecret
	ncfg.Gossip.AppMeta = e.repl.appMeta()
	ncfg.Leaders = e.repl
	ncfg.Kinds = []*pcluster.Kind{actors.GroupKind(e.deps), actors.UserKind(e.deps)}
	ncfg.RequestTimeout = e.cfg.RequestTimeout
	ncfg.Logger = e.log.With("component", "cluster")
	ncfg.ProtoActorLogLevel = slog.LevelWarn
	if e.cfg.Verbose {
		ncfg.ProtoActorLogLevel = slog.LevelInfo
	}
	if e.node, err = qcluster.StartNode(ncfg); err != nil {
		return fmt.Errorf("engine: start cluster node: %w", err)
	}
	if err := e.repl.start(ctx, e.node); err != nil {
		return err
	}
	if e.hub, err = actors.StartHub(e.node.System, e.node.Cluster, e.deps); err != nil {
		return fmt.Errorf("engine: start hub: %w", err)
	}
	if err := e.startIndex(); err != nil {
		return fmt.Errorf("engine: start index: %w", err)
	}
	e.stopTimers = actors.StartTimers(e.node.System, e.deps)
	if e.ln, err = net.Listen("tcp", e.cfg.Listen); err != nil {
		return fmt.Errorf("engine: listen: %w", err)
	}
	if e.cfg.TLS != nil { // tls.go
		e.ln = tls.NewListener(e.ln, e.cfg.TLS)
	}
	e.wg.Add(1)
	go e.acceptLoop(e.ln)
	if err := e.startWebSocket(); err != nil {
		e.ln.Close()
		return err
	}
	e.running.Store(true)
	e.log.Info("qun node started", "listen", e.ln.Addr().String(), "gossip", e.node.Provider.GossipAddr(), "remote", e.node.Address(), "data", e.cfg.DataDir)
	return nil
}

func splitHostPort(addr string) (string, int, error) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	var port int
	if _, err := fmt.Sscanf(p, "%d", &port); err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("engine: bad port in %q", addr)
	}
	return h, port, nil
}

// Addr is the client listen address (useful with port 0).
func (e *Engine) Addr() net.Addr {
	if e.ln == nil {
		return nil
	}
	return e.ln.Addr()
}

// GossipAddr is the memberlist address other nodes join.
func (e *Engine) GossipAddr() string {
	if e.node == nil {
		return ""
	}
	return e.node.Provider.GossipAddr()
}

// Secret is the token secret in use.
func (e *Engine) Secret() []byte { return e.secret }

// MintToken signs a token for user with the engine's secret and TokenTTL.
func (e *Engine) MintToken(user string) (string, error) {
	return MintToken(e.secret, user, e.cfg.TokenTTL)
}

// Stats are the engine's counters.
type Stats struct {
	Conns        int   // open client connections
	ConnsTotal   int64 // accepted since start
	SlowConsumer int64 // connections closed as slow consumers
	BadFrames    int64 // connections closed for a bad frame
	Requests     int64 // requests handled
	Groups       int   // groups watched by this node's hub
	Grains       int64 // group and user grains active on this node
	Store        persistence.Stats
	Online       int   // users with a connection past its hello
	HostDropped  int64 // host events (offline pushes, diversion reports) dropped on a full queue
	// CreditsRefused counts host credits (claims' shares, refunds) the
	// payments host refused for good (docs/embedding.md).
	CreditsRefused int64
}

// Stats returns the current counters.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	n, online := len(e.conns), len(e.online)
	e.mu.Unlock()
	s := Stats{Conns: n, Online: online, HostDropped: e.stats.hostDropped.Load(), CreditsRefused: e.stats.creditsRefused.Load(), ConnsTotal: e.stats.conns.Load(), SlowConsumer: e.stats.slow.Load(), BadFrames: e.stats.badFrames.Load(), Requests: e.stats.requests.Load()}
	if e.hub != nil {
		s.Groups = e.hub.Stats().Groups
	}
	if e.node != nil {
		s.Grains = e.node.Cluster.VirtualActorCount()
	}
	if e.store != nil {
		s.Store = e.store.Stats()
	}
	return s
}

// Close stops accepting clients, lets requests in flight finish (their
// commits included), closes connections, leaves the cluster and closes the
// store. It is safe to call more than once.
func (e *Engine) Close() error {
	if !e.closing.CompareAndSwap(false, true) {
		<-e.closed
		return nil
	}
	defer close(e.closed)
	e.running.Store(false)
	if e.ln != nil {
		e.ln.Close()
	}
	e.stopWebSocket()
	// Stop reading new requests; let the ones in flight finish.
	e.mu.Lock()
	for c := range e.conns {
		c.stopReading()
	}
	e.mu.Unlock()
	waitTimeout(&e.reqs, e.cfg.RequestTimeout+time.Second)
	e.mu.Lock()
	for c := range e.conns {
		c.closeWith(wire.CodeShuttingDown, "server shutting down")
	}
	e.mu.Unlock()
	waitTimeout(&e.wg, 5*time.Second)
	return e.teardown()
}

func (e *Engine) teardown() error {
	var errs []error
	if e.hub != nil {
		e.hub.Stop()
	}
	e.stopIndex()
	if e.stopTimers != nil {
		e.stopTimers()
	}
	if e.node != nil {
		errs = append(errs, e.node.Stop(false))
	}
	e.stopHostEvents() // after the grains: none sends any more
	if e.repl != nil {
		errs = append(errs, e.repl.close())
	}
	if e.store != nil {
		errs = append(errs, e.store.Close())
	}
	return errors.Join(errs...)
}

func waitTimeout(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}
