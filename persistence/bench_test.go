package persistence

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkPebbleCommit measures durable commits of one 200-byte event per
// Batch on the real file system (b.TempDir()).
func BenchmarkPebbleCommit(b *testing.B) {
	data := make([]byte, 200)

	// One group, commit and wait: one fsync per batch.
	b.Run("serial-1stream", func(b *testing.B) {
		s := openPebble(b, b.TempDir(), Options{})
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := CommitSync(s, &Batch{Events: []Event{{Stream: "g/bench", Seq: uint64(i + 1), Data: data}}}); err != nil {
				b.Fatal(err)
			}
		}
		report(b, s)
	})

	// 1000 streams, one goroutine each committing and waiting: up to 1000
	// batches in flight share each fsync.
	for _, noSync := range []bool{false, true} {
		name := "1000streams-1000goroutines"
		if noSync {
			name += "-nosync"
		}
		b.Run(name, func(b *testing.B) {
			s := openPebble(b, b.TempDir(), Options{NoSync: noSync})
			const streams = 1000
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ReportAllocs()
			b.ResetTimer()
			for g := 0; g < streams; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					stream := fmt.Sprintf("g/%04d", g)
					for seq := uint64(1); next.Add(1) <= int64(b.N); seq++ {
						if err := CommitSync(s, &Batch{Events: []Event{{Stream: stream, Seq: seq, Data: data}}}); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			report(b, s)
		})
	}

	// 1000 streams, one goroutine pipelining Commit calls without waiting
	// (like actors that continue and handle done later).
	b.Run("1000streams-async", func(b *testing.B) {
		s := openPebble(b, b.TempDir(), Options{})
		const streams = 1000
		seqs := make([]uint64, streams)
		var wg sync.WaitGroup
		wg.Add(b.N)
		done := func(err error) {
			if err != nil {
				b.Error(err)
			}
			wg.Done()
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			g := i % streams
			seqs[g]++
			s.Commit(&Batch{Events: []Event{{Stream: streamNames[g], Seq: seqs[g], Data: data}}}, done)
		}
		wg.Wait()
		report(b, s)
	})
}

// BenchmarkMemoryCommit is the serial path without I/O, for comparison.
func BenchmarkMemoryCommit(b *testing.B) {
	s := NewMemory()
	b.Cleanup(func() { _ = s.Close() })
	data := make([]byte, 200)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := CommitSync(s, &Batch{Events: []Event{{Stream: "g/bench", Seq: uint64(i + 1), Data: data}}}); err != nil {
			b.Fatal(err)
		}
	}
	report(b, s)
}

func BenchmarkPebbleReadRange(b *testing.B) {
	s := openPebble(b, b.TempDir(), Options{})
	data := make([]byte, 200)
	var evs []Event
	for i := uint64(1); i <= 1000; i++ {
		evs = append(evs, Event{Stream: "g/read", Seq: i, Data: data})
	}
	if err := CommitSync(s, &Batch{Events: evs}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		if err := s.ReadReverse("g/read", ^uint64(0), 50, func(Event) bool { n++; return true }); err != nil || n != 50 {
			b.Fatal(n, err)
		}
	}
}

var streamNames = func() []string {
	out := make([]string, 1000)
	for i := range out {
		out[i] = fmt.Sprintf("g/%04d", i)
	}
	return out
}()

func report(b *testing.B, s Store) {
	b.StopTimer()
	st := s.Stats()
	if secs := b.Elapsed().Seconds(); secs > 0 {
		b.ReportMetric(float64(st.Events)/secs, "events/s")
	}
	if st.Groups > 0 {
		b.ReportMetric(float64(st.Batches)/float64(st.Groups), "batches/group")
	}
	b.ReportMetric(float64(st.Fsyncs)/float64(b.N), "fsyncs/op")
}
