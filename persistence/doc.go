// Package persistence stores opaque bytes for Qun's group grains: a per-stream
// event journal keyed by (stream, seq), one snapshot per stream, and a small
// key/value space. It knows nothing about what the bytes mean and imports no
// Qun package; its only dependency outside the standard library is
// github.com/cockroachdb/pebble/v2 (pure Go: it builds with CGO_ENABLED=0).
//
// There are two implementations of Store: PebbleStore (OpenPebble), one
// Pebble database per node, and MemoryStore (NewMemory) with the same
// semantics minus durability, for tests. Gated wraps either and holds back
// done callbacks until a test releases them (a test aid).
//
// # Durability and ordering
//
// A Batch is written atomically. Commit queues it and returns at once; its
// done callback is called exactly once, after the batch is durable (the
// Pebble write-ahead log was fsync'd) or with the error that stopped it.
// Batches become durable, and their callbacks run, in the order of the
// Commit calls, across all callers. Batches refused by validation
// (ErrInvalidStream, ErrInvalidSeq, ErrBatchTooLarge) fail alone and do not
// fail the store.
//
// Reads see at least every batch whose done(nil) has been called, and may
// already see a batch whose fsync is still in flight.
//
// # Fail-stop
//
// If Pebble reports an error writing or fsyncing its write-ahead log (an
// I/O error, a full disk), the store fails: the batches of the group commit
// that hit the error, and every batch committed later, get an error wrapping
// ErrFailed and the cause (errors.Is(err, syscall.ENOSPC) tells a full
// disk); nothing more is written; the failure is logged once at Error; and
// Health (HealthChecker) reports the same error, for a readiness check, with
// Stats.FailStops and Stats.Refused as metrics. So the durable batches
// always form a prefix of the Commit order, and a journal never gets a hole.
// Nothing acknowledged is lost; reads keep working, and may also show the
// batches of the failed group (they were applied before their fsync failed;
// they may or may not be there after a restart). The store stays failed
// until it is reopened. MemoryStore.Fail and Gated.Fail simulate a failure
// for tests. Pebble errors outside the commit path that Pebble treats as
// fatal (a MANIFEST write, creating a new WAL file, corruption) still end
// the process (see Options.Logger). With Options.NoSync write errors are
// not seen by the store.
//
// # Group commit
//
// Each store runs a two-stage pipeline. A writer goroutine takes the head of
// the queue, up to Options.MaxBatchCount batches and Options.MaxBatchBytes
// bytes, merges it into one Pebble batch and writes it (WAL record and
// memtable) without waiting for the fsync (Pebble's ApplyNoSyncWait); a
// completer goroutine waits for each group's fsync in order (SyncWait) and
// then calls the group's callbacks in order. The writer writes a group only
// while at most one other is in flight and that one's fsync is still
// running: under light load a commit is durable after about one fsync; under
// heavy load the next group is written while the previous fsync runs and
// the one after accumulates in the queue, so groups grow with the load and
// the fsync rate stays bounded. No timer delays a commit. The queue is
// unbounded, so Commit never blocks an actor; Stats.QueuedBatches and
// Stats.QueuedBytes show its size, and callers that need back-pressure
// should bound their own in-flight commits.
//
// # Concurrency rules
//
//   - Every method is safe to call from any goroutine.
//   - done callbacks run on the store's completer goroutine, one at a time:
//     they must be quick (hand the result to an actor, close a channel, send
//     on a buffered channel). A callback may call Commit, but must not wait
//     for a commit (CommitSync) and must not call Close: the committer would
//     wait for itself.
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
