package persistence

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// The shared suite runs against every Store implementation. Each harness
// opens a fresh store and gives a way to break its disk (or what stands for
// it), for the fail-stop test.

func TestMemoryStore(t *testing.T) {
	runStoreSuite(t, func(t *testing.T) (Store, func(error)) {
		s := NewMemory()
		t.Cleanup(func() { _ = s.Close() })
		return s, s.Fail
	})
}

func TestPebbleStore(t *testing.T) {
	runStoreSuite(t, func(t *testing.T) (Store, func(error)) {
		fs, breakDisk := faultyFS(vfs.Default)
		s, err := OpenPebble(t.TempDir(), Options{FS: fs})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil && s.Health() == nil {
				t.Errorf("close: %v", err)
			}
		})
		return s, breakDisk
	})
}

// TestGatedStore runs the suite on Gated stores that do not hold (the
// holding is tested in gated_test.go), over both stores; the disk failure
// is the inner store's.
func TestGatedStore(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		runStoreSuite(t, func(t *testing.T) (Store, func(error)) {
			m := NewMemory()
			g := NewGated(m)
			g.SetHold(false)
			t.Cleanup(func() { _ = g.Close() })
			return g, m.Fail
		})
	})
	t.Run("pebble", func(t *testing.T) {
		runStoreSuite(t, func(t *testing.T) (Store, func(error)) {
			fs, breakDisk := faultyFS(vfs.NewMem())
			s, err := OpenPebble("db", Options{FS: fs})
			if err != nil {
				t.Fatal(err)
			}
			g := NewGated(s)
			g.SetHold(false)
			t.Cleanup(func() { _ = g.Close() })
			return g, breakDisk
		})
	})
}

func runStoreSuite(t *testing.T, open func(t *testing.T) (s Store, breakDisk func(cause error))) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"ReadRange", testReadRange},
		{"ReadReverse", testReadReverse},
		{"LastSeq", testLastSeq},
		{"SeqExtremes", testSeqExtremes},
		{"OverwriteEvent", testOverwriteEvent},
		{"Snapshots", testSnapshots},
		{"KV", testKV},
		{"ScanPrefixEdges", testScanPrefixEdges},
		{"DropStreams", testDropStreams},
		{"BatchOrder", testBatchOrder},
		{"InvalidBatchIsAtomic", testInvalidBatchIsAtomic},
		{"InvalidStreams", testInvalidStreams},
		{"NilAndEmptyBatch", testNilAndEmptyBatch},
		{"NoAliasing", testNoAliasing},
		{"FIFOConcurrent", testFIFOConcurrent},
		{"GroupCommitWhileBusy", testGroupCommitWhileBusy},
		{"ReadersSeeWholeBatches", testReadersSeeWholeBatches},
		{"Stats", testStats},
		{"CloseDrains", testCloseDrains},
		{"Health", testHealth},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := open(t)
			tc.fn(t, s)
		})
	}
	t.Run("FailStop", func(t *testing.T) {
		s, breakDisk := open(t)
		testFailStop(t, s, breakDisk)
	})
}

// ---- helpers ----

func mustCommit(t *testing.T, s Store, b *Batch) {
	t.Helper()
	if err := CommitSync(s, b); err != nil {
		t.Fatalf("commit: %v", err)
	}
}

func payload(stream string, seq uint64) []byte {
	return []byte(fmt.Sprintf("%s#%d:%s", stream, seq, strings.Repeat("x", int(seq%7))))
}

func events(stream string, from, to uint64) []Event {
	var out []Event
	for seq := from; seq <= to; seq++ {
		out = append(out, Event{Stream: stream, Seq: seq, Data: payload(stream, seq)})
	}
	return out
}

func readRange(t *testing.T, s Store, stream string, from, to uint64, limit int) []Event {
	t.Helper()
	var out []Event
	if err := s.ReadRange(stream, from, to, limit, func(e Event) bool {
		out = append(out, e)
		return true
	}); err != nil {
		t.Fatalf("ReadRange(%q, %d, %d, %d): %v", stream, from, to, limit, err)
	}
	return out
}

func readReverse(t *testing.T, s Store, stream string, before uint64, limit int) []Event {
	t.Helper()
	var out []Event
	if err := s.ReadReverse(stream, before, limit, func(e Event) bool {
		out = append(out, e)
		return true
	}); err != nil {
		t.Fatalf("ReadReverse(%q, %d, %d): %v", stream, before, limit, err)
	}
	return out
}

func seqs(evs []Event) []uint64 {
	out := make([]uint64, len(evs))
	for i, e := range evs {
		out[i] = e.Seq
	}
	return out
}

