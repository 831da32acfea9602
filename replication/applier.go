package replication

import "github.com/qunchat/qun/persistence"

// Command is a committed proposal handed to the Applier.
type Command struct {
	// Shard is the shard the command belongs to.
	Shard uint32
	// Index and Term are its raft entry's; Epoch equals Term (a command
	// evaluated under another epoch is rejected before the Applier sees it).
	Index, Term, Epoch uint64
	// Data is the proposer's command bytes. It aliases the log entry: copy
	// what must outlive the Apply call.
	Data []byte
}

// Applier is the application's deterministic state machine. It runs on
// every replica of a shard, in log order, on the node loop goroutine.
type Applier interface {
	// Apply writes c's effects into w (any parts of a persistence.Batch,
	// Raw included), which the node commits atomically with the shard's
	// applied index. It must be deterministic: the same commands in the
	// same order give the same writes and the same rejections on every
	// replica, whatever the clock or the node. A non-nil error rejects c:
	// w is discarded, the entry is a no-op, and the proposer's done gets
	// the error wrapped in ErrRejected.
	Apply(c Command, w *persistence.Batch) error
	// Ranges calls fn with the key ranges [lo, hi) of full Pebble keys that
	// hold shard's state as of r. A snapshot ships every key in them; a
	// replica installing a snapshot first deletes its own ranges.
	Ranges(shard uint32, r persistence.RawReader, fn func(lo, hi []byte) error) error
	// Restored tells the Applier that shard's state was replaced by a
	// snapshot: drop any cache of it.
	Restored(shard uint32)
}

// DurableNotifier is optionally implemented by an Applier: Durable is
// called on the loop goroutine once the batch holding the applies of a
// round is durable (before proposers hear of them).
type DurableNotifier interface {
	Durable()
}

// Listener hears about leadership. Its methods run on the node loop
// goroutine and must return quickly (hand off to an actor or a channel).
type Listener interface {
	// LeaderReady: this replica leads shard at term and has applied an
	// entry of that term, so every entry any earlier leader could have
	// committed is applied locally. Serve the shard's grains with
	// epoch = term.
	LeaderReady(shard uint32, term uint64)
	// LeaderLost: this replica no longer leads shard at term. Stop serving
	// its grains at once; their pending proposals fail with
	// ErrLeadershipLost.
	LeaderLost(shard uint32, term uint64)
}
