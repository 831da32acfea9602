package main

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/qunchat/qun/engine"
)

// options is everything qund is configured with: the engine's Config and
// what only qund has (log level, admin listener).
type options struct {
	cfg        engine.Config
	secret     string
	clusterSec string
	logLevel   string
	admin      string
	adminToken string
	prevSecret string
	tlsCert    string
	tlsKey     string
	hostFacts  string        // fans.go
	ledger     string        // the in-memory payments host's ledger file
	archive    time.Duration // order groups: writable this long after delivery
}

// defaultOptions are qund's defaults: engine.DefaultConfig, except that a
// standalone node has no social graph, so creating a group needs no friends,
// and that qund listens for WebSockets (and serves its console) on 7402.
func defaultOptions() options {
	o := options{cfg: engine.DefaultConfig(), logLevel: "warn", admin: "127.0.0.1:7401"}
	o.cfg.WSListen = "127.0.0.1:7402"
	o.cfg.CreateMinFriends = 0
	o.cfg.Operators = []string{"admin"}
	o.archive = time.Duration(o.cfg.Group.Commerce.OrderArchiveAfter) * time.Millisecond
	return o
}

// kind is how a setting's value is written: on the command line and in the
// environment always as text; in the TOML file as the type kind names.
type kind int

const (
	kString   kind = iota // TOML string
	kSecret               // TOML string, never printed
	kInt                  // TOML integer
	kDuration             // TOML string in Go syntax: "90s", "2m", "720h"
	kList                 // TOML array of strings; text: comma-separated
)

// setting is one row of the configuration table. Its name is the flag
// (--name); the environment variable is QUN_NAME and the TOML key name, with
// '-' as '_' (see envName, keyName). Flags, environment, file, usage and
// `qund config` all read this table: adding a setting is adding a row.
type setting struct {
	name string
	kind kind
	doc  string
	get  func(*options) string        // current value as text
	set  func(*options, string) error // parse text and store it
}

func envName(name string) string { return "QUN_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")) }
func keyName(name string) string { return strings.ReplaceAll(name, "-", "_") }

