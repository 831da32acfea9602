package engine_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/qunchat/qun/wire"
)

// launchCluster starts three replicating members as processes and returns
// them with their client addresses.
func launchCluster(t *testing.T) ([]*member, []string) {
	t.Helper()
	gossip := []string{freeAddr(t), freeAddr(t), freeAddr(t)}
	ms := make([]*member, 3)
	for i := range ms {
		var join []string
		if i > 0 {
			join = gossip[:1]
		}
		ms[i] = launch(t, t.TempDir(), gossip[i], join)
		if i == 0 { // the others join it: wait until it gossips
			waitFor(t, 30*time.Second, "the first member's gossip", func() bool {
				c, err := net.DialTimeout("tcp", gossip[0], time.Second)
				if err == nil {
					c.Close()
				}
				return err == nil
			})
		}
	}
	addrs := make([]string, 3)
	for i, m := range ms {
		addrs[i] = m.wait(t)
	}
	waitFor(t, 30*time.Second, "every shard led", func() bool {
		led := 0
		for _, m := range ms {
			n, _ := m.status(t)
			led += n
		}
		return led == 64
	})
	return ms, addrs
}

// TestTimersSurviveFailover: durable timers (the due-time index, dq/...)
// are written in their group's replicated batch, so when the node leading
// a group's shard dies before a deadline, the new leader's node finds the
// key in its replica and the deadline is met there. Lotteries on 12 groups
// (spread over the shards of all three nodes) are opened with a deadline a
// few seconds out, the node leading the most shards is killed -9, and
// every lottery is drawn, read through the survivors.
func TestTimersSurviveFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	ms, addrs := launchCluster(t)
	victim, most := 0, -1
	for i, m := range ms {
		if n, _ := m.status(t); n > most {
			victim, most = i, n
		}
	}
	var survivors []string
	for i, a := range addrs {
		if i != victim {
			survivors = append(survivors, a)
		}
	}
	type lot struct{ group, lottery, owner string }
	var lots []lot
	deadline := time.Now().Add(4 * time.Second)
	fan := dialAddr(t, survivors[1], "fan")
	for o := range 3 {
		owner := fmt.Sprintf("towner%d", o)
		c := dialAddr(t, survivors[o%2], owner)
		for i := range 4 {
			g, err := c.CreateGroup(ctxT(t), fmt.Sprintf("t%d-%d", o, i))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fan.Join(ctxT(t), g); err != nil {
				t.Fatal(err)
			}
			l, err := c.OpenLottery(ctxT(t), g, "a mug", 1, deadline, "")
			if err != nil {
				t.Fatal(err)
			}
			if err := fan.EnterLottery(ctxT(t), g, l.Lottery); err != nil {
				t.Fatal(err)
			}
			lots = append(lots, lot{g, l.Lottery, owner})
		}
	}
	if time.Now().After(deadline) {
		t.Skip("the machine is too slow to open the lotteries before their deadline")
	}
	ms[victim].kill9(t)
	killed := time.Now()
	drawn := map[string]bool{}
	waitFor(t, 60*time.Second, "every lottery drawn after the kill", func() bool {
		for _, l := range lots {
			if drawn[l.group] {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			info, err := fan.LotteryInfo(ctx, l.group, l.lottery)
			cancel()
			if err == nil && info.Drawn {
				if len(info.Won) != 1 || info.Won[0] != "fan" {
					t.Fatalf("lottery of %s drawn with winners %v, want [fan]", l.group, info.Won)
				}
				drawn[l.group] = true
			} else if err != nil && wire.CodeOf(err) != wire.CodeUnavailable && wire.CodeOf(err) != wire.CodeTimeout {
				t.Logf("lottery info %s: %v", l.group, err)
			}
		}
		return len(drawn) == len(lots)
	})
	t.Logf("killed node %d (leading %d of 64 shards) before the deadline; all %d lotteries drawn %v after the kill",
		victim, most, len(lots), time.Since(killed).Round(time.Millisecond))
}