func seqRange(from, to uint64) []uint64 {
	var out []uint64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

func seqDown(from, to uint64) []uint64 {
	out := seqRange(to, from)
	slices.Reverse(out)
	return out
}

func wantSeqs(t *testing.T, what string, got []Event, want []uint64) {
	t.Helper()
	if !slices.Equal(seqs(got), want) {
		t.Fatalf("%s: seqs %v, want %v", what, seqs(got), want)
	}
}

func checkEvents(t *testing.T, what string, got []Event, stream string) {
	t.Helper()
	for _, e := range got {
		if e.Stream != stream || !bytes.Equal(e.Data, payload(stream, e.Seq)) {
			t.Fatalf("%s: event %q/%d has data %q", what, e.Stream, e.Seq, e.Data)
		}
	}
}

func lastSeq(t *testing.T, s Store, stream string) uint64 {
	t.Helper()
	n, err := s.LastSeq(stream)
	if err != nil {
		t.Fatalf("LastSeq(%q): %v", stream, err)
	}
	return n
}

func scanAll(t *testing.T, s Store, prefix string) []KV {
	t.Helper()
	var out []KV
	if err := s.Scan(prefix, func(k string, v []byte) bool {
		out = append(out, KV{k, v})
		return true
	}); err != nil {
		t.Fatalf("Scan(%q): %v", prefix, err)
	}
	return out
}

func keys(kvs []KV) []string {
	out := make([]string, len(kvs))
	for i, kv := range kvs {
		out[i] = kv.Key
	}
	return out
}

// goid returns the current goroutine's id (tests only).
func goid() uint64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	f := strings.Fields(string(buf[:n]))
	id, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		panic(err)
	}
	return id
}

