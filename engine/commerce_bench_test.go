package engine_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/qunchat/qun/wire"
)

// BenchmarkPacketClaims1000: 1000 members over TCP claim one packet of
// 1000 shares at once; claims/s is successful claims (each durable and
// acknowledged) per second of wall time.
//
//	go test ./engine/ -run XXX -bench PacketClaims1000 -benchtime 5x
func BenchmarkPacketClaims1000(b *testing.B) {
	cfg := commerceConfig(b.TempDir())
	cfg.Group.Commerce.Packets.MaxCount = 1000
	cfg.Group.Commerce.Packets.MaxTotal = 1 << 40
	cfg.Group.Commerce.MaxOpen = 1 << 20
	e := startEngine(b, cfg)
	owner := dial(b, e, "owner", nil)
	ctx := context.Background()
	g, err := owner.CreateGroup(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	_ = e.Host().Grant("owner", 1<<50)
	cs := crowd(b, e, g, 1000)
	b.ReportAllocs()
	b.ResetTimer()
	var claims int
	var spent time.Duration
	for i := 0; i < b.N; i++ {
		p, err := owner.SendPacket(ctx, wire.SendPacketArgs{Group: g, Total: 100_000, Count: 1000})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		var wg sync.WaitGroup
		var mu sync.Mutex
		for _, c := range cs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.ClaimPacket(ctx, g, p.Packet); err == nil {
					mu.Lock()
					claims++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		spent += time.Since(start)
	}
	if claims != 1000*b.N {
		b.Fatalf("%d claims, want %d", claims, 1000*b.N)
	}
	b.ReportMetric(float64(claims)/spent.Seconds(), "claims/s")
}

// BenchmarkLotteryDeadlineToWinners: the time from a lottery's deadline to
// a member receiving the winners' announcement (a push), with 100 entries.
//
//	go test ./engine/ -run XXX -bench LotteryDeadlineToWinners -benchtime 5x
func BenchmarkLotteryDeadlineToWinners(b *testing.B) {
	e := startEngine(b, commerceConfig(b.TempDir()))
	box := newInbox()
	owner := dial(b, e, "owner", box)
	ctx := context.Background()
	g, err := owner.CreateGroup(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	cs := crowd(b, e, g, 100)
	b.ResetTimer()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		deadline := time.Now().Add(time.Second)
		l, err := owner.OpenLottery(ctx, g, "a mug", 3, deadline, "")
		if err != nil {
			b.Fatal(err)
		}
		var wg sync.WaitGroup
		for _, c := range cs {
			wg.Add(1)
			go func() { defer wg.Done(); _ = c.EnterLottery(ctx, g, l.Lottery) }()
		}
		wg.Wait()
		var at time.Time
		waitFor(b, 10*time.Second, "the draw", func() bool {
			for _, m := range box.get(g) {
				if s := m.Body.System; s != nil && s.Event == wire.EventLotteryDrawn && s.Commerce.Lottery == l.Lottery {
					at = time.Now()
					return true
				}
			}
			return false
		})
		total += at.Sub(deadline)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-after-deadline")
}