// settings is the table. Defaults come from defaultOptions, so they are
// written once, in engine.DefaultConfig or above.
var settings = []setting{
	str("listen", "client TCP address; port 0 picks a free port", func(o *options) *string { return &o.cfg.Listen }),
	str("data", `data directory (Pebble store, generated secret); "" keeps everything in memory`, func(o *options) *string { return &o.cfg.DataDir }),
	secret("secret", "token HMAC secret, at least 16 bytes; empty: generated in the data directory. Required for a non-loopback listen", func(o *options) *string { return &o.secret }),
	str("gossip", "memberlist gossip address; port 0 picks a free port", func(o *options) *string { return &o.cfg.GossipAddr }),
	str("remote", "Proto.Actor remote address between nodes; port 0 picks a free port", func(o *options) *string { return &o.cfg.RemoteAddr }),
	list("join", "gossip addresses of nodes to join (comma-separated on the command line)", func(o *options) *[]string { return &o.cfg.Join }),
	secret("cluster-secret", "encrypts and authenticates gossip between nodes, at least 16 bytes, the same on every node; required for a non-loopback gossip address", func(o *options) *string { return &o.clusterSec }),
	{name: "replication", kind: kString, doc: `storage is always replicated (grains persist through their shard's raft group and run on its leader; a lone node is R = 1): "on" is the only value, kept for older scripts`,
		get: func(o *options) string { return "on" },
		set: func(o *options, v string) error {
			if v != "on" {
				return fmt.Errorf(`storage is always replicated: "on" is the only value (a lone node is a cluster of one)`)
			}
			return nil
		}},
	str("raft", "raft transport address between nodes (replication, authenticated by cluster-secret); port 0 picks a free port", func(o *options) *string { return &o.cfg.RaftAddr }),
	integer("bootstrap-expect", "nodes that form the cluster at first start (each started with the others' gossip addresses in --join); 0 or 1: a lone node", func(o *options) *int { return &o.cfg.BootstrapExpect }),
	integer("create-min-friends", "mutual-follow friends needed to create a group (qund has no social graph: 0)", func(o *options) *int { return &o.cfg.CreateMinFriends }),
	{name: "log-level", kind: kString, doc: "log level: debug, info, warn, error",
		get: func(o *options) string { return o.logLevel },
		set: func(o *options, v string) error {
			var lv slog.Level
			if err := lv.UnmarshalText([]byte(v)); err != nil {
				return fmt.Errorf("want debug, info, warn or error")
			}
			o.logLevel = v
			return nil
		}},
	str("ws-listen", `WebSocket address: the client protocol at ws://ADDR/ws (one binary message per frame) and the web console at http://ADDR/; "" turns it off`, func(o *options) *string { return &o.cfg.WSListen }),
	list("ws-origins", `origins a browser may open the WebSocket from besides the listener's own host (host patterns like app.example.com, *.example.com, https://app.example.com; "*" any)`, func(o *options) *[]string { return &o.cfg.WSOrigins }),
	str("admin", `admin HTTP address (/metrics, /healthz, /readyz, /debug/pprof/); "" turns it off. Non-loopback needs admin-token`, func(o *options) *string { return &o.admin }),
	secret("admin-token", "bearer token the admin endpoints require (all but /healthz), at least 16 bytes; empty: none (loopback only)", func(o *options) *string { return &o.adminToken }),
	integer("max-frame-size", "largest frame in bytes, both directions (1 KiB..16 MiB)", func(o *options) *int { return &o.cfg.MaxFrameSize }),
	integer("max-in-flight", "unanswered requests per connection; one more closes it", func(o *options) *int { return &o.cfg.MaxInFlight }),
	integer("outbound-frames", "queued frames per connection before it is dropped as a slow consumer", func(o *options) *int { return &o.cfg.OutboundFrames }),
	integer("outbound-bytes", "queued bytes per connection before it is dropped as a slow consumer", func(o *options) *int { return &o.cfg.OutboundBytes }),
	duration("handshake-timeout", "time a new connection has to send its hello", func(o *options) *time.Duration { return &o.cfg.HandshakeTimeout }),
	duration("idle-timeout", "a connection silent this long (not even a ping) is closed", func(o *options) *time.Duration { return &o.cfg.IdleTimeout }),
	duration("write-timeout", "bound on one socket write", func(o *options) *time.Duration { return &o.cfg.WriteTimeout }),
	duration("request-timeout", "bound on one grain call", func(o *options) *time.Duration { return &o.cfg.RequestTimeout }),
	integer("resync-max", "missed messages per group a resync pushes before a gap marker", func(o *options) *int { return &o.cfg.ResyncMax }),
	duration("token-ttl", "lifetime of tokens the node mints", func(o *options) *time.Duration { return &o.cfg.TokenTTL }),
	duration("watch-ttl", "lease of a node's interest in a group", func(o *options) *time.Duration { return &o.cfg.WatchTTL }),
	integer("tier-max-groups", "groups a user may own (default tier)", func(o *options) *int { return &o.cfg.DefaultTier.MaxOwnedGroups }),
	integer("tier-max-members", "member limit of a group a user creates (default tier)", func(o *options) *int { return &o.cfg.DefaultTier.MaxMembers }),
	integer("group-max-text", "longest message text in bytes", func(o *options) *int { return &o.cfg.Group.MaxText }),
	integer("group-page-max", "messages per history page at most", func(o *options) *int { return &o.cfg.Group.PageMax }),
	integer("group-snapshot-every", "events between a group's snapshots", func(o *options) *int { return &o.cfg.Group.SnapshotEvery }),
	list("operators", "users who may grant balances in the in-memory payments host and create and drive order groups", func(o *options) *[]string { return &o.cfg.Operators }),
	str("ledger", `the in-memory payments host's ledger file (fsync'd); "" = DATA/ledger.jsonl, "-" = memory only`, func(o *options) *string { return &o.ledger }),
	duration("order-archive-after", "an order group stays writable this long after delivery or cancellation, then is archived", func(o *options) *time.Duration { return &o.archive }),
	str("tls-cert", `PEM certificate: clients connect over TLS (with tls-key); "" plain TCP`, func(o *options) *string { return &o.tlsCert }),
	str("tls-key", "PEM private key of tls-cert", func(o *options) *string { return &o.tlsKey }),
	secret("previous-secret", "a rotated-out token secret still accepted for the tokens minted with it (their kid names it)", func(o *options) *string { return &o.prevSecret }),
	integer("max-conns", "client connections of the node", func(o *options) *int { return &o.cfg.Limits.MaxConns }),
	integer("max-unauth-conns", "connections still in their handshake", func(o *options) *int { return &o.cfg.Limits.MaxUnauthConns }),
	integer("max-unauth-per-ip", "connections in their handshake from one IP address", func(o *options) *int { return &o.cfg.Limits.MaxUnauthPerIP }),
	integer("max-conns-per-user", "connections of one user; past it the oldest is closed (replaced)", func(o *options) *int { return &o.cfg.Limits.MaxConnsPerUser }),
	integer("requests-per-second", "requests of one connection per second (rate_limited past it)", func(o *options) *int { return &o.cfg.Limits.RequestsPerSecond }),
	integer("request-burst", "request burst of one connection", func(o *options) *int { return &o.cfg.Limits.RequestBurst }),
	integer("sends-per-second", "messages of one user to one group per second", func(o *options) *int { return &o.cfg.Limits.SendsPerSecond }),
	integer("send-burst", "message burst of one user in one group", func(o *options) *int { return &o.cfg.Limits.SendBurst }),
	integer("creates-per-hour", "groups one user may create per hour", func(o *options) *int { return &o.cfg.Limits.CreatesPerHour }),
	integer("joins-per-hour", "joins and applies of one user per hour", func(o *options) *int { return &o.cfg.Limits.JoinsPerHour }),
	integer("code-guesses-per-hour", "joins with an invite code of one user per hour: the guesses an attacker gets", func(o *options) *int { return &o.cfg.Limits.CodeGuessesPerHour }),
	// Fan groups and creator tools (fans.go).
	list("fan-admins", "users who may seed follow edges and fan-club levels with set_host_facts (qun hostfacts)", func(o *options) *[]string { return &o.cfg.Fans.Admins }),
	str("host-facts", `JSON file of follow edges and fan-club levels loaded at start (docs/embedding.md); "" none`, func(o *options) *string { return &o.hostFacts }),
	integer("fan-max-groups", "fan groups a creator may own (default tier)", func(o *options) *int { return &o.cfg.Fans.MaxFanGroups }),
	integer("fan-max-members", "member limit of a fan group (default tier)", func(o *options) *int { return &o.cfg.Fans.MaxFanMembers }),
	integer("group-at-all-per-day", "@all mentions a group may post per day", func(o *options) *int { return &o.cfg.Group.Fans.AtAllPerDay }),
	divertSetting(),
	millis("group-recall-window", "how long a sender may recall their own message", func(o *options) *int64 { return &o.cfg.Group.Fans.RecallWindow }),
}

