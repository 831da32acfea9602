package persistence

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// The crash-clone test: writers commit concurrently to many streams through
// the group-commit pipeline while the test takes crash clones of the file
// system (vfs.NewCrashableMem, losing some or all unsynced data) at random
// moments and inside WAL fsyncs. Every clone is reopened and checked: every
// batch whose done reported success is there, whole; no batch is partly
// there; each writer's batches form a prefix of its commit order.
//
// Size: PERSISTENCE_CRASH_CLONES clones (default 300), in rounds of
// cloneRound clones per database.

const (
	cloneWriters       = 4
	cloneStreams       = 8 // per writer
	cloneRound         = 20
	cloneMaxStep       = 40 // most batches allowed between two clones
	cloneInFlight      = 16 // per writer
	defaultCrashClones = 300
)

func cloneStream(w, j int) string { return fmt.Sprintf("c%d/%d", w, j) }

// cloneBatch is batch i (from 1) of writer w: two events of stream
// (i-1)%cloneStreams with the snapshot at the second, a KV record of its
// own, and an overwrite of the writer's "last" key.
func cloneBatch(w int, i uint64) *Batch {
	j := int((i - 1) % cloneStreams)
	k := (i-1)/cloneStreams + 1 // the stream's k-th batch
	st := cloneStream(w, j)
	return &Batch{
		Events:    events(st, 2*k-1, 2*k),
		Snapshots: []Snapshot{{Stream: st, Seq: 2 * k, Data: payload("snap/"+st, 2*k)}},
		Puts: []KV{
			{Key: fmt.Sprintf("c%d/b/%08d", w, i), Value: payload(fmt.Sprintf("kv/c%d", w), i)},
			{Key: fmt.Sprintf("c%d/last", w), Value: binary.BigEndian.AppendUint64(nil, i)},
		},
	}
}

// checkCloneState checks a recovered store against the acknowledged counts
// and returns the recovered count of each writer.
func checkCloneState(s Store, acked []uint64) ([]uint64, error) {
	found := make([]uint64, len(acked))
	for w := range acked {
		var n uint64
		var err error
		if serr := s.Scan(fmt.Sprintf("c%d/b/", w), func(k string, v []byte) bool {
			n++
			if k != fmt.Sprintf("c%d/b/%08d", w, n) || !bytes.Equal(v, payload(fmt.Sprintf("kv/c%d", w), n)) {
				err = fmt.Errorf("writer %d: KV %q where batch %d was expected: a gap", w, k, n)
				return false
			}
			return true
		}); serr != nil {
			return nil, serr
		}
		if err != nil {
			return nil, err
		}
		found[w] = n
		if n < acked[w] {
			return nil, fmt.Errorf("writer %d: %d batches recovered, %d were acknowledged", w, n, acked[w])
		}
		v, ok, err := s.Get(fmt.Sprintf("c%d/last", w))
		if err != nil {
			return nil, err
		}
		if ok != (n > 0) || (ok && (len(v) != 8 || binary.BigEndian.Uint64(v) != n)) {
			return nil, fmt.Errorf("writer %d: last=%x ok=%v with %d batches: half a batch", w, v, ok, n)
		}
		for j := range cloneStreams {
			st := cloneStream(w, j)
			var k uint64 // batches of stream j among 1..n
			if n > uint64(j) {
				k = (n-uint64(j)-1)/cloneStreams + 1
			}
			// One read per stream (LastSeq is not called: under -race each
			// Pebble read costs about a millisecond).
			last := 2 * k
			var seq uint64
			err := s.ReadRange(st, 0, math.MaxUint64, 0, func(e Event) bool {
				seq++
				if e.Seq != seq || !bytes.Equal(e.Data, payload(st, seq)) {
					err = fmt.Errorf("%s: event %d (%q) where %d was expected", st, e.Seq, e.Data, seq)
					return false
				}
				return true
			})
			if err != nil {
				return nil, err
			}
			if seq != last {
				return nil, fmt.Errorf("%s: %d events, want %d (writer has %d batches): half a batch", st, seq, last, n)
			}
			sn, ok, err := s.LoadSnapshot(st)
			if err != nil {
				return nil, err
			}
			if ok != (k > 0) || (ok && (sn.Seq != last || !bytes.Equal(sn.Data, payload("snap/"+st, last)))) {
				return nil, fmt.Errorf("%s: snapshot ok=%v seq=%d, LastSeq %d", st, ok, sn.Seq, last)
			}
		}
	}
	return found, nil
}

