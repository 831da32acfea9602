package engine_test

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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

// TestCommerceCrash kill -9s a child server while 300 members race for a
// packet and a lottery deadline is near. After a restart: every
// acknowledged claim is in the packet with its amount, no claim is doubled,
// the host's ledger pays each claim once and agrees with the packet, the
// expired packets are refunded once, and the lottery is drawn once with a
// seed that verifies against the hash published at opening.
func TestCommerceCrash(t *testing.T) {
	dir := t.TempDir()
	ch := startChild(t, dir)
	// One context bounds the whole run (300 clients, a kill, a restart and
	// the checks), not one step: longer than ctxT's 20 s.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	ops := dialAddr(t, ch.addr, "ops")
	if _, err := ops.Grant(ctx, "owner", 1_000_000); err != nil {
		t.Fatal(err)
	}
	owner := dialAddr(t, ch.addr, "owner")
	g, err := owner.CreateGroup(ctx, "crash")
	if err != nil {
		t.Fatal(err)
	}
	const n = 300
	cs := make([]*client.Client, n)
	for i := range cs {
		cs[i] = dialAddr(t, ch.addr, fmt.Sprintf("u%d", i))
	}
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = c.Join(ctx, g) }()
	}
	wg.Wait()
	big, err := owner.SendPacket(ctx, wire.SendPacketArgs{Group: g, Total: 20_000, Count: 200, TTL: 4000})
	if err != nil {
		t.Fatal(err)
	}
	small, err := owner.SendPacket(ctx, wire.SendPacketArgs{Group: g, Total: 500, Count: 5, TTL: 1000})
	if err != nil {
		t.Fatal(err)
	}
	lot, err := owner.OpenLottery(ctx, g, "a bike", 3, time.Now().Add(1500*time.Millisecond), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs[:50] {
		if err := c.EnterLottery(ctx, g, lot.Lottery); err != nil {
			t.Fatal(err)
		}
	}

	// Claimers race; the child dies once 40 claims are acknowledged.
	var mu sync.Mutex
	acked := map[string]int64{}
	var count atomic.Int32
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
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
	waitFor(t, 20*time.Second, "40 acknowledged claims", func() bool { return count.Load() >= 40 })
	ch.kill9(t)
	wg.Wait()
	mu.Lock()
	ack := make(map[string]int64, len(acked))
	for u, a := range acked {
		ack[u] = a
	}
	mu.Unlock()

	ch2 := startChild(t, dir)
	owner2 := dialAddr(t, ch2.addr, "owner")
	ledger := filepath.Join(dir, "ledger.jsonl")
	var info wire.PacketInfo
	waitFor(t, 30*time.Second, "both packets refunded and the lottery drawn", func() bool {
		info, err = owner2.PacketInfo(ctx, g, big.Packet)
		if err != nil || info.State == "open" {
			return false
		}
		keys := map[string]bool{}
		for _, l := range readLedger(t, ledger) {
			keys[l.Key] = true
		}
		if info.Refund > 0 && !keys[big.Packet+"/refund"] || !keys[small.Packet+"/refund"] {
			return false
		}
		for n := 1; n <= len(info.Claims); n++ {
			if !keys[fmt.Sprintf("%s/c%d", big.Packet, n)] {
				return false
			}
		}
		li, err := owner2.LotteryInfo(ctx, g, lot.Lottery)
		return err == nil && li.Drawn
	})

	// The packet: acknowledged claims are all there, nobody twice.
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
	if claimed+info.Refund != 20_000 {
		t.Fatalf("claims %d + refund %d != total", claimed, info.Refund)
	}
	// The ledger agrees: one debit per packet, one credit per claim with
	// its amount, one refund per packet.
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
	if info.Refund > 0 {
		one(big.Packet+"/refund", "owner", info.Refund)
	}
	for i, c := range info.Claims {
		one(fmt.Sprintf("%s/c%d", big.Packet, i+1), c.User, c.Amount)
	}
	credits := 0
	for k := range byKey {
		if len(k) > len(big.Packet)+2 && k[:len(big.Packet)+2] == big.Packet+"/c" {
			credits++
		}
	}
	if credits != len(info.Claims) {
		t.Fatalf("%d credits in the ledger for %d claims", credits, len(info.Claims))
	}

	// The lottery: drawn once, verifiable.
	draws := 0
	var drawn *wire.CommerceEvent
	for _, m := range allHistory(t, owner2, g) {
		if s := m.Body.System; s != nil && s.Event == wire.EventLotteryDrawn {
			draws++
			drawn = s.Commerce
		}
	}
	li, err := owner2.LotteryInfo(ctx, g, lot.Lottery)
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := hex.DecodeString(drawn.Seed)
	if draws != 1 || !lottery.Verify(lot.SeedHash, seed) || len(li.Entrants) != 50 ||
		fmt.Sprint(lottery.Draw(seed, li.Entrants, 3)) != fmt.Sprint(drawn.Winners) {
		t.Fatalf("%d draws; winners %v; %d entrants", draws, drawn.Winners, len(li.Entrants))
	}
	t.Logf("claims acknowledged before the kill %d, in the packet after %d, refund %d", len(ack), len(info.Claims), info.Refund)
}
