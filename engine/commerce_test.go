package engine_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/internal/lottery"
	"github.com/qunchat/qun/wire"
)

// commerceConfig: a node whose groups hold 2000 members, with "ops" as
// operator.
func commerceConfig(dir string) engine.Config {
	cfg := testConfig(dir)
	cfg.DefaultTier.MaxMembers = 2000
	cfg.Operators = []string{"ops"}
	return cfg
}

// crowd dials n users u0..u(n-1) into group g, 50 at a time.
func crowd(t testing.TB, e *engine.Engine, g string, n int) []*client.Client {
	t.Helper()
	cs := make([]*client.Client, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	errs := make(chan error, n)
	for i := range cs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			tok, _ := e.MintToken(fmt.Sprintf("u%d", i))
			c, err := client.Dial(context.Background(), e.Addr().String(), client.Options{Token: tok, DialTimeout: 30 * time.Second})
			if err != nil {
				errs <- err
				return
			}
			cs[i] = c
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := c.Join(ctx, g); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	for _, c := range cs {
		if c != nil {
			t.Cleanup(func() { c.Close() })
		}
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return cs
}

// claimAll has every client claim packet p of g at once; it returns the
// successful claims by user.
func claimAll(t testing.TB, cs []*client.Client, g, p string) map[string]int64 {
	t.Helper()
	var mu sync.Mutex
	won := map[string]int64{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	var bad atomic.Value
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			r, err := c.ClaimPacket(ctx, g, p)
			switch {
			case err == nil:
				mu.Lock()
				if _, dup := won[fmt.Sprintf("u%d", i)]; dup {
					bad.Store(fmt.Errorf("u%d won twice", i))
				}
				won[fmt.Sprintf("u%d", i)] = r.Amount
				mu.Unlock()
			case wire.CodeOf(err) != wire.CodePacketEmpty:
				bad.Store(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if err, _ := bad.Load().(error); err != nil {
		t.Fatal(err)
	}
	return won
}

// TestPacketClaimRace: 1000 members over real TCP race for a packet of 200
// shares: exactly 200 win, no one twice, the shares sum to the total, and
// the host's ledger pays each winner their share once.
func TestPacketClaimRace(t *testing.T) {
	e := startEngine(t, commerceConfig(t.TempDir()))
	owner := dial(t, e, "owner", nil)
	ctx := ctxT(t)
	g, err := owner.CreateGroup(ctx, "red packets")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Host().Grant("owner", 100_000); err != nil {
		t.Fatal(err)
	}
	cs := crowd(t, e, g, 1000)
	ctx = ctxT(t) // joining 1000 takes a while under -race
	const total, count = 20_000, 200
	p, err := owner.SendPacket(ctx, wire.SendPacketArgs{Group: g, Total: total, Count: count})
	if err != nil {
		t.Fatal(err)
	}
	if b := e.Host().Balance("owner"); b != 100_000-total {
		t.Fatalf("owner balance %d after the debit", b)
	}
	won := claimAll(t, cs, g, p.Packet)
	var sum int64
	for _, a := range won {
		if a < 1 {
			t.Fatalf("share %d", a)
		}
		sum += a
	}
	if len(won) != count || sum != total {
		t.Fatalf("%d winners summing to %d, want %d summing to %d", len(won), sum, count, total)
	}
	waitFor(t, 20*time.Second, "every credit applied", func() bool {
		for u := range won {
			if e.Host().Balance(u) != won[u] {
				return false
			}
		}
		return true
	})
	info, err := owner.PacketInfo(ctx, g, p.Packet)
	if err != nil || info.State != "empty" || info.Claimed != total || len(info.Claims) != count || won[info.Luckiest] == 0 {
		t.Fatalf("packet info %+v %v", info, err)
	}
}

// TestPacketRefundAndHostOutage: a packet sent while the host is down stays
// pending and is posted once the host is back; claims credit; the expiry
// refunds the remainder exactly once; the error codes are the stable ones.
func TestPacketRefundAndHostOutage(t *testing.T) {
	cfg := commerceConfig(t.TempDir())
	cfg.TimerPeriod = 50 * time.Millisecond
	cfg.Group.Commerce.RetryMin, cfg.Group.Commerce.RetryMax = 50, 100
	e := startEngine(t, cfg)
	ctx := ctxT(t)
	owner, bob, eve := dial(t, e, "owner", nil), dial(t, e, "bob", nil), dial(t, e, "eve", nil)
	g, _ := owner.CreateGroup(ctx, "g")
	g2, _ := eve.CreateGroup(ctx, "other")
	if _, err := bob.Join(ctx, g); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.SendPacket(ctx, wire.SendPacketArgs{Group: g, Total: 100, Count: 1}); wire.CodeOf(err) != wire.CodeInsufficientFunds {
		t.Fatalf("send without balance: %v", err)
	}
	_ = e.Host().Grant("owner", 1000)
	e.Host().SetPaymentsDown(true)
	if _, err := owner.SendPacket(ctx, wire.SendPacketArgs{Group: g, Total: 600, Count: 3, TTL: 1500}); wire.CodeOf(err) != wire.CodePaymentPending {
		t.Fatalf("send while the host is down: %v", err)
	}
	e.Host().SetPaymentsDown(false)
	var packet string
	waitFor(t, 10*time.Second, "the pending packet posted", func() bool {
		h, err := owner.History(ctx, wire.HistoryArgs{Group: g})
		if err != nil {
			return false
		}
		for _, m := range h.Msgs {
			if s := m.Body.System; s != nil && s.Event == wire.EventRedPacket {
				packet = s.Commerce.Packet
				return true
			}
		}
		return false
	})
	if b := e.Host().Balance("owner"); b != 400 {
		t.Fatalf("owner balance %d, want 400", b)
	}
	r, err := bob.ClaimPacket(ctx, g, packet)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := bob.ClaimPacket(ctx, g, packet); err != nil || !again.Dup || again.Amount != r.Amount {
		t.Fatalf("repeat claim %+v %v", again, err)
	}
	if _, err := eve.ClaimPacket(ctx, g, packet); wire.CodeOf(err) != wire.CodeNotMember {
		t.Fatalf("non-member claim: %v", err)
	}
	if _, err := eve.ClaimPacket(ctx, g2, packet); wire.CodeOf(err) != wire.CodeWrongGroup {
		t.Fatalf("claim in another group: %v", err)
	}
	waitFor(t, 10*time.Second, "the refund", func() bool { return e.Host().Applied(packet + "/refund") })
	if b := e.Host().Balance("owner"); b != 1000-r.Amount {
		t.Fatalf("owner balance %d after the refund, want %d", b, 1000-r.Amount)
	}
	if _, err := owner.ClaimPacket(ctx, g, packet); wire.CodeOf(err) != wire.CodePacketExpired {
		t.Fatalf("claim after expiry: %v", err)
	}
	refunds := 0
	for _, l := range e.Host().Ledger("owner") {
		if l.Key == packet+"/refund" {
			refunds++
		}
	}
	if refunds != 1 {
		t.Fatalf("%d refunds", refunds)
	}
}

// TestLotteryDrawnAtDeadline: entries until the deadline, one draw, winners
// announced with the seed, recomputable from the entry list.
func TestLotteryDrawnAtDeadline(t *testing.T) {
	e := startEngine(t, commerceConfig(t.TempDir()))
	ctx := ctxT(t)
	box := newInbox()
	owner := dial(t, e, "owner", box)
	g, _ := owner.CreateGroup(ctx, "g")
	cs := crowd(t, e, g, 20)
	deadline := time.Now().Add(1500 * time.Millisecond)
	l, err := owner.OpenLottery(ctx, g, "a mug", 3, deadline, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if err := c.EnterLottery(ctx, g, l.Lottery); err != nil {
			t.Fatal(err)
		}
	}
	var drawn *wire.CommerceEvent
	waitFor(t, 10*time.Second, "the draw announced", func() bool {
		for _, m := range box.get(g) {
			if s := m.Body.System; s != nil && s.Event == wire.EventLotteryDrawn {
				drawn = s.Commerce
				return true
			}
		}
		return false
	})
	info, err := cs[0].LotteryInfo(ctx, g, l.Lottery)
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := hex.DecodeString(drawn.Seed)
	if !lottery.Verify(l.SeedHash, seed) || fmt.Sprint(lottery.Draw(seed, info.Entrants, 3)) != fmt.Sprint(drawn.Winners) || len(info.Entrants) != 20 {
		t.Fatalf("draw %v not verifiable from %d entrants", drawn.Winners, len(info.Entrants))
	}
	if err := cs[0].EnterLottery(ctx, g, l.Lottery); wire.CodeOf(err) != wire.CodeLotteryClosed {
		t.Fatalf("entry after the draw: %v", err)
	}
}

// TestCouponsAndOrderGroup: a shop posts coupons, stock never goes below
// zero, a host refusal restores stock; an order group is created once and
// driven to archived.
func TestCouponsAndOrderGroup(t *testing.T) {
	cfg := commerceConfig(t.TempDir())
	cfg.Group.Commerce.OrderArchiveAfter = 300
	cfg.TimerPeriod = 50 * time.Millisecond
	e := startEngine(t, cfg)
	ctx := ctxT(t)
	shop := dial(t, e, "shop", nil)
	g, _ := shop.CreateGroup(ctx, "shop")
	on := true
	if _, err := shop.CommerceSettings(ctx, wire.CommerceSettingsArgs{Group: g, Shop: &on}); err != nil {
		t.Fatal(err)
	}
	if page, err := dial(t, e, "visitor", nil).ShopGroups(ctx, "shop"); err != nil || len(page) != 1 || page[0].Group != g {
		t.Fatalf("shop page %+v %v", page, err)
	}
	cs := crowd(t, e, g, 30)
	cp, err := shop.PostCoupon(ctx, wire.PostCouponArgs{Group: g, Title: "¥5 off ¥30", Value: 500, Threshold: 3000, Count: 10, ValidUntil: time.Now().Add(time.Hour).UnixMilli()})
	if err != nil {
		t.Fatal(err)
	}
	e.Host().RefuseCoupons("u0", true)
	var got atomic.Int32
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.ClaimCoupon(ctx, g, cp.Coupon); err == nil {
				got.Add(1)
			}
		}()
	}
	wg.Wait()
	// u0's refused claim gave its coupon back, perhaps after the others
	// were told sold_out: claim what is left one by one.
	info, _ := shop.CouponInfo(ctx, g, cp.Coupon)
	if int(got.Load())+info.Left != 10 || info.Left < 0 {
		t.Fatalf("%d coupons issued, %d left", got.Load(), info.Left)
	}
	for _, c := range cs[1:] {
		if _, err := c.ClaimCoupon(ctx, g, cp.Coupon); err == nil {
			got.Add(1)
		}
	}
	info, _ = shop.CouponInfo(ctx, g, cp.Coupon)
	if got.Load() != 10 || info.Left != 0 {
		t.Fatalf("%d coupons issued, %d left", got.Load(), info.Left)
	}
	if e.Host().Applied(cp.Coupon + "/u0") {
		t.Fatal("the refused coupon was issued")
	}

	ops := dial(t, e, "ops", nil)
	if _, err := shop.CreateOrderGroup(ctx, wire.OrderGroupArgs{Order: "o1", Buyer: "b", Merchant: "shop"}); wire.CodeOf(err) != wire.CodeForbidden {
		t.Fatalf("non-operator created an order group: %v", err)
	}
	og, err := ops.CreateOrderGroup(ctx, wire.OrderGroupArgs{Order: "o1", Buyer: "b", Merchant: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	if again, err := e.CreateOrderGroup(ctx, "o1", "b", "shop", ""); err != nil || again != og {
		t.Fatalf("not idempotent: %q %v", again, err)
	}
	buyer := dial(t, e, "b", nil)
	for _, ev := range []struct{ event, rider string }{{"assigned", "r"}, {"picked_up", ""}, {"delivered", ""}} {
		if _, err := ops.OrderEvent(ctx, "o1", ev.event, ev.rider); err != nil {
			t.Fatal(ev.event, err)
		}
	}
	waitFor(t, 10*time.Second, "the order group archived", func() bool {
		_, err := buyer.SendText(ctx, og, "", "still there?")
		return wire.CodeOf(err) == wire.CodeReadOnly
	})
	h, err := buyer.History(ctx, wire.HistoryArgs{Group: og})
	if err != nil || len(h.Msgs) == 0 {
		t.Fatalf("history after archive: %v", err)
	}
}

// TestPacketExpiryWakesPassivatedGroup: the group grain passivates (no
// connection, nothing in flight) before its packet expires; the node's
// due-time index wakes it at the expiry and the remainder is refunded.
func TestPacketExpiryWakesPassivatedGroup(t *testing.T) {
	cfg := commerceConfig(t.TempDir())
	cfg.GrainIdleTimeout = 100 * time.Millisecond
	cfg.WatchTTL = 300 * time.Millisecond
	cfg.TimerPeriod = 50 * time.Millisecond
	e := startEngine(t, cfg)
	ctx := ctxT(t)
	owner := dial(t, e, "owner", nil)
	g, _ := owner.CreateGroup(ctx, "g")
	_ = e.Host().Grant("owner", 1000)
	p, err := owner.SendPacket(ctx, wire.SendPacketArgs{Group: g, Total: 500, Count: 5, TTL: 5000})
	if err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	owner.Close()
	waitFor(t, 10*time.Second, "every grain passivated", func() bool { return e.Stats().Grains == 0 })
	if time.Since(sent) > 4500*time.Millisecond || e.Host().Applied(p.Packet+"/refund") {
		t.Skip("the grains did not passivate before the expiry on this machine")
	}
	waitFor(t, 15*time.Second, "the refund", func() bool { return e.Host().Applied(p.Packet + "/refund") })
	if b := e.Host().Balance("owner"); b != 1000 {
		t.Fatalf("owner balance %d after the refund", b)
	}
}

// TestLotteryFollowsRule: the "follows" rule asks the host whether the
// member follows the group's owner.
func TestLotteryFollowsRule(t *testing.T) {
	e := startEngine(t, commerceConfig(""))
	ctx := ctxT(t)
	owner, fan, other := dial(t, e, "creator", nil), dial(t, e, "fan", nil), dial(t, e, "other", nil)
	g, _ := owner.CreateGroup(ctx, "fans")
	for _, c := range []interface {
		Join(context.Context, string) (wire.JoinResult, error)
	}{fan, other} {
		if _, err := c.Join(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	e.Host().Follow("fan", "creator")
	l, err := owner.OpenLottery(ctx, g, "a signed photo", 1, time.Now().Add(time.Hour), "follows")
	if err != nil {
		t.Fatal(err)
	}
	if err := fan.EnterLottery(ctx, g, l.Lottery); err != nil {
		t.Fatal(err)
	}
	if err := other.EnterLottery(ctx, g, l.Lottery); wire.CodeOf(err) != wire.CodeNotEligible {
		t.Fatalf("a non-follower entered: %v", err)
	}
	if _, err := fan.OpenLottery(ctx, g, "x", 1, time.Now().Add(time.Hour), ""); wire.CodeOf(err) != wire.CodeForbidden {
		t.Fatalf("a member opened a lottery: %v", err)
	}
}

// TestSendPacketRetry: a retry with the same cmid returns the same packet
// and the sender pays once.
func TestSendPacketRetry(t *testing.T) {
	e := startEngine(t, commerceConfig(""))
	ctx := ctxT(t)
	owner := dial(t, e, "owner", nil)
	g, _ := owner.CreateGroup(ctx, "g")
	_ = e.Host().Grant("owner", 1000)
	a := wire.SendPacketArgs{Group: g, CMID: "p-1", Total: 300, Count: 3}
	p1, err := owner.SendPacket(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := owner.SendPacket(ctx, a)
	if err != nil || p2 != p1 {
		t.Fatalf("retry: %+v %v, first %+v", p2, err, p1)
	}
	if b := e.Host().Balance("owner"); b != 700 {
		t.Fatalf("balance %d: paid twice?", b)
	}
	a.CMID = "p-2"
	if p3, err := owner.SendPacket(ctx, a); err != nil || p3.Packet == p1.Packet {
		t.Fatalf("a new cmid: %+v %v", p3, err)
	}
}
