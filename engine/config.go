package engine

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qunchat/qun/actors"
	"github.com/qunchat/qun/wire"
)

// Config configures one Qun node. Start from DefaultConfig; the zero value of
// a field is not always its default.
type Config struct {
	// Listen is the client TCP address. Port 0 picks a free port (see
	// Engine.Addr). A non-loopback address needs an explicit Secret or
	// custom Hooks.Auth. Default "127.0.0.1:7400".
	Listen string
	// WSListen is the WebSocket address: the same protocol as Listen, one
	// binary WebSocket message per frame, at ws://WSListen/ws (websocket.go).
	// Empty: no WebSocket listener. Port 0 picks a free port (see
	// Engine.WSAddr). A non-loopback address needs what Listen needs.
	// Default "" (off).
	WSListen string
	// WSOrigins are the origins (host patterns as in path.Match, e.g.
	// "chat.example.com", "*.example.com", or with a scheme
	// "https://app.example.com") allowed to open a WebSocket besides the
	// listener's own host; "*" allows any origin. Requests without an
	// Origin header (non-browser clients) are always allowed. Default none.
	WSOrigins []string
	// WSHandler, if set, serves every path of the WebSocket listener but
	// /ws (qund serves its web console there). Default nil: 404.
	WSHandler http.Handler
	// DataDir holds the Pebble database (the node's replicas of its shards
	// and their raft logs) and the generated token secret. Empty means
	// Pebble on an in-memory file system (nothing survives Close: for tests
	// and demos). Default "qun-data".
	DataDir string
	// Secret signs and checks client tokens (HMAC-SHA256). Empty: read
	// DataDir/secret, creating it (random, mode 0600) on first start; with no
	// DataDir, a random secret for this process. Default empty.
	Secret []byte
	// GossipAddr is the memberlist gossip address. Default "127.0.0.1:0".
	GossipAddr string
	// RemoteAddr is the Proto.Actor remote (gRPC) address between nodes.
	// Default "127.0.0.1:0".
	RemoteAddr string
	// Join lists gossip addresses of existing nodes. Default none.
	Join []string
	// ClusterSecret, when set, encrypts and authenticates the gossip between
	// nodes (cluster.Config.Secret): a node without it cannot join. Every
	// node of a cluster needs the same value; at least 16 bytes. Gossip on a
	// non-loopback address requires it. Default none.
	ClusterSecret []byte
	// MaxFrameSize bounds a frame's length in both directions. Default 64 KiB.
	MaxFrameSize int
	// HandshakeTimeout is how long a new connection has to send its hello.
	// Default 5 s.
	HandshakeTimeout time.Duration
	// IdleTimeout closes a client connection that sent nothing (not even a
	// ping) for this long. Default 2 min.
	IdleTimeout time.Duration
	// MaxInFlight bounds unanswered requests per connection; one more closes
	// the connection. Default 256.
	MaxInFlight int
	// OutboundFrames bounds a connection's queue of unwritten frames; a
	// reader that lets it fill is disconnected as a slow consumer. Default 8192.
	OutboundFrames int
	// OutboundBytes bounds the same queue in bytes. Default 8 MiB.
	OutboundBytes int
	// WriteTimeout bounds one socket write. Default 10 s.
	WriteTimeout time.Duration
	// RequestTimeout bounds one grain call. Default 5 s.
	RequestTimeout time.Duration
	// ResyncMax is how many missed messages per group a resync pushes
	// before it sends a gap marker instead. Default 1000.
	ResyncMax int
	// TokenTTL is the lifetime of tokens minted by MintToken. Default 30 days.
	TokenTTL time.Duration
	// Group bounds group behaviour (member limit, text size, dedup window,
	// snapshot interval). Default actors.DefaultGroupConfig().
	Group actors.GroupConfig
	// GrainIdleTimeout passivates a group or user grain that received
	// nothing for this long and has no watching hub (actors.Deps.IdleTimeout).
	// Default 2 min.
	GrainIdleTimeout time.Duration
	// WatchTTL is the lease of a node's interest in a group. Default 30 s.
	WatchTTL time.Duration
	// Hooks connect the host platform. Nil fields get working defaults.
	Hooks Hooks
	// CreateMinFriends is how many mutual-follow friends (Hooks.Social) a
	// user needs to create a group: 1 as on Kuaishou, 2 as on Douyin, 0 for
	// none. Default 1.
	CreateMinFriends int
	// DefaultTier is what a user may create unless Hooks.Tiers says
	// otherwise (the default MemoryHost's tier). Default 4 groups of 200.
	DefaultTier Tier
	// Metrics, if set, receives the engine's qun_* Prometheus series
	// (metrics.go): requests by op and code with latency histograms,
	// connections by transport, deliveries, slow consumers, grains by kind,
	// passivations, store commits and their sizes and latency, cluster
	// members. Use a private registry. Default nil: no metrics.
	Metrics prometheus.Registerer
	// Logger receives the engine's logs and, routed, those of Proto.Actor,
	// memberlist and Pebble. Default: discard.
	Logger *slog.Logger
	// Verbose passes Proto.Actor's info logs to Logger too. Default false.
	Verbose bool
	// Operators may call the host-only operations over the protocol
	// (create_order_group, order_event, grant, another user's balance):
	// for a standalone qund. Default none (embedders call the Engine
	// methods instead).
	Operators []string
	// TimerPeriod is how often the node wakes groups with something due
	// (packet expiry, lottery draw, order archive, a payment to retry).
	// Default 1 s.
	TimerPeriod time.Duration
	// Limits bound connections and request rates (limits.go). Default
	// DefaultLimits().
	Limits Limits
	// TLS, when set, serves the client listener over TLS (tls.go). Default
	// nil: plain TCP.
	TLS *tls.Config
	// PreviousSecrets are secrets that still verify tokens (those minted
	// with them carry their key id, kid) during a secret rotation; tokens
	// are minted with Secret only. Default none.
	PreviousSecrets [][]byte
	// Fans configures fan groups and creator tools. Default
	// DefaultFanConfig().
	Fans FanConfig
	// Storage is always replicated (docs/architecture.md): grains persist
	// through their shard's raft group and run on its leader; a lone node
	// is a cluster of one (R = 1) through the same code path. The fields
	// below configure it.
	//
	// RaftAddr is the address of this node's raft transport (replication
	// between nodes, authenticated with ClusterSecret). Default
	// "127.0.0.1:0" (also when empty). Not loopback: needs ClusterSecret.
	RaftAddr string
	// BootstrapExpect is how many nodes form the cluster at bootstrap: a
	// node with a fresh data dir waits (up to BootstrapTimeout) until it
	// sees that many members, all with BootstrapExpect set alike, and
	// places every shard's replicas on them. 0 or 1: a lone node (R = 1).
	// More than 1 needs ClusterSecret, and Secret (or Hooks.Auth) so that
	// every node accepts the same tokens. Ignored once the data dir is
	// bootstrapped. Default 0.
	BootstrapExpect int
	// BootstrapTimeout bounds that wait. Default 2 min (also when zero).
	BootstrapTimeout time.Duration
	// Shards is the number of replication shards, fixed at bootstrap.
	// Default 64 (also when zero).
	Shards uint32
	// Replicas is each shard's replica count R, capped by BootstrapExpect.
	// Default 3 (also when zero).
	Replicas int
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		Listen:           "127.0.0.1:7400",
		DataDir:          "qun-data",
		GossipAddr:       "127.0.0.1:0",
		RemoteAddr:       "127.0.0.1:0",
		RaftAddr:         "127.0.0.1:0",
		MaxFrameSize:     wire.DefaultMaxFrameSize,
		HandshakeTimeout: 5 * time.Second,
		IdleTimeout:      2 * time.Minute,
		MaxInFlight:      256,
		OutboundFrames:   8192,
		OutboundBytes:    8 << 20,
		WriteTimeout:     10 * time.Second,
		RequestTimeout:   5 * time.Second,
		ResyncMax:        1000,
		TokenTTL:         30 * 24 * time.Hour,
		Group:            actors.DefaultGroupConfig(),
		GrainIdleTimeout: 2 * time.Minute,
		WatchTTL:         30 * time.Second,
		CreateMinFriends: 1,
		DefaultTier:      Tier{MaxOwnedGroups: 4, MaxMembers: 200},
		TimerPeriod:      time.Second,
		Limits:           DefaultLimits(),
		Fans:             DefaultFanConfig(),
	}
}

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("engine: invalid config")

