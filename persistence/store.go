package persistence

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

var (
	// ErrClosed is reported by every operation on a store after Close.
	ErrClosed = errors.New("persistence: store closed")
	// ErrInvalidStream is reported for a stream name that is empty, longer than
	// MaxStreamLen bytes, or contains a 0x00 byte.
	ErrInvalidStream = errors.New("persistence: invalid stream name")
	// ErrInvalidSeq is reported for a journal Event with Seq 0: sequences start
	// at 1 so that LastSeq's 0 always means "no events".
	ErrInvalidSeq = errors.New("persistence: invalid event seq (must be > 0)")
	// ErrBatchTooLarge is reported for a single Batch whose encoded size
	// exceeds MaxBatchSize.
	ErrBatchTooLarge = errors.New("persistence: batch too large")
	// ErrFailed is the fail-stop error. When the engine reports an error on
	// a write or on an fsync (an I/O error, a full disk), the store fails:
	// the batches of that group commit and every batch committed later get
	// an error wrapping ErrFailed and the original cause (test it with
	// errors.Is, for example errors.Is(err, syscall.ENOSPC) for a full disk),
	// nothing more is written, and Health reports the same error. Durable
	// batches therefore always form a prefix of the Commit order. Reopen the
	// store to recover.
	ErrFailed = errors.New("persistence: store failed")
	// ErrInvalidOptions is wrapped by Options.Validate errors.
	ErrInvalidOptions = errors.New("persistence: invalid options")
	// ErrCorrupt is reported when a stored key or value does not have the
	// expected layout.
	ErrCorrupt = errors.New("persistence: corrupt data")
)

const (
	// MaxStreamLen is the longest valid stream name, in bytes.
	MaxStreamLen = 256
	// MaxBatchSize bounds the encoded size of one Batch (keys, values and
	// a small per-entry overhead). Larger batches get ErrBatchTooLarge.
	MaxBatchSize = 512 << 20
)

// Event is one journal entry of a stream. Seq must be > 0.
type Event struct {
	Stream string
	Seq    uint64
	Data   []byte
}

// Snapshot is the latest saved state of a stream, as of journal Seq.
type Snapshot struct {
	Stream string
	Seq    uint64
	Data   []byte
}

// KV is one entry of the key/value space. Keys are arbitrary strings.
type KV struct {
	Key   string
	Value []byte
}

// Batch is applied atomically: after a crash either all of it is there or
// none of it. Within one Batch the parts are applied in this order, so later
// parts win on conflicts:
//
//  1. DropStreams
//  2. Deletes
//  3. Events (a later Event with the same Stream and Seq replaces an earlier one)
//  4. Snapshots (a later Snapshot of the same Stream replaces an earlier one)
//  5. Puts (a later Put of the same Key replaces an earlier one)
//
// so a Batch can drop a stream and start it again, or delete a key and put it
// again. A nil or empty Batch is valid: its done callback is called in order,
// which makes it a barrier for the batches before it.
type Batch struct {
	Events      []Event
	Snapshots   []Snapshot // replaces the stream's snapshot
	Puts        []KV
	Deletes     []string // KV keys
	DropStreams []string // deletes the stream's whole journal and its snapshot (range delete)
	// Raw are full-key writes applied after every other part, in order
	// (see raw.go). PebbleStore only.
	Raw []RawOp
}

// Stats are cumulative counters of a store, plus two gauges of its queue.
type Stats struct {
	// Commits is the number of Commit calls accepted before Close (including
	// ones later refused by validation or by a failed store).
	Commits uint64
	// Batches is the number of Batches made durable (done(nil)).
	Batches uint64
	// Failed is the number of Batches whose done got an error, including the
	// Commit calls refused after Close.
	Failed uint64
	// Groups is the number of group commits: merged writes to the engine,
	// each holding one or more Batches.
	Groups uint64
	// Fsyncs is the number of group commits that waited for an fsync of the
	// engine's write-ahead log (0 with NoSync and for the memory store).
	// With the commit pipeline two groups may share one fsync, so this is an
	// upper bound of the fsyncs done.
	Fsyncs uint64
	// Events is the number of journal events made durable.
	Events uint64
	// Bytes is the encoded size (keys, values, overhead) of durable Batches.
	Bytes uint64
	// QueuedBatches is the number of accepted Batches whose done has not been
	// called yet; QueuedBytes is their encoded size.
	QueuedBatches int64
	QueuedBytes   int64
	// Refused is the number of Batches refused with the fail-stop error
	// without reaching the engine, because the store had already failed
	// (they are also counted in Failed).
	Refused uint64
	// FailStops is the number of times the store went fail-stop: 0 while it
	// is healthy, 1 after (a store stays failed until reopened).
	FailStops uint64
}