// cloneWorkload runs cloneWriters writers, each with cloneInFlight commits
// in flight, and counts acknowledgements.
type cloneWorkload struct {
	mu    sync.Mutex
	acked []uint64
	total int
	cond  sync.Cond
	grant chan struct{} // one token per batch the writers may commit
	stop  chan struct{}
	wg    sync.WaitGroup
}

// allow lets the writers commit n more batches in all.
func (w *cloneWorkload) allow(n int) {
	for range n {
		w.grant <- struct{}{}
	}
}

func startCloneWorkload(t *testing.T, s Store) *cloneWorkload {
	w := &cloneWorkload{acked: make([]uint64, cloneWriters), grant: make(chan struct{}, 1<<16), stop: make(chan struct{})}
	w.cond.L = &w.mu
	for wr := range cloneWriters {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			sem := make(chan struct{}, cloneInFlight)
			for i := uint64(1); i < 1e7; i++ {
				select {
				case <-w.grant:
				case <-w.stop:
					return
				}
				sem <- struct{}{}
				s.Commit(cloneBatch(wr, i), func(err error) {
					w.mu.Lock()
					if err != nil {
						t.Errorf("writer %d batch %d: %v", wr, i, err)
					} else if w.acked[wr] != i-1 {
						t.Errorf("writer %d: ack %d after %d", wr, i, w.acked[wr])
					} else {
						w.acked[wr] = i
						w.total++
					}
					w.mu.Unlock()
					w.cond.Broadcast()
					<-sem
				})
			}
		}()
	}
	return w
}

func (w *cloneWorkload) ackedNow() []uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]uint64(nil), w.acked...)
}

// waitTotal waits until at least n batches were acknowledged in all, for at
// most 20 s.
func (w *cloneWorkload) waitTotal(t *testing.T, n int) {
	t.Helper()
	expired := false
	timer := time.AfterFunc(20*time.Second, func() {
		w.mu.Lock()
		expired = true
		w.mu.Unlock()
		w.cond.Broadcast()
	})
	defer timer.Stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.total < n && !expired {
		w.cond.Wait()
	}
	if w.total < n {
		t.Fatalf("only %d of %d acknowledgements", w.total, n)
	}
}

func crashClones(t *testing.T) int {
	n := defaultCrashClones
	if v := os.Getenv("PERSISTENCE_CRASH_CLONES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("PERSISTENCE_CRASH_CLONES=%q: want a positive number", v)
		}
	}
	return n
}

// TestPebbleCrashClones: run with PERSISTENCE_CRASH_CLONES=3000 for a longer
// run; PERSISTENCE_CRASH_SEED replays the random choices of a logged seed
// (the crash points also depend on goroutine timing).
func TestPebbleCrashClones(t *testing.T) {
	total := crashClones(t)
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("PERSISTENCE_CRASH_SEED"); v != "" { // to replay a failure
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("PERSISTENCE_CRASH_SEED=%q: %v", v, err)
		}
	}
	t.Logf("seed %d, %d clones", seed, total)
	rng := rand.New(rand.NewPCG(seed, 7))
	start := time.Now()
	var inSync, extra, acks, recovered int
	for done := 0; done < total; {
		n := min(cloneRound, total-done)
		r, err := runCloneRound(t, rng, n, Options{}, true)
		if err != nil {
			t.Fatal(err)
		}
		done += n
		inSync += r.inSync
		extra += r.extra
		acks += r.maxAcked
		recovered += r.maxFound
		if t.Failed() {
			return
		}
	}
	t.Logf("%d clones (%d inside a WAL fsync) of %d databases checked in %v; %d clones also had unacknowledged batches; acknowledged at the last clone of each round %d in all, recovered %d",
		total, inSync, (total+cloneRound-1)/cloneRound, time.Since(start).Round(time.Millisecond), extra, acks, recovered)
}

type cloneRoundResult struct {
	inSync, extra      int
	maxAcked, maxFound int
}

type crashPoint struct {
	acked []uint64
	fs    *vfs.MemFS
}

