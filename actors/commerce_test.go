package actors

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/qunchat/qun/internal/lottery"
	"github.com/qunchat/qun/wire"
)

var testSeed = []byte("0123456789abcdef0123456789abcdef")

func hostFacts(t testing.TB, id string) []byte {
	return args(t, HostFacts{ID: id, Seed: testSeed})
}

// durable marks everything written durable, as the grain does once a batch
// commits.
func durable(m *GroupMachine) { m.MarkDurable(m.LastSeq()) }

// funded sends a packet and completes its debit; it returns the packet id.
func funded(t *testing.T, m *GroupMachine, now int64, a wire.SendPacketArgs, id string) string {
	t.Helper()
	a.Group = "g1"
	e := m.Handle(Command{Now: now, User: "owner", Op: wire.OpSendPacket, Args: args(t, a), Host: hostFacts(t, id)})
	if e.Err != nil {
		t.Fatal(e.Err)
	}
	if len(e.Calls) != 1 || e.Calls[0].Kind != CallDebit || e.Hold != id+"/debit" || len(e.Records) != 0 {
		t.Fatalf("send: calls %+v hold %q records %d", e.Calls, e.Hold, len(e.Records))
	}
	d := m.HostDone(now, e.Calls[0], nil)
	if len(d.Records) != 1 || len(d.Answers) != 1 || d.Answers[0].Err != nil {
		t.Fatalf("debited: %+v", d)
	}
	durable(m)
	return id
}

func claim(t testing.TB, m *GroupMachine, now int64, user, id string) Effects {
	return m.Handle(Command{Now: now, User: user, Op: wire.OpClaimPacket, Args: args(t, wire.PacketArgs{Group: "g1", Packet: id})})
}

func TestPacketClaims(t *testing.T) {
	cases := []struct {
		name  string
		user  string
		id    string
		setup func(m *GroupMachine, id string)
		now   int64
		code  wire.Code
	}{
		{"member claims", "bob", "g1~p", nil, 2000, 0},
		{"non-member", "eve", "g1~p", nil, 2000, wire.CodeNotMember},
		{"another group's packet", "bob", "g2~p", nil, 2000, wire.CodeWrongGroup},
		{"unknown packet", "bob", "g1~zz", nil, 2000, wire.CodeNotFound},
		{"expired", "bob", "g1~p", nil, 2000 + day, wire.CodePacketExpired},
		{"recalled", "bob", "g1~p", func(m *GroupMachine, id string) {
			if e := m.Handle(Command{Now: 2000, User: "owner", Op: wire.OpRecallPacket, Args: args(t, wire.PacketArgs{Group: "g1", Packet: id})}); e.Err != nil {
				t.Fatal(e.Err)
			}
		}, 2000, wire.CodePacketRecalled},
		{"empty", "carol", "g1~p", func(m *GroupMachine, id string) {
			for _, u := range []string{"owner", "bob"} {
				if e := claim(t, m, 2000, u, id); e.Err != nil {
					t.Fatal(e.Err)
				}
			}
		}, 2000, wire.CodePacketEmpty},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := machine(t, "bob", "carol")
			id := funded(t, m, 1500, wire.SendPacketArgs{Total: 300, Count: 2}, "g1~p")
			if c.setup != nil {
				c.setup(m, id)
			}
			e := claim(t, m, c.now, c.user, c.id)
			var code wire.Code
			if e.Err != nil {
				code = e.Err.Code
			}
			if code != c.code {
				t.Fatalf("code %v, want %v (%v)", code, c.code, e.Err)
			}
		})
	}
}

