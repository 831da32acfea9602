package persistence

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
)

// walFault is the kind of WAL operation a faultyFS fails.
type walFault int

const (
	faultWrite walFault = 1 << iota // writes to a WAL file
	faultSync                       // fsyncs of a WAL file
)

// faultyFS wraps base with errorfs. Once breakDisk(cause) is called, every
// write to and every sync of a Pebble WAL file fails with cause.
func faultyFS(base vfs.FS) (fs vfs.FS, breakDisk func(cause error)) {
	return faultyFSOn(base, faultWrite|faultSync)
}

func faultyFSOn(base vfs.FS, kinds walFault) (vfs.FS, func(cause error)) {
	var cause atomic.Pointer[error]
	inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
		p := cause.Load()
		if p == nil || !strings.HasSuffix(op.Path, ".log") {
			return nil
		}
		switch op.Kind {
		case errorfs.OpFileWrite, errorfs.OpFileWriteAt:
			if kinds&faultWrite != 0 {
				return *p
			}
		case errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo, errorfs.OpFileFlush:
			if kinds&faultSync != 0 {
				return *p
			}
		}
		return nil
	})
	return errorfs.Wrap(base, inj), func(err error) { cause.Store(&err) }
}

func wantFailStop(t *testing.T, what string, err, cause error) {
	t.Helper()
	if !errors.Is(err, ErrFailed) || !errors.Is(err, cause) {
		t.Fatalf("%s: %v, want an error wrapping ErrFailed and %v", what, err, cause)
	}
}

func testHealth(t *testing.T, s Store) {
	if _, ok := s.(HealthChecker); !ok {
		t.Fatalf("%T does not implement HealthChecker", s)
	}
	if err := Health(s); err != nil {
		t.Fatalf("fresh store: Health %v", err)
	}
	mustCommit(t, s, &Batch{Events: events("h", 1, 2)})
	_ = CommitSync(s, &Batch{Events: []Event{{Stream: ""}}}) // validation errors do not fail the store
	if err := Health(s); err != nil {
		t.Fatalf("after commits: Health %v", err)
	}
	if st := s.Stats(); st.FailStops != 0 || st.Refused != 0 {
		t.Fatalf("healthy store stats %+v", st)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := Health(s); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: Health %v, want ErrClosed", err)
	}
}

// testFailStop: once the disk fails, the store acknowledges nothing more,
// says so through Health and Stats, and keeps serving what it acknowledged.
func testFailStop(t *testing.T, s Store, breakDisk func(cause error)) {
	mustCommit(t, s, &Batch{Events: events("fs", 1, 3), Puts: []KV{{"fs/k", []byte("v")}}, Snapshots: []Snapshot{{Stream: "fs", Seq: 3, Data: []byte("s3")}}})
	before := s.Stats()
	cause := syscall.ENOSPC
	breakDisk(cause)
	wantFailStop(t, "first commit after the disk broke", CommitSync(s, &Batch{Events: events("fs", 4, 5)}), cause)
	wantFailStop(t, "Health", Health(s), cause)

	// Every later commit is refused, in order, never on the caller's goroutine.
	const n = 20
	errs := make([]error, n)
	order := make(chan int, n)
	caller := goid()
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		s.Commit(&Batch{Events: events("fs", uint64(6+i), uint64(6+i))}, func(err error) {
			if goid() == caller {
				t.Error("done on the caller's goroutine")
			}
			errs[i] = err
			order <- i
			wg.Done()
		})
	}
	wg.Wait()
	close(order)
	next := 0
	for i := range order {
		if i != next {
			t.Fatalf("refusal %d delivered in place %d", i, next)
		}
		next++
	}
	for i, err := range errs {
		wantFailStop(t, fmt.Sprintf("commit %d after the failure", i), err, cause)
	}
	// A batch refused by validation keeps its own error.
	if err := CommitSync(s, &Batch{Events: []Event{{Stream: ""}}}); !errors.Is(err, ErrInvalidStream) {
		t.Fatalf("invalid batch after the failure: %v", err)
	}
	// The first failure sticks: a second fault changes nothing.
	breakDisk(syscall.EIO)
	wantFailStop(t, "commit after a second fault", CommitSync(s, &Batch{Puts: []KV{{"x", nil}}}), cause)

	st := s.Stats()
	if st.FailStops != 1 || st.Refused < n+1 || st.Failed-before.Failed < n+3 || st.Batches != before.Batches || st.QueuedBatches != 0 {
		t.Fatalf("stats after the failure %+v (before %+v)", st, before)
	}

	// What was acknowledged is still readable.
	got := readRange(t, s, "fs", 1, 3, 0)
	wantSeqs(t, "acknowledged events", got, seqRange(1, 3))
	checkEvents(t, "acknowledged events", got, "fs")
	if v, ok, err := s.Get("fs/k"); err != nil || !ok || string(v) != "v" {
		t.Fatalf("Get after the failure: %q %v %v", v, ok, err)
	}
	if sn, ok, err := s.LoadSnapshot("fs"); err != nil || !ok || sn.Seq != 3 {
		t.Fatalf("LoadSnapshot after the failure: %+v %v %v", sn, ok, err)
	}
	if n, err := s.LastSeq("fs"); err != nil || n < 3 {
		t.Fatalf("LastSeq after the failure: %d %v", n, err)
	}
	if len(scanAll(t, s, "fs/")) != 1 {
		t.Fatal("Scan after the failure")
	}
	_ = s.Close() // may report the engine's error
	wantFailStop(t, "Health after Close", Health(s), cause)
	if err := CommitSync(s, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("commit after Close: %v", err)
	}
}