// runCloneRound takes n crash clones of one database under load and returns
// the first clone that fails the check as an error.
// With syncPoints, about half the clones are taken inside a WAL fsync.
func runCloneRound(t *testing.T, rng *rand.Rand, n int, opts Options, syncPoints bool) (res cloneRoundResult, _ error) {
	mem := vfs.NewCrashableMem()
	var wl atomic.Pointer[cloneWorkload]
	var armed atomic.Pointer[chan crashPoint] // a clone to take in the next WAL fsync
	var cloneMu sync.Mutex                    // rng is not safe for concurrent use
	clone := func(w *cloneWorkload) crashPoint {
		// Acknowledged before the clone starts: must all be in it.
		acked := w.ackedNow()
		cloneMu.Lock()
		defer cloneMu.Unlock()
		pct := []int{0, 50, 100, rng.IntN(101)}[rng.IntN(4)]
		return crashPoint{acked, mem.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: pct, RNG: rng})}
	}
	fs := &syncHookFS{FS: mem, hook: func() {
		if p := armed.Swap(nil); p != nil {
			*p <- clone(wl.Load())
		}
	}}
	opts.FS = fs
	s, err := OpenPebble("db", opts)
	if err != nil {
		t.Fatal(err)
	}
	w := startCloneWorkload(t, s)
	wl.Store(w)
	defer func() {
		close(w.stop)
		w.wg.Wait()
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}()
	for c := 0; c < n; c++ {
		var cp crashPoint
		cloneMu.Lock()
		more, syncPoint := 1+rng.IntN(cloneMaxStep), syncPoints && rng.IntN(2) == 0
		cloneMu.Unlock()
		if syncPoint {
			// Crash inside the next WAL fsync, with the group being synced
			// written but not yet acknowledged.
			ch := make(chan crashPoint, 1)
			armed.Store(&ch)
			w.allow(more)
			cp = waitChan(t, ch, "a WAL fsync")
			res.inSync++
		} else {
			// Crash at a random point: after some of the allowed batches
			// were acknowledged, while the others are in flight.
			cloneMu.Lock()
			some := 1 + rng.IntN(more)
			cloneMu.Unlock()
			base := w.ackedTotal()
			w.allow(more)
			w.waitTotal(t, base+some)
			cp = clone(w)
		}
		s2, err := OpenPebble("db", Options{FS: cp.fs})
		if err != nil {
			t.Fatalf("clone %d: reopen: %v", c, err)
		}
		found, err := checkCloneState(s2, cp.acked)
		if cerr := s2.Close(); cerr != nil && err == nil {
			err = cerr
		}
		if err != nil {
			return res, fmt.Errorf("clone %d (acknowledged %v): %w", c, cp.acked, err)
		}
		for i := range found {
			if found[i] > cp.acked[i] {
				res.extra++
				break
			}
		}
		if c == n-1 {
			for i := range found {
				res.maxAcked += int(cp.acked[i])
				res.maxFound += int(found[i])
			}
		}
	}
	return res, nil
}

func (w *cloneWorkload) ackedTotal() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.total
}

// TestCrashClonesDetectNoSync shows the clone check can fail: with NoSync,
// acknowledged batches are lost by clones that keep no unsynced data.
func TestCrashClonesDetectNoSync(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		if _, err := runCloneRound(t, rng, cloneRound, Options{NoSync: true}, false); err != nil {
			t.Logf("detected as expected: %v", err)
			return
		}
	}
	t.Fatal("20 rounds of NoSync commits passed the clone check")
}

// TestCloneCheckDetectsPartialBatch shows the clone check catches a batch
// that is only partly there, or a missing one.
func TestCloneCheckDetectsPartialBatch(t *testing.T) {
	for _, tc := range []struct {
		part  func(b *Batch)
		after bool // commit the next batch too
	}{
		{func(b *Batch) { b.Snapshots = nil }, false},
		{func(b *Batch) { b.Puts = b.Puts[:1] }, false},
		{func(b *Batch) { b.Puts = b.Puts[1:] }, false},
		{func(b *Batch) { b.Events = b.Events[:1] }, false},
		{func(b *Batch) { b.Events = b.Events[:1] }, true},
		{func(b *Batch) { *b = Batch{} }, true},
	} {
		s := NewMemory()
		for i := uint64(1); i <= 11; i++ {
			mustCommit(t, s, cloneBatch(1, i))
		}
		b := cloneBatch(1, 12)
		tc.part(b)
		mustCommit(t, s, b)
		if tc.after {
			mustCommit(t, s, cloneBatch(1, 13))
		}
		if _, err := checkCloneState(s, []uint64{0, 11, 0, 0}); err == nil {
			t.Fatalf("partial batch %+v not detected", b)
		}
		_ = s.Close()
	}
}
