// Package engine is Qun's embedding API: one node of the group-chat tier.
//
//	cfg := engine.DefaultConfig()
//	cfg.DataDir = "/var/lib/qun"
//	e, err := engine.New(cfg)        // validates
//	err = e.Start(ctx)               // Pebble, cluster member, hub, TCP frontend
//	tok, _ := e.MintToken("user-1")  // tokens for the host's users
//	defer e.Close()                  // drains requests and commits, closes Pebble
//
// An Engine owns a Pebble store (package persistence) and the replication
// node over it (package replication, wired in replication.go), a Proto.Actor
// cluster member on memberlist gossip (package cluster) hosting the group
// and user grains and the node's delivery hub (package actors), and the
// msgpack TCP frontend (package wire). Every group operation reaches its
// group through the cluster grain API, even on a lone node.
//
// # Storage
//
// Storage is always replicated, with one code path: every group and user
// belongs to a shard, a raft group of R replicas; its grain runs on the
// shard's leader and persists through its activation's
// replication.ShardStore, so a write is acknowledged once a quorum has it
// on disk and applied, and history and resync are served after a ReadIndex
// confirmed leadership. A lone node is a cluster of one (R = 1); nodes
// started together with Config.BootstrapExpect form a cluster (R = 3 by
// default). Without DataDir the Pebble store lives on an in-memory file
// system.
//
// Hooks connect the host platform (tokens, profiles, social graph,
// moderation, tiers); every hook has a working default. Engine.Call runs an
// operation in process for a user the host has authenticated.
//
// # Connections
//
// Each client connection has a reader goroutine (frames in, requests
// dispatched) and a writer goroutine that drains a bounded outbound queue,
// coalescing every queued frame into one write. Requests that go straight to
// a group (send, history, members, info) are handed to the grain in the
// order they arrived, so a client's sends keep their order; the reply comes
// when the grain answers (for sends: after fsync). A frame that breaks the
// protocol closes only its own connection, after an error frame; a request
// with bad arguments fails only itself.
//
// # Files
//
// engine.go is the lifecycle (New, Start, Close, Stats); config.go, auth.go
// and hooks.go the embedder's knobs, tokens and host hooks; conn.go the TCP
// frontend, with reader.go (read buffers lent only while traffic flows),
// writer.go (a writer goroutine only while frames are queued), batch.go
// (the requests read for one group go to its grain in one message; answers
// come back to the connection's reply process by PID) and awaiter.go (one
// goroutine per connection answers requests at their grains, oldest first,
// with per-request timeouts and retries). dispatch.go holds the route table every op is routed from (a
// client's request and Engine.Call alike); membership.go the operations that
// span user and group grains; resync.go, mygroups.go and discovery.go the
// rest; grain.go and args.go the grain calls and argument helpers they share.
// commerce.go makes the ids and seeds of red packets, lotteries and coupons,
// runs order groups (CreateOrderGroup, OrderEvent), the shop page and the
// in-memory host's balances; payments.go is the Payments and CouponIssuer
// hooks and the MemoryHost's wallet.
// rest; room.go live rooms (OpenRoom, watching, the hub's viewers); grain.go
// and args.go the grain calls and argument helpers they share.
// Fan groups and creator tools: fans.go (their routes and NotifyCreator),
// fans_hooks.go (the Fans, Push, Reports and Share hooks and their
// MemoryHost defaults), fans_config.go (Config.Fans) and host_events.go
// (offline pushes and diversion reports, after the fact, from a bounded
// queue).
// Apart from the Engine type, files depend one way only: engine.go → conn.go
// (→ reader.go, writer.go, batch.go, awaiter.go) → dispatch.go → membership.go → resync.go, and dispatch.go → mygroups.go,
// discovery.go, hooks.go; all of them → grain.go, args.go.
//
// # Transports and metrics
//
// websocket.go is the WebSocket frontend (Config.WSListen, ws://ADDR/ws):
// each WebSocket is adapted to a net.Conn speaking the TCP framing
// (internal/wsconn) and handed to the same accept loop and connection code
// as a TCP connection, so handshake, auth, limits, slow-consumer policy and
// error codes are the same by construction. metrics.go registers the qun_*
// Prometheus series on Config.Metrics (nil: off) and has Ready, the
// readiness check.
//
// # Concurrency
//
// Engine methods are safe for concurrent use. No logging on hot paths.
//
// # Imports
//
// engine imports actors, cluster, persistence, replication and wire. Only
// cmd, bench, examples and tests import engine.
package engine
