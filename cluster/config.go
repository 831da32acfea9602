package cluster

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"
)

// Defaults of Config. They follow memberlist.DefaultLocalConfig (a LAN or a
// single host), except BindAddr, which listens on loopback with a free port.
const (
	DefaultBindAddr         = "127.0.0.1:0"
	DefaultGossipInterval   = 100 * time.Millisecond
	DefaultGossipNodes      = 3
	DefaultProbeInterval    = time.Second
	DefaultProbeTimeout     = 200 * time.Millisecond
	DefaultSuspicionMult    = 3
	DefaultPushPullInterval = 15 * time.Second
	DefaultTCPTimeout       = time.Second
	DefaultLeaveTimeout     = time.Second

	// maxNodeIDLen bounds Config.NodeID: the id travels in every gossip
	// packet, in the member metadata (512 bytes in all) and in protoactor's
	// block list.
	maxNodeIDLen = 64
)

// Config configures the memberlist-based cluster provider. The zero value of
// every field means its default (see DefaultConfig), so Config{} is valid.
type Config struct {
	// BindAddr is the gossip listen address "ip:port" (TCP and UDP on the
	// same port; an empty ip means all interfaces; memberlist takes no host
	// names). Port 0 asks the kernel for a free port; the port actually
	// bound is reported by Provider.GossipAddr after start.
	// Default "127.0.0.1:0".
	BindAddr string

	// AdvertiseAddr is the address other members use to reach this member's
	// gossip port: "ip" or "ip:port" (no host names). Default: BindAddr's host (memberlist
	// picks a private IP when that host is 0.0.0.0) and the actual bound port.
	// When BindAddr's port is 0 the actual bound port is always advertised
	// (memberlist overrides any port given here).
	AdvertiseAddr string

	// Seeds are "host:port" gossip addresses of existing members to join at
	// start. Joining succeeds when at least one seed answers; StartMember
	// fails when none does. Default none: a lone node is a one-member cluster.
	Seeds []string

	// NodeID names this member in memberlist and in protoactor (it must equal
	// the actor system's ID). Default "" = use the actor system's ID, which
	// StartNode sets to a fresh random id (NewNodeID) on every start.
	//
	// Leave it empty: protoactor blocks the id of a member that left or was
	// declared dead forever, so a restarted node must join under a new id.
	NodeID string

	// Logger receives memberlist's log lines, all at Debug level, with the
	// attribute "ml_level" holding memberlist's own level (DEBUG, INFO, WARN,
	// ERR). Default: discard.
	Logger *slog.Logger

	// GossipInterval is how often gossip messages are sent to GossipNodes
	// random members. Default 100ms.
	GossipInterval time.Duration
	// GossipNodes is how many members each gossip round goes to. Default 3.
	GossipNodes int
	// ProbeInterval is how often one random member is probed for failure
	// detection. Default 1s.
	ProbeInterval time.Duration
	// ProbeTimeout is how long to wait for a probe's ack; it must not exceed
	// ProbeInterval. Default 200ms.
	ProbeTimeout time.Duration
	// SuspicionMult scales how long a suspected member has to refute before
	// it is declared dead (SuspicionMult * max(1, log10(N)) * ProbeInterval).
	// Default 3.
	SuspicionMult int
	// PushPullInterval is how often full state is synchronised with a random
	// member. Negative disables it (not advised). Default 15s.
	PushPullInterval time.Duration
	// TCPTimeout bounds TCP operations (join, push/pull, fallback probes).
	// Default 1s.
	TCPTimeout time.Duration
	// LeaveTimeout bounds how long a graceful Shutdown waits for the leave
	// message to go out. Default 1s.
	LeaveTimeout time.Duration

	// Secret, when set, encrypts and authenticates every gossip packet and
	// stream (memberlist's AES-GCM keyring, keyed by SHA-256 of Secret), so
	// a node without the same secret can neither join nor be heard.
	// Default none: gossip in the clear, for a cluster on loopback or a
	// private network only.
	Secret []byte
	// AppMeta is opaque application metadata gossiped with this member and
	// seen by every peer as MemberInfo.AppMeta (the engine puts its raft
	// store id and address there). At most MaxAppMetaLen bytes. Default
	// empty.
	AppMeta string
}

// MaxAppMetaLen bounds Config.AppMeta (memberlist metadata is at most 512
// bytes in all).
const MaxAppMetaLen = 160

// gossipKey derives memberlist's 32-byte AES-256 key from the cluster secret.
func gossipKey(secret []byte) []byte {
	k := sha256.Sum256(append([]byte("qun gossip key v1\x00"), secret...))
	return k[:]
}

// DefaultConfig returns a Config with every default filled in.
func DefaultConfig() Config {
	return Config{}.withDefaults()
}

