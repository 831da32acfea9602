package persistence

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

func openPebble(t testing.TB, dir string, opts Options) *PebbleStore {
	t.Helper()
	s, err := OpenPebble(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestPebbleReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenPebble(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, s, &Batch{
		Events:    append(events("g/a", 1, 10), events("g/b", 1, 5)...),
		Snapshots: []Snapshot{{Stream: "g/a", Seq: 8, Data: []byte("snap-a")}, {Stream: "g/b", Seq: 5, Data: []byte("snap-b")}},
		Puts:      []KV{{"u/alice", []byte("1")}, {"u/bob", []byte("2")}, {"u/carol", []byte("3")}},
	})
	mustCommit(t, s, &Batch{DropStreams: []string{"g/b"}, Deletes: []string{"u/bob"}, Events: events("g/a", 11, 12)})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openPebble(t, dir, Options{})
	got := readRange(t, s, "g/a", 0, math.MaxUint64, 0)
	wantSeqs(t, "g/a after reopen", got, seqRange(1, 12))
	checkEvents(t, "g/a after reopen", got, "g/a")
	if n := lastSeq(t, s, "g/b"); n != 0 {
		t.Fatalf("dropped stream has LastSeq %d after reopen", n)
	}
	if sn, ok, err := s.LoadSnapshot("g/a"); err != nil || !ok || sn.Seq != 8 || string(sn.Data) != "snap-a" {
		t.Fatalf("snapshot after reopen: %+v ok=%v err=%v", sn, ok, err)
	}
	if _, ok, _ := s.LoadSnapshot("g/b"); ok {
		t.Fatal("dropped snapshot back after reopen")
	}
	if got := keys(scanAll(t, s, "u/")); strings.Join(got, ",") != "u/alice,u/carol" {
		t.Fatalf("KV after reopen: %q", got)
	}
	// The reopened store keeps working.
	mustCommit(t, s, &Batch{Events: events("g/a", 13, 13)})
	if n := lastSeq(t, s, "g/a"); n != 13 {
		t.Fatalf("LastSeq %d", n)
	}
}

func TestPebbleDirLocked(t *testing.T) {
	dir := t.TempDir()
	openPebble(t, dir, Options{})
	if s, err := OpenPebble(dir, Options{}); err == nil {
		_ = s.Close()
		t.Fatal("second OpenPebble of one directory succeeded")
	}
}

// ---- crash consistency ----

const crashWriters = 4

// crashBatch is batch i (from 1) of writer w: two events, the snapshot at the
// second, and a KV entry, all of which must survive or vanish together.
func crashBatch(w int, i uint64) *Batch {
	stream := fmt.Sprintf("w%d", w)
	return &Batch{
		Events:    events(stream, 2*i-1, 2*i),
		Snapshots: []Snapshot{{Stream: stream, Seq: 2 * i, Data: payload("snap/"+stream, 2*i)}},
		Puts:      []KV{{Key: fmt.Sprintf("%s/%08d", stream, i), Value: payload("kv/"+stream, i)}},
	}
}

// checkCrashState checks that the store holds, for each writer, exactly its
// batches 1..n for some n >= acked[w]: nothing acknowledged lost, no batch
// half there, no gap. It returns the n of each writer.
func checkCrashState(s Store, acked []uint64) ([]uint64, error) {
	found := make([]uint64, len(acked))
	for w := range acked {
		stream := fmt.Sprintf("w%d", w)
		last, err := s.LastSeq(stream)
		if err != nil {
			return nil, err
		}
		if last%2 != 0 {
			return nil, fmt.Errorf("%s: LastSeq %d is odd: half a batch", stream, last)
		}
		n := last / 2
		found[w] = n
		if n < acked[w] {
			return nil, fmt.Errorf("%s: %d batches recovered, %d were acknowledged", stream, n, acked[w])
		}
		var seq uint64
		err = s.ReadRange(stream, 0, math.MaxUint64, 0, func(e Event) bool {
			seq++
			if e.Seq != seq || !bytes.Equal(e.Data, payload(stream, seq)) {
				err = fmt.Errorf("%s: event %d (%q) where %d was expected", stream, e.Seq, e.Data, seq)
				return false
			}
			return true
		})
		if err != nil {
			return nil, err
		}
		if seq != last {
			return nil, fmt.Errorf("%s: %d events, LastSeq %d", stream, seq, last)
		}
		sn, ok, err := s.LoadSnapshot(stream)
		if err != nil {
			return nil, err
		}
		if ok != (n > 0) || (ok && (sn.Seq != last || !bytes.Equal(sn.Data, payload("snap/"+stream, last)))) {
			return nil, fmt.Errorf("%s: snapshot ok=%v seq=%d, LastSeq %d", stream, ok, sn.Seq, last)
		}
		var i uint64
		err = s.Scan(stream+"/", func(k string, v []byte) bool {
			i++
			if k != fmt.Sprintf("%s/%08d", stream, i) || !bytes.Equal(v, payload("kv/"+stream, i)) {
				err = fmt.Errorf("%s: KV %q where %d was expected", stream, k, i)
				return false
			}
			return true
		})
		if err != nil {
			return nil, err
		}
		if i != n {
			return nil, fmt.Errorf("%s: %d KV entries, %d batches", stream, i, n)
		}
	}
	return found, nil
}

// crashWorkload commits batches from crashWriters goroutines, each with up
// to 16 in flight, and records which were acknowledged.
type crashWorkload struct {
	ackMu  sync.Mutex
	acked  []uint64
	total  int
	notify chan struct{} // a send after each acknowledgement, dropped if full
	stop   atomic.Bool
	wg     sync.WaitGroup
}

func startCrashWorkload(t *testing.T, s Store) *crashWorkload {
	w := &crashWorkload{acked: make([]uint64, crashWriters), notify: make(chan struct{}, 1)}
	for wr := 0; wr < crashWriters; wr++ {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			sem := make(chan struct{}, 16)
			for i := uint64(1); !w.stop.Load(); i++ {
				sem <- struct{}{}
				s.Commit(crashBatch(wr, i), func(err error) {
					w.ackMu.Lock()
					if err != nil {
						t.Errorf("writer %d batch %d: %v", wr, i, err)
					} else {
						if w.acked[wr] != i-1 {
							t.Errorf("writer %d: ack %d after %d", wr, i, w.acked[wr])
						}
						w.acked[wr] = i
						w.total++
					}
					w.ackMu.Unlock()
					select {
					case w.notify <- struct{}{}:
					default:
					}
					<-sem
				})
			}
		}()
	}
	return w
}

