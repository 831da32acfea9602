package engine_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/wire"
)

// flakyPayments is the in-memory host with faults: the first credits of
// one user fail transiently, and another user's credits are refused.
type flakyPayments struct {
	*engine.MemoryHost
	flaky, frozen string
	fails         int // transient failures left for flaky

	mu    sync.Mutex
	calls map[string][]time.Time // credit key → attempts
}

func (f *flakyPayments) Credit(ctx context.Context, key, user string, cents int64) error {
	f.mu.Lock()
	f.calls[key] = append(f.calls[key], time.Now())
	fail := user == f.flaky && f.fails > 0
	if fail {
		f.fails--
	}
	f.mu.Unlock()
	switch {
	case fail:
		return errors.New("wallet service unreachable")
	case user == f.frozen:
		return wire.Errorf(wire.CodeRejected, "account frozen")
	}
	return f.MemoryHost.Credit(ctx, key, user, cents)
}

func (f *flakyPayments) attempts(key string) []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.calls[key]...)
}

// TestCreditRetryAndRefusal: a credit the host fails transiently is retried
// with the same key after a growing backoff until it is applied; one the
// host refuses is tried once, never again, counted in the engine's stats
// and shown on the packet as refused with the host's reason.
func TestCreditRetryAndRefusal(t *testing.T) {
	cfg := commerceConfig(t.TempDir())
	cfg.TimerPeriod = 50 * time.Millisecond
	cfg.Group.Commerce.RetryMin, cfg.Group.Commerce.RetryMax = 100, 400
	fp := &flakyPayments{MemoryHost: engine.NewMemoryHost(cfg.DefaultTier), flaky: "bob", frozen: "frank", fails: 3, calls: map[string][]time.Time{}}
	cfg.Hooks.Payments = fp
	e := startEngine(t, cfg)
	ctx := ctxT(t)
	owner, bob, frank := dial(t, e, "owner", nil), dial(t, e, "bob", nil), dial(t, e, "frank", nil)
	g, err := owner.CreateGroup(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client.Client{bob, frank} {
		if _, err := c.Join(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	_ = fp.Grant("owner", 1000)
	p, err := owner.SendPacket(ctx, wire.SendPacketArgs{Group: g, Total: 300, Count: 3})
	if err != nil {
		t.Fatal(err)
	}
	rb, err := bob.ClaimPacket(ctx, g, p.Packet)
	if err != nil {
		t.Fatal(err)
	}
	rf, err := frank.ClaimPacket(ctx, g, p.Packet)
	if err != nil {
		t.Fatal(err)
	}
	bobKey, frankKey := p.Packet+"/c1", p.Packet+"/c2"
	var info wire.PacketInfo
	waitFor(t, 10*time.Second, "bob paid and frank's credit refused", func() bool {
		info, err = owner.PacketInfo(ctx, g, p.Packet)
		return err == nil && len(info.Claims) == 2 && info.Claims[0].Credit == wire.CreditPaid && info.Claims[1].Credit == wire.CreditRefused
	})
	if !fp.Applied(bobKey) || fp.Balance("bob") != rb.Amount {
		t.Fatalf("bob's credit: applied %v, balance %d, want %d", fp.Applied(bobKey), fp.Balance("bob"), rb.Amount)
	}
	// bob: 3 transient failures, then applied; each wait at least the
	// backoff (100, 200, 400 ms).
	at := fp.attempts(bobKey)
	if len(at) != 4 {
		t.Fatalf("bob's credit tried %d times, want 4", len(at))
	}
	for i, want := range []time.Duration{100, 200, 400} {
		// The machine keeps times in whole milliseconds (time is an
		// input, truncated to ms), so a wait can be up to 1 ms short of
		// the backoff as the host's clock sees it.
		if d := at[i+1].Sub(at[i]); d < want*time.Millisecond-time.Millisecond {
			t.Fatalf("attempt %d came %v after the previous one, backoff %v ms", i+2, d, want)
		}
	}
	// frank: refused once, never retried (bob's retries took longer than
	// several scanner periods), reported.
	if n := len(fp.attempts(frankKey)); n != 1 {
		t.Fatalf("frank's refused credit tried %d times", n)
	}
	if info.Refused != 1 || !strings.Contains(info.Claims[1].Note, "account frozen") || fp.Balance("frank") != 0 {
		t.Fatalf("packet info %+v, frank's balance %d (share %d)", info, fp.Balance("frank"), rf.Amount)
	}
	waitFor(t, 5*time.Second, "the refusal counted", func() bool { return e.Stats().CreditsRefused == 1 })
}

// TestPruneAcrossRestart: a finished packet leaves the group's state after
// the retention (packet_info answers pruned), and a restart neither brings
// it back nor pays its claims or refund again.
func TestPruneAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := commerceConfig(dir)
	cfg.TimerPeriod = 50 * time.Millisecond
	cfg.Group.Commerce.Retention = 1000
	ledger := filepath.Join(dir, "ledger.jsonl")
	start := func() *engine.Engine {
		e, err := engine.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Host().OpenLedger(ledger); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := e.Start(ctx); err != nil {
			t.Fatal(err)
		}
		return e
	}
	e := start()
	ctx := ctxT(t)
	owner, bob := dial(t, e, "owner", nil), dial(t, e, "bob", nil)
	g, _ := owner.CreateGroup(ctx, "g")
	if _, err := bob.Join(ctx, g); err != nil {
		t.Fatal(err)
	}
	_ = e.Host().Grant("owner", 1000)
	p, err := owner.SendPacket(ctx, wire.SendPacketArgs{Group: g, Total: 300, Count: 2, TTL: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.ClaimPacket(ctx, g, p.Packet); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the packet pruned", func() bool {
		_, err := owner.PacketInfo(ctx, g, p.Packet)
		return wire.CodeOf(err) == wire.CodePruned
	})
	pruned := time.Now()
	if !e.Host().Applied(p.Packet+"/refund") || !e.Host().Applied(p.Packet+"/c1") {
		t.Fatal("pruned before its credits were paid")
	}
	if _, err := bob.ClaimPacket(ctx, g, p.Packet); wire.CodeOf(err) != wire.CodePruned {
		t.Fatalf("claim of a pruned packet: %v", err)
	}
	owner.Close()
	bob.Close()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	_ = e.Host().CloseLedger()

	e2 := start()
	t.Cleanup(func() { _ = e2.Close(); _ = e2.Host().CloseLedger() })
	owner2 := dial(t, e2, "owner", nil)
	// The packet stays pruned: its tombstone is in the snapshot the prune
	// wrote, unless the restart outlasted the tombstone's retention too.
	_, err = owner2.PacketInfo(ctx, g, p.Packet)
	if c := wire.CodeOf(err); c != wire.CodePruned && !(c == wire.CodeNotFound && time.Since(pruned) > time.Second) {
		t.Fatalf("packet_info after the restart: %v", err)
	}
	// Nothing is paid again: the ledger keeps one entry per key. The
	// restarted group's timer has run (its history answers) and re-drove
	// whatever it owed.
	waitFor(t, 5*time.Second, "the group loaded", func() bool {
		_, err := owner2.History(ctx, wire.HistoryArgs{Group: g})
		return err == nil
	})
	seen := map[string]int{}
	for _, l := range readLedger(t, ledger) {
		seen[l.Key]++
	}
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("ledger key %s applied %d times", k, n)
		}
	}
	if seen[p.Packet+"/c1"] != 1 || seen[p.Packet+"/refund"] != 1 || seen[p.Packet+"/debit"] != 1 {
		t.Fatalf("ledger %v", seen)
	}
}

