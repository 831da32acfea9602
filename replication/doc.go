// Package replication replicates Qun's group and user state with Raft:
// etcd raft (go.etcd.io/raft/v3 v3.7.0) driven through RawNode as a
// multi-raft over the node's one Pebble database. It imports persistence
// and etcd raft only; cluster does not import it (the engine wires them).
//
// # Shards and replicas
//
// The keyspace is cut into S shards (Config.Shards, default 64), fixed at
// bootstrap and persisted. ShardOf(id, S) = FNV-1a(id) mod S places a group
// or user id; pass the grain's storage name ("g/<group>", the group's
// stream, or "u/<user>", the user's key) so groups and users of the same id
// spread independently. Each shard is one raft group of R replicas (Config.Replicas,
// default 3) on the stores chosen by Placement from the bootstrap peers; a
// lone node runs R = 1 through exactly the same code. A store's id is its
// replica id in every shard; a node whose disk was wiped comes back under a
// new store id (raft ids are never reused) and is swapped in with
// Node.ChangeReplicas (one joint-consensus change), then caught up by a
// streamed snapshot.
//
// Every replica runs with PreVote, CheckQuorum, DisableProposalForwarding,
// StepDownOnRemoval and MaxUncommittedEntriesSize (over it a proposal fails
// with ErrBackpressure).
//
// # The loop and durability
//
// One goroutine per node drives all its replicas. A round takes every
// replica's Ready and writes, in ONE persistence.Batch of ordered raw
// operations committed through the store's group committer (one Pebble
// batch, one fsync, shared with whatever the rest of the node commits):
// installed snapshots, log appends (and the deletion of a conflicting
// suffix), hard states, every committed entry's application (the
// Applier's writes, converted in order by persistence.AppendRawOps) and the
// applied index. Only once that batch is durable does the round send
// messages, report outcomes to proposers, answer reads, notify leadership
// changes and Advance. Rounds are synchronous: nothing is stepped while a
// round's batch is in flight, so Pebble always holds exactly the applied
// state when raft asks for a snapshot. A restart re-applies nothing twice:
// the applied index is written atomically with the applies.
//
// A round whose Readys hold nothing raft needs durable (no log entries, no
// snapshot, no new term or vote: only applies and the commit index) is
// committed without waiting for the fsync (PebbleStore.CommitNoSync): its
// entries are already in a synced log, so a crash that loses the batch
// re-applies them. Right after a synced round the loop runs one more round
// without taking new proposals: on a lone replica the entries just made
// stable are committed then and applied at once, so an ack costs one
// fsync, not two.
//
// # Proposals, epochs, fencing
//
// Node.Propose(shard, epoch, data, done) replicates a command evaluated
// under epoch, the raft term of the LeaderReady that started the caller's
// activation. It is refused at once (ErrNotLeader, ErrStaleEpoch) unless
// this replica leads at that very term. At apply, on every replica and
// deterministically, a command whose epoch differs from its entry's term is
// rejected (ErrStaleEpoch); otherwise the Applier applies it or rejects it
// (ErrRejected). done(nil) comes only from applying the proposal itself,
// after it was committed on a quorum and made durable locally. When a
// replica loses leadership, its pending proposals fail with
// ErrLeadershipLost (outcome unknown: the entry may still commit; retry
// idempotently).
//
// Listener.LeaderReady(shard, term) fires once a leader has applied an
// entry of its own term (raft's empty entry at election): everything any
// earlier leader committed is then in the local store. LeaderLost fires as
// soon as a round sees the replica step down or change term. Node.ReadIndex
// confirms leadership with a raft ReadIndex (all reads of a round share
// one) and waits for the local apply to reach the read index.
//
// # Grains
//
// StoreApplier is the Applier for grains: a command is a
// persistence.Batch, applied under exactly the keys PebbleStore.Commit
// writes ('j', 's', 'k'), after a per-stream fence (fence.go).
// Node.StoreFor(shard, epoch) returns a ShardStore, a persistence.Store
// whose Commit proposes and whose reads go to the local store: a grain
// activated on a ready leader persists through it with no other change.
// Every ShardStore batch is fenced (EncodeFencedBatch): for each stream it
// touches, the applied last seq it was built on, which the ShardStore takes
// before the activation's first read of the stream and advances by each
// batch it proposes; apply accepts the batch only if that is still the
// stream's applied last seq (a compare-and-set, else ErrSeqGap). Events
// at or below it are the activation's marked rewrites (a recall's
// tombstone); the others must be above it and increasing, and may skip
// seqs (a live room's chatter is kept in KV keys, not in the journal). A
// plain batch (EncodeBatch) must instead continue each stream's applied
// last seq exactly.
//
// ShardStore.ConfirmRead is the read fence grains use before history: a
// batched ReadIndex, then a check that the leader's term is still the
// activation's epoch; a deposed or cut-off leader gets an error, never a
// confirmation.
//
// Node.Checksums digests every local replica's data (the Applier's Ranges)
// at its applied index, from one view taken between rounds: replicas of a
// shard at the same applied index must have the same sum (the fault tests
// compare them after every kill).
//
// # Keys
//
// Raft state lives under persistence.RawTag ('r'), see keys.go: log
// entries, hard state, truncated state and applied state per shard, the
// cluster record, and StoreApplier's index of each shard's streams and KV
// keys, which Applier.Ranges turns into the key ranges a snapshot ships.
//
// # Log truncation and snapshots
//
// Every Config.TruncateEvery rounds a ready leader proposes a truncation
// up to the lowest index every replica has (Progress.Match), or up to its
// applied index when the log is longer than Config.MaxLogEntries. It is a
// log entry, so every replica truncates at the same point, after applying
// everything before it. raft.Storage is served from an in-memory mirror of
// the retained log (a raft.MemoryStorage) that truncation bounds; Pebble
// holds the durable copy, reloaded at start.
//
// A follower that needs compacted entries gets a snapshot at the leader's
// applied index: its metadata travels in MsgSnap, its data (every key of
// Applier.Ranges read from a Pebble point-in-time view) is streamed out of
// band in chunks of Config.SnapshotChunkBytes, then the MsgSnap. The
// receiver stages the pairs (bounded by MaxSnapshotBytes), steps MsgSnap,
// and installs it in its next round: range-deletes its own ranges, writes
// the pairs, resets its log.
//
// # Transport
//
// TCPTransport: one outgoing TCP connection per peer with a bounded queue
// (full: dropped and ReportUnreachable, raft retransmits) and one writer
// goroutine that coalesces everything queued into one write; frames are
// length (bounded before allocating) + CRC-32C + payload. Both ends prove
// knowledge of the cluster secret by HMAC-SHA256 challenge-response before
// a single raft frame is read (handshake.go). Snapshots use a connection
// of their own.
//
// # Departures from shared/notes/replication.md
//
//   - Replica id = store id (unique forever, a wiped disk means a new store
//     id) instead of separate per-shard replica ids: simpler addressing,
//     same guarantee.
//   - The apply epoch fence compares a command's epoch with its entry's
//     term, equivalent to the notes' "applied epoch" (a leader's entries
//     all follow its own empty entry) and needing no extra state.
//   - One loop goroutine per node instead of one actor per shard; rounds
//     are synchronous with their fsync (as the spike), applies go into the
//     same synced batch as the next appends (no per-Batch NoSync flag).
//   - The continuity fence is a compare-and-set on each stream's applied
//     last seq declared by the proposer, not "first seq = applied last + 1":
//     a recall rewrites an existing record and a live room's journal skips
//     the seqs of its chatter, and both must apply; the compare-and-set
//     still rejects replays and batches that follow a lost one.
//   - Data keys keep today's layout (no shard prefix); the shard's key
//     ranges come from StoreApplier's per-shard index.
package replication