// HealthChecker is implemented by every store of this package.
type HealthChecker interface {
	// Health is nil while the store accepts writes. After a fail-stop it is
	// the error wrapping ErrFailed and its cause (and stays so, also after
	// Close); after Close of a healthy store it is ErrClosed.
	Health() error
}

// Health returns s.Health() if s implements HealthChecker, else nil. It is
// cheap (an atomic load) and may be polled by a readiness check or metrics.
func Health(s Store) error {
	if h, ok := s.(HealthChecker); ok {
		return h.Health()
	}
	return nil
}

// Store is the storage of group grains. All methods are safe for concurrent
// use. See the package documentation for the concurrency rules.
type Store interface {
	// Commit queues b for the next group commit and returns at once without blocking on I/O.
	// done is called exactly once, from a store goroutine (never from the caller's goroutine), after the
	// batch is durable (fsync'd) or has failed. Batches are made durable, and their done callbacks called,
	// in the order Commit was called (FIFO across all callers). The caller must not modify b afterwards.
	// After Close, done(ErrClosed) is called.
	Commit(b *Batch, done func(error))
	// LoadSnapshot returns the stream's latest snapshot.
	LoadSnapshot(stream string) (snap Snapshot, ok bool, err error)
	// ReadRange calls fn for events of stream with from <= seq <= to, ascending, at most limit (limit <= 0: no limit), until fn returns false.
	ReadRange(stream string, from, to uint64, limit int, fn func(Event) bool) error
	// ReadReverse calls fn for events with seq < before, descending, at most limit, until fn returns false.
	ReadReverse(stream string, before uint64, limit int, fn func(Event) bool) error
	// LastSeq is the highest journal seq of the stream (0 if none).
	LastSeq(stream string) (uint64, error)
	Get(key string) (value []byte, ok bool, err error)
	// Scan calls fn for every KV key with the prefix, in key order, until fn returns false.
	Scan(prefix string, fn func(key string, value []byte) bool) error
	// Stats returns counters (commits, batches, events, bytes, fsyncs) for benchmarks and metrics.
	Stats() Stats
	// Close waits for queued commits to finish (their done callbacks run), then closes. Idempotent.
	Close() error
}

// CommitSync is Commit and wait for done. It must not be called from a done
// callback (the callback would wait for itself).
func CommitSync(s Store, b *Batch) error {
	ch := make(chan error, 1)
	s.Commit(b, func(err error) { ch <- err })
	return <-ch
}

// Options configure a Pebble store. The zero value of every field means its
// default; DefaultOptions returns the defaults filled in.
type Options struct {
	// FS is the file system. Default vfs.Default; tests use
	// vfs.NewCrashableMem() or vfs.NewMem().
	FS vfs.FS
	// Logger receives the store's and Pebble's log output. Default: discard.
	// A WAL write or fsync error makes the store fail-stop (see ErrFailed),
	// logged once at Error. Pebble's other fatal errors are logged at Error,
	// written to stderr, and end the process with exit status 1.
	Logger *slog.Logger
	// MaxBatchBytes bounds the encoded size of one group commit (one synced
	// Pebble batch). A single Batch larger than this is committed alone.
	// Default 4 MiB; at most 64 MiB.
	MaxBatchBytes int
	// MaxBatchCount is the most queued Batches merged into one group commit.
	// Default 4096.
	MaxBatchCount int
	// NoSync commits without waiting for fsync: done(nil) then no longer
	// means durable. Default false; true only for benchmarks comparing.
	NoSync bool
	// CacheSize is the size of Pebble's block cache in bytes. Default 64 MiB.
	CacheSize int64
	// OnGroupCommit, if set, is called after each group commit that wrote,
	// on the store's commit goroutine (keep it short: metrics). Default nil.
	OnGroupCommit func(GroupCommit)
}

