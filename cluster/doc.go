// Package cluster is Qun's clustering layer: a Proto.Actor (protoactor-go)
// ClusterProvider built on hashicorp/memberlist gossip, and StartNode, which
// runs one Proto.Actor cluster member with Qun's defaults. Callers import it
// as qcluster; protoactor's own cluster package is imported here as
// pcluster.
//
// # Role
//
// Provider makes memberlist the single source of cluster membership and
// failure detection. Every node gossips its member record (id, protoactor
// remote host and port, grain kinds) as memberlist node metadata, compact
// JSON within memberlist's 512 bytes. On each join, leave or update that
// memberlist reports, the provider recomputes the full member list and hands
// it to protoactor (MemberList.UpdateClusterTopology). Grain placement is
// protoactor's disthash identity lookup (rendezvous hashing over the members
// that host a kind): when the topology changes, grains whose owner changed
// are stopped and re-activated on their new owner with fresh state, so grain
// state must live in storage every node can reach.
//
// StartNode wires an actor system, protoactor's gRPC remote, the provider,
// disthash and the caller's grain kinds (NodeConfig.Kinds: this package knows
// no Qun grain) and returns a Node; Node.Stop takes it down again.
//
// # Import rules
//
// This package imports protoactor-go (actor, cluster, cluster/identitylookup/
// disthash, eventstream, remote), hashicorp/memberlist and the standard
// library. It must not import any other Qun package: the engine depends on
// it, never the reverse.
//
// # Concurrency
//
// Provider, Node and their methods are safe for concurrent use.
// memberlist calls the provider's event delegate with its node lock held;
// the delegate only copies the node's metadata into a map under a private
// mutex and signals a channel (capacity 1, coalescing). A single goroutine
// per provider drains the signal and calls UpdateClusterTopology, so topology
// updates reach protoactor one at a time, in order, and never while a lock
// that an event callback needs is held. Provider.Shutdown stops that
// goroutine and waits for it before shutting memberlist down.
//
// protoactor's MemberList.Length and Members read its member set without
// its lock; use Node.MemberIDs (fed by protoactor's ClusterTopology events)
// or Provider.Members instead.
//
// # protoactor traps handled here
//
//   - Blocked ids: protoactor blocks the id of every member that leaves or is
//     declared dead, forever. StartNode therefore gives every start a fresh
//     random id (NewNodeID) and makes it both the actor system's ID and the
//     memberlist node name; a restarted node joins as a new member. Leave
//     Config.NodeID empty. A member that was declared dead without
//     restarting (paused past the suspicion timeout: SIGSTOP, a VM or GC
//     pause, a partition) refutes and is alive again in memberlist; the
//     provider then hands it to protoactor under a new routing id
//     ("<id>~<n>", readmission.go), which protoactor has never blocked, so
//     it is routed to again. Node.MemberIDs maps routing ids back.
//   - Shutdown: pcluster.Cluster.Shutdown(false) does not call the provider,
//     so memberlist keeps its port and keeps gossiping; Shutdown(true) sleeps
//     2 s; Remote.Shutdown(false) leaves the gRPC client connections to peers
//     open. Node.Stop does not use Cluster.Shutdown: it shuts the provider
//     down (with a gossip leave when graceful), hands protoactor an empty
//     topology (which stops local grains and closes the connections to
//     peers), stops protoactor's gossip, the actor system and the gRPC
//     server. Both the gossip and the remote port are free when it returns
//     (a few ms; ~35 ms graceful with peers).
//   - StartMember sleeps 1 s after the provider has started, so StartNode
//     takes a little over a second. It reports errors by panicking; StartNode
//     recovers, stops what was started and returns the error.
//   - Port 0: protoactor's remote listens on RemoteHost:0 and reports the
//     bound address (Node.Address); memberlist binds TCP and UDP on one free
//     port (Provider.GossipAddr). Only an AdvertisedHost with port 0 needs a
//     port picked in advance (see NodeConfig.RemotePort).
//   - Logging: protoactor's default logger writes coloured text to stderr at
//     Info. StartNode installs NodeConfig.Logger through
//     actor.WithLoggerFactory, filtered at NodeConfig.ProtoActorLogLevel
//     (default Warn); memberlist's *log.Logger lines go to Config.Logger at
//     Debug. The default for both is to discard. (protoactor's first line,
//     "actor system started", still names the system's original random id,
//     before StartNode replaces it.)
//   - protoactor's own gossip (heartbeats, blocked-id exchange) is off by
//     default (NodeConfig.ProtoActorGossipInterval): membership comes from
//     memberlist, the gossip's 20 s heartbeat expiry blocks a paused member
//     forever while memberlist still has it alive, and its code reads the
//     remote's block list without the lock its writers take (data races).
//     With it off, the 60 s throttle goroutines of the gossip are never
//     started either.
//
// # Testing with several nodes
//
// Two protoactor nodes in one process do not pass the race detector:
// remote.Start calls grpclog.SetLoggerV2, an unsynchronised write of a
// global that the other node's gRPC goroutines read. This package's tests
// run the in-process two-node scenario only without -race and run the same
// scenario with the other nodes in child processes in both modes.
package cluster