// failWorkload is crashWorkload that tolerates errors: it records them and
// checks that no batch of a writer succeeds after one of its batches failed.
func startFailWorkload(t *testing.T, s Store) (w *crashWorkload, errs *atomic.Int64) {
	errs = new(atomic.Int64)
	w = &crashWorkload{acked: make([]uint64, crashWriters), notify: make(chan struct{}, 1)}
	for wr := 0; wr < crashWriters; wr++ {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			sem := make(chan struct{}, 16)
			var failed atomic.Bool
			for i := uint64(1); !w.stop.Load() && i < 1e6; i++ {
				sem <- struct{}{}
				s.Commit(crashBatch(wr, i), func(err error) {
					w.ackMu.Lock()
					switch {
					case err != nil:
						if !errors.Is(err, ErrFailed) {
							t.Errorf("writer %d batch %d: %v, want ErrFailed", wr, i, err)
						}
						failed.Store(true)
						errs.Add(1)
					case failed.Load():
						t.Errorf("writer %d batch %d acknowledged after an earlier one failed", wr, i)
					default:
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
	return w, errs
}

// TestPebbleFailStop breaks the WAL (writes, syncs, or both; a full disk or
// an I/O error) while four writers commit, then checks the fail-stop: the
// failure is logged once, every later batch fails, no batch succeeds after
// a failed one, and after "fixing the disk" and reopening, every
// acknowledged batch is there, whole.
func TestPebbleFailStop(t *testing.T) {
	for _, tc := range []struct {
		name  string
		kinds walFault
		cause error
	}{
		{"write-ENOSPC", faultWrite, syscall.ENOSPC},
		{"sync-ENOSPC", faultSync, syscall.ENOSPC},
		{"write-EIO", faultWrite, syscall.EIO},
		{"sync-EIO", faultSync, syscall.EIO},
		{"both-injected", faultWrite | faultSync, errorfs.ErrInjected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := vfs.NewMem()
			fs, breakDisk := faultyFSOn(mem, tc.kinds)
			var logBuf syncBuffer
			s, err := OpenPebble("db", Options{FS: fs, Logger: slogText(&logBuf)})
			if err != nil {
				t.Fatal(err)
			}
			w, errs := startFailWorkload(t, s)
			w.waitAcks(t, 200)
			breakDisk(tc.cause)
			deadline := time.After(20 * time.Second)
			for errs.Load() == 0 {
				select {
				case <-w.notify:
				case <-deadline:
					t.Fatal("no commit failed after the disk broke")
				}
			}
			wantFailStop(t, "Health", s.Health(), tc.cause)
			// Reads keep working while the store is failed.
			acked := w.ackedNow()
			if n := lastSeq(t, s, "w0"); n < 2*acked[0] {
				t.Fatalf("LastSeq %d while %d batches were acknowledged", n, acked[0])
			}
			w.stop.Store(true)
			w.wg.Wait()
			_ = s.Close()
			acked = w.ackedNow()
			st := s.Stats()
			if st.FailStops != 1 || st.Refused == 0 || st.QueuedBatches != 0 {
				t.Fatalf("stats %+v", st)
			}
			if n := strings.Count(logBuf.String(), "fail-stop"); n != 1 {
				t.Fatalf("fail-stop logged %d times:\n%s", n, logBuf.String())
			}
			if tc.cause == syscall.ENOSPC && !strings.Contains(logBuf.String(), "disk_full=true") {
				t.Fatalf("log does not say the disk is full:\n%s", logBuf.String())
			}

			// The disk is fixed (space freed): reopen and check.
			breakDisk(nil)
			s2 := openPebble(t, "db", Options{FS: mem})
			found, err := checkCrashState(s2, acked)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("acknowledged %v, recovered %v, %d failed, stats %+v", acked, found, errs.Load(), st)
			mustCommit(t, s2, crashBatch(0, found[0]+1))
		})
	}
}

func slogText(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
