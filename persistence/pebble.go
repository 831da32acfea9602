package persistence

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// PebbleStore is the Store backed by one Pebble database. Create it with
// OpenPebble.
type PebbleStore struct {
	db *pebble.DB
	wo *pebble.WriteOptions
	c  *committer

	gate readGate

	closeOnce sync.Once
	closeErr  error

	// batches holds the Pebble batches not in flight: one per group in the
	// commit pipeline, reused (a batch is reset after its fsync).
	batches   chan *syncBatch
	maxRetain int
	key       []byte // owned by the committer's writer goroutine
}

var _ Store = (*PebbleStore)(nil)

// OpenPebble opens (creating if needed) the Pebble database in dir on opts.FS.
// One database per node; Pebble locks dir against a second opener.
func OpenPebble(dir string, opts Options) (*PebbleStore, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	lg := pebbleLogger{l: opts.Logger.With("store", dir)}

	// Batches at or above half the memtable size are committed by Pebble as
	// their own flushable memtable, forcing a flush: keep a full group well
	// below that.
	memTable := uint64(32 << 20)
	if m := uint64(8 * opts.MaxBatchBytes); m > memTable {
		memTable = m
	}
	po := &pebble.Options{
		FS:                 opts.FS,
		Logger:             lg,
		CacheSize:          opts.CacheSize,
		MemTableSize:       memTable,
		FormatMajorVersion: pebble.FormatNewest,
		EventListener: &pebble.EventListener{
			BackgroundError: func(err error) {
				lg.l.Error("pebble background error", "component", "pebble", "err", err)
			},
			DiskSlow: func(info pebble.DiskSlowInfo) {
				lg.l.Warn("pebble disk slow", "component", "pebble",
					"path", info.Path, "op", info.OpType.String(), "duration", info.Duration)
			},
			WriteStallBegin: func(info pebble.WriteStallBeginInfo) {
				lg.l.Warn("pebble write stall begin", "component", "pebble", "reason", info.Reason)
			},
			WriteStallEnd: func() {
				lg.l.Info("pebble write stall end", "component", "pebble")
			},
		},
	}
	db, err := pebble.Open(dir, po)
	if err != nil {
		return nil, fmt.Errorf("persistence: open pebble %q: %w", dir, err)
	}
	s := &PebbleStore{db: db, wo: pebble.Sync}
	if opts.NoSync {
		s.wo = pebble.NoSync
	}
	s.maxRetain = 2 * opts.MaxBatchBytes
	s.batches = make(chan *syncBatch, maxInFlight)
	for range maxInFlight {
		s.batches <- s.newSyncBatch()
	}
	s.gate.init()
	s.c = newCommitter(s.write, !opts.NoSync, opts.MaxBatchBytes, opts.MaxBatchCount, opts.Logger.With("store", dir))
	s.c.observe = opts.OnGroupCommit // before any commit
	opts.Logger.Debug("persistence: pebble store open", "dir", dir, "sync", !opts.NoSync)
	return s, nil
}

// Commit implements Store.
func (s *PebbleStore) Commit(b *Batch, done func(error)) { s.c.commit(b, done) }

// CommitNoSync is Commit without waiting for the WAL fsync: done(nil) means
// the batch is written (readable, atomic) but durable only once a later
// synced commit (or the OS) flushes the WAL, which is written in commit
// order. For writes that can be rebuilt after a crash (replication applies
// entries of an already synced log). It shares the commit order and the
// group commits of Commit; a group holding any Commit is synced.
func (s *PebbleStore) CommitNoSync(b *Batch, done func(error)) { s.c.enqueue(b, done, true) }

// Stats implements Store.
func (s *PebbleStore) Stats() Stats { return s.c.stats() }

// Fail puts the store into fail-stop as a disk failure would, for tests of
// the fail-stop path (see MemoryStore.Fail).
func (s *PebbleStore) Fail(cause error) { s.c.fail(cause) }

// Health implements HealthChecker: nil while the store accepts writes, the
// fail-stop error (wrapping ErrFailed) after Pebble reported an error on a
// WAL write or fsync, ErrClosed after Close.
func (s *PebbleStore) Health() error { return s.c.health() }

// Close implements Store. It must not be called from a done callback or from
// a read callback.
func (s *PebbleStore) Close() error {
	s.c.close()
	s.closeOnce.Do(func() {
		s.gate.close()
		var err error
		for range maxInFlight {
			// A batch whose fsync failed is not reusable; Close reports nothing.
			if sb := <-s.batches; sb != nil {
				err = errors.Join(err, sb.pb.Close())
			}
		}
		s.closeErr = errors.Join(err, s.db.Close())
		if s.closeErr != nil {
			s.closeErr = fmt.Errorf("persistence: close: %w", s.closeErr)
		}
	})
	return s.closeErr
}

