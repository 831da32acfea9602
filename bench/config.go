package bench

import (
	"fmt"
	"io"
	"time"
)

// Scenarios lists the scenario names Run accepts.
var Scenarios = []string{"fanout", "groups", "room", "connect", "resync", "persist"}

// Config describes one qunbench run. Zero fields take the scenario's
// defaults (see Defaults).
type Config struct {
	Scenario string `json:"scenario"`
	// Members per group (fanout, room, groups).
	Members int `json:"members,omitempty"`
	// Rate: messages/s in total (fanout, room, persist), per group (groups),
	// connections/s (connect). 0 = as fast as possible (closed loop with a
	// bounded window per sender); negative = the scenario's default (room
	// 20, groups 10, connect 500, others 0). connect has no saturation: 0
	// means its default there too.
	Rate float64 `json:"rate"`
	// Senders is the number of sending connections.
	Senders int `json:"senders,omitempty"`
	// Groups is the number of groups (groups, persist, resync).
	Groups int `json:"groups,omitempty"`
	// Join is how many groups each connection joins (connect).
	Join int `json:"join,omitempty"`
	// Users is the number of user connections the groups draw from (groups).
	Users int `json:"users,omitempty"`
	// Conns is the number of connections (connect, resync).
	Conns int `json:"conns,omitempty"`
	// Missed is how many messages per group arrive while resync clients are away.
	Missed int `json:"missed,omitempty"`
	// Duration is the measured window of each round; Warmup runs before it
	// with the same load and is not counted.
	Duration time.Duration `json:"duration"`
	Warmup   time.Duration `json:"warmup"`
	// Payload is the message size in bytes (at least MinPayload).
	Payload int `json:"payload"`
	// Window bounds unacknowledged sends per sender (Qun: in-flight
	// requests; NATS: messages not yet confirmed by a flush). Default 200.
	Window int `json:"window"`
	// MergeWindowMS is a room's merge window (room): 0 = the server's
	// default (50 ms), -1 = off, else milliseconds (at most 1000).
	MergeWindowMS int `json:"merge_window_ms,omitempty"`
	// Gifts is the rate of high-priority messages (gifts) per second sent
	// alongside the chatter (room); reported separately.
	Gifts float64 `json:"gifts,omitempty"`
	// NoCMID sends without client message ids (no server-side dedup
	// entry). Real clients send one; this isolates the dedup cost.
	NoCMID bool `json:"no_cmid,omitempty"`
	// Server is the address of a running qund; empty starts one.
	Server string `json:"server,omitempty"`
	// Secret signs tokens for Server (its --secret or data-dir secret).
	Secret string `json:"-"`
	// Spawn runs the started server as a child process instead of inside
	// this one, so its CPU and memory are measured alone.
	Spawn bool `json:"spawn"`
	// Metrics turns the started server's Prometheus series on
	// (engine.Config.Metrics; a spawned server also gathers them once a
	// second), to measure their cost. Default off.
	Metrics bool `json:"metrics,omitempty"`
	// Vs names a peer measured in the same run ("nats"), interleaved.
	// "nats-js" (persist only) names JetStream explicitly: file storage,
	// async publish with acks; persist with "nats" uses it too.
	Vs string `json:"vs,omitempty"`
	// Rounds per system when Vs is set (A B A B ...). Default 2.
	Rounds int `json:"rounds"`
	// NatsServer is the nats-server binary; empty looks it up in PATH and /usr/sbin.
	NatsServer string `json:"-"`
	// CPUProfile, if set, writes a CPU profile of this process during each
	// Qun window (the last round wins). With Spawn the server is another
	// process: ServerProfile asks it for its own profile instead (with
	// Cluster, node N > 0 writes ServerProfile + ".nodeN").
	CPUProfile    string `json:"-"`
	ServerProfile string `json:"-"`
	// Cluster, when above 1, spawns that many nodes with replication
	// (R = min(3, Cluster)) on loopback and spreads the clients over them
	// (persist only).
	Cluster int `json:"cluster,omitempty"`
	// Progress receives a live progress line; nil for none.
	Progress io.Writer `json:"-"`
	// ProgressEvery is the progress period. Default 1 s.
	ProgressEvery time.Duration `json:"-"`
}