func str(name, doc string, f func(*options) *string) setting {
	return setting{name: name, kind: kString, doc: doc,
		get: func(o *options) string { return *f(o) },
		set: func(o *options, v string) error { *f(o) = v; return nil }}
}

func secret(name, doc string, f func(*options) *string) setting {
	s := str(name, doc, f)
	s.kind = kSecret
	return s
}

func integer(name, doc string, f func(*options) *int) setting {
	return setting{name: name, kind: kInt, doc: doc,
		get: func(o *options) string { return strconv.Itoa(*f(o)) },
		set: func(o *options, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%q is not an integer", v)
			}
			*f(o) = n
			return nil
		}}
}

func duration(name, doc string, f func(*options) *time.Duration) setting {
	return setting{name: name, kind: kDuration, doc: doc,
		get: func(o *options) string { return (*f(o)).String() },
		set: func(o *options, v string) error {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%q is not a duration (like 90s, 5m, 720h)", v)
			}
			*f(o) = d
			return nil
		}}
}

func list(name, doc string, f func(*options) *[]string) setting {
	return setting{name: name, kind: kList, doc: doc,
		get: func(o *options) string { return strings.Join(*f(o), ",") },
		set: func(o *options, v string) error {
			var out []string
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					out = append(out, s)
				}
			}
			*f(o) = out
			return nil
		}}
}

// engineConfig is the engine.Config these options describe.
func (o *options) engineConfig() engine.Config {
	c := o.cfg
	c.Join = append([]string(nil), o.cfg.Join...)
	c.WSOrigins = append([]string(nil), o.cfg.WSOrigins...)
	if o.secret != "" {
		c.Secret = []byte(o.secret)
	}
	if o.clusterSec != "" {
		c.ClusterSecret = []byte(o.clusterSec)
	}
	c.Operators = append([]string(nil), o.cfg.Operators...)
	c.Group.Commerce.OrderArchiveAfter = o.archive.Milliseconds()
	if o.prevSecret != "" {
		c.PreviousSecrets = [][]byte{[]byte(o.prevSecret)}
	}
	return c
}

// level is the parsed log level (validated when set).
func (o *options) level() slog.Level {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(o.logLevel))
	return lv
}
