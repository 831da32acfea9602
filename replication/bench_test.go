package replication

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/qunchat/qun/persistence"
)

// benchPropose measures replicated proposals per second: each proposal is
// one journal event of 200 bytes (a chat message) on one of the shards,
// with a window of proposals in flight per shard, acknowledged after
// commit on a quorum (real fsyncs) and local apply.
func benchPropose(b *testing.B, replicas int) {
	const shards, window = 8, 256
	_, nodes := memCluster(b, replicas, func(c *Config) { c.Shards = shards; c.TickInterval = 50 * time.Millisecond })
	leaders := make([]*testNode, shards)
	deadline := time.Now().Add(20 * time.Second)
	for s := uint32(0); s < shards; s++ {
		for leaders[s] = leaderOf(nodes, s); leaders[s] == nil; leaders[s] = leaderOf(nodes, s) {
			if time.Now().After(deadline) {
				b.Fatal("no leaders")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	payload := make([]byte, 200)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, shards)
	for s := uint32(0); s < shards; s++ {
		n := b.N / shards
		if int(s) < b.N%shards {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := leaders[s]
			st := l.node.StoreFor(s, l.node.Leader(s).Term)
			stream := fmt.Sprintf("g/bench%d", s)
			sem := make(chan struct{}, window)
			var inner sync.WaitGroup
			for i := 0; i < n; i++ {
				sem <- struct{}{}
				inner.Add(1)
				st.Commit(&persistence.Batch{Events: []persistence.Event{{Stream: stream, Seq: uint64(i + 1), Data: payload}}}, func(err error) {
					if err != nil {
						select {
						case errs <- err:
						default:
						}
					}
					<-sem
					inner.Done()
				})
			}
			inner.Wait()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	b.ReportMetric(float64(b.N)/el.Seconds(), "proposals/s")
	var fsyncs uint64
	for _, tn := range nodes {
		fsyncs += tn.store.Stats().Fsyncs
	}
	b.ReportMetric(float64(fsyncs)/el.Seconds(), "fsyncs/s")
}

func BenchmarkProposeR1(b *testing.B) { benchPropose(b, 1) }
func BenchmarkProposeR3(b *testing.B) { benchPropose(b, 3) }
