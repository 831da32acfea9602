package persistence

import (
	"errors"
	"testing"
)

func TestRawOpsOrderAndViews(t *testing.T) {
	s, err := OpenPebble(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Two batches flattened in order: the second deletes what the first
	// put, which a single merged Batch (deletes before puts) could not say.
	ops, err := AppendRawOps(nil, &Batch{Puts: []KV{{Key: "a", Value: []byte("1")}}, Events: []Event{{Stream: "g/x", Seq: 1, Data: []byte("e1")}}})
	if err != nil {
		t.Fatal(err)
	}
	ops, err = AppendRawOps(ops, &Batch{Deletes: []string{"a"}, Snapshots: []Snapshot{{Stream: "g/x", Seq: 1, Data: []byte("s")}}})
	if err != nil {
		t.Fatal(err)
	}
	ops = append(ops, RawOp{Kind: RawSet, Key: []byte{RawTag, 'z'}, Value: []byte("raw")})
	if err := CommitSync(s, &Batch{Raw: ops}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Get("a"); ok {
		t.Fatal("later delete lost")
	}
	if last, _ := s.LastSeq("g/x"); last != 1 {
		t.Fatalf("event not written through raw ops: %d", last)
	}
	if sn, ok, _ := s.LoadSnapshot("g/x"); !ok || string(sn.Data) != "s" || sn.Seq != 1 {
		t.Fatalf("snapshot %+v %v", sn, ok)
	}
	view, err := s.RawView()
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := JournalBounds("g/x")
	if err := CommitSync(s, &Batch{Raw: []RawOp{{Kind: RawDeleteRange, Key: lo, End: hi}, {Kind: RawDelete, Key: []byte{RawTag, 'z'}}}}); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := view.RawScan(lo, hi, func(k, v []byte) bool { n++; return true }); err != nil || n != 1 {
		t.Fatalf("view lost its point in time: %d %v", n, err)
	}
	if v, ok, _ := view.RawGet([]byte{RawTag, 'z'}); !ok || string(v) != "raw" {
		t.Fatal("view RawGet")
	}
	view.Close()
	if _, ok, _ := s.RawGet([]byte{RawTag, 'z'}); ok {
		t.Fatal("raw delete lost")
	}
	if err := CommitSync(s, &Batch{Raw: []RawOp{{Kind: RawDeleteRange, Key: []byte("b"), End: []byte("a")}}}); !errors.Is(err, ErrInvalidRaw) {
		t.Fatalf("reversed range: %v", err)
	}
	m := NewMemory()
	defer m.Close()
	if err := CommitSync(m, &Batch{Raw: ops}); !errors.Is(err, ErrRawUnsupported) {
		t.Fatalf("memory store with raw ops: %v", err)
	}
}