// GroupCommit describes one group commit, for Options.OnGroupCommit.
type GroupCommit struct {
	Batches int           // Batches merged into it
	Bytes   int           // their encoded size
	Synced  bool          // it waited for an fsync of the WAL
	Took    time.Duration // the write (and fsync)
}

const (
	defaultMaxBatchBytes = 4 << 20
	defaultMaxBatchCount = 4096
	defaultCacheSize     = 64 << 20
	maxMaxBatchBytes     = 64 << 20
)

// DefaultOptions returns the options with every default filled in.
func DefaultOptions() Options {
	return Options{
		FS:            vfs.Default,
		Logger:        discardLogger(),
		MaxBatchBytes: defaultMaxBatchBytes,
		MaxBatchCount: defaultMaxBatchCount,
		CacheSize:     defaultCacheSize,
	}
}

// Validate reports whether the options are usable. Zero values are valid
// (they mean the default); negative or out-of-range values are not.
func (o Options) Validate() error {
	if o.MaxBatchBytes < 0 || o.MaxBatchBytes > maxMaxBatchBytes {
		return fmt.Errorf("%w: MaxBatchBytes %d not in [0, %d]", ErrInvalidOptions, o.MaxBatchBytes, maxMaxBatchBytes)
	}
	if o.MaxBatchCount < 0 {
		return fmt.Errorf("%w: MaxBatchCount %d < 0", ErrInvalidOptions, o.MaxBatchCount)
	}
	if o.CacheSize < 0 {
		return fmt.Errorf("%w: CacheSize %d < 0", ErrInvalidOptions, o.CacheSize)
	}
	return nil
}

// withDefaults returns o with every zero field replaced by its default.
func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.FS == nil {
		o.FS = d.FS
	}
	if o.Logger == nil {
		o.Logger = d.Logger
	}
	if o.MaxBatchBytes == 0 {
		o.MaxBatchBytes = d.MaxBatchBytes
	}
	if o.MaxBatchCount == 0 {
		o.MaxBatchCount = d.MaxBatchCount
	}
	if o.CacheSize == 0 {
		o.CacheSize = d.CacheSize
	}
	return o
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// ValidStream reports whether name is a valid stream name.
func ValidStream(name string) bool {
	if len(name) == 0 || len(name) > MaxStreamLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		if name[i] == 0 {
			return false
		}
	}
	return true
}

func checkStream(name string) error {
	if !ValidStream(name) {
		return fmt.Errorf("%w: %s", ErrInvalidStream, quoteShort(name))
	}
	return nil
}

// quoteShort quotes s for an error message, cut to 64 bytes.
func quoteShort(s string) string {
	if len(s) > 64 {
		return fmt.Sprintf("%q... (%d bytes)", s[:64], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// entryOverhead approximates the per-entry framing of an engine batch.
const entryOverhead = 12

// checkBatch validates b and returns its encoded size estimate.
func checkBatch(b *Batch) (int, error) {
	if b == nil {
		return 0, nil
	}
	size := 0
	for i := range b.DropStreams {
		if err := checkStream(b.DropStreams[i]); err != nil {
			return 0, err
		}
		size += 2*(len(b.DropStreams[i])+2) + entryOverhead
	}
	for i := range b.Deletes {
		size += len(b.Deletes[i]) + 1 + entryOverhead
	}
	for i := range b.Events {
		e := &b.Events[i]
		if err := checkStream(e.Stream); err != nil {
			return 0, err
		}
		if e.Seq == 0 {
			return 0, fmt.Errorf("%w: stream %s", ErrInvalidSeq, quoteShort(e.Stream))
		}
		size += len(e.Stream) + 10 + len(e.Data) + entryOverhead
	}
	for i := range b.Snapshots {
		sn := &b.Snapshots[i]
		if err := checkStream(sn.Stream); err != nil {
			return 0, err
		}
		size += len(sn.Stream) + 1 + 8 + len(sn.Data) + entryOverhead
	}
	for i := range b.Puts {
		size += len(b.Puts[i].Key) + 1 + len(b.Puts[i].Value) + entryOverhead
	}
	rs, err := rawSize(b.Raw)
	if err != nil {
		return 0, err
	}
	size += rs
	if size > MaxBatchSize {
		return 0, fmt.Errorf("%w: %d bytes > %d", ErrBatchTooLarge, size, MaxBatchSize)
	}
	return size, nil
}