// ackedNow returns the acknowledged count of each writer.
func (w *crashWorkload) ackedNow() []uint64 {
	w.ackMu.Lock()
	defer w.ackMu.Unlock()
	return append([]uint64(nil), w.acked...)
}

func (w *crashWorkload) waitAcks(t *testing.T, n int) {
	deadline := time.After(20 * time.Second)
	for {
		w.ackMu.Lock()
		total := w.total
		w.ackMu.Unlock()
		if total >= n {
			return
		}
		select {
		case <-w.notify:
		case <-deadline:
			t.Fatalf("only %d of %d acknowledgements", total, n)
		}
	}
}

// finish stops the writers and closes s (which drains their commits).
func (w *crashWorkload) finish(t *testing.T, s Store) {
	w.stop.Store(true)
	w.wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// syncHookFS calls hook before every sync of a WAL file (*.log).
type syncHookFS struct {
	vfs.FS
	hook func()
}

func (fs *syncHookFS) wrap(name string, f vfs.File, err error) (vfs.File, error) {
	if err != nil || !strings.HasSuffix(name, ".log") {
		return f, err
	}
	return &syncHookFile{File: f, hook: fs.hook}, nil
}

func (fs *syncHookFS) Create(name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, c)
	return fs.wrap(name, f, err)
}

func (fs *syncHookFS) ReuseForWrite(oldname, newname string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(oldname, newname, c)
	return fs.wrap(newname, f, err)
}

func (fs *syncHookFS) OpenReadWrite(name string, c vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	f, err := fs.FS.OpenReadWrite(name, c, opts...)
	return fs.wrap(name, f, err)
}

type syncHookFile struct {
	vfs.File
	hook func()
}