func TestPacketSendBounds(t *testing.T) {
	cases := []struct {
		name string
		a    wire.SendPacketArgs
		code wire.Code
	}{
		{"ok lucky", wire.SendPacketArgs{Total: 888, Count: 8}, 0},
		{"ok equal", wire.SendPacketArgs{Total: 888, Count: 8, Mode: "equal"}, 0},
		{"zero total", wire.SendPacketArgs{Total: 0, Count: 1}, wire.CodeBadRequest},
		{"negative total", wire.SendPacketArgs{Total: -5, Count: 1}, wire.CodeBadRequest},
		{"below a cent a share", wire.SendPacketArgs{Total: 7, Count: 8}, wire.CodeBadRequest},
		{"too many shares", wire.SendPacketArgs{Total: 20000, Count: 201}, wire.CodeBadRequest},
		{"over the cap", wire.SendPacketArgs{Total: 20001, Count: 1}, wire.CodeBadRequest},
		{"bad mode", wire.SendPacketArgs{Total: 100, Count: 1, Mode: "float"}, wire.CodeBadRequest},
		{"only a non-member", wire.SendPacketArgs{Total: 100, Count: 1, Only: []string{"eve"}}, wire.CodeBadRequest},
		{"count above only", wire.SendPacketArgs{Total: 100, Count: 2, Only: []string{"bob"}}, wire.CodeBadRequest},
		{"ttl too long", wire.SendPacketArgs{Total: 100, Count: 1, TTL: 2 * day}, wire.CodeBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := machine(t, "bob")
			c.a.Group = "g1"
			e := m.Handle(Command{Now: 2000, User: "bob", Op: wire.OpSendPacket, Args: args(t, c.a), Host: hostFacts(t, "g1~x")})
			var code wire.Code
			if e.Err != nil {
				code = e.Err.Code
			}
			if code != c.code {
				t.Fatalf("code %v, want %v (%v)", code, c.code, e.Err)
			}
		})
	}
}

func TestPacketSendersSetting(t *testing.T) {
	m := machine(t, "bob")
	admin := wire.RoleAdmin
	if e := m.Handle(Command{Now: 1500, User: "owner", Op: wire.OpCommerceSettings, Args: args(t, wire.CommerceSettingsArgs{Group: "g1", PacketSenders: &admin})}); e.Err != nil {
		t.Fatal(e.Err)
	}
	e := m.Handle(Command{Now: 2000, User: "bob", Op: wire.OpSendPacket, Args: args(t, wire.SendPacketArgs{Group: "g1", Total: 100, Count: 1}), Host: hostFacts(t, "g1~x")})
	if e.Err == nil || e.Err.Code != wire.CodeForbidden {
		t.Fatalf("member sent with admins-only setting: %v", e.Err)
	}
}

func TestPacketDebitRefusedAndTransient(t *testing.T) {
	m := machine(t, "bob")
	e := m.Handle(Command{Now: 2000, User: "bob", Op: wire.OpSendPacket, Args: args(t, wire.SendPacketArgs{Group: "g1", Total: 100, Count: 1}), Host: hostFacts(t, "g1~x")})
	call := e.Calls[0]
	// Transient: answered as pending, still owed, due after the first backoff.
	tr := m.HostDone(2000, call, errors.New("connection refused"))
	if len(tr.Answers) != 1 || tr.Answers[0].Err.Code != wire.CodePaymentPending || !m.IsOwed(call.Key) || m.Due(0) != 2000+1000 {
		t.Fatalf("transient: %+v owed=%v due=%d", tr, m.IsOwed(call.Key), m.Due(0))
	}
	rf := m.HostDone(2001, call, wire.Errorf(wire.CodeInsufficientFunds, "balance 5"))
	if len(rf.Records) != 0 || rf.Answers[0].Err.Code != wire.CodeInsufficientFunds || m.IsOwed(call.Key) || len(rf.Aux) != 1 || rf.Aux[0].Value != nil {
		t.Fatalf("refused: %+v", rf)
	}
	if again := m.HostDone(2002, call, nil); len(again.Records) != 0 {
		t.Fatal("a late success after the refusal posted the packet")
	}
}

func TestPacketLifecycle(t *testing.T) {
	m := machine(t, "bob", "carol", "dave")
	id := funded(t, m, 1500, wire.SendPacketArgs{Total: 1000, Count: 3, TTL: 10_000}, "g1~p")
	var sum int64
	for i, u := range []string{"bob", "carol"} {
		e := claim(t, m, 2000, u, id)
		if e.Err != nil || len(e.Records) != 1 || len(e.Calls) != 1 || e.Calls[0].Key != fmt.Sprintf("%s/c%d", id, i+1) {
			t.Fatalf("claim %s: %+v", u, e)
		}
		var r wire.ClaimResult
		_ = wire.Decode(e.Reply, &r)
		sum += r.Amount
		// The credit is owed until the host confirms.
		if !m.IsOwed(e.Calls[0].Key) {
			t.Fatal("credit not owed")
		}
		if c := m.HostDone(2000, e.Calls[0], nil); len(c.Aux) != 1 {
			t.Fatal("confirmation not written")
		}
	}
	// A second claim is the first one again, nothing new written.
	if e := claim(t, m, 2000, "bob", id); e.Err != nil || len(e.Records) != 0 {
		t.Fatalf("repeat claim: %+v", e)
	}
	if m.NextTimer() != 1500+10_000 {
		t.Fatalf("next timer %d", m.NextTimer())
	}
	if e := m.Tick(5000); len(e.Records) != 0 {
		t.Fatal("tick before the expiry did something")
	}
	e := m.Tick(1500 + 10_000)
	if len(e.Records) != 1 || e.Records[0].Msg.Body.System.Event != wire.EventPacketRefunded {
		t.Fatalf("expiry: %+v", e)
	}
	owed := m.Owed()
	if len(owed) != 1 || owed[0].Key != id+"/refund" || owed[0].Amount != 1000-sum || owed[0].User != "owner" {
		t.Fatalf("owed after expiry %+v", owed)
	}
	if again := m.Tick(1500 + 20_000); len(again.Records) != 0 {
		t.Fatal("refunded twice")
	}
	info := m.Handle(Command{Now: 3000, User: "dave", Op: wire.OpPacketInfo, Args: args(t, wire.PacketArgs{Group: "g1", Packet: id})})
	var pi wire.PacketInfo
	if err := wire.Decode(info.Reply, &pi); err != nil || pi.State != "expired" || pi.Claimed != sum || len(pi.Claims) != 2 || pi.Luckiest == "" || pi.Refund != 1000-sum {
		t.Fatalf("info %+v %v", pi, err)
	}
}

