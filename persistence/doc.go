// Package persistence stores opaque bytes for Qun's group grains: a per-stream
// event journal keyed by (stream, seq), one snapshot per stream, and a small
// key/value space. It knows nothing about what the bytes mean and imports no
// Qun package; its only dependency outside the standard library is
// github.com/cockroachdb/pebble/v2 (pure Go: it builds with CGO_ENABLED=0).
//
// There are two implementations of Store: PebbleStore (OpenPebble), one
// Pebble database per node, and MemoryStore (NewMemory) with the same
// semantics minus durability, for tests.
//
// # Durability and ordering
//
// A Batch is written atomically. Commit queues it and returns at once; its
// done callback is called exactly once, after the batch is durable (the
// Pebble write-ahead log was fsync'd) or with the error that stopped it.
// Batches become durable, and their callbacks run, in the order of the
// Commit calls, across all callers. If an engine write fails, that batch
// group and every later batch get an error wrapping ErrFailed (the store
// stays failed until reopened), so the durable batches always form a prefix
// of the Commit order: a journal never gets a hole because a later batch
// succeeded after an earlier one failed. Batches refused by validation
// (ErrInvalidStream, ErrInvalidSeq, ErrBatchTooLarge) fail alone and do not
// fail the store.
//
// Reads see at least every batch whose done(nil) has been called, and may
// already see a batch whose fsync is still in flight.
//
// # Group commit
//
// One committer goroutine per store drains the queue: it merges everything
// queued, up to Options.MaxBatchCount batches and Options.MaxBatchBytes
// bytes, into one Pebble batch, commits it with one fsync, then calls the
// callbacks of the group in order. Commits that arrive meanwhile go into the
// next group, so the fsync rate stays bounded while throughput grows with
// the number of batches in flight. The queue is unbounded, so Commit never
// blocks an actor; Stats.QueuedBatches and Stats.QueuedBytes show its size,
// and callers that need back-pressure should bound their own in-flight
// commits.
//
// # Concurrency rules
//
//   - Every method is safe to call from any goroutine.
//   - done callbacks run on the committer goroutine, one at a time: they must
//     be quick (hand the result to an actor, close a channel, send on a
//     buffered channel). A callback may call Commit, but must not wait for a
//     commit (CommitSync) and must not call Close: the committer would wait
//     for itself.
//   - The read callbacks (ReadRange, ReadReverse, Scan) run on the caller's
//     goroutine; they may call other reads and Commit, but not Close.
//   - The caller must not modify a Batch (or the byte slices in it) after
//     passing it to Commit. Returned data is always a fresh copy.
//   - After Close, every read returns ErrClosed and Commit calls done(ErrClosed)
//     from a new goroutine.
//
// # Key layout (Pebble)
//
//	journal:  'j' + stream + 0x00 + seq (8 bytes, big-endian)   value: event data
//	snapshot: 's' + stream                                      value: seq (8 bytes, big-endian) + data
//	kv:       'k' + key                                         value: the value
//
// Stream names are 1 to 256 bytes without 0x00, so each stream's journal is
// one contiguous key range; DropStreams is a range delete over it plus a
// delete of the snapshot key. Event seqs start at 1. Within a Batch,
// DropStreams apply first, then Deletes, Events, Snapshots and Puts (see
// Batch).
package persistence