// write runs on the committer's writer goroutine. With sync it applies the
// group with ApplyNoSyncWait, which writes the WAL record and the memtable
// and returns without waiting for the fsync; the returned wait (run on the
// completer goroutine) waits for it with SyncWait. So one group's fsync runs
// while the next group is written, and Pebble's WAL writer syncs every
// record written meanwhile with its next fsync.
//
// A WAL write or fsync error comes back from SyncWait; Pebble's synchronous
// Commit would instead call Logger.Fatalf, ending the process.
func (s *PebbleStore) write(group []pending) (func() error, bool, error) {
	sb := <-s.batches // never blocks: one batch per group in flight
	if sb == nil {
		// Only after a failed fsync, when the committer writes no more.
		s.batches <- nil
		return nil, false, errors.New("persistence: no reusable batch after a failed commit")
	}
	pb := sb.pb
	for i := range group {
		p := &group[i]
		if p.err != nil || p.b == nil {
			continue
		}
		if err := s.encode(pb, p.b); err != nil {
			pb.Reset()
			s.batches <- sb
			return nil, false, err
		}
	}
	if pb.Empty() {
		s.batches <- sb
		return nil, false, nil
	}
	if !s.wo.Sync || allNoSync(group) {
		err := s.db.Apply(pb, pebble.NoSync)
		pb.Reset()
		s.batches <- sb
		return nil, err == nil, err
	}
	if err := s.db.ApplyNoSyncWait(pb, s.wo); err != nil {
		s.batches <- s.newSyncBatch()
		return nil, false, err
	}
	return sb.wait, true, nil
}

// syncBatch is a reusable Pebble batch with its wait function (made once,
// so a group commit allocates no closure).
type syncBatch struct {
	pb   *pebble.Batch
	wait func() error
}

func (s *PebbleStore) newSyncBatch() *syncBatch {
	sb := &syncBatch{pb: s.db.NewBatch(pebble.WithMaxRetainedSizeBytes(s.maxRetain))}
	sb.wait = func() error {
		if err := sb.pb.SyncWait(); err != nil {
			// Pebble does not let a batch whose commit failed be reused.
			s.batches <- nil
			return err
		}
		sb.pb.Reset()
		s.batches <- sb
		return nil
	}
	return sb
}

func (s *PebbleStore) encode(pb *pebble.Batch, b *Batch) error {
	k := s.key
	defer func() { s.key = k[:0] }()
	for _, stream := range b.DropStreams {
		k = appendJournalPrefix(k[:0], stream)
		n := len(k)
		k = appendJournalEnd(k, stream)
		if err := pb.DeleteRange(k[:n], k[n:], nil); err != nil {
			return err
		}
		k = appendSnapshotKey(k[:0], stream)
		if err := pb.Delete(k, nil); err != nil {
			return err
		}
	}
	for _, key := range b.Deletes {
		k = appendKVKey(k[:0], key)
		if err := pb.Delete(k, nil); err != nil {
			return err
		}
	}
	for i := range b.Events {
		e := &b.Events[i]
		k = appendJournalKey(k[:0], e.Stream, e.Seq)
		if err := pb.Set(k, e.Data, nil); err != nil {
			return err
		}
	}
	for i := range b.Snapshots {
		sn := &b.Snapshots[i]
		k = appendSnapshotKey(k[:0], sn.Stream)
		// The value is seq + data; SetDeferred writes it without a temporary.
		op := pb.SetDeferred(len(k), seqLen+len(sn.Data))
		copy(op.Key, k)
		binary.BigEndian.PutUint64(op.Value, sn.Seq)
		copy(op.Value[seqLen:], sn.Data)
		if err := op.Finish(); err != nil {
			return err
		}
	}
	for i := range b.Puts {
		kv := &b.Puts[i]
		k = appendKVKey(k[:0], kv.Key)
		if err := pb.Set(k, kv.Value, nil); err != nil {
			return err
		}
	}
	return encodeRaw(pb, b.Raw)
}

// LoadSnapshot implements Store.
func (s *PebbleStore) LoadSnapshot(stream string) (Snapshot, bool, error) {
	if err := checkStream(stream); err != nil {
		return Snapshot{}, false, err
	}
	if err := s.gate.enter(); err != nil {
		return Snapshot{}, false, err
	}
	defer s.gate.leave()
	v, closer, err := s.db.Get(appendSnapshotKey(nil, stream))
	if errors.Is(err, pebble.ErrNotFound) {
		return Snapshot{}, false, nil
	}
	if err != nil {
		return Snapshot{}, false, fmt.Errorf("persistence: load snapshot: %w", err)
	}
	defer closer.Close()
	if len(v) < seqLen {
		return Snapshot{}, false, fmt.Errorf("%w: snapshot of %s has %d bytes", ErrCorrupt, quoteShort(stream), len(v))
	}
	return Snapshot{
		Stream: stream,
		Seq:    binary.BigEndian.Uint64(v),
		Data:   append(make([]byte, 0, len(v)-seqLen), v[seqLen:]...),
	}, true, nil
}