// TestPacketRecovery: a machine rebuilt from its journal and aux owes
// exactly what was not confirmed, and the split is the one fixed at send.
func TestPacketRecovery(t *testing.T) {
	m := machine(t, "bob", "carol")
	var journal [][]byte
	aux := map[string][]byte{}
	keep := func(e Effects) Effects {
		for i := range e.Records {
			_, entry, err := encodeRecord(&e.Records[i])
			if err != nil {
				t.Fatal(err)
			}
			journal = append(journal, entry)
		}
		for _, a := range e.Aux {
			if a.Value == nil {
				delete(aux, a.Key)
			} else {
				aux[a.Key] = a.Value
			}
		}
		return e
	}
	snap, _, err := m.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	send := keep(m.Handle(Command{Now: 2000, User: "owner", Op: wire.OpSendPacket, Args: args(t, wire.SendPacketArgs{Group: "g1", Total: 500, Count: 2}), Host: hostFacts(t, "g1~p")}))
	// Crash before the debit answered: the pending packet is owed.
	r := NewGroupMachine("g1", DefaultGroupConfig())
	if err := r.Restore(snap); err != nil {
		t.Fatal(err)
	}
	for k, v := range aux {
		if err := r.LoadAux(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if o := r.Owed(); len(o) != 1 || o[0].Key != "g1~p/debit" {
		t.Fatalf("owed after crash before debit: %+v", o)
	}
	keep(m.HostDone(2000, send.Calls[0], nil))
	c1 := keep(claim(t, m, 2100, "bob", "g1~p"))
	keep(m.HostDone(2100, c1.Calls[0], nil))
	c2 := keep(claim(t, m, 2200, "carol", "g1~p"))
	_ = c2 // crash before carol's credit was confirmed
	r = NewGroupMachine("g1", DefaultGroupConfig())
	if err := r.Restore(snap); err != nil {
		t.Fatal(err)
	}
	for _, j := range journal {
		if err := r.Replay(j); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range aux {
		if err := r.LoadAux(k, v); err != nil {
			t.Fatal(err)
		}
	}
	o := r.Owed()
	if len(o) != 1 || o[0].Key != "g1~p/c2" || o[0].User != "carol" || o[0].Amount != c2.Calls[0].Amount {
		t.Fatalf("owed after crash: %+v", o)
	}
	if r.Due(0) != 1 {
		t.Fatalf("due %d, want 1 (owed)", r.Due(0))
	}
}

// TestPacketProperty: over 10 000 random packets claimed by random members
// at the machine level, every packet pays exactly its total (claims plus
// refund), every claim is >= 1 cent, and no member is paid twice.
func TestPacketProperty(t *testing.T) {
	n := 10_000
	if testing.Short() {
		n = 1000
	}
	rng := rand.New(rand.NewPCG(1, 2))
	members := make([]string, 30)
	for i := range members {
		members[i] = fmt.Sprintf("u%d", i)
	}
	var m *GroupMachine
	now := int64(2000)
	for i := 0; i < n; i++ {
		if i%100 == 0 { // a group keeps its packets: start a new one now and then
			m = machine(t, members...)
		}
		count := 1 + rng.IntN(20)
		total := int64(count) + rng.Int64N(20_000-int64(count)+1)
		mode := "lucky"
		if rng.IntN(2) == 0 {
			mode = "equal"
		}
		id := fmt.Sprintf("g1~%d", i)
		seed := make([]byte, 16)
		for j := range seed {
			seed[j] = byte(rng.IntN(256))
		}
		e := m.Handle(Command{Now: now, User: "owner", Op: wire.OpSendPacket, Host: args(t, HostFacts{ID: id, Seed: seed}),
			Args: args(t, wire.SendPacketArgs{Group: "g1", Total: total, Count: count, Mode: mode, TTL: 1000})})
		if e.Err != nil {
			t.Fatal(e.Err)
		}
		m.HostDone(now, e.Calls[0], nil)
		paid := map[string]bool{}
		var sum int64
		for k := 0; k < 40; k++ {
			u := members[rng.IntN(len(members))]
			c := claim(t, m, now, u, id)
			if c.Err != nil {
				if c.Err.Code != wire.CodePacketEmpty {
					t.Fatal(c.Err)
				}
				continue
			}
			if len(c.Records) == 0 {
				continue // a repeat
			}
			if paid[u] {
				t.Fatalf("packet %d paid %s twice", i, u)
			}
			paid[u] = true
			if c.Calls[0].Amount < 1 {
				t.Fatalf("share %d", c.Calls[0].Amount)
			}
			sum += c.Calls[0].Amount
			m.HostDone(now, c.Calls[0], nil)
		}
		tk := m.Tick(now + 1000)
		for _, c := range m.Owed() {
			sum += c.Amount
			m.HostDone(now, c, nil)
		}
		if sum != total {
			t.Fatalf("packet %d (%d cents, %d shares, %s): paid %d (tick %d records)", i, total, count, mode, sum, len(tk.Records))
		}
		now += 1000
	}
}

func TestLotteryDraw(t *testing.T) {
	m := machine(t, "bob", "carol", "dave")
	const T = 100 * day
	e := m.Handle(Command{Now: T + 2000, User: "owner", Op: wire.OpOpenLottery, Host: hostFacts(t, "g1~l"),
		Args: args(t, wire.OpenLotteryArgs{Group: "g1", Prize: "a mug", Winners: 2, Deadline: T + 5000, Rule: RulePosted})})
	if e.Err != nil {
		t.Fatal(e.Err)
	}
	var lr wire.LotteryResult
	_ = wire.Decode(e.Reply, &lr)
	if lr.SeedHash != lottery.Hash(testSeed) {
		t.Fatal("seed hash not published")
	}
	enter := func(u string, now int64) *wire.Error {
		return m.Handle(Command{Now: now, User: u, Op: wire.OpEnterLottery, Args: args(t, wire.LotteryArgs{Group: "g1", Lottery: "g1~l"})}).Err
	}
	if err := enter("bob", T+3000); err == nil || err.Code != wire.CodeNotEligible {
		t.Fatalf("bob entered without posting: %v", err)
	}
	for _, u := range []string{"bob", "carol", "dave"} {
		send(t, m, T+3000, u, "", "hi")
		if err := enter(u, T+3000); err != nil {
			t.Fatal(err)
		}
	}
	if err := enter("eve", T+3000); err == nil || err.Code != wire.CodeNotMember {
		t.Fatalf("non-member entered: %v", err)
	}
	if m.NextTimer() != T+5000 {
		t.Fatal("deadline not due")
	}
	d := m.Tick(T + 5000)
	if len(d.Records) != 1 {
		t.Fatalf("draw records %d", len(d.Records))
	}
	ev := d.Records[0].Msg.Body.System.Commerce
	seed, _ := hex.DecodeString(ev.Seed)
	want := lottery.Draw(seed, []string{"bob", "carol", "dave"}, 2)
	if !lottery.Verify(lr.SeedHash, seed) || fmt.Sprint(ev.Winners) != fmt.Sprint(want) {
		t.Fatalf("draw %v, recomputed %v", ev.Winners, want)
	}
	if again := m.Tick(T + 6000); len(again.Records) != 0 {
		t.Fatal("drawn twice")
	}
	if err := enter("bob", T+6000); err == nil || err.Code != wire.CodeLotteryClosed {
		t.Fatalf("entered after the draw: %v", err)
	}
}

func TestCoupons(t *testing.T) {
	m := machine(t, "bob", "carol", "dave")
	post := func() *wire.Error {
		return m.Handle(Command{Now: 2000, User: "owner", Op: wire.OpPostCoupon, Host: hostFacts(t, "g1~c"),
			Args: args(t, wire.PostCouponArgs{Group: "g1", Title: "¥5 off", Value: 500, Threshold: 3000, Count: 2, ValidUntil: 9000})}).Err
	}
	if err := post(); err == nil || err.Code != wire.CodeNotAllowed {
		t.Fatalf("coupon outside a shop group: %v", err)
	}
	shop := true
	m.Handle(Command{Now: 2000, User: "owner", Op: wire.OpCommerceSettings, Args: args(t, wire.CommerceSettingsArgs{Group: "g1", Shop: &shop})})
	if err := post(); err != nil {
		t.Fatal(err)
	}
	claimC := func(u string) Effects {
		return m.Handle(Command{Now: 3000, User: u, Op: wire.OpClaimCoupon, Args: args(t, wire.CouponArgs{Group: "g1", Coupon: "g1~c"})})
	}
	b := claimC("bob")
	if b.Err != nil || b.Hold == "" || len(b.Calls) != 1 {
		t.Fatalf("bob: %+v", b)
	}
	// The host refuses carol's: her stock comes back.
	c := claimC("carol")
	rel := m.HostDone(3000, c.Calls[0], wire.Errorf(wire.CodeRejected, "risk control"))
	if len(rel.Records) != 1 || rel.Answers[0].Err == nil {
		t.Fatalf("refused issue: %+v", rel)
	}
	m.HostDone(3000, b.Calls[0], nil)
	if e := claimC("bob"); e.Err == nil || e.Err.Code != wire.CodeConflict {
		t.Fatalf("bob twice: %v", e.Err)
	}
	if e := claimC("dave"); e.Err != nil {
		t.Fatal(e.Err)
	}
	if e := claimC("carol"); e.Err == nil || e.Err.Code != wire.CodeSoldOut {
		t.Fatalf("stock below zero: %v", e.Err)
	}
}

func TestOrderGroup(t *testing.T) {
	cfg := DefaultGroupConfig()
	m := NewGroupMachine(OrderGroupID("o1"), cfg)
	create := func() Effects {
		return m.Handle(Command{Now: 1000, User: "ops", Op: wire.OpCreateOrderGroup, Args: args(t, wire.OrderGroupArgs{Order: "o1", Buyer: "b", Merchant: "m"})})
	}
	if e := create(); e.Err != nil || len(e.Records) != 3 {
		t.Fatalf("create: %+v", e)
	}
	if e := create(); e.Err != nil || len(e.Records) != 0 {
		t.Fatalf("create again is not idempotent: %+v", e)
	}
	ev := func(now int64, event, rider string) Effects {
		return m.Handle(Command{Now: now, User: "ops", Op: wire.OpOrderEvent, Args: args(t, wire.OrderEventArgs{Order: "o1", Event: event, Rider: rider})})
	}
	if e := ev(2000, OrderAssigned, "r"); e.Err != nil || !m.IsMember("r") {
		t.Fatalf("assigned: %v", e.Err)
	}
	ev(3000, OrderPickedUp, "")
	if e := ev(4000, OrderDelivered, ""); e.Err != nil || m.IsMember("r") {
		t.Fatalf("delivered: %v rider member=%v", e.Err, m.IsMember("r"))
	}
	durable(m)
	if e := send(t, m, 5000, "b", "", "thanks"); e.Err != nil {
		t.Fatalf("send before archive: %v", e.Err)
	}
	at := int64(4000) + cfg.Commerce.OrderArchiveAfter
	if m.NextTimer() != at {
		t.Fatalf("archive at %d, want %d", m.NextTimer(), at)
	}
	if e := m.Tick(at); len(e.Records) != 1 {
		t.Fatal("not archived")
	}
	if e := send(t, m, at+1, "b", "", "hello?"); e.Err == nil || e.Err.Code != wire.CodeReadOnly {
		t.Fatalf("send after archive: %v", e.Err)
	}
}

func TestPacketOnlyFor(t *testing.T) {
	m := machine(t, "bob", "carol")
	id := funded(t, m, 1500, wire.SendPacketArgs{Total: 100, Count: 1, Only: []string{"bob"}}, "g1~p")
	if e := claim(t, m, 2000, "carol", id); e.Err == nil || e.Err.Code != wire.CodeNotEligible {
		t.Fatalf("carol claimed bob's packet: %v", e.Err)
	}
	if e := claim(t, m, 2000, "bob", id); e.Err != nil {
		t.Fatal(e.Err)
	}
}
