package actors

import (
	"errors"
	"strings"
	"testing"

	"github.com/qunchat/qun/wire"
)

// packetInfoOf answers packet_info for user at now.
func packetInfoOf(t *testing.T, m *GroupMachine, now int64, user, id string) (wire.PacketInfo, *wire.Error) {
	t.Helper()
	e := m.Handle(Command{Now: now, User: user, Op: wire.OpPacketInfo, Args: args(t, wire.PacketArgs{Group: "g1", Packet: id})})
	var pi wire.PacketInfo
	if e.Err == nil {
		if err := wire.Decode(e.Reply, &pi); err != nil {
			t.Fatal(err)
		}
	}
	return pi, e.Err
}

// TestCreditRetryPolicy: a credit that fails transiently is retried after
// a backoff that doubles up to RetryMax; one the host refuses is recorded,
// never retried, reported as a host event, and shown on the packet — also
// after a restart.
func TestCreditRetryPolicy(t *testing.T) {
	m := machine(t, "bob", "carol")
	cfg := m.cfg.Commerce
	id := funded(t, m, 1500, wire.SendPacketArgs{Total: 300, Count: 3, TTL: day}, "g1~p")
	cb := claim(t, m, 2000, "bob", id).Calls[0]
	cc := claim(t, m, 2000, "carol", id).Calls[0]
	durable(m)

	// Transient failures: the wait doubles, capped.
	now := int64(2000)
	var waits []int64
	for i := 0; i < 12; i++ {
		if e := m.HostDone(now, cb, errors.New("host down")); len(e.Answers)+len(e.Aux)+len(e.Records) != 0 {
			t.Fatalf("a transient credit failure wrote or answered: %+v", e)
		}
		if !m.IsOwed(cb.Key) || m.Attempts(cb.Key) != i+1 {
			t.Fatalf("attempt %d: owed=%v attempts=%d", i+1, m.IsOwed(cb.Key), m.Attempts(cb.Key))
		}
		at := m.com.retry[cb.Key].at
		waits = append(waits, at-now)
		// Not made again before the backoff ends; made when it does.
		for _, c := range m.OwedDue(at - 1) {
			if c.Key == cb.Key {
				t.Fatalf("retried %d ms early", 1)
			}
		}
		due := false
		for _, c := range m.OwedDue(at) {
			due = due || c.Key == cb.Key
		}
		if !due {
			t.Fatal("not retried when the backoff ended")
		}
		now = at
	}
	for i, w := range waits {
		want := min(cfg.RetryMin<<i, cfg.RetryMax)
		if w != want {
			t.Fatalf("wait %d = %d ms, want %d (all %v)", i+1, w, want, waits)
		}
	}
	// carol's credit is still in flight (never failed): the index wants the
	// grain at once; once it too backs off, at the earlier backoff's end.
	if m.Due(now) != 1 {
		t.Fatalf("due %d while a credit is owed and not backing off", m.Due(now))
	}
	m.HostDone(now, cc, errors.New("timeout"))
	if d := m.Due(now); d != now { // bob's backoff ends now
		t.Fatalf("due %d, want %d", d, now)
	}
	if w := m.WakeAt(now); w != now+cfg.RetryMin { // carol's: bob's is the tick's business now
		t.Fatalf("wake at %d, want %d", w, now+cfg.RetryMin)
	}
	// A backoff already over is not a timer (no wake-up loop).
	if w := m.WakeAt(now + cfg.RetryMax*10); w != 1500+day {
		t.Fatalf("wake at %d past every backoff, want the expiry %d", w, 1500+day)
	}

	// The host refuses bob's credit for good.
	rf := m.HostDone(now, cb, wire.Errorf(wire.CodeRejected, "account frozen"))
	if m.IsOwed(cb.Key) || len(rf.Aux) != 1 || rf.Aux[0].Key != auxDone+cb.Key || rf.Aux[0].Value == nil {
		t.Fatalf("refusal not recorded: %+v", rf)
	}
	if len(rf.HostEvents) != 1 || rf.HostEvents[0].Kind != HostPaymentRefused || rf.HostEvents[0].From != "bob" ||
		!strings.Contains(rf.HostEvents[0].Text, cb.Key) || !strings.Contains(rf.HostEvents[0].Text, "account frozen") {
		t.Fatalf("refusal not reported: %+v", rf.HostEvents)
	}
	for _, c := range m.OwedDue(now + day) {
		if c.Key == cb.Key {
			t.Fatal("a refused credit is retried")
		}
	}
	if again := m.HostDone(now, cb, nil); len(again.Aux) != 0 {
		t.Fatal("a late answer to a refused credit was recorded")
	}
	m.HostDone(now, cc, nil)
	check := func(m *GroupMachine) {
		t.Helper()
		pi, err := packetInfoOf(t, m, now, "carol", id)
		if err != nil {
			t.Fatal(err)
		}
		if pi.Refused != 1 || pi.Claims[0].Credit != wire.CreditRefused || !strings.Contains(pi.Claims[0].Note, "account frozen") ||
			pi.Claims[1].Credit != wire.CreditPaid {
			t.Fatalf("packet info %+v", pi)
		}
		if rc := m.RefusedCredits(); len(rc) != 1 || rc[0] != cb.Key {
			t.Fatalf("refused credits %v", rc)
		}
	}
	check(m)
	// After a restart (snapshot + aux) the refusal is still there, not owed.
	snap, _, err := m.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	r := NewGroupMachine("g1", DefaultGroupConfig())
	if err := r.Restore(snap); err != nil {
		t.Fatal(err)
	}
	for _, e := range []Effects{rf, m.confirmEffects(cc.Key)} {
		for _, a := range e.Aux {
			if err := r.LoadAux(a.Key, a.Value); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(r.Owed()) != 0 {
		t.Fatalf("owed after restart: %+v", r.Owed())
	}
	check(r)
}

// confirmEffects is the aux write that records key as applied.
func (g *GroupMachine) confirmEffects(key string) Effects {
	return Effects{Aux: []AuxWrite{{Key: auxDone + key, Value: mustMarshal("")}}}
}

// TestPrune: finished packets, drawn lotteries and finished coupon batches
// leave the state (and snapshots) Retention after they end, once their host
// calls are settled; their ids answer pruned for one more Retention, then
// not_found; a restored snapshot owes nothing for them.
func TestPrune(t *testing.T) {
	m := machine(t, "bob", "carol")
	keep := m.cfg.Commerce.Retention
	shop := true
	if e := m.Handle(Command{Now: 1500, User: "owner", Op: wire.OpCommerceSettings, Args: args(t, wire.CommerceSettingsArgs{Group: "g1", Shop: &shop})}); e.Err != nil {
		t.Fatal(e.Err)
	}
	aux := map[string][]byte{}
	save := func(e Effects) Effects {
		for _, a := range e.Aux {
			if a.Value == nil {
				delete(aux, a.Key)
			} else {
				aux[a.Key] = a.Value
			}
		}
		return e
	}
	// empty: both shares claimed; refunded: expired with a share left;
	// held: expired, its refund's credit still owed.
	empty := funded(t, m, 1500, wire.SendPacketArgs{Total: 200, Count: 2, TTL: 10_000}, "g1~empty")
	refunded := funded(t, m, 1500, wire.SendPacketArgs{Total: 200, Count: 2, TTL: 10_000}, "g1~refunded")
	held := funded(t, m, 1500, wire.SendPacketArgs{Total: 100, Count: 1, TTL: 10_000}, "g1~held")
	for _, u := range []string{"bob", "carol"} {
		save(m.HostDone(2000, claim(t, m, 2000, u, empty).Calls[0], nil))
	}
	save(m.HostDone(2000, claim(t, m, 2000, "bob", refunded).Calls[0], nil))
	lot := m.Handle(Command{Now: 2000, User: "owner", Op: wire.OpOpenLottery, Host: hostFacts(t, "g1~lot"),
		Args: args(t, wire.OpenLotteryArgs{Group: "g1", Prize: "a mug", Winners: 1, Deadline: 5000})})
	if lot.Err != nil {
		t.Fatal(lot.Err)
	}
	save(m.Handle(Command{Now: 2000, User: "bob", Op: wire.OpEnterLottery, Args: args(t, wire.LotteryArgs{Group: "g1", Lottery: "g1~lot"})}))
	if e := m.Handle(Command{Now: 2000, User: "owner", Op: wire.OpPostCoupon, Host: hostFacts(t, "g1~cp"),
		Args: args(t, wire.PostCouponArgs{Group: "g1", Title: "¥1 off", Value: 100, Count: 1, ValidUntil: 100 * day})}); e.Err != nil {
		t.Fatal(e.Err)
	}
	cc := m.Handle(Command{Now: 3000, User: "carol", Op: wire.OpClaimCoupon, Args: args(t, wire.CouponArgs{Group: "g1", Coupon: "g1~cp"})})
	save(m.HostDone(3000, cc.Calls[0], nil)) // the batch is out of stock at 3000
	save(m.Tick(5000))                       // the draw
	end := int64(1500 + 10_000)
	tk := save(m.Tick(end)) // refunds of refunded and held
	if len(tk.Records) != 2 {
		t.Fatalf("expiry records %d", len(tk.Records))
	}
	for _, c := range m.Owed() {
		if strings.HasPrefix(c.Key, refunded) {
			save(m.HostDone(end, c, nil))
		}
	}
	durable(m)

	// Before the retention ends nothing goes; the grain is due when it does.
	if e := save(m.Tick(3000 + keep - 1)); len(e.Aux) != 0 || m.snapshotForced() {
		t.Fatalf("pruned early: %+v", e.Aux)
	}
	if d := m.pruneAt(3000 + keep - 1); d != 3000+keep {
		t.Fatalf("prune due %d, want %d (the coupon batch, out of stock at 3000)", d, 3000+keep)
	}
	at := end + keep
	e := save(m.Tick(at))
	if !m.snapshotForced() || !m.SnapshotDue() {
		t.Fatal("a prune must put a snapshot in its batch")
	}
	deleted := map[string]bool{}
	for _, a := range e.Aux {
		if a.Value != nil {
			t.Fatalf("prune wrote %s", a.Key)
		}
		deleted[a.Key] = true
	}
	for _, k := range []string{auxDone + empty + "/c1", auxDone + empty + "/c2", auxDone + refunded + "/c1", auxDone + refunded + "/refund",
		auxEntry + "g1~lot/bob", auxDone + "g1~cp/carol"} {
		if !deleted[k] {
			t.Fatalf("%s not deleted (deleted %v)", k, deleted)
		}
	}
	c := m.st.Commerce
	if c.Packets[empty] != nil || c.Packets[refunded] != nil || c.Lotteries["g1~lot"] != nil || c.Coupons["g1~cp"] != nil {
		t.Fatal("finished items kept")
	}
	if c.Packets[held] == nil {
		t.Fatal("a packet whose refund is owed was pruned")
	}
	// The held packet does not make the grain wake in a loop.
	if d := m.Due(at); d != 1 {
		t.Fatalf("due %d with a refund owed", d)
	}
	snap, _, err := m.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if m.snapshotForced() {
		t.Fatal("snapshot did not clear the request")
	}
	for _, x := range []struct{ op wire.Op }{{wire.OpPacketInfo}, {wire.OpClaimPacket}} {
		e := m.Handle(Command{Now: at, User: "carol", Op: x.op, Args: args(t, wire.PacketArgs{Group: "g1", Packet: refunded})})
		if e.Err == nil || e.Err.Code != wire.CodePruned {
			t.Fatalf("op %v on a pruned packet: %v", x.op, e.Err)
		}
	}
	if e := m.Handle(Command{Now: at, User: "bob", Op: wire.OpLotteryInfo, Args: args(t, wire.LotteryArgs{Group: "g1", Lottery: "g1~lot"})}); e.Err == nil || e.Err.Code != wire.CodePruned {
		t.Fatalf("lottery_info of a pruned lottery: %v", e.Err)
	}
	if e := m.Handle(Command{Now: at, User: "bob", Op: wire.OpCouponInfo, Args: args(t, wire.CouponArgs{Group: "g1", Coupon: "g1~cp"})}); e.Err == nil || e.Err.Code != wire.CodePruned {
		t.Fatalf("coupon_info of a pruned batch: %v", e.Err)
	}
	// Restored from the new snapshot and the remaining aux: nothing is
	// owed for the pruned packets (their confirmations are gone with them).
	r := NewGroupMachine("g1", DefaultGroupConfig())
	if err := r.Restore(snap); err != nil {
		t.Fatal(err)
	}
	for k, v := range aux {
		if err := r.LoadAux(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range r.Owed() {
		if !strings.HasPrefix(o.Key, held+"/") {
			t.Fatalf("owed after restore: %+v", o)
		}
	}
	// Once the held refund settles, it goes too; after one more retention
	// the tombstones go, and the ids are unknown.
	for _, o := range m.Owed() {
		m.HostDone(at, o, nil)
	}
	if d := m.Due(at); d != end+keep {
		t.Fatalf("due %d after the refund settled, want %d", d, end+keep)
	}
	m.Tick(at)
	if m.st.Commerce.Packets[held] != nil {
		t.Fatal("held packet kept after its refund settled")
	}
	m.Tick(at + keep)
	if len(m.st.Commerce.Pruned) != 0 {
		t.Fatalf("tombstones kept: %v", m.st.Commerce.Pruned)
	}
	if _, err := packetInfoOf(t, m, at+keep, "carol", refunded); err == nil || err.Code != wire.CodeNotFound {
		t.Fatalf("packet_info long after the prune: %v", err)
	}
	if d := m.Due(at + keep); d != 0 {
		t.Fatalf("due %d with nothing left", d)
	}
}

// TestPacketCMID: a retry with the same cmid is the same packet whatever
// id the engine offers; the same cmid after the packet was pruned is a new
// packet with a new id (so a new debit key, never a replay of the old one).
func TestPacketCMID(t *testing.T) {
	m := machine(t, "bob")
	sendP := func(now int64, user, hostID string) Effects {
		return m.Handle(Command{Now: now, User: user, Op: wire.OpSendPacket, Host: hostFacts(t, hostID),
			Args: args(t, wire.SendPacketArgs{Group: "g1", CMID: "c1", Total: 100, Count: 1, TTL: 1000})})
	}
	first := sendP(2000, "owner", "g1~a")
	if first.Hold != "g1~a/debit" {
		t.Fatalf("first send: %+v", first)
	}
	// Retry while the debit is pending: waits on the same call, even with
	// the open-packet cap reached by the packet itself.
	m.cfg.Commerce.MaxOpen = 1
	if e := sendP(2001, "owner", "g1~b"); e.Hold != "g1~a/debit" || len(e.Calls) != 0 || len(e.Aux) != 0 {
		t.Fatalf("retry while pending: %+v", e)
	}
	m.cfg.Commerce.MaxOpen = DefaultCommerceConfig().MaxOpen
	m.HostDone(2001, first.Calls[0], nil)
	durable(m)
	e := sendP(2002, "owner", "g1~c")
	var pr wire.PacketResult
	if e.Err != nil || wire.Decode(e.Reply, &pr) != nil || pr.Packet != "g1~a" {
		t.Fatalf("retry after posting: %+v %+v", e, pr)
	}
	// Another sender's cmid is theirs.
	if e := sendP(2003, "bob", "g1~d"); e.Hold != "g1~d/debit" {
		t.Fatalf("bob's send with the same cmid: %+v", e)
	}
	// Expire, refund, prune, then the same cmid again: a new packet.
	m.Tick(3000)
	for _, c := range m.Owed() {
		if strings.HasPrefix(c.Key, "g1~a/") {
			m.HostDone(3000, c, nil)
		}
	}
	m.Tick(3000 + m.cfg.Commerce.Retention)
	if m.st.Commerce.Packets["g1~a"] != nil {
		t.Fatal("not pruned")
	}
	if e := sendP(4000+m.cfg.Commerce.Retention, "owner", "g1~e"); e.Hold != "g1~e/debit" || len(e.Calls) != 1 || e.Calls[0].Key != "g1~e/debit" {
		t.Fatalf("the cmid after the prune: %+v", e)
	}
}

// TestShopAndOrderKinds: shop and order groups are group kinds, shown in
// group_info and the index entry; old snapshots (a shop flag, an order in
// the commerce state) load as those kinds.
func TestShopAndOrderKinds(t *testing.T) {
	m := machine(t, "bob")
	set := func(m *GroupMachine, on bool) *wire.Error {
		return m.Handle(Command{Now: 2000, User: "owner", Op: wire.OpCommerceSettings, Args: args(t, wire.CommerceSettingsArgs{Group: "g1", Shop: &on})}).Err
	}
	if err := set(m, true); err != nil {
		t.Fatal(err)
	}
	ie := m.IndexEntry()
	if m.info().Kind != wire.KindShop || !ie.Shop || ie.Kind != wire.KindShop || ie.Card().Kind != wire.KindShop {
		t.Fatalf("shop: info kind %d, index %+v", m.info().Kind, m.IndexEntry())
	}
	if err := set(m, false); err != nil || m.info().Kind != wire.KindUser || m.IndexEntry().Shop {
		t.Fatalf("shop off: %v kind %d", err, m.info().Kind)
	}

	// A fan group cannot become a shop.
	f := NewGroupMachine("g1", DefaultGroupConfig())
	if e := f.Handle(Command{Now: 1000, User: "owner", Op: wire.OpCreateFanGroup, Args: args(t, wire.CreateFanGroupArgs{Name: "fans"})}); e.Err != nil {
		t.Fatal(e.Err)
	}
	if err := set(f, true); err == nil || err.Code != wire.CodeNotAllowed || f.info().Kind != wire.KindFan {
		t.Fatalf("fan group made a shop: %v kind %d", err, f.info().Kind)
	}

	// An order group is of kind order (and cannot become a shop).
	o := NewGroupMachine(OrderGroupID("o1"), DefaultGroupConfig())
	if e := o.Handle(Command{Now: 1000, User: "ops", Op: wire.OpCreateOrderGroup, Args: args(t, wire.OrderGroupArgs{Order: "o1", Buyer: "b", Merchant: "m"})}); e.Err != nil {
		t.Fatal(e.Err)
	}
	if o.info().Kind != wire.KindOrder || o.IndexEntry().Kind != wire.KindOrder {
		t.Fatalf("order group kind %d", o.info().Kind)
	}

	// Old snapshots: the shop flag and the order in the commerce state, no kind.
	for _, c := range []struct {
		name string
		old  func(*GroupMachine)
		want wire.GroupKind
	}{
		{"shop", func(g *GroupMachine) { g.cs().Shop = true }, wire.KindShop},
		{"order", func(g *GroupMachine) {
			g.cs().Order = &orderState{ID: "o9", Buyer: "b", Merchant: "owner", Status: OrderCreated}
		}, wire.KindOrder},
	} {
		old := machine(t, "bob")
		c.old(old)
		snap, _, err := old.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		r := NewGroupMachine("g1", DefaultGroupConfig())
		if err := r.Restore(snap); err != nil {
			t.Fatal(err)
		}
		if r.info().Kind != c.want || r.IndexEntry().Kind != c.want {
			t.Fatalf("%s: old snapshot loads as kind %d", c.name, r.info().Kind)
		}
		if c.want == wire.KindShop {
			if r.st.Commerce.Shop || !r.IndexEntry().Shop {
				t.Fatal("the old flag is written again, or the shop page lost the group")
			}
			// Coupons work in the migrated shop.
			if e := r.Handle(Command{Now: 2000, User: "owner", Op: wire.OpPostCoupon, Host: hostFacts(t, "g1~c"),
				Args: args(t, wire.PostCouponArgs{Group: "g1", Title: "t", Value: 1, Count: 1, ValidUntil: 9000})}); e.Err != nil {
				t.Fatal(e.Err)
			}
		}
	}

	// Old journals: a shop setting record replays as the kind.
	j := machine(t, "bob")
	snap, _, _ := j.Snapshot()
	on := true
	e := j.Handle(Command{Now: 2000, User: "owner", Op: wire.OpCommerceSettings, Args: args(t, wire.CommerceSettingsArgs{Group: "g1", Shop: &on})})
	_, entry, err := encodeRecord(&e.Records[0])
	if err != nil {
		t.Fatal(err)
	}
	r := NewGroupMachine("g1", DefaultGroupConfig())
	if err := r.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if err := r.Replay(entry); err != nil || r.info().Kind != wire.KindShop {
		t.Fatalf("replayed shop setting: %v kind %d", err, r.info().Kind)
	}
}