// waitChan fails the test if ch is not closed (or sent on) within 20 s.
func waitChan[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(20 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// stall commits a batch whose done callback blocks the committer goroutine
// until release is called. It returns once the committer is blocked.
func stall(t *testing.T, s Store) (release func()) {
	t.Helper()
	entered := make(chan struct{})
	gate := make(chan struct{})
	s.Commit(&Batch{Puts: []KV{{Key: "stall", Value: []byte("x")}}}, func(err error) {
		if err != nil {
			t.Errorf("stall batch: %v", err)
		}
		close(entered)
		<-gate
	})
	waitChan(t, entered, "committer to reach the stall callback")
	var once sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	t.Cleanup(release)
	return release
}

// ---- tests ----

func testReadRange(t *testing.T, s Store) {
	mustCommit(t, s, &Batch{Events: events("g/a", 1, 5)})
	mustCommit(t, s, &Batch{Events: events("g/a", 6, 20)})
	// Neighbours whose keys sort next to g/a's.
	mustCommit(t, s, &Batch{Events: slices.Concat(events("g/ab", 1, 3), events("g/", 1, 3), events("g/a/x", 1, 2), events("g", 1, 2))})

	all := readRange(t, s, "g/a", 0, math.MaxUint64, 0)
	wantSeqs(t, "all", all, seqRange(1, 20))
	checkEvents(t, "all", all, "g/a")
	wantSeqs(t, "5..9", readRange(t, s, "g/a", 5, 9, 0), seqRange(5, 9))
	wantSeqs(t, "5..9 limit 3", readRange(t, s, "g/a", 5, 9, 3), seqRange(5, 7))
	wantSeqs(t, "5..9 limit -1", readRange(t, s, "g/a", 5, 9, -1), seqRange(5, 9))
	wantSeqs(t, "7..7", readRange(t, s, "g/a", 7, 7, 0), []uint64{7})
	wantSeqs(t, "18..100", readRange(t, s, "g/a", 18, 100, 0), seqRange(18, 20))
	wantSeqs(t, "21..30", readRange(t, s, "g/a", 21, 30, 0), nil)
	wantSeqs(t, "from > to", readRange(t, s, "g/a", 9, 5, 0), nil)
	wantSeqs(t, "unknown stream", readRange(t, s, "nope", 0, math.MaxUint64, 0), nil)
	wantSeqs(t, "g/ab", readRange(t, s, "g/ab", 0, math.MaxUint64, 0), seqRange(1, 3))
	wantSeqs(t, "g/", readRange(t, s, "g/", 0, math.MaxUint64, 0), seqRange(1, 3))
	wantSeqs(t, "g", readRange(t, s, "g", 0, math.MaxUint64, 0), seqRange(1, 2))

	// fn returning false stops the read.
	var got []uint64
	if err := s.ReadRange("g/a", 1, 20, 0, func(e Event) bool {
		got = append(got, e.Seq)
		return len(got) < 4
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, seqRange(1, 4)) {
		t.Fatalf("stop early: got %v", got)
	}
}

func testReadReverse(t *testing.T, s Store) {
	mustCommit(t, s, &Batch{Events: slices.Concat(events("g/a", 1, 20), events("g/ab", 1, 30), events("g/", 1, 30))})
	rev := readReverse(t, s, "g/a", 21, 5)
	wantSeqs(t, "before 21 limit 5", rev, seqDown(20, 16))
	checkEvents(t, "before 21", rev, "g/a")
	wantSeqs(t, "before 10", readReverse(t, s, "g/a", 10, 0), seqDown(9, 1))
	wantSeqs(t, "before max", readReverse(t, s, "g/a", math.MaxUint64, 0), seqDown(20, 1))
	wantSeqs(t, "before max limit 1", readReverse(t, s, "g/a", math.MaxUint64, 1), []uint64{20})
	wantSeqs(t, "before 1000 limit 3", readReverse(t, s, "g/a", 1000, 3), seqDown(20, 18))
	wantSeqs(t, "before 2", readReverse(t, s, "g/a", 2, 10), []uint64{1})
	wantSeqs(t, "before 1", readReverse(t, s, "g/a", 1, 10), nil)
	wantSeqs(t, "before 0", readReverse(t, s, "g/a", 0, 10), nil)
	wantSeqs(t, "unknown", readReverse(t, s, "g/b", 100, 10), nil)

	var got []uint64
	if err := s.ReadReverse("g/a", 21, 0, func(e Event) bool {
		got = append(got, e.Seq)
		return len(got) < 2
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []uint64{20, 19}) {
		t.Fatalf("stop early: got %v", got)
	}
}

func testLastSeq(t *testing.T, s Store) {
	if n := lastSeq(t, s, "g/a"); n != 0 {
		t.Fatalf("empty: LastSeq %d", n)
	}
	mustCommit(t, s, &Batch{Events: events("g/a", 1, 3)})
	mustCommit(t, s, &Batch{Events: slices.Concat(events("g/ab", 1, 9), events("g/a\x01", 1, 12))})
	if n := lastSeq(t, s, "g/a"); n != 3 {
		t.Fatalf("LastSeq %d, want 3", n)
	}
	// Out-of-order append: LastSeq is the highest, not the latest.
	mustCommit(t, s, &Batch{Events: []Event{{Stream: "g/a", Seq: 100, Data: []byte("x")}, {Stream: "g/a", Seq: 50, Data: []byte("y")}}})
	if n := lastSeq(t, s, "g/a"); n != 100 {
		t.Fatalf("LastSeq %d, want 100", n)
	}
	if n := lastSeq(t, s, "g/ab"); n != 9 {
		t.Fatalf("LastSeq(g/ab) %d, want 9", n)
	}
}

func testSeqExtremes(t *testing.T, s Store) {
	mustCommit(t, s, &Batch{Events: []Event{
		{Stream: "e", Seq: 1, Data: []byte("one")},
		{Stream: "e", Seq: 1 << 32, Data: []byte("mid")},
		{Stream: "e", Seq: math.MaxUint64, Data: []byte("max")},
	}})
	if n := lastSeq(t, s, "e"); n != math.MaxUint64 {
		t.Fatalf("LastSeq %d", n)
	}
	wantSeqs(t, "all", readRange(t, s, "e", 0, math.MaxUint64, 0), []uint64{1, 1 << 32, math.MaxUint64})
	wantSeqs(t, "max only", readRange(t, s, "e", math.MaxUint64, math.MaxUint64, 0), []uint64{math.MaxUint64})
	wantSeqs(t, "before max", readReverse(t, s, "e", math.MaxUint64, 0), []uint64{1 << 32, 1})
	if err := CommitSync(s, &Batch{Events: []Event{{Stream: "e", Seq: 0}}}); !errors.Is(err, ErrInvalidSeq) {
		t.Fatalf("seq 0: %v, want ErrInvalidSeq", err)
	}
}

func testOverwriteEvent(t *testing.T, s Store) {
	mustCommit(t, s, &Batch{Events: events("o", 1, 3)})
	mustCommit(t, s, &Batch{Events: []Event{{Stream: "o", Seq: 2, Data: []byte("first")}, {Stream: "o", Seq: 2, Data: []byte("second")}}})
	got := readRange(t, s, "o", 0, math.MaxUint64, 0)
	wantSeqs(t, "after overwrite", got, seqRange(1, 3))
	if string(got[1].Data) != "second" {
		t.Fatalf("seq 2 = %q, want the later write", got[1].Data)
	}
}

func testSnapshots(t *testing.T, s Store) {
	if _, ok, err := s.LoadSnapshot("g/a"); err != nil || ok {
		t.Fatalf("empty: ok=%v err=%v", ok, err)
	}
	mustCommit(t, s, &Batch{Snapshots: []Snapshot{{Stream: "g/a", Seq: 5, Data: []byte("five")}, {Stream: "g/ab", Seq: 1, Data: []byte("other")}}})
	sn, ok, err := s.LoadSnapshot("g/a")
	if err != nil || !ok || sn.Stream != "g/a" || sn.Seq != 5 || string(sn.Data) != "five" {
		t.Fatalf("got %+v ok=%v err=%v", sn, ok, err)
	}
	mustCommit(t, s, &Batch{Snapshots: []Snapshot{{Stream: "g/a", Seq: 9, Data: []byte("nine")}}})
	sn, ok, err = s.LoadSnapshot("g/a")
	if err != nil || !ok || sn.Seq != 9 || string(sn.Data) != "nine" {
		t.Fatalf("replace: got %+v ok=%v err=%v", sn, ok, err)
	}
	// Two snapshots of one stream in one batch: the later wins.
	mustCommit(t, s, &Batch{Snapshots: []Snapshot{{Stream: "g/a", Seq: 11, Data: []byte("eleven")}, {Stream: "g/a", Seq: 12, Data: nil}}})
	sn, ok, err = s.LoadSnapshot("g/a")
	if err != nil || !ok || sn.Seq != 12 || len(sn.Data) != 0 {
		t.Fatalf("same batch: got %+v ok=%v err=%v", sn, ok, err)
	}
	sn, ok, err = s.LoadSnapshot("g/ab")
	if err != nil || !ok || sn.Seq != 1 || string(sn.Data) != "other" {
		t.Fatalf("neighbour: got %+v ok=%v err=%v", sn, ok, err)
	}
	// Snapshots do not touch the journal.
	if n := lastSeq(t, s, "g/a"); n != 0 {
		t.Fatalf("LastSeq %d after snapshots only", n)
	}
}

func testKV(t *testing.T, s Store) {
	if _, ok, err := s.Get("a"); err != nil || ok {
		t.Fatalf("empty: ok=%v err=%v", ok, err)
	}
	mustCommit(t, s, &Batch{Puts: []KV{
		{"u/alice", []byte("1")}, {"u/bob", []byte("2")}, {"u/al", []byte("3")},
		{"v/x", []byte("4")}, {"u", []byte("5")}, {"", []byte("empty key")}, {"u/empty", nil},
	}})
	v, ok, err := s.Get("u/alice")
	if err != nil || !ok || string(v) != "1" {
		t.Fatalf("Get: %q ok=%v err=%v", v, ok, err)
	}
	v, ok, err = s.Get("")
	if err != nil || !ok || string(v) != "empty key" {
		t.Fatalf("Get empty key: %q ok=%v err=%v", v, ok, err)
	}
	v, ok, err = s.Get("u/empty")
	if err != nil || !ok || len(v) != 0 {
		t.Fatalf("Get empty value: %q ok=%v err=%v", v, ok, err)
	}
	if got := keys(scanAll(t, s, "u/")); !slices.Equal(got, []string{"u/al", "u/alice", "u/bob", "u/empty"}) {
		t.Fatalf("Scan u/: %q", got)
	}
	if got := keys(scanAll(t, s, "")); !slices.Equal(got, []string{"", "u", "u/al", "u/alice", "u/bob", "u/empty", "v/x"}) {
		t.Fatalf("Scan all: %q", got)
	}
	if got := scanAll(t, s, "u/al"); len(got) != 2 || string(got[1].Value) != "1" {
		t.Fatalf("Scan u/al: %q", got)
	}
	if got := keys(scanAll(t, s, "w")); len(got) != 0 {
		t.Fatalf("Scan w: %q", got)
	}
	// Overwrite and delete (deleting a missing key is fine).
	mustCommit(t, s, &Batch{Puts: []KV{{"u/bob", []byte("22")}}, Deletes: []string{"u/alice", "missing"}})
	if _, ok, _ := s.Get("u/alice"); ok {
		t.Fatal("deleted key still there")
	}
	if v, _, _ := s.Get("u/bob"); string(v) != "22" {
		t.Fatalf("overwrite: %q", v)
	}
	if got := keys(scanAll(t, s, "u/")); !slices.Equal(got, []string{"u/al", "u/bob", "u/empty"}) {
		t.Fatalf("Scan after delete: %q", got)
	}
	// Stop early.
	n := 0
	if err := s.Scan("", func(string, []byte) bool { n++; return n < 2 }); err != nil || n != 2 {
		t.Fatalf("stop early: n=%d err=%v", n, err)
	}
	// The KV space is separate from streams of the same name.
	mustCommit(t, s, &Batch{Events: events("u/bob", 1, 1), Snapshots: []Snapshot{{Stream: "u/bob", Seq: 1}}})
	if got := keys(scanAll(t, s, "u/")); !slices.Equal(got, []string{"u/al", "u/bob", "u/empty"}) {
		t.Fatalf("Scan after stream writes: %q", got)
	}
}

func testScanPrefixEdges(t *testing.T, s Store) {
	mustCommit(t, s, &Batch{Puts: []KV{
		{"a", []byte("1")}, {"a\xff", []byte("2")}, {"a\xff\xff", []byte("3")}, {"b", []byte("4")},
		{"\xff", []byte("5")}, {"\xff\xff", []byte("6")}, {"a\x00", []byte("7")},
	}})
	if got := keys(scanAll(t, s, "a")); !slices.Equal(got, []string{"a", "a\x00", "a\xff", "a\xff\xff"}) {
		t.Fatalf("Scan a: %q", got)
	}
	if got := keys(scanAll(t, s, "a\xff")); !slices.Equal(got, []string{"a\xff", "a\xff\xff"}) {
		t.Fatalf("Scan a\\xff: %q", got)
	}
	if got := keys(scanAll(t, s, "\xff")); !slices.Equal(got, []string{"\xff", "\xff\xff"}) {
		t.Fatalf("Scan \\xff: %q", got)
	}
	if got := keys(scanAll(t, s, "\xff\xff\xff")); len(got) != 0 {
		t.Fatalf("Scan \\xff\\xff\\xff: %q", got)
	}
}

func testDropStreams(t *testing.T, s Store) {
	mustCommit(t, s, &Batch{
		Events:    slices.Concat(events("g/x", 1, 50), events("g/x2", 1, 5), events("g/", 1, 5), events("g/x/y", 1, 5)),
		Snapshots: []Snapshot{{Stream: "g/x", Seq: 40, Data: []byte("s")}, {Stream: "g/x2", Seq: 5, Data: []byte("t")}},
		Puts:      []KV{{"g/x", []byte("kv")}},
	})
	mustCommit(t, s, &Batch{DropStreams: []string{"g/x", "never-existed"}})
	if got := readRange(t, s, "g/x", 0, math.MaxUint64, 0); len(got) != 0 {
		t.Fatalf("dropped stream still has %v", seqs(got))
	}
	if n := lastSeq(t, s, "g/x"); n != 0 {
		t.Fatalf("LastSeq after drop %d", n)
	}
	if _, ok, err := s.LoadSnapshot("g/x"); ok || err != nil {
		t.Fatalf("snapshot after drop: ok=%v err=%v", ok, err)
	}
	for _, nb := range []string{"g/x2", "g/", "g/x/y"} {
		wantSeqs(t, nb, readRange(t, s, nb, 0, math.MaxUint64, 0), seqRange(1, 5))
	}
	if _, ok, _ := s.LoadSnapshot("g/x2"); !ok {
		t.Fatal("neighbour snapshot dropped")
	}
	if _, ok, _ := s.Get("g/x"); !ok {
		t.Fatal("KV key with the stream's name dropped")
	}
	// Drop and restart in one batch: only the new events remain.
	mustCommit(t, s, &Batch{Events: events("g/y", 1, 10), Snapshots: []Snapshot{{Stream: "g/y", Seq: 10}}})
	mustCommit(t, s, &Batch{DropStreams: []string{"g/y"}, Events: events("g/y", 1, 2), Snapshots: []Snapshot{{Stream: "g/y", Seq: 2, Data: []byte("new")}}})
	wantSeqs(t, "restarted", readRange(t, s, "g/y", 0, math.MaxUint64, 0), seqRange(1, 2))
	if sn, ok, _ := s.LoadSnapshot("g/y"); !ok || sn.Seq != 2 || string(sn.Data) != "new" {
		t.Fatalf("restarted snapshot %+v ok=%v", sn, ok)
	}
	// A later batch can write to a dropped stream again.
	mustCommit(t, s, &Batch{Events: events("g/x", 7, 8)})
	wantSeqs(t, "rewritten", readRange(t, s, "g/x", 0, math.MaxUint64, 0), seqRange(7, 8))
}

func testBatchOrder(t *testing.T, s Store) {
	mustCommit(t, s, &Batch{Puts: []KV{{"k", []byte("old")}}})
	// Deletes apply before Puts in one batch: the put wins.
	mustCommit(t, s, &Batch{Puts: []KV{{"k", []byte("new")}}, Deletes: []string{"k"}})
	if v, ok, _ := s.Get("k"); !ok || string(v) != "new" {
		t.Fatalf("put+delete: %q ok=%v", v, ok)
	}
	// Two puts of one key: the later wins.
	mustCommit(t, s, &Batch{Puts: []KV{{"k", []byte("a")}, {"k", []byte("b")}}})
	if v, _, _ := s.Get("k"); string(v) != "b" {
		t.Fatalf("put+put: %q", v)
	}
	// Across batches, the later Commit wins, even within one group.
	release := stall(t, s)
	var wg sync.WaitGroup
	wg.Add(5)
	for _, v := range []string{"1", "2", "3"} {
		s.Commit(&Batch{Puts: []KV{{"k", []byte(v)}}}, func(err error) {
			if err != nil {
				t.Error(err)
			}
			wg.Done()
		})
	}
	s.Commit(&Batch{Deletes: []string{"k"}, Events: events("o", 1, 1)}, func(error) { wg.Done() })
	s.Commit(&Batch{DropStreams: []string{"o"}}, func(error) { wg.Done() })
	release()
	wg.Wait()
	if _, ok, _ := s.Get("k"); ok {
		t.Fatal("delete in a later batch did not win")
	}
	if n := lastSeq(t, s, "o"); n != 0 {
		t.Fatalf("drop in a later batch did not win: LastSeq %d", n)
	}
}

func testInvalidBatchIsAtomic(t *testing.T, s Store) {
	bad := &Batch{
		Events:    slices.Concat(events("ok", 1, 3), []Event{{Stream: "", Seq: 4}}),
		Snapshots: []Snapshot{{Stream: "ok", Seq: 3}},
		Puts:      []KV{{"k", []byte("v")}},
	}
	if err := CommitSync(s, bad); !errors.Is(err, ErrInvalidStream) {
		t.Fatalf("got %v, want ErrInvalidStream", err)
	}
	bad2 := &Batch{Events: slices.Concat(events("ok", 1, 3), []Event{{Stream: "ok", Seq: 0}}), Puts: []KV{{"k", []byte("v")}}}
	if err := CommitSync(s, bad2); !errors.Is(err, ErrInvalidSeq) {
		t.Fatalf("got %v, want ErrInvalidSeq", err)
	}
	if n := lastSeq(t, s, "ok"); n != 0 {
		t.Fatalf("half of an invalid batch applied: LastSeq %d", n)
	}
	if _, ok, _ := s.Get("k"); ok {
		t.Fatal("half of an invalid batch applied: KV")
	}
	if _, ok, _ := s.LoadSnapshot("ok"); ok {
		t.Fatal("half of an invalid batch applied: snapshot")
	}
	// An invalid batch does not fail the store or its neighbours in a group.
	release := stall(t, s)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	wg.Add(3)
	for i, b := range []*Batch{{Events: events("ok", 1, 1)}, bad, {Events: events("ok", 2, 2)}} {
		s.Commit(b, func(err error) { errs[i] = err; wg.Done() })
	}
	release()
	wg.Wait()
	if errs[0] != nil || !errors.Is(errs[1], ErrInvalidStream) || errs[2] != nil {
		t.Fatalf("errors %v", errs)
	}
	wantSeqs(t, "after mixed group", readRange(t, s, "ok", 0, math.MaxUint64, 0), seqRange(1, 2))
}

func testInvalidStreams(t *testing.T, s Store) {
	long := strings.Repeat("x", MaxStreamLen+1)
	for _, name := range []string{"", long, "a\x00b", "\x00", "a\x00"} {
		for _, b := range []*Batch{
			{Events: []Event{{Stream: name, Seq: 1}}},
			{Snapshots: []Snapshot{{Stream: name, Seq: 1}}},
			{DropStreams: []string{name}},
		} {
			caller := goid()
			ch := make(chan error, 1)
			s.Commit(b, func(err error) {
				if goid() == caller {
					t.Error("done called on the caller's goroutine")
				}
				ch <- err
			})
			if err := waitChan(t, ch, "done"); !errors.Is(err, ErrInvalidStream) {
				t.Fatalf("stream %q: got %v", name, err)
			}
		}
		if _, _, err := s.LoadSnapshot(name); !errors.Is(err, ErrInvalidStream) {
			t.Fatalf("LoadSnapshot(%q): %v", name, err)
		}
		if _, err := s.LastSeq(name); !errors.Is(err, ErrInvalidStream) {
			t.Fatalf("LastSeq(%q): %v", name, err)
		}
		if err := s.ReadRange(name, 0, 10, 0, func(Event) bool { return true }); !errors.Is(err, ErrInvalidStream) {
			t.Fatalf("ReadRange(%q): %v", name, err)
		}
		if err := s.ReadReverse(name, 10, 0, func(Event) bool { return true }); !errors.Is(err, ErrInvalidStream) {
			t.Fatalf("ReadReverse(%q): %v", name, err)
		}
	}
	// The longest valid name and arbitrary bytes work.
	for _, name := range []string{strings.Repeat("y", MaxStreamLen), "\xff\x01 é/🙂"} {
		mustCommit(t, s, &Batch{Events: events(name, 1, 2)})
		if n := lastSeq(t, s, name); n != 2 {
			t.Fatalf("LastSeq(%q) %d", name, n)
		}
	}
}

func testNilAndEmptyBatch(t *testing.T, s Store) {
	mustCommit(t, s, nil)
	mustCommit(t, s, &Batch{})
	// A nil done is allowed; an empty batch after it is a barrier.
	s.Commit(&Batch{Events: events("n", 1, 1)}, nil)
	mustCommit(t, s, &Batch{})
	if n := lastSeq(t, s, "n"); n != 1 {
		t.Fatalf("LastSeq %d after barrier", n)
	}
}

func testNoAliasing(t *testing.T, s Store) {
	data := []byte("original")
	val := []byte("value")
	snap := []byte("snap")
	mustCommit(t, s, &Batch{
		Events:    []Event{{Stream: "a", Seq: 1, Data: data}},
		Puts:      []KV{{"k", val}},
		Snapshots: []Snapshot{{Stream: "a", Seq: 1, Data: snap}},
	})
	copy(data, "XXXXXXXX")
	copy(val, "XXXXX")
	copy(snap, "XXXX")
	got := readRange(t, s, "a", 1, 1, 0)
	if string(got[0].Data) != "original" {
		t.Fatalf("store aliases input: %q", got[0].Data)
	}
	copy(got[0].Data, "YYYYYYYY")
	if got := readRange(t, s, "a", 1, 1, 0); string(got[0].Data) != "original" {
		t.Fatalf("store aliases output: %q", got[0].Data)
	}
	v, _, _ := s.Get("k")
	if string(v) != "value" {
		t.Fatalf("KV aliases input: %q", v)
	}
	copy(v, "YYYYY")
	if v, _, _ := s.Get("k"); string(v) != "value" {
		t.Fatalf("KV aliases output: %q", v)
	}
	kvs := scanAll(t, s, "")
	copy(kvs[0].Value, "ZZZZZ")
	if v, _, _ := s.Get("k"); string(v) != "value" {
		t.Fatalf("Scan aliases output: %q", v)
	}
	sn, _, _ := s.LoadSnapshot("a")
	if string(sn.Data) != "snap" {
		t.Fatalf("snapshot aliases input: %q", sn.Data)
	}
	copy(sn.Data, "YYYY")
	if sn, _, _ := s.LoadSnapshot("a"); string(sn.Data) != "snap" {
		t.Fatalf("snapshot aliases output: %q", sn.Data)
	}
	// Data kept from a read stays valid after later writes.
	keep := readRange(t, s, "a", 1, 1, 0)
	mustCommit(t, s, &Batch{Events: []Event{{Stream: "a", Seq: 1, Data: []byte("changed!")}}, DropStreams: []string{"zz"}})
	if string(keep[0].Data) != "original" {
		t.Fatalf("kept data changed: %q", keep[0].Data)
	}
}

func testFIFOConcurrent(t *testing.T, s Store) {
	const G, N = 8, 500

	// Phase 1: concurrent committers without coordination. Each goroutine's
	// callbacks must come in its own commit order.
	var mu sync.Mutex
	last := make([]int, G)
	var wg sync.WaitGroup
	wg.Add(G * N)
	for g := 0; g < G; g++ {
		go func() {
			stream := fmt.Sprintf("fifo/%d", g)
			for i := 1; i <= N; i++ {
				s.Commit(&Batch{Events: events(stream, uint64(i), uint64(i))}, func(err error) {
					mu.Lock()
					if err != nil {
						t.Errorf("commit %d/%d: %v", g, i, err)
					}
					if last[g] != i-1 {
						t.Errorf("goroutine %d: done %d after %d", g, i, last[g])
					}
					last[g] = i
					mu.Unlock()
					wg.Done()
				})
			}
		}()
	}
	wg.Wait()

	// Phase 2: a lock gives the commits a known global order; the callbacks
	// must come in exactly that order.
	var tmu sync.Mutex
	next := 0
	var order []int
	wg.Add(G * N)
	for g := 0; g < G; g++ {
		go func() {
			stream := fmt.Sprintf("fifo2/%d", g)
			for i := 1; i <= N; i++ {
				tmu.Lock()
				ticket := next
				next++
				s.Commit(&Batch{Events: events(stream, uint64(i), uint64(i))}, func(err error) {
					if err != nil {
						t.Errorf("commit: %v", err)
					}
					mu.Lock()
					order = append(order, ticket)
					mu.Unlock()
					wg.Done()
				})
				tmu.Unlock()
			}
		}()
	}
	wg.Wait()
	for i, ticket := range order {
		if ticket != i {
			t.Fatalf("callback %d was for commit %d: not FIFO", i, ticket)
		}
	}
	for g := 0; g < G; g++ {
		for _, prefix := range []string{"fifo/", "fifo2/"} {
			stream := fmt.Sprintf("%s%d", prefix, g)
			got := readRange(t, s, stream, 0, math.MaxUint64, 0)
			wantSeqs(t, stream, got, seqRange(1, N))
			checkEvents(t, stream, got, stream)
		}
	}
	st := s.Stats()
	t.Logf("stats after %d commits: %+v", 2*G*N, st)
	if st.Groups > st.Commits {
		t.Fatalf("more groups (%d) than commits (%d)", st.Groups, st.Commits)
	}
}

func testGroupCommitWhileBusy(t *testing.T, s Store) {
	release := stall(t, s)
	before := s.Stats()
	const n = 100
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 1; i <= n; i++ {
		s.Commit(&Batch{Events: events("busy", uint64(i), uint64(i))}, func(err error) {
			if err != nil {
				t.Error(err)
			}
			wg.Done()
		})
	}
	if q := s.Stats().QueuedBatches; q < n {
		t.Fatalf("QueuedBatches %d while stalled, want >= %d", q, n)
	}
	release()
	wg.Wait()
	after := s.Stats()
	if _, ok := s.(*Gated); ok {
		// The stall holds the gate's callbacks, not the inner store's
		// committer: no claim on groups.
		return
	}
	// The 100 batches queued behind the stalled group go into one group.
	if d := after.Groups - before.Groups; d != 1 {
		t.Fatalf("%d batches queued during one commit took %d groups, want 1", n, d)
	}
	if after.QueuedBatches != 0 || after.QueuedBytes != 0 {
		t.Fatalf("queue gauges not back to 0: %+v", after)
	}
	if after.Fsyncs != 0 && after.Fsyncs-before.Fsyncs != 1 {
		t.Fatalf("fsyncs went from %d to %d, want one more", before.Fsyncs, after.Fsyncs)
	}
}

func testReadersSeeWholeBatches(t *testing.T, s Store) {
	// Every batch appends two events; a reader must never see half of one.
	const batches = 200
	final := make(chan struct{})
	for k := uint64(0); k < batches; k++ {
		b := &Batch{Events: events("vis", 2*k+1, 2*k+2), Puts: []KV{{fmt.Sprintf("vis/%03d", k), nil}}}
		s.Commit(b, func(err error) {
			if err != nil {
				t.Error(err)
			}
			if k == batches-1 {
				close(final)
			}
		})
	}
	deadline := time.Now().Add(20 * time.Second)
	var prev uint64
	for prev < 2*batches {
		if time.Now().After(deadline) {
			t.Fatalf("LastSeq stuck at %d", prev)
		}
		n := lastSeq(t, s, "vis")
		if n%2 != 0 || n < prev {
			t.Fatalf("LastSeq %d after %d: saw part of a batch or went back", n, prev)
		}
		got := readRange(t, s, "vis", 0, math.MaxUint64, 0)
		if uint64(len(got)) < n || len(got)%2 != 0 {
			t.Fatalf("read %d events after LastSeq %d", len(got), n)
		}
		prev = n
		runtime.Gosched()
	}
	waitChan(t, final, "last callback")
}

func testStats(t *testing.T, s Store) {
	before := s.Stats()
	mustCommit(t, s, &Batch{Events: events("st", 1, 3), Puts: []KV{{"a", []byte("b")}}})
	mustCommit(t, s, &Batch{Events: events("st", 4, 4)})
	_ = CommitSync(s, &Batch{Events: []Event{{Stream: ""}}})
	after := s.Stats()
	if d := after.Commits - before.Commits; d != 3 {
		t.Fatalf("Commits +%d, want 3", d)
	}
	if d := after.Batches - before.Batches; d != 2 {
		t.Fatalf("Batches +%d, want 2", d)
	}
	if d := after.Failed - before.Failed; d != 1 {
		t.Fatalf("Failed +%d, want 1", d)
	}
	if d := after.Events - before.Events; d != 4 {
		t.Fatalf("Events +%d, want 4", d)
	}
	if after.Bytes <= before.Bytes || after.Groups-before.Groups != 2 {
		t.Fatalf("stats %+v -> %+v", before, after)
	}
}

func testCloseDrains(t *testing.T, s Store) {
	mustCommit(t, s, &Batch{Events: events("c", 1, 1)})
	release := stall(t, s)
	const n = 100
	var done int
	var mu sync.Mutex
	for i := 2; i <= n+1; i++ {
		s.Commit(&Batch{Events: events("c", uint64(i), uint64(i))}, func(err error) {
			if err != nil {
				t.Errorf("queued commit: %v", err)
			}
			mu.Lock()
			done++
			mu.Unlock()
		})
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case <-closed:
		t.Fatal("Close returned while a commit was still in progress")
	default:
	}
	release()
	if err := waitChan(t, closed, "Close"); err != nil {
		t.Fatalf("Close: %v", err)
	}
	mu.Lock()
	if done != n {
		t.Fatalf("Close returned after %d of %d callbacks", done, n)
	}
	mu.Unlock()

	// Commits after Close get ErrClosed, not on the caller's goroutine.
	caller := goid()
	ch := make(chan error, 1)
	s.Commit(&Batch{Events: events("c", 500, 500)}, func(err error) {
		if goid() == caller {
			t.Error("done(ErrClosed) on the caller's goroutine")
		}
		ch <- err
	})
	if err := waitChan(t, ch, "done after Close"); !errors.Is(err, ErrClosed) {
		t.Fatalf("commit after Close: %v", err)
	}
	if err := CommitSync(s, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("CommitSync after Close: %v", err)
	}
	if _, err := s.LastSeq("c"); !errors.Is(err, ErrClosed) {
		t.Fatalf("LastSeq after Close: %v", err)
	}
	if err := s.ReadRange("c", 0, 10, 0, func(Event) bool { return true }); !errors.Is(err, ErrClosed) {
		t.Fatalf("ReadRange after Close: %v", err)
	}
	if err := s.ReadReverse("c", 10, 0, func(Event) bool { return true }); !errors.Is(err, ErrClosed) {
		t.Fatalf("ReadReverse after Close: %v", err)
	}
	if _, _, err := s.LoadSnapshot("c"); !errors.Is(err, ErrClosed) {
		t.Fatalf("LoadSnapshot after Close: %v", err)
	}
	if _, _, err := s.Get("c"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close: %v", err)
	}
	if err := s.Scan("", func(string, []byte) bool { return true }); !errors.Is(err, ErrClosed) {
		t.Fatalf("Scan after Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if st := s.Stats(); st.Batches < n+2 || st.QueuedBatches != 0 {
		t.Fatalf("stats after Close: %+v", st)
	}
}