// Defaults returns cfg with the scenario's defaults filled in.
func Defaults(cfg Config) Config {
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	switch cfg.Scenario {
	case "fanout":
		def(&cfg.Members, 100)
		def(&cfg.Senders, 1)
	case "room":
		def(&cfg.Members, 10000)
		def(&cfg.Senders, 1)
		if cfg.Rate < 0 {
			cfg.Rate = 20
		}
	case "groups":
		def(&cfg.Groups, 100)
		def(&cfg.Members, 20)
		def(&cfg.Users, 500)
		def(&cfg.Senders, min(cfg.Groups, 8))
		if cfg.Rate < 0 {
			cfg.Rate = 10
		}
	case "persist":
		def(&cfg.Groups, 1000)
		def(&cfg.Senders, 16)
	case "connect":
		def(&cfg.Conns, 1000)
		if cfg.Rate <= 0 {
			cfg.Rate = 500
		}
	case "resync":
		def(&cfg.Conns, 500)
		def(&cfg.Groups, 4)
		def(&cfg.Missed, 100)
	}
	if cfg.Rate < 0 {
		cfg.Rate = 0
	}
	def(&cfg.Payload, 100)
	def(&cfg.Window, 200)
	def(&cfg.Rounds, 2)
	if cfg.Cluster > 1 { // a cluster is spawned, with replication
		cfg.Spawn = true
	}
	if cfg.Duration == 0 {
		cfg.Duration = 10 * time.Second
	}
	if cfg.Warmup == 0 {
		cfg.Warmup = 2 * time.Second
	}
	if cfg.ProgressEvery == 0 {
		cfg.ProgressEvery = time.Second
	}
	return cfg
}

// Validate reports a configuration that cannot run.
func (c *Config) Validate() error {
	known := false
	for _, s := range Scenarios {
		known = known || s == c.Scenario
	}
	switch {
	case !known:
		return fmt.Errorf("unknown scenario %q (want one of %v)", c.Scenario, Scenarios)
	case c.Members < 0 || c.Senders < 0 || c.Groups < 0 || c.Join < 0 || c.Users < 0 || c.Conns < 0 || c.Missed < 0:
		return fmt.Errorf("counts must not be negative")
	case c.Rate < 0:
		return fmt.Errorf("--rate must be >= 0")
	case c.Duration <= 0 || c.Duration > 24*time.Hour:
		return fmt.Errorf("--duration must be in (0, 24h]")
	case c.Warmup < 0:
		return fmt.Errorf("--warmup must be >= 0")
	case c.Payload < MinPayload || c.Payload > 4096:
		return fmt.Errorf("--payload must be in [%d, 4096] bytes (Qun's default text limit is 4096)", MinPayload)
	case c.Window < 1 || c.Window > 250:
		return fmt.Errorf("--window must be in [1, 250] (the server closes a connection past 256 requests in flight)")
	case c.MergeWindowMS < -1 || c.MergeWindowMS > 1000 || c.Gifts < 0 || c.Gifts > 10000:
		return fmt.Errorf("--windows must be in [-1, 1000] ms and --gifts in [0, 10000]/s")
	case c.Vs != "" && c.Vs != "nats" && c.Vs != "nats-js":
		return fmt.Errorf("--vs: \"nats\" or (for persist) \"nats-js\"")
	case c.Vs == "nats-js" && c.Scenario != "persist":
		return fmt.Errorf("--vs nats-js (JetStream) is for persist only; use --vs nats")
	case c.Rounds < 1 || c.Rounds > 20:
		return fmt.Errorf("--rounds must be in [1, 20]")
	case c.Cluster < 0 || c.Cluster > 7:
		return fmt.Errorf("--cluster must be in [0, 7] nodes")
	case c.Cluster > 1 && c.Scenario != "persist":
		return fmt.Errorf("--cluster is for persist only")
	case c.Cluster > 1 && c.Server != "":
		return fmt.Errorf("--cluster spawns its nodes: it excludes --server")
	case c.Server != "" && c.Spawn:
		return fmt.Errorf("--server and --spawn exclude each other")
	case c.Server != "" && c.Secret == "":
		return fmt.Errorf("--server needs --secret (the server's token secret; QUN_SECRET)")
	}
	switch c.Scenario {
	case "fanout", "room":
		if c.Members < 1 || c.Senders < 1 || c.Senders > c.Members {
			return fmt.Errorf("need 1 <= --senders <= --members")
		}
	case "groups":
		if c.Groups < 1 || c.Members < 1 || c.Users < c.Members || c.Senders < 1 {
			return fmt.Errorf("need --groups >= 1, --users >= --members >= 1, --senders >= 1")
		}
	case "persist":
		if c.Groups < 1 || c.Senders < 1 {
			return fmt.Errorf("need --groups >= 1 and --senders >= 1")
		}
	case "connect":
		if c.Conns < 1 || c.Rate <= 0 {
			return fmt.Errorf("connect needs --conns >= 1 and --rate > 0 (connections/s)")
		}
	case "resync":
		if c.Conns < 1 || c.Groups < 1 || c.Missed < 1 {
			return fmt.Errorf("resync needs --conns, --groups and --missed >= 1")
		}
	}
	return nil
}