// TestShopAndOrderGroupKinds: shop and order groups carry their kind in
// group_info, my_groups and the shop page's cards.
func TestShopAndOrderGroupKinds(t *testing.T) {
	e := startEngine(t, commerceConfig(t.TempDir()))
	ctx := ctxT(t)
	m, ops, buyer := dial(t, e, "merchant", nil), dial(t, e, "ops", nil), dial(t, e, "buyer", nil)
	g, _ := m.CreateGroup(ctx, "shop")
	on := true
	if _, err := m.CommerceSettings(ctx, wire.CommerceSettingsArgs{Group: g, Shop: &on}); err != nil {
		t.Fatal(err)
	}
	if info, err := m.GroupInfo(ctx, g); err != nil || info.Kind != wire.KindShop {
		t.Fatalf("group_info of a shop: %+v %v", info, err)
	}
	var cards []wire.GroupCard
	waitFor(t, 5*time.Second, "the shop page", func() bool {
		cards, _ = buyer.ShopGroups(ctx, "merchant")
		return len(cards) == 1
	})
	if cards[0].Group != g || cards[0].Kind != wire.KindShop {
		t.Fatalf("shop page %+v", cards)
	}
	og, err := ops.CreateOrderGroup(ctx, wire.OrderGroupArgs{Order: "o-77", Buyer: "buyer", Merchant: "merchant"})
	if err != nil {
		t.Fatal(err)
	}
	mine, err := buyer.MyGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != 1 || mine[0].Group != og || mine[0].Kind != wire.KindOrder {
		t.Fatalf("buyer's groups %+v", mine)
	}
	kinds := map[string]wire.GroupKind{}
	mm, _ := m.MyGroups(ctx)
	for _, x := range mm {
		kinds[x.Group] = x.Kind
	}
	if kinds[g] != wire.KindShop || kinds[og] != wire.KindOrder {
		t.Fatalf("merchant's groups %v", kinds)
	}
	// An order group cannot become a shop.
	if _, err := m.CommerceSettings(ctx, wire.CommerceSettingsArgs{Group: og, Shop: &on}); wire.CodeOf(err) != wire.CodeNotAllowed {
		t.Fatalf("order group made a shop: %v", err)
	}
}