// ReadRange implements Store. fn runs on the caller's goroutine while a Pebble
// iterator is open; it must not call Close.
func (s *PebbleStore) ReadRange(stream string, from, to uint64, limit int, fn func(Event) bool) error {
	if err := checkStream(stream); err != nil {
		return err
	}
	if from > to {
		return nil
	}
	lower := appendJournalKey(nil, stream, from)
	var upper []byte
	if to == ^uint64(0) {
		upper = appendJournalEnd(nil, stream)
	} else {
		upper = appendJournalKey(nil, stream, to+1)
	}
	return s.iterate(stream, lower, upper, false, true, limit, fn)
}

// ReadReverse implements Store. fn runs on the caller's goroutine while a
// Pebble iterator is open; it must not call Close.
func (s *PebbleStore) ReadReverse(stream string, before uint64, limit int, fn func(Event) bool) error {
	if err := checkStream(stream); err != nil {
		return err
	}
	if before == 0 {
		return nil
	}
	lower := appendJournalPrefix(nil, stream)
	upper := appendJournalKey(nil, stream, before)
	return s.iterate(stream, lower, upper, true, true, limit, fn)
}

// LastSeq implements Store.
func (s *PebbleStore) LastSeq(stream string) (uint64, error) {
	if err := checkStream(stream); err != nil {
		return 0, err
	}
	var last uint64
	lower := appendJournalPrefix(nil, stream)
	upper := appendJournalEnd(nil, stream)
	err := s.iterate(stream, lower, upper, true, false, 1, func(e Event) bool {
		last = e.Seq
		return false
	})
	return last, err
}

// iterate calls fn for the journal entries of stream in [lower, upper), with
// copies of their data unless keysOnly.
func (s *PebbleStore) iterate(stream string, lower, upper []byte, reverse, withData bool, limit int, fn func(Event) bool) (err error) {
	if err := s.gate.enter(); err != nil {
		return err
	}
	defer s.gate.leave()
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return fmt.Errorf("persistence: read %s: %w", quoteShort(stream), err)
	}
	defer func() {
		if cerr := it.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("persistence: read %s: %w", quoteShort(stream), cerr)
		}
	}()
	prefixLen := 1 + len(stream) + 1
	n := 0
	valid := it.First
	step := it.Next
	if reverse {
		valid, step = it.Last, it.Prev
	}
	for ok := valid(); ok; ok = step() {
		k := it.Key()
		if len(k) != prefixLen+seqLen {
			return fmt.Errorf("%w: journal key of %s has %d bytes", ErrCorrupt, quoteShort(stream), len(k))
		}
		e := Event{Stream: stream, Seq: binary.BigEndian.Uint64(k[prefixLen:])}
		if withData {
			v, err := it.ValueAndErr()
			if err != nil {
				return fmt.Errorf("persistence: read %s: %w", quoteShort(stream), err)
			}
			e.Data = make([]byte, len(v))
			copy(e.Data, v)
		}
		n++
		if !fn(e) || (limit > 0 && n >= limit) {
			return nil
		}
	}
	return it.Error()
}

// Get implements Store.
func (s *PebbleStore) Get(key string) ([]byte, bool, error) {
	if err := s.gate.enter(); err != nil {
		return nil, false, err
	}
	defer s.gate.leave()
	v, closer, err := s.db.Get(appendKVKey(nil, key))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("persistence: get: %w", err)
	}
	defer closer.Close()
	out := make([]byte, len(v))
	copy(out, v)
	return out, true, nil
}

// Scan implements Store. fn runs on the caller's goroutine while a Pebble
// iterator is open; it must not call Close.
func (s *PebbleStore) Scan(prefix string, fn func(key string, value []byte) bool) (err error) {
	if err := s.gate.enter(); err != nil {
		return err
	}
	defer s.gate.leave()
	lower := appendKVKey(nil, prefix)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(lower)})
	if err != nil {
		return fmt.Errorf("persistence: scan: %w", err)
	}
	defer func() {
		if cerr := it.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("persistence: scan: %w", cerr)
		}
	}()
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return fmt.Errorf("persistence: scan: %w", err)
		}
		val := make([]byte, len(v))
		copy(val, v)
		if !fn(string(it.Key()[1:]), val) {
			return nil
		}
	}
	return it.Error()
}

// readGate lets reads run concurrently and lets Close wait for them before
// closing the database (Pebble forbids any call after DB.Close). A read that
// starts after Close began gets ErrClosed. Reads may nest (a read inside a
// read callback) without deadlock.
type readGate struct {
	mu      sync.Mutex
	idle    sync.Cond
	readers int
	closed  bool
}

func (g *readGate) init() { g.idle.L = &g.mu }

func (g *readGate) enter() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return ErrClosed
	}
	g.readers++
	return nil
}

func (g *readGate) leave() {
	g.mu.Lock()
	g.readers--
	if g.readers == 0 && g.closed {
		g.idle.Broadcast()
	}
	g.mu.Unlock()
}

func (g *readGate) close() {
	g.mu.Lock()
	g.closed = true
	for g.readers > 0 {
		g.idle.Wait()
	}
	g.mu.Unlock()
}