// withDefaults returns c with zero fields replaced by their defaults.
func (c Config) withDefaults() Config {
	if c.BindAddr == "" {
		c.BindAddr = DefaultBindAddr
	}
	if c.Logger == nil {
		c.Logger = discardLogger()
	}
	if c.GossipInterval == 0 {
		c.GossipInterval = DefaultGossipInterval
	}
	if c.GossipNodes == 0 {
		c.GossipNodes = DefaultGossipNodes
	}
	if c.ProbeInterval == 0 {
		c.ProbeInterval = DefaultProbeInterval
	}
	if c.ProbeTimeout == 0 {
		c.ProbeTimeout = DefaultProbeTimeout
	}
	if c.SuspicionMult == 0 {
		c.SuspicionMult = DefaultSuspicionMult
	}
	if c.PushPullInterval == 0 {
		c.PushPullInterval = DefaultPushPullInterval
	}
	if c.TCPTimeout == 0 {
		c.TCPTimeout = DefaultTCPTimeout
	}
	if c.LeaveTimeout == 0 {
		c.LeaveTimeout = DefaultLeaveTimeout
	}
	return c
}

// Validate reports whether c (with defaults applied to zero fields) is usable.
func (c Config) Validate() error {
	return c.withDefaults().validate()
}

func (c Config) validate() error {
	var errs []error
	if host, _, err := splitHostPort(c.BindAddr, false); err != nil {
		errs = append(errs, fmt.Errorf("BindAddr: %w", err))
	} else if host != "" && net.ParseIP(host) == nil {
		errs = append(errs, fmt.Errorf("BindAddr: host %q is not an IP address", host))
	}
	if c.AdvertiseAddr != "" {
		if _, _, err := splitAdvertise(c.AdvertiseAddr); err != nil {
			errs = append(errs, fmt.Errorf("AdvertiseAddr: %w", err))
		}
	}
	for i, s := range c.Seeds {
		if _, _, err := splitHostPort(s, true); err != nil {
			errs = append(errs, fmt.Errorf("Seeds[%d]: %w", i, err))
		}
	}
	if c.NodeID != "" {
		if err := validateNodeID(c.NodeID); err != nil {
			errs = append(errs, fmt.Errorf("NodeID: %w", err))
		}
	}
	if c.GossipInterval < 0 {
		errs = append(errs, errors.New("GossipInterval must be positive"))
	}
	if c.GossipNodes < 0 {
		errs = append(errs, errors.New("GossipNodes must be positive"))
	}
	if c.ProbeInterval < 0 {
		errs = append(errs, errors.New("ProbeInterval must be positive"))
	}
	if c.ProbeTimeout < 0 {
		errs = append(errs, errors.New("ProbeTimeout must be positive"))
	}
	if c.ProbeTimeout > c.ProbeInterval {
		errs = append(errs, fmt.Errorf("ProbeTimeout %v exceeds ProbeInterval %v", c.ProbeTimeout, c.ProbeInterval))
	}
	if c.SuspicionMult < 0 {
		errs = append(errs, errors.New("SuspicionMult must be positive"))
	}
	if c.TCPTimeout < 0 {
		errs = append(errs, errors.New("TCPTimeout must be positive"))
	}
	if c.LeaveTimeout < 0 {
		errs = append(errs, errors.New("LeaveTimeout must be positive"))
	}
	return errors.Join(errs...)
}

// NewNodeID returns a fresh random member id (16 hex digits). StartNode uses
// it for every start, so a restarted node never reuses a blocked id.
func NewNodeID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand.Read does not fail on supported platforms (Go 1.24+).
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

func validateNodeID(id string) error {
	if id == "" {
		return errors.New("empty")
	}
	if len(id) > maxNodeIDLen {
		return fmt.Errorf("longer than %d bytes", maxNodeIDLen)
	}
	for i := 0; i < len(id); i++ {
		ch := id[i]
		ok := ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' ||
			ch == '-' || ch == '_' || ch == '.'
		if !ok {
			return fmt.Errorf("invalid byte %q (allowed: letters, digits, - _ .)", ch)
		}
	}
	return nil
}

// splitHostPort parses "host:port". The port must be in 0..65535, or in
// 1..65535 when nonZero is set. The host may be empty only when !nonZero
// (meaning all interfaces).
func splitHostPort(addr string, nonZero bool) (string, int, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("invalid port %q", portStr)
	}
	if nonZero {
		if port == 0 {
			return "", 0, fmt.Errorf("port 0 in %q", addr)
		}
		if host == "" {
			return "", 0, fmt.Errorf("empty host in %q", addr)
		}
	}
	return host, port, nil
}

// splitAdvertise parses "ip" or "ip:port" (port 0 = the bound port).
// memberlist only accepts IP literals here.
func splitAdvertise(addr string) (string, int, error) {
	host, port := addr, 0
	if h, p, err := splitHostPort(addr, false); err == nil {
		host, port = h, p
	} else if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	if net.ParseIP(host) == nil {
		return "", 0, fmt.Errorf("host of %q is not an IP address", addr)
	}
	return host, port, nil
}