// TestSendPacketAlwaysIdempotent: the client sends a cmid it made itself;
// while the host is down it retries with it and then reports it, and a
// send with that cmid once the host is back is the same packet, paid once.
func TestSendPacketAlwaysIdempotent(t *testing.T) {
	cfg := commerceConfig(t.TempDir())
	cfg.TimerPeriod = 50 * time.Millisecond
	cfg.Group.Commerce.RetryMin, cfg.Group.Commerce.RetryMax = 50, 200
	e := startEngine(t, cfg)
	ctx := ctxT(t)
	owner := dial(t, e, "owner", nil)
	g, _ := owner.CreateGroup(ctx, "g")
	_ = e.Host().Grant("owner", 1000)
	e.Host().SetPaymentsDown(true)
	_, err := owner.SendPacket(ctx, wire.SendPacketArgs{Group: g, Total: 300, Count: 3})
	var pe *client.PacketSendError
	if !errors.As(err, &pe) || pe.CMID == "" || wire.CodeOf(err) != wire.CodePaymentPending {
		t.Fatalf("send while the host is down: %v", err)
	}
	e.Host().SetPaymentsDown(false)
	p, err := owner.SendPacket(ctx, wire.SendPacketArgs{Group: g, CMID: pe.CMID, Total: 300, Count: 3})
	if err != nil {
		t.Fatal(err)
	}
	if b := e.Host().Balance("owner"); b != 700 {
		t.Fatalf("balance %d after one packet of 300", b)
	}
	debits := 0
	for _, l := range e.Host().Ledger("owner") {
		if l.Kind == "debit" {
			debits++
			if l.Key != p.Packet+"/debit" {
				t.Fatalf("debit %s for packet %s", l.Key, p.Packet)
			}
		}
	}
	if debits != 1 {
		t.Fatalf("%d debits", debits)
	}
}