func (f *syncHookFile) Sync() error {
	f.hook()
	return f.File.Sync()
}

func (f *syncHookFile) SyncData() error {
	f.hook()
	return f.File.SyncData()
}

func (f *syncHookFile) SyncTo(length int64) (bool, error) {
	f.hook()
	return f.File.SyncTo(length)
}

func TestPebbleCrashKeepsAcknowledged(t *testing.T) {
	const rounds = 16
	var extra atomic.Int64 // rounds that recovered unacknowledged batches
	t.Cleanup(func() {
		t.Logf("%d of %d rounds also recovered batches that were not acknowledged at the crash", extra.Load(), rounds)
	})
	for r := 0; r < rounds; r++ {
		// Even rounds crash at a random moment while writes go on; odd
		// rounds crash inside a WAL sync, with the group being synced
		// written but not yet durable. The last two rounds keep none and
		// all of the unsynced data; the others keep half.
		pct := 50
		switch r {
		case rounds - 2:
			pct = 0
		case rounds - 1:
			pct = 100
		}
		inSync := r%2 == 1
		t.Run(fmt.Sprintf("round%d-unsynced%d-insync%v", r, pct, inSync), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(r), 42))
			mem := vfs.NewCrashableMem()
			type crash struct {
				acked []uint64
				fs    *vfs.MemFS
			}
			crashed := make(chan crash, 1)
			var wl atomic.Pointer[crashWorkload]
			var syncs atomic.Int64
			crashAt := int64(10 + rng.IntN(40))
			fs := &syncHookFS{FS: mem, hook: func() {
				w := wl.Load()
				if !inSync || w == nil || syncs.Add(1) != crashAt {
					return
				}
				// Every acknowledged batch was synced by an earlier sync.
				acked := w.ackedNow()
				crashed <- crash{acked, mem.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: pct, RNG: rng})}
			}}
			s, err := OpenPebble("db", Options{FS: fs})
			if err != nil {
				t.Fatal(err)
			}
			w := startCrashWorkload(t, s)
			wl.Store(w)
			if !inSync {
				w.waitAcks(t, 100+rng.IntN(1000))
				// Take the acknowledged counts, then crash while the writers
				// and the committer keep going.
				acked := w.ackedNow()
				crashed <- crash{acked, mem.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: pct, RNG: rng})}
			}
			c := waitChan(t, crashed, "crash")
			w.finish(t, s)

			s2 := openPebble(t, "db", Options{FS: c.fs})
			found, err := checkCrashState(s2, c.acked)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("acknowledged %v, recovered %v", c.acked, found)
			for i := range found {
				if found[i] > c.acked[i] {
					extra.Add(1)
					break
				}
			}
			// The recovered store accepts new writes after its last batch.
			mustCommit(t, s2, crashBatch(0, found[0]+1))
			if _, err := checkCrashState(s2, []uint64{found[0] + 1, 0, 0, 0}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestCrashCheckDetectsNoSync shows the crash check can fail: with NoSync,
// acknowledged batches are lost in a crash that keeps no unsynced data.
func TestCrashCheckDetectsNoSync(t *testing.T) {
	fs := vfs.NewCrashableMem()
	s := openPebble(t, "db", Options{FS: fs, NoSync: true})
	acked := make([]uint64, crashWriters)
	for i := uint64(1); i <= 20; i++ {
		mustCommit(t, s, crashBatch(0, i))
	}
	acked[0] = 20
	if st := s.Stats(); st.Fsyncs != 0 || st.Groups == 0 {
		t.Fatalf("NoSync stats %+v", st)
	}
	crashed := fs.CrashClone(vfs.CrashCloneCfg{})
	s2 := openPebble(t, "db", Options{FS: crashed})
	if _, err := checkCrashState(s2, acked); err == nil {
		t.Fatal("crash check passed although NoSync commits were never synced")
	} else {
		t.Logf("crash check failed as expected: %v", err)
	}
	// Control: the same writes with sync survive the same crash.
	fs = vfs.NewCrashableMem()
	s3 := openPebble(t, "db", Options{FS: fs})
	for i := uint64(1); i <= 20; i++ {
		mustCommit(t, s3, crashBatch(0, i))
	}
	s4 := openPebble(t, "db", Options{FS: fs.CrashClone(vfs.CrashCloneCfg{})})
	if _, err := checkCrashState(s4, acked); err != nil {
		t.Fatal(err)
	}
}

// TestCrashCheckDetectsPartialBatch shows the crash check catches a batch
// that is only partly there.
func TestCrashCheckDetectsPartialBatch(t *testing.T) {
	for _, part := range []func(b *Batch){
		func(b *Batch) { b.Snapshots = nil },
		func(b *Batch) { b.Puts = nil },
		func(b *Batch) { b.Events = b.Events[:1] },
		func(b *Batch) { b.Events = nil },
	} {
		s := NewMemory()
		for i := uint64(1); i <= 3; i++ {
			mustCommit(t, s, crashBatch(1, i))
		}
		b := crashBatch(1, 4)
		part(b)
		mustCommit(t, s, b)
		if _, err := checkCrashState(s, []uint64{0, 3, 0, 0}); err == nil {
			t.Fatalf("partial batch %+v not detected", b)
		}
		_ = s.Close()
	}
}

// ---- group commit ----

func TestPebbleGroupCommitUnderLoad(t *testing.T) {
	s := openPebble(t, t.TempDir(), Options{})
	const G, N = 64, 40
	var wg sync.WaitGroup
	for g := 0; g < G; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stream := fmt.Sprintf("load/%d", g)
			for i := uint64(1); i <= N; i++ {
				if err := CommitSync(s, &Batch{Events: events(stream, i, i)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	st := s.Stats()
	t.Logf("%d commits by %d goroutines: %+v (%.1f batches per fsync)", G*N, G, st, float64(st.Batches)/float64(st.Fsyncs))
	if st.Commits != G*N || st.Batches != G*N || st.Events != G*N {
		t.Fatalf("stats %+v", st)
	}
	if st.Fsyncs == 0 || st.Fsyncs != st.Groups {
		t.Fatalf("fsyncs %d, groups %d", st.Fsyncs, st.Groups)
	}
	if st.Fsyncs >= st.Commits {
		t.Fatalf("no group commit: %d fsyncs for %d commits", st.Fsyncs, st.Commits)
	}
}

func TestPebbleGroupBounds(t *testing.T) {
	data := bytes.Repeat([]byte("d"), 380) // one event is ~404 bytes encoded
	one := func(i uint64) *Batch { return &Batch{Events: []Event{{Stream: "gb", Seq: i, Data: data}}} }
	for _, tc := range []struct {
		name       string
		opts       Options
		n          int
		wantGroups uint64
	}{
		{"count3", Options{MaxBatchCount: 3}, 30, 10},
		{"count1", Options{MaxBatchCount: 1}, 7, 7},
		{"bytes1000", Options{MaxBatchBytes: 1000}, 30, 15},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.FS = vfs.NewMem()
			s := openPebble(t, "db", tc.opts)
			release := stall(t, s)
			before := s.Stats()
			var wg sync.WaitGroup
			wg.Add(tc.n)
			for i := 1; i <= tc.n; i++ {
				s.Commit(one(uint64(i)), func(err error) {
					if err != nil {
						t.Error(err)
					}
					wg.Done()
				})
			}
			release()
			wg.Wait()
			if d := s.Stats().Groups - before.Groups; d != tc.wantGroups {
				t.Fatalf("%d batches took %d groups, want %d", tc.n, d, tc.wantGroups)
			}
			wantSeqs(t, "all", readRange(t, s, "gb", 0, math.MaxUint64, 0), seqRange(1, uint64(tc.n)))
		})
	}
	// A batch larger than MaxBatchBytes is committed, alone.
	s := openPebble(t, "big", Options{FS: vfs.NewMem(), MaxBatchBytes: 1000})
	big := &Batch{Events: []Event{{Stream: "big", Seq: 1, Data: bytes.Repeat([]byte("b"), 5000)}}}
	release := stall(t, s)
	before := s.Stats()
	var wg sync.WaitGroup
	wg.Add(3)
	for _, b := range []*Batch{one(1), big, one(2)} {
		s.Commit(b, func(err error) {
			if err != nil {
				t.Error(err)
			}
			wg.Done()
		})
	}
	release()
	wg.Wait()
	if d := s.Stats().Groups - before.Groups; d != 3 {
		t.Fatalf("oversized batch: %d groups, want 3", d)
	}
	if got := readRange(t, s, "big", 1, 1, 0); len(got) != 1 || len(got[0].Data) != 5000 {
		t.Fatalf("big event: %d events", len(got))
	}
}

// ---- reads and Close ----

func TestPebbleCloseWaitsForReaders(t *testing.T) {
	s, err := OpenPebble("db", Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, s, &Batch{Events: events("r", 1, 3)})
	closed := make(chan error, 1)
	var nestedErr error
	var n int
	err = s.ReadRange("r", 0, 10, 0, func(e Event) bool {
		n++
		if n == 1 {
			go func() { closed <- s.Close() }()
			// A nested read works until Close starts, then gets ErrClosed
			// (no deadlock); Close itself must wait for this read.
			deadline := time.Now().Add(20 * time.Second)
			for nestedErr == nil && time.Now().Before(deadline) {
				_, _, nestedErr = s.Get("x")
			}
			select {
			case <-closed:
				t.Error("Close returned during a read")
			default:
			}
		}
		return true
	})
	if err != nil || n != 3 {
		t.Fatalf("read during Close: n=%d err=%v", n, err)
	}
	if !errors.Is(nestedErr, ErrClosed) {
		t.Fatalf("nested read while closing: %v", nestedErr)
	}
	if err := waitChan(t, closed, "Close"); err != nil {
		t.Fatal(err)
	}
}

// ---- options and logging ----

func TestOptions(t *testing.T) {
	d := DefaultOptions()
	if d.FS != vfs.Default || d.Logger == nil || d.MaxBatchBytes != 4<<20 || d.MaxBatchCount != 4096 || d.NoSync || d.CacheSize != 64<<20 {
		t.Fatalf("defaults %+v", d)
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (Options{}).Validate(); err != nil {
		t.Fatalf("zero options: %v", err)
	}
	for _, o := range []Options{{MaxBatchBytes: -1}, {MaxBatchBytes: 65 << 20}, {MaxBatchCount: -1}, {CacheSize: -1}} {
		if err := o.Validate(); !errors.Is(err, ErrInvalidOptions) {
			t.Fatalf("%+v: %v", o, err)
		}
		if _, err := OpenPebble(t.TempDir(), o); !errors.Is(err, ErrInvalidOptions) {
			t.Fatalf("OpenPebble %+v: %v", o, err)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func TestPebbleLogger(t *testing.T) {
	var buf syncBuffer
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := openPebble(t, "db", Options{FS: vfs.NewMem(), Logger: l})
	mustCommit(t, s, &Batch{Events: events("l", 1, 1)})
	pl := pebbleLogger{l: l}
	pl.Infof("hello %d", 1)
	pl.Errorf("trouble %s", "here")
	out := buf.String()
	for _, want := range []string{"pebble store open", `level=INFO msg="hello 1" component=pebble`, `level=ERROR msg="trouble here" component=pebble`} {
		if !strings.Contains(out, want) {
			t.Fatalf("log lacks %q:\n%s", want, out)
		}
	}
}

const fatalChildEnv = "PERSISTENCE_TEST_FATALF_CHILD"

// fatalfChild runs in a child process (see TestMain).
func fatalfChild() {
	pebbleLogger{l: slog.New(slog.NewTextHandler(os.Stdout, nil))}.Fatalf("boom %d", 7)
	os.Exit(3) // not reached: Fatalf must not return
}

func TestPebbleLoggerFatalfExits(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fatalChildEnv+"=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("child: %v, want exit status 1; stdout %q stderr %q", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), `level=ERROR msg="boom 7"`) {
		t.Fatalf("Fatalf did not log at error: %q", stdout.String())
	}
	if !strings.Contains(stderr.String(), "pebble fatal error: boom 7") {
		t.Fatalf("Fatalf did not write stderr: %q", stderr.String())
	}
}
