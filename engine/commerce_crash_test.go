package engine_test

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/internal/lottery"
	"github.com/qunchat/qun/wire"
)

type ledgerLine struct {
	User   string `json:"user"`
	Key    string `json:"key"`
	Kind   string `json:"kind"`
	Amount int64  `json:"amount"`
}

func readLedger(t *testing.T, path string) []ledgerLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []ledgerLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l ledgerLine
		if json.Unmarshal(sc.Bytes(), &l) == nil {
			out = append(out, l)
		}
	}
	return out
}

// TestCommerceCrash kill -9s a child server while claimers race for a big
// packet and a lottery deadline is pending, and restarts it. The scenario
// is deterministic where it matters:
//
//   - the big packet has 200 shares and only 150 claimers, so shares are
//     certainly left at the kill;
//   - its expiry (a short ttl_ms) and the lottery's deadline are set when
//     the claims start and fall after the kill (checked), so the refund and
//     the draw happen after the restart: the ledger read after the kill has
//     no refund, the one read at the end has exactly one;
//   - a small packet expires and is refunded before the kill (waited for),
//     and is not refunded again after the restart.
//
// After the restart: every acknowledged claim is in the packet with its
// amount, nobody twice; the ledger has one debit per packet, one credit
// per claim (its user and amount), and one refund of exactly the
// remainder; the packet is "expired" with that refund paid; the lottery is
// drawn once with a seed that verifies against the hash published at
// opening and recomputes the winners from the entry list.
func TestCommerceCrash(t *testing.T) {
	const (
		shares    = 200
		claimers  = 150 // < shares: the packet certainly has shares left
		entrants  = 50
		killAfter = 40 // acknowledged claims before the kill
		ttl       = 5 * time.Second
	)
	dir := t.TempDir()
	ledger := filepath.Join(dir, "ledger.jsonl")
	// One context bounds the whole run (clients, a kill, a restart and the
	// checks), not one step: longer than ctxT's 20 s.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	ch := startChild(t, dir)
	ops := dialAddr(t, ch.addr, "ops")
	if _, err := ops.Grant(ctx, "owner", 1_000_000); err != nil {
		t.Fatal(err)
	}
	owner := dialAddr(t, ch.addr, "owner")
	g, err := owner.CreateGroup(ctx, "crash")
	if err != nil {
		t.Fatal(err)
	}
	cs := make([]*client.Client, claimers)
	for i := range cs {
		cs[i] = dialAddr(t, ch.addr, fmt.Sprintf("u%d", i))
	}
	var wg sync.WaitGroup
	joinErrs := make(chan error, claimers)
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Join(ctx, g); err != nil {
				joinErrs <- err
			}
		}()
	}
	wg.Wait()
	close(joinErrs)
	for err := range joinErrs {
		t.Fatal(err)
	}

	// The small packet ends before the kill: refunded once, before it.
	small, err := owner.SendPacket(ctx, wire.SendPacketArgs{Group: g, Total: 500, Count: 5, TTL: 1000})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the small packet's refund before the kill", func() bool {
		for _, l := range readLedger(t, ledger) {
			if l.Key == small.Packet+"/refund" {
				return true
			}
		}
		return false
	})

	// The big packet and the lottery end ttl after the claims start.
	start := time.Now()
	lot, err := owner.OpenLottery(ctx, g, "a bike", 3, start.Add(ttl), "")
	if err != nil {
		t.Fatal(err)
	}
	big, err := owner.SendPacket(ctx, wire.SendPacketArgs{Group: g, Total: 20_000, Count: shares, TTL: ttl.Milliseconds()})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs[:entrants] {
		if err := c.EnterLottery(ctx, g, lot.Lottery); err != nil {
			t.Fatal(err)
		}
	}
	// Claimers are released one every 5 ms (a pace, not a wait), so claims
	// are still arriving and in flight when the child dies; those released
	// after the kill fail on a closed connection.
	var mu sync.Mutex
	acked := map[string]int64{}
	var count atomic.Int32
	wg.Add(1)
	go func() {
		defer wg.Done()
		pace := time.NewTicker(5 * time.Millisecond)
		defer pace.Stop()
		for i, c := range cs {
			<-pace.C
			wg.Add(1)
			go func() {
				defer wg.Done()
				cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				r, err := c.ClaimPacket(cctx, g, big.Packet)
				if err == nil {
					mu.Lock()
					acked[fmt.Sprintf("u%d", i)] = r.Amount
					mu.Unlock()
					count.Add(1)
				}
			}()
		}
	}()
	waitFor(t, 20*time.Second, fmt.Sprint(killAfter, " acknowledged claims"), func() bool { return count.Load() >= killAfter })
	if li, err := owner.LotteryInfo(ctx, g, lot.Lottery); err != nil || li.Drawn {
		t.Fatalf("lottery before the kill: %+v %v", li, err)
	}
	ch.kill9(t)
	if left := time.Until(start.Add(ttl)); left < 500*time.Millisecond {
		t.Fatalf("the kill came %v before the packet's expiry: the machine is too slow for this scenario", left)
	}
	wg.Wait()
	mu.Lock()
	ack := make(map[string]int64, len(acked))
	for u, a := range acked {
		ack[u] = a
	}
	mu.Unlock()
	before := map[string]int{}
	for _, l := range readLedger(t, ledger) {
		before[l.Key]++
	}
	if before[big.Packet+"/refund"] != 0 || before[small.Packet+"/refund"] != 1 {
		t.Fatalf("ledger at the kill: big refund %d, small refund %d", before[big.Packet+"/refund"], before[small.Packet+"/refund"])
	}

	ch2 := startChild(t, dir)
	owner2 := dialAddr(t, ch2.addr, "owner")
	var info wire.PacketInfo
	waitFor(t, 30*time.Second, "the big packet refunded and the lottery drawn", func() bool {
		info, err = owner2.PacketInfo(ctx, g, big.Packet)
		if err != nil || info.State != "expired" || info.RefundCredit != wire.CreditPaid {
			return false
		}
		for _, c := range info.Claims {
			if c.Credit != wire.CreditPaid {
				return false
			}
		}
		li, err := owner2.LotteryInfo(ctx, g, lot.Lottery)
		return err == nil && li.Drawn
	})

	// The packet: acknowledged claims are all there, nobody twice, shares
	// left and refunded.
	seen := map[string]bool{}
	var claimed int64
	for _, c := range info.Claims {
		if seen[c.User] {
			t.Fatalf("%s claimed twice", c.User)
		}
		seen[c.User] = true
		claimed += c.Amount
	}
	for u, a := range ack {
		if !seen[u] {
			t.Fatalf("acknowledged claim of %s (%d) lost", u, a)
		}
	}
	for _, c := range info.Claims {
		if a, ok := ack[c.User]; ok && a != c.Amount {
			t.Fatalf("%s acknowledged %d, packet says %d", c.User, a, c.Amount)
		}
	}
	if len(info.Claims) > claimers || info.Refund < int64(shares-claimers) || claimed+info.Refund != 20_000 || info.Refused != 0 {
		t.Fatalf("%d claims of %d cents, refund %d (refused %d): want at most %d claims and the remainder refunded",
			len(info.Claims), claimed, info.Refund, info.Refused, claimers)
	}
	// The ledger agrees: one debit per packet, one credit per claim with
	// its amount, one refund of the remainder per packet.
	byKey := map[string][]ledgerLine{}
	for _, l := range readLedger(t, ledger) {
		byKey[l.Key] = append(byKey[l.Key], l)
	}
	one := func(key, user string, amount int64) {
		t.Helper()
		ls := byKey[key]
		if len(ls) != 1 || ls[0].User != user || ls[0].Amount != amount {
			t.Fatalf("ledger %s: %+v, want one entry of %d for %s", key, ls, amount, user)
		}
	}
	one(big.Packet+"/debit", "owner", 20_000)
	one(small.Packet+"/debit", "owner", 500)
	one(small.Packet+"/refund", "owner", 500)
	one(big.Packet+"/refund", "owner", 20_000-claimed)
	for i, c := range info.Claims {
		one(fmt.Sprintf("%s/c%d", big.Packet, i+1), c.User, c.Amount)
	}
	credits := 0
	for k := range byKey {
		if strings.HasPrefix(k, big.Packet+"/c") {
			credits++
		}
	}
	if credits != len(info.Claims) {
		t.Fatalf("%d credits in the ledger for %d claims", credits, len(info.Claims))
	}

	// History: each packet's refund once; the lottery drawn once, verifiably.
	refunds := map[string]int{}
	draws := 0
	var drawn *wire.CommerceEvent
	for _, m := range allHistory(t, owner2, g) {
		s := m.Body.System
		switch {
		case s == nil:
		case s.Event == wire.EventPacketRefunded:
			refunds[s.Commerce.Packet]++
		case s.Event == wire.EventLotteryDrawn:
			draws++
			drawn = s.Commerce
		}
	}
	if refunds[big.Packet] != 1 || refunds[small.Packet] != 1 {
		t.Fatalf("refund records: %v", refunds)
	}
	li, err := owner2.LotteryInfo(ctx, g, lot.Lottery)
	if err != nil {
		t.Fatal(err)
	}
	if draws != 1 {
		t.Fatalf("%d draws", draws)
	}
	seed, _ := hex.DecodeString(drawn.Seed)
	if !lottery.Verify(lot.SeedHash, seed) || len(li.Entrants) != entrants ||
		fmt.Sprint(lottery.Draw(seed, li.Entrants, 3)) != fmt.Sprint(drawn.Winners) || fmt.Sprint(li.Won) != fmt.Sprint(drawn.Winners) {
		t.Fatalf("winners %v (info %v); %d entrants; seed verifies: %v", drawn.Winners, li.Won, len(li.Entrants), lottery.Verify(lot.SeedHash, seed))
	}
	t.Logf("claims acknowledged before the kill %d, in the packet after %d, refund %d after the restart", len(ack), len(info.Claims), info.Refund)
}
