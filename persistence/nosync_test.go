package persistence

import "testing"

// TestCommitNoSync: a CommitNoSync batch is readable once done(nil) runs
// and costs no fsync; a later Commit syncs it with its own, and the
// store reopened has both.
func TestCommitNoSync(t *testing.T) {
	dir := t.TempDir()
	s := openPebble(t, dir, Options{})
	ch := make(chan error, 1)
	s.CommitNoSync(&Batch{Puts: []KV{{Key: "a", Value: []byte("1")}}}, func(err error) { ch <- err })
	if err := <-ch; err != nil {
		t.Fatal(err)
	}
	if v, ok, err := s.Get("a"); err != nil || !ok || string(v) != "1" {
		t.Fatalf("get a = %q %v %v", v, ok, err)
	}
	if st := s.Stats(); st.Fsyncs != 0 || st.Batches != 1 {
		t.Fatalf("after CommitNoSync: %+v, want 0 fsyncs and 1 batch", st)
	}
	if err := CommitSync(s, &Batch{Puts: []KV{{Key: "b", Value: []byte("2")}}}); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Fsyncs != 1 {
		t.Fatalf("after Commit: %d fsyncs, want 1", st.Fsyncs)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openPebble(t, dir, Options{})
	for k, want := range map[string]string{"a": "1", "b": "2"} {
		if v, ok, err := s2.Get(k); err != nil || !ok || string(v) != want {
			t.Fatalf("reopened: get %s = %q %v %v", k, v, ok, err)
		}
	}
}
