package persistence

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkStoreCommitLatency measures the time from Commit to its done
// callback for durable one-event batches on the real file system, at light
// load (one committer waiting for each commit) and heavy load (1000 streams,
// one goroutine each, committing and waiting). It reports p50 and p99
// latency, events/s and batches per fsync.
func BenchmarkStoreCommitLatency(b *testing.B) {
	for _, streams := range []int{1, 1000} {
		b.Run(fmt.Sprintf("streams=%d", streams), func(b *testing.B) {
			s := openPebble(b, b.TempDir(), Options{})
			data := make([]byte, 200)
			lat := make([]time.Duration, b.N)
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ReportAllocs()
			b.ResetTimer()
			for g := 0; g < streams; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					stream := fmt.Sprintf("g/%04d", g)
					ch := make(chan error, 1)
					done := func(err error) { ch <- err }
					for seq := uint64(1); ; seq++ {
						i := next.Add(1) - 1
						if i >= int64(b.N) {
							return
						}
						start := time.Now()
						s.Commit(&Batch{Events: []Event{{Stream: stream, Seq: seq, Data: data}}}, done)
						if err := <-ch; err != nil {
							b.Error(err)
							return
						}
						lat[i] = time.Since(start)
					}
				}()
			}
			wg.Wait()
			report(b, s)
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}
