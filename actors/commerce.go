package actors

import (
	"context"
	"sort"
	"strings"

	"github.com/qunchat/qun/wire"
)

// Commerce: the state red packets, lotteries, coupons and order groups
// share, and the host calls (payments, coupon issue) the machine asks the
// grain to make. The machine stays pure: a host call is an effect, and its
// outcome comes back as an input (HostDone).
//
// Durability protocol (docs/embedding.md, "Payments"):
//
//   - send_packet: the packet (its split fixed from the seed) is written to
//     aux KV as pending-debit, durably; then Debit(packet/debit). On success
//     the packet message is journaled and the pending entry deleted in the
//     same batch; on refusal the pending entry is deleted.
//   - claim_packet: the claim is a journal record, acknowledged once
//     durable; then Credit(packet/cN) is called until the host confirms
//     (confirmation: aux ok/<key>).
//   - expiry or recall: a refund record, then Credit(packet/refund) likewise.
//   - Anything unconfirmed is owed; a grain re-drives what it owes when it
//     loads, and on every tick while nothing of its own is in flight. The
//     due-time index (timers.go) wakes a passivated grain that owes.

// HostCallKind is what a host call does.
type HostCallKind uint8

// Host call kinds.
const (
	CallDebit  HostCallKind = 1 // take Amount from User
	CallCredit HostCallKind = 2 // give Amount to User
	CallIssue  HostCallKind = 3 // issue coupon Ref to User
)

func (k HostCallKind) String() string {
	switch k {
	case CallDebit:
		return "debit"
	case CallCredit:
		return "credit"
	case CallIssue:
		return "issue"
	}
	return "call"
}

// HostCall is one call to the host. Key is its idempotency key: the host
// must apply a key at most once and answer a repeat with the first outcome.
type HostCall struct {
	Kind      HostCallKind
	Key       string // packet/debit, packet/c<N>, packet/refund, coupon/<user>
	Group     string
	User      string
	Amount    int64 // cents (debit, credit; a coupon's value)
	Threshold int64 // coupon: the order minimum
	Ref       string
}

// CommerceHost is the host the grains call for money and coupons. A
// *wire.Error is a refusal (final); any other error is transient and the
// call is retried with the same key.
type CommerceHost interface {
	Debit(ctx context.Context, key, user string, cents int64) error
	Credit(ctx context.Context, key, user string, cents int64) error
	IssueCoupon(ctx context.Context, key, user, group, coupon string, value, threshold int64) error
}

// Do makes call c on h.
func Do(ctx context.Context, h CommerceHost, c HostCall) error {
	switch c.Kind {
	case CallDebit:
		return h.Debit(ctx, c.Key, c.User, c.Amount)
	case CallCredit:
		return h.Credit(ctx, c.Key, c.User, c.Amount)
	case CallIssue:
		return h.IssueCoupon(ctx, c.Key, c.User, c.Group, c.Ref, c.Amount, c.Threshold)
	}
	return wire.Errorf(wire.CodeInternal, "unknown host call %d", c.Kind)
}

// Answer releases a reply the grain held (Effects.Hold) under Key.
type Answer struct {
	Key   string
	Reply []byte
	Err   *wire.Error
}

// commerceState is the commerce part of a group's snapshot.
type commerceState struct {
	PacketSenders wire.Role                `msgpack:"senders,omitempty"`
	Shop          bool                     `msgpack:"shop,omitempty"` // before kinds (commerce_kind.go); read, never written
	Packets       map[string]*packetState  `msgpack:"packets,omitempty"`
	Lotteries     map[string]*lotteryState `msgpack:"lotteries,omitempty"`
	Coupons       map[string]*couponState  `msgpack:"coupons,omitempty"`
	Order         *orderState              `msgpack:"order,omitempty"`
	Pruned        map[string]int64         `msgpack:"pruned,omitempty"` // id → when it was pruned (commerce_prune.go)
}

// commerceChange is the commerce part of a journal record.
type commerceChange struct {
	Packet   *packetState    `msgpack:"packet,omitempty"`   // funded
	Claim    *claimChange    `msgpack:"claim,omitempty"`    // packet or coupon claim
	Refund   *refundChange   `msgpack:"refund,omitempty"`   // packet closed
	Lottery  *lotteryState   `msgpack:"lottery,omitempty"`  // opened
	Draw     *drawChange     `msgpack:"draw,omitempty"`     // lottery drawn
	Coupon   *couponState    `msgpack:"coupon,omitempty"`   // posted
	Release  *claimChange    `msgpack:"release,omitempty"`  // coupon claim undone
	Order    *orderState     `msgpack:"order,omitempty"`    // the order's new state
	Settings *settingsChange `msgpack:"settings,omitempty"` //
}