// Validate reports the first invalid field.
func (c *Config) Validate() error {
	bad := func(f string, a ...any) error { return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(f, a...)) }
	for _, a := range []struct{ name, v string }{{"Listen", c.Listen}, {"GossipAddr", c.GossipAddr}, {"RemoteAddr", c.RemoteAddr}} {
		if _, _, err := net.SplitHostPort(a.v); err != nil {
			return bad("%s %q: %v", a.name, a.v, err)
		}
	}
	if !isLoopback(c.Listen) && len(c.Secret) == 0 && c.Hooks.Auth == nil {
		return bad("listen address %q is not loopback: configure a secret explicitly", c.Listen)
	}
	if err := c.validateWebSocket(); err != nil {
		return bad("%v", err)
	}
	if len(c.Secret) > 0 && len(c.Secret) < 16 {
		return bad("secret shorter than 16 bytes")
	}
	if len(c.ClusterSecret) > 0 && len(c.ClusterSecret) < 16 {
		return bad("cluster secret shorter than 16 bytes")
	}
	if c.RaftAddr != "" {
		if _, _, err := net.SplitHostPort(c.RaftAddr); err != nil {
			return bad("RaftAddr %q: %v", c.RaftAddr, err)
		}
		if !isLoopback(c.RaftAddr) && len(c.ClusterSecret) == 0 {
			return bad("raft address %q is not loopback: configure a cluster secret", c.RaftAddr)
		}
	}
	if len(c.Join) > 0 && c.BootstrapExpect < 2 {
		return bad("Join needs BootstrapExpect >= 2: a cluster forms at bootstrap, a node cannot join a formed cluster yet")
	}
	if c.BootstrapExpect > 1 && len(c.ClusterSecret) == 0 {
		return bad("BootstrapExpect %d: a cluster of more than one node needs a cluster secret", c.BootstrapExpect)
	}
	if c.BootstrapExpect > 1 && len(c.Secret) == 0 && c.Hooks.Auth == nil {
		// A generated secret is per node: a client moving to another node
		// (its node died) would have its token refused.
		return bad("BootstrapExpect %d: every node must accept the same tokens: configure the same Secret on each (or Hooks.Auth)", c.BootstrapExpect)
	}
	if c.BootstrapExpect < 0 || c.BootstrapExpect > 64 || c.Replicas < 0 || c.Replicas > 7 || c.BootstrapTimeout < 0 || c.Shards > 4096 {
		return bad("BootstrapExpect %d (0..64), Replicas %d (0..7), Shards %d (0..4096), BootstrapTimeout %v (>= 0)", c.BootstrapExpect, c.Replicas, c.Shards, c.BootstrapTimeout)
	}
	if !isLoopback(c.GossipAddr) && len(c.ClusterSecret) == 0 {
		return bad("gossip address %q is not loopback: configure a cluster secret", c.GossipAddr)
	}
	switch {
	case c.MaxFrameSize < 1024 || c.MaxFrameSize > 16<<20:
		return bad("MaxFrameSize %d outside 1 KiB..16 MiB", c.MaxFrameSize)
	case c.HandshakeTimeout <= 0, c.IdleTimeout <= 0, c.WriteTimeout <= 0, c.RequestTimeout <= 0, c.TokenTTL <= 0, c.GrainIdleTimeout <= 0, c.WatchTTL <= 0:
		return bad("timeouts must be positive")
	case c.MaxInFlight < 1:
		return bad("MaxInFlight %d < 1", c.MaxInFlight)
	case c.OutboundFrames < 16 || c.OutboundBytes < c.MaxFrameSize:
		return bad("outbound queue too small (frames %d, bytes %d)", c.OutboundFrames, c.OutboundBytes)
	case c.ResyncMax < 1:
		return bad("ResyncMax %d < 1", c.ResyncMax)
	case c.CreateMinFriends < 0:
		return bad("CreateMinFriends %d < 0", c.CreateMinFriends)
	case c.DefaultTier.MaxOwnedGroups < 0 || c.DefaultTier.MaxMembers < 2:
		return bad("DefaultTier %+v: groups >= 0, members >= 2", c.DefaultTier)
	}
	if c.Group.MaxReplyBytes > c.MaxFrameSize-1024 {
		return bad("Group.MaxReplyBytes %d must stay 1 KiB under MaxFrameSize %d", c.Group.MaxReplyBytes, c.MaxFrameSize)
	}
	if err := c.Limits.Validate(); err != nil {
		return err
	}
	for _, p := range c.PreviousSecrets {
		if len(p) < 16 {
			return bad("a previous secret is shorter than 16 bytes")
		}
	}
	if err := c.Group.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return c.Fans.validate(bad)
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