type claimChange struct {
	Ref    string `msgpack:"ref"`
	User   string `msgpack:"user"`
	Amount int64  `msgpack:"amount,omitempty"`
}

type refundChange struct {
	Packet   string `msgpack:"packet"`
	Amount   int64  `msgpack:"amount"`
	Recalled bool   `msgpack:"recalled,omitempty"`
}

type drawChange struct {
	Lottery string   `msgpack:"lottery"`
	Winners []string `msgpack:"winners"`
}

type settingsChange struct {
	PacketSenders *wire.Role `msgpack:"senders,omitempty"`
	Shop          *bool      `msgpack:"shop,omitempty"`
}

// commerceRT is commerce state that is not in snapshots: aux KV (pending
// debits, confirmations, lottery entries) and what the machine owes.
type commerceRT struct {
	pendingDebit map[string]*packetState    // packet → packet awaiting its debit
	done         map[string]bool            // host call keys confirmed
	entries      map[string]map[string]bool // lottery → entrants
	owed         map[string]HostCall        // key → call not yet confirmed
	dueAt        int64                      // the due time written to the index
	retry        map[string]*retryState     // owed calls backing off after a transient failure
	refused      map[string]string          // credit key → the host's refusal (commerce_retry.go)
	snapNow      bool                       // a prune asks the next batch for a snapshot
}

// Aux keys of commerce, relative to the group's aux prefix.
const (
	auxPendingDebit = "pd/" // pd/<packet> → packetState
	auxDone         = "ok/" // ok/<host call key> → outcome text ("" = applied)
	auxEntry        = "le/" // le/<lottery>/<user> → 1
	auxDue          = "due" // the due time last written to the timer index
)

func (g *GroupMachine) crt() *commerceRT {
	if g.com == nil {
		g.com = &commerceRT{pendingDebit: map[string]*packetState{}, done: map[string]bool{},
			entries: map[string]map[string]bool{}, owed: map[string]HostCall{}, refused: map[string]string{}}
	}
	return g.com
}

func (g *GroupMachine) cs() *commerceState {
	if g.st.Commerce == nil {
		g.st.Commerce = &commerceState{}
	}
	c := g.st.Commerce
	if c.Packets == nil {
		c.Packets = map[string]*packetState{}
	}
	if c.Lotteries == nil {
		c.Lotteries = map[string]*lotteryState{}
	}
	if c.Coupons == nil {
		c.Coupons = map[string]*couponState{}
	}
	return c
}

// owe records a host call to make (apply and LoadAux call it).
func (g *GroupMachine) owe(c HostCall) {
	if r := g.crt(); !r.done[c.Key] {
		r.owed[c.Key] = c
	}
}

// Owed returns the host calls not yet confirmed, in key order.
func (g *GroupMachine) Owed() []HostCall {
	if g.com == nil || len(g.com.owed) == 0 {
		return nil
	}
	out := make([]HostCall, 0, len(g.com.owed))
	for _, c := range g.com.owed {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// IsOwed reports whether the call with key is still owed.
func (g *GroupMachine) IsOwed(key string) bool {
	if g.com == nil {
		return false
	}
	_, ok := g.com.owed[key]
	return ok
}

// HasCommerce reports whether the group has any commerce state (the grain
// skips timer bookkeeping otherwise).
func (g *GroupMachine) HasCommerce() bool { return g.st.Commerce != nil || g.com != nil }

// DueWritten is the due time last written to the timer index (0 = none).
func (g *GroupMachine) DueWritten() int64 {
	if g.com == nil {
		return 0
	}
	return g.com.dueAt
}

// SetDueWritten records the due time the grain wrote, and returns the aux
// write that remembers it.
func (g *GroupMachine) SetDueWritten(due int64) AuxWrite {
	g.crt().dueAt = due
	if due == 0 {
		return AuxWrite{Key: auxDue}
	}
	return AuxWrite{Key: auxDue, Value: mustMarshal(due)}
}

// Due is when the group next needs a tick: the earliest packet expiry,
// lottery deadline, order archive time, end of a host call's backoff or
// prune; 1 (at once) while a host call is owed and not backing off; 0 for
// never.
func (g *GroupMachine) Due(now int64) int64 {
	retry := g.nextRetry()
	if retry == 1 {
		return 1
	}
	next := g.NextTimer()
	for _, t := range []int64{retry, g.pruneAt(now)} {
		if t > 0 && (next == 0 || t < next) {
			next = t
		}
	}
	return next
}

// NextTimer is the earliest time-based event (0 = none).
func (g *GroupMachine) NextTimer() int64 {
	c := g.st.Commerce
	if c == nil {
		return 0
	}
	var next int64
	at := func(t int64) {
		if t > 0 && (next == 0 || t < next) {
			next = t
		}
	}
	for _, p := range c.Packets {
		if p.open() {
			at(p.Expires)
		}
	}
	for _, l := range c.Lotteries {
		if !l.Drawn {
			at(l.Deadline)
		}
	}
	if o := c.Order; o != nil && !o.Archived {
		at(o.ArchiveAt)
	}
	return next
}

// Tick runs what is due at now: packet expiries (refunds), lottery draws,
// order archiving.
func (g *GroupMachine) Tick(now int64) Effects {
	var eff Effects
	c := g.st.Commerce
	if c == nil || !g.st.Exists {
		return eff
	}
	var due []string
	for id, p := range c.Packets {
		if p.open() && p.Expires <= now {
			due = append(due, id)
		}
	}
	sort.Strings(due) // records in a deterministic order
	for _, id := range due {
		eff.Records = append(eff.Records, g.refund(now, c.Packets[id], false))
	}
	due = due[:0]
	for id, l := range c.Lotteries {
		if !l.Drawn && l.Deadline <= now {
			due = append(due, id)
		}
	}
	sort.Strings(due)
	for _, id := range due {
		eff.Records = append(eff.Records, g.draw(now, c.Lotteries[id]))
	}
	if o := c.Order; o != nil && !o.Archived && o.ArchiveAt > 0 && o.ArchiveAt <= now {
		eff.Records = append(eff.Records, g.archiveOrder(now))
	}
	eff.Aux = append(eff.Aux, g.prune(now)...)
	return eff
}

// HostDone takes the outcome of a host call: nil (applied), a *wire.Error
// (refused), or another error (transient: the call stays owed).
func (g *GroupMachine) HostDone(now int64, c HostCall, err error) Effects {
	if !g.IsOwed(c.Key) {
		return Effects{}
	}
	we, refused := err.(*wire.Error)
	if err != nil && !refused {
		g.failed(now, c)
		if c.Kind == CallDebit || c.Kind == CallIssue {
			return Effects{Answers: []Answer{{Key: c.Key, Err: wire.Errorf(wire.CodePaymentPending,
				"the host did not answer; Qun retries %s with the same key", c.Kind)}}}
		}
		return Effects{}
	}
	switch c.Kind {
	case CallDebit:
		return g.debited(now, c, we)
	case CallIssue:
		return g.issued(now, c, we)
	}
	// A credit: applied, or refused for good (commerce_retry.go).
	if we != nil {
		return g.refusedCredit(c, we)
	}
	return g.confirm(c.Key, nil)
}

// confirm marks key done and returns the aux write that records it.
func (g *GroupMachine) confirm(key string, refused *wire.Error) Effects {
	r := g.crt()
	delete(r.owed, key)
	delete(r.retry, key)
	r.done[key] = true
	text := ""
	if refused != nil {
		text = refused.Error()
		r.refused[key] = text
	}
	return Effects{Aux: []AuxWrite{{Key: auxDone + key, Value: mustMarshal(text)}}}
}

// loadCommerceAux restores one commerce aux key; false if key is not one.
func (g *GroupMachine) loadCommerceAux(key string, value []byte) (bool, error) {
	r := g.crt()
	switch {
	case strings.HasPrefix(key, auxPendingDebit):
		var p packetState
		if err := wire.Decode(value, &p); err != nil {
			return true, err
		}
		r.pendingDebit[p.ID] = &p
		g.owe(p.debitCall(g.st.ID))
	case strings.HasPrefix(key, auxDone):
		k := key[len(auxDone):]
		r.done[k] = true
		delete(r.owed, k)
		var why string
		if err := wire.Decode(value, &why); err == nil && why != "" {
			r.refused[k] = why
		}
	case strings.HasPrefix(key, auxEntry):
		rest := key[len(auxEntry):]
		i := strings.IndexByte(rest, '/')
		if i <= 0 {
			return true, nil
		}
		l, u := rest[:i], rest[i+1:]
		if r.entries[l] == nil {
			r.entries[l] = map[string]bool{}
		}
		r.entries[l][u] = true
	case key == auxDue:
		return true, wire.Decode(value, &r.dueAt)
	default:
		return false, nil
	}
	return true, nil
}

// applyCommerce changes state for a commerce record.
func (g *GroupMachine) applyCommerce(m *wire.Message, c *commerceChange) {
	cs := g.cs()
	switch {
	case c.Packet != nil:
		p := *c.Packet
		p.Seq = m.Seq
		cs.Packets[p.ID] = &p
		delete(g.crt().pendingDebit, p.ID)
		g.settle(p.ID + "/debit")
	case c.Claim != nil && m.Body.System != nil && m.Body.System.Event == wire.EventPacketClaimed:
		if p := cs.Packets[c.Claim.Ref]; p != nil {
			p.Claims = append(p.Claims, claimState{User: c.Claim.User, Amount: c.Claim.Amount, At: m.Time, Seq: m.Seq})
			g.owe(p.creditCall(g.st.ID, len(p.Claims)))
		}
	case c.Refund != nil:
		if p := cs.Packets[c.Refund.Packet]; p != nil {
			p.Closed, p.Refund, p.Recalled = true, c.Refund.Amount, c.Refund.Recalled
			if p.Refund > 0 {
				g.owe(HostCall{Kind: CallCredit, Key: p.ID + "/refund", Group: g.st.ID, User: p.Sender, Amount: p.Refund, Ref: p.ID})
			}
		}
	case c.Lottery != nil:
		l := *c.Lottery
		cs.Lotteries[l.ID] = &l
	case c.Draw != nil:
		if l := cs.Lotteries[c.Draw.Lottery]; l != nil {
			l.Drawn, l.Won = true, c.Draw.Winners
		}
	case c.Coupon != nil:
		cp := *c.Coupon
		cs.Coupons[cp.ID] = &cp
	case c.Claim != nil:
		if cp := cs.Coupons[c.Claim.Ref]; cp != nil {
			cp.Claimed = append(cp.Claimed, c.Claim.User)
			if len(cp.Claimed) >= cp.Count {
				cp.Exhausted = m.Time
			}
			g.owe(cp.issueCall(g.st.ID, c.Claim.User))
		}
	case c.Release != nil:
		if cp := cs.Coupons[c.Release.Ref]; cp != nil {
			cp.Exhausted = 0
			for i, u := range cp.Claimed {
				if u == c.Release.User {
					cp.Claimed = append(cp.Claimed[:i], cp.Claimed[i+1:]...)
					break
				}
			}
			g.settle(cp.ID + "/" + c.Release.User)
		}
	case c.Order != nil:
		o := *c.Order
		cs.Order = &o
		if g.st.Fan.Kind == wire.KindUser {
			g.st.Fan.Kind = wire.KindOrder
		}
	case c.Settings != nil:
		setIf(&cs.PacketSenders, c.Settings.PacketSenders)
		if c.Settings.Shop != nil {
			g.applyShop(*c.Settings.Shop)
		}
	}
}

// okDurable answers v once everything applied so far is durable: what a
// reader is shown is never ahead of history.
func (g *GroupMachine) okDurable(v any) Effects {
	e := ok(v)
	if g.st.LastSeq > g.durable {
		e.ReplyAfter = g.st.LastSeq
	}
	return e
}

// commerceRecord writes a system event with commerce details.
func (g *GroupMachine) commerceRecord(now int64, event, actor, target, text string, ev *wire.CommerceEvent, c *commerceChange) record {
	msg := sysMsg(event, actor, target, text)
	msg.Body.System.Commerce = ev
	return g.newRecord(now, msg, &change{Commerce: c})
}

// refOf checks that ref (a packet, lottery or coupon id) belongs to this
// group: ids are "<group>~<random>".
func (g *GroupMachine) refOf(ref string) *wire.Error {
	if ref == "" || len(ref) > 200 {
		return wire.Errorf(wire.CodeBadRequest, "missing or invalid id")
	}
	i := strings.LastIndexByte(ref, '~')
	if i <= 0 || ref[:i] != g.st.ID {
		return wire.Errorf(wire.CodeWrongGroup, "%q does not belong to group %q", ref, g.st.ID)
	}
	return nil
}
