package actors

import (
	"strconv"
	"unicode/utf8"

	"github.com/qunchat/qun/internal/redpacket"
	"github.com/qunchat/qun/wire"
)

// Red packets (红包): send (funded by a host debit), claim (a journal
// record, then a host credit), show, recall, and the refund at expiry.

type claimState struct {
	User   string `msgpack:"u"`
	Amount int64  `msgpack:"a"`
	At     int64  `msgpack:"t"`
	Seq    uint64 `msgpack:"s"` // the claim's record
}

type packetState struct {
	ID       string       `msgpack:"id"`
	Sender   string       `msgpack:"sender"`
	Mode     uint8        `msgpack:"mode"`
	Total    int64        `msgpack:"total"`
	Shares   []int64      `msgpack:"shares"` // fixed at send: share i goes to the i-th claim
	Seed     []byte       `msgpack:"seed,omitempty"`
	Only     []string     `msgpack:"only,omitempty"`
	Greeting string       `msgpack:"greeting,omitempty"`
	Expires  int64        `msgpack:"expires"`
	Seq      uint64       `msgpack:"seq,omitempty"` // the packet's message
	Claims   []claimState `msgpack:"claims,omitempty"`
	Closed   bool         `msgpack:"closed,omitempty"` // refunded (expired or recalled)
	Recalled bool         `msgpack:"recalled,omitempty"`
	Refund   int64        `msgpack:"refund,omitempty"`
	CMID     string       `msgpack:"cmid,omitempty"` // the sender's cmid: a retry names this packet
}

// open: shares are left and the packet was not closed.
func (p *packetState) open() bool { return !p.Closed && len(p.Claims) < len(p.Shares) }

func (p *packetState) claimed() int64 {
	var s int64
	for _, c := range p.Claims {
		s += c.Amount
	}
	return s
}

func (p *packetState) claimOf(user string) int {
	for i, c := range p.Claims {
		if c.User == user {
			return i
		}
	}
	return -1
}

func (p *packetState) debitCall(group string) HostCall {
	return HostCall{Kind: CallDebit, Key: p.ID + "/debit", Group: group, User: p.Sender, Amount: p.Total, Ref: p.ID}
}

// creditCall is the credit of the n-th claim (from 1).
func (p *packetState) creditCall(group string, n int) HostCall {
	c := p.Claims[n-1]
	return HostCall{Kind: CallCredit, Key: p.ID + "/c" + strconv.Itoa(n), Group: group, User: c.User, Amount: c.Amount, Ref: p.ID}
}

func (g *GroupMachine) openPackets() int {
	n := len(g.crt().pendingDebit)
	if c := g.st.Commerce; c != nil {
		for _, p := range c.Packets {
			if p.open() {
				n++
			}
		}
	}
	return n
}

func (g *GroupMachine) sendPacket(r *req[wire.SendPacketArgs]) Effects {
	a, cfg := &r.args, g.cfg.Commerce
	if len(a.CMID) > MaxCMIDLen {
		return fail(wire.CodeBadRequest, "cmid longer than %d bytes", MaxCMIDLen)
	}
	// A retry answers with its packet before any check a new packet must
	// pass (the open-packet cap counts the packet itself).
	if p := g.packetByCMID(r.User, a.CMID); p != nil {
		return g.packetRetry(r.User, p.ID)
	}
	if err := g.unmuted(r.User, r.Now); err != nil {
		return refuse(err)
	}
	if min := g.packetSenders(); g.st.Members[r.User].Role < min {
		return fail(wire.CodeForbidden, "only the %s may send red packets in %q", roleWho(min), g.st.ID)
	}
	mode := redpacket.ModeLucky
	if a.Mode != "" {
		m, err := redpacket.ParseMode(a.Mode)
		if err != nil {
			return fail(wire.CodeBadRequest, "mode must be \"lucky\" or \"equal\"")
		}
		mode = m
	}
	if a.Count < 1 || int64(a.Count) > cfg.Packets.MaxCount {
		return fail(wire.CodeBadRequest, "count must be 1..%d", cfg.Packets.MaxCount)
	}
	if err := cfg.Packets.Check(a.Total, int64(a.Count)); err != nil {
		return fail(wire.CodeBadRequest, "total %d cents for %d shares: %v (at most %d cents, at least 1 a share)", a.Total, a.Count, err, cfg.Packets.MaxTotal)
	}
	if !validText(a.Greeting, MaxGreetingLen) {
		return fail(wire.CodeBadRequest, "greeting longer than %d bytes or not UTF-8", MaxGreetingLen)
	}
	ttl := a.TTL
	if ttl == 0 {
		ttl = cfg.PacketTTL
	}
	if ttl < 1000 || ttl > cfg.PacketTTL {
		return fail(wire.CodeBadRequest, "ttl_ms must be 1000..%d", cfg.PacketTTL)
	}
	if len(a.Only) > int(cfg.Packets.MaxCount) {
		return fail(wire.CodeBadRequest, "only lists at most %d members", cfg.Packets.MaxCount)
	}
	for _, u := range a.Only {
		if !g.IsMember(u) {
			return fail(wire.CodeBadRequest, "%q in only is not a member", u)
		}
	}
	if len(a.Only) > 0 && a.Count > len(a.Only) {
		return fail(wire.CodeBadRequest, "count %d is more than the %d members it is for", a.Count, len(a.Only))
	}
	if g.openPackets() >= cfg.MaxOpen {
		return fail(wire.CodeLimitReached, "a group has at most %d open red packets", cfg.MaxOpen)
	}
	id := r.host.ID
	if g.refOf(id) != nil || g.hasRef(id) {
		return fail(wire.CodeInternal, "bad packet id from the engine")
	}
	shares, err := cfg.Packets.Split(a.Total, int64(a.Count), mode, r.host.Seed)
	if err != nil {
		return fail(wire.CodeInternal, "split: %v", err)
	}
	p := &packetState{ID: id, Sender: r.User, Mode: uint8(mode), Total: a.Total, Shares: shares, Seed: r.host.Seed,
		Only: a.Only, Greeting: a.Greeting, Expires: r.Now + ttl, CMID: a.CMID}
	g.crt().pendingDebit[id] = p
	call := p.debitCall(g.st.ID)
	g.owe(call)
	// The pending packet is durable before the host is asked; the reply
	// waits for the host's answer.
	return Effects{Aux: []AuxWrite{{Key: auxPendingDebit + id, Value: mustMarshal(p)}}, Calls: []HostCall{call}, Hold: call.Key}
}

// packetByCMID finds the packet user sent with cmid (pending its debit, or
// posted and not yet pruned); nil without a cmid. A packet's id is random,
// never derived from the cmid: a cmid reused after its packet was pruned
// makes a new packet with a new debit key, not a replay of the old debit.
func (g *GroupMachine) packetByCMID(user, cmid string) *packetState {
	if cmid == "" {
		return nil
	}
	for _, p := range g.crt().pendingDebit {
		if p.CMID == cmid && p.Sender == user {
			return p
		}
	}
	if c := g.st.Commerce; c != nil {
		for _, p := range c.Packets {
			if p.CMID == cmid && p.Sender == user {
				return p
			}
		}
	}
	return nil
}

// packetRetry answers a send_packet retry (same sender and cmid): the
// packet once posted, or a wait for the debit still owed.
func (g *GroupMachine) packetRetry(user, id string) Effects {
	if p := g.crt().pendingDebit[id]; p != nil && p.Sender == user {
		return Effects{Hold: id + "/debit"}
	}
	if c := g.st.Commerce; c != nil {
		if p := c.Packets[id]; p != nil && p.Sender == user {
			return g.okDurable(wire.PacketResult{Packet: id, Seq: p.Seq})
		}
	}
	return fail(wire.CodeConflict, "packet id %q is taken", id)
}

// packetSenders is the lowest role that may send packets.
func (g *GroupMachine) packetSenders() wire.Role {
	if c := g.st.Commerce; c != nil {
		return c.PacketSenders
	}
	return wire.RoleMember
}

// hasRef reports whether id is already a packet, lottery or coupon here.
func (g *GroupMachine) hasRef(id string) bool {
	if _, ok := g.crt().pendingDebit[id]; ok {
		return true
	}
	c := g.st.Commerce
	if c == nil {
		return false
	}
	_, p := c.Packets[id]
	_, l := c.Lotteries[id]
	_, k := c.Coupons[id]
	_, x := c.Pruned[id]
	return p || l || k || x
}

// debited takes the host's answer to a packet's debit.
func (g *GroupMachine) debited(now int64, c HostCall, refused *wire.Error) Effects {
	r := g.crt()
	p := r.pendingDebit[c.Ref]
	g.settle(c.Key)
	delete(r.pendingDebit, c.Ref)
	del := AuxWrite{Key: auxPendingDebit + c.Ref}
	if p == nil {
		return Effects{}
	}
	if refused != nil {
		if refused.Code != wire.CodeInsufficientFunds {
			refused = wire.Errorf(wire.CodeInsufficientFunds, "the host refused the payment: %s", refused.Msg)
		}
		return Effects{Aux: []AuxWrite{del}, Answers: []Answer{{Key: c.Key, Err: refused}}}
	}
	ev := &wire.CommerceEvent{Packet: p.ID, Amount: p.Total, Count: len(p.Shares), Mode: redpacket.Mode(p.Mode).String(),
		Greeting: p.Greeting, Only: p.Only, Expires: p.Expires}
	rec := g.commerceRecord(now, wire.EventRedPacket, p.Sender, "", p.Greeting, ev, &commerceChange{Packet: p})
	return Effects{Records: []record{rec}, Aux: []AuxWrite{del},
		Answers: []Answer{{Key: c.Key, Reply: mustMarshal(wire.PacketResult{Packet: p.ID, Seq: rec.Msg.Seq})}}}
}

// packet finds a packet of this group for a member's request.
func (g *GroupMachine) packet(id string) (*packetState, *wire.Error) {
	if err := g.refOf(id); err != nil {
		return nil, err
	}
	if c := g.st.Commerce; c != nil {
		if p := c.Packets[id]; p != nil {
			return p, nil
		}
	}
	return nil, g.pruned(id, "red packet")
}

func (g *GroupMachine) claimPacket(r *req[wire.PacketArgs]) Effects {
	p, err := g.packet(r.args.Packet)
	if err != nil {
		return refuse(err)
	}
	if i := p.claimOf(r.User); i >= 0 {
		// A retry (or a second tap): the first claim, once durable.
		c := p.Claims[i]
		e := ok(wire.ClaimResult{Amount: c.Amount, N: i + 1, Seq: c.Seq, Dup: true})
		if c.Seq > g.durable {
			e.ReplyAfter = c.Seq
		}
		return e
	}
	switch {
	case p.Recalled:
		return fail(wire.CodePacketRecalled, "red packet %q was recalled", p.ID)
	case p.Closed || p.Expires <= r.Now:
		return fail(wire.CodePacketExpired, "red packet %q expired", p.ID)
	case len(p.Claims) >= len(p.Shares):
		return fail(wire.CodePacketEmpty, "red packet %q is empty", p.ID)
	}
	if len(p.Only) > 0 && !contains(p.Only, r.User) {
		return fail(wire.CodeNotEligible, "red packet %q is for other members", p.ID)
	}
	n := len(p.Claims) + 1
	amount := p.Shares[n-1]
	ev := &wire.CommerceEvent{Packet: p.ID, Amount: amount, N: n}
	rec := g.commerceRecord(r.Now, wire.EventPacketClaimed, r.User, p.Sender, "", ev,
		&commerceChange{Claim: &claimChange{Ref: p.ID, User: r.User, Amount: amount}})
	e := okAfter(wire.ClaimResult{Amount: amount, N: n, Seq: rec.Msg.Seq}, rec)
	e.Calls = []HostCall{p.creditCall(g.st.ID, n)}
	return e
}

func (g *GroupMachine) packetInfo(r *req[wire.PacketArgs]) Effects {
	p, err := g.packet(r.args.Packet)
	if err != nil {
		return refuse(err)
	}
	res := wire.PacketInfo{Packet: p.ID, Sender: p.Sender, Mode: redpacket.Mode(p.Mode).String(), Total: p.Total,
		Count: len(p.Shares), Claimed: p.claimed(), Claims: make([]wire.PacketClaim, 0, len(p.Claims)),
		Refund: p.Refund, Expires: p.Expires, Greeting: p.Greeting, Only: p.Only, Seq: p.Seq, State: "open"}
	for i, c := range p.Claims {
		credit, note := g.creditState(p.ID + "/c" + strconv.Itoa(i+1))
		if credit == wire.CreditRefused {
			res.Refused++
		}
		res.Claims = append(res.Claims, wire.PacketClaim{User: c.User, Amount: c.Amount, At: c.At, Credit: credit, Note: note})
	}
	if p.Closed && p.Refund > 0 {
		res.RefundCredit, res.RefundNote = g.creditState(p.ID + "/refund")
		if res.RefundCredit == wire.CreditRefused {
			res.Refused++
		}
	}
	switch {
	case p.Recalled:
		res.State = "recalled"
	case p.Closed:
		res.State = "expired"
	case len(p.Claims) == len(p.Shares):
		res.State = "empty"
	}
	if res.State != "open" && len(p.Claims) > 0 {
		best := 0
		for i, c := range p.Claims {
			if c.Amount > p.Claims[best].Amount {
				best = i
			}
		}
		res.Luckiest = p.Claims[best].User
	}
	return g.okDurable(res)
}

// recallPacket closes an open packet early (its sender, or the owner and
// admins) and refunds the remainder.
func (g *GroupMachine) recallPacket(r *req[wire.PacketArgs]) Effects {
	p, err := g.packet(r.args.Packet)
	if err != nil {
		return refuse(err)
	}
	if p.Sender != r.User && g.st.Members[r.User].Role < wire.RoleAdmin {
		return fail(wire.CodeForbidden, "only the sender, the owner and admins may recall a red packet")
	}
	switch {
	case p.Recalled:
		return fail(wire.CodePacketRecalled, "red packet %q was already recalled", p.ID)
	case p.Closed:
		return fail(wire.CodePacketExpired, "red packet %q expired", p.ID)
	case !p.open():
		return fail(wire.CodePacketEmpty, "red packet %q is empty: nothing to recall", p.ID)
	}
	rec := g.refund(r.Now, p, true)
	return okAfter(wire.SeqResult{Seq: rec.Msg.Seq}, rec)
}

// refund closes p and records the refund of what was not claimed; the
// credit is owed from the record on.
func (g *GroupMachine) refund(now int64, p *packetState, recalled bool) record {
	left := p.Total - p.claimed()
	why := "expired"
	if recalled {
		why = "recalled"
	}
	ev := &wire.CommerceEvent{Packet: p.ID, Amount: left}
	return g.commerceRecord(now, wire.EventPacketRefunded, "", p.Sender, why, ev,
		&commerceChange{Refund: &refundChange{Packet: p.ID, Amount: left, Recalled: recalled}})
}

// settings changes the group's commerce settings (owner only).
func (g *GroupMachine) commerceSettings(r *req[wire.CommerceSettingsArgs]) Effects {
	a := &r.args
	if a.PacketSenders == nil && a.Shop == nil {
		return fail(wire.CodeBadRequest, "nothing to change")
	}
	if a.PacketSenders != nil && *a.PacketSenders > wire.RoleOwner {
		return fail(wire.CodeBadRequest, "packet_senders must be a role 0..2")
	}
	if a.Shop != nil {
		if err := g.shopAllowed(*a.Shop); err != nil {
			return refuse(err)
		}
	}
	text := ""
	if a.PacketSenders != nil {
		text = "packet_senders=" + a.PacketSenders.String()
	}
	if a.Shop != nil {
		text += " shop=" + strconv.FormatBool(*a.Shop)
	}
	rec := g.commerceRecord(r.Now, wire.EventSettings, r.User, "", text, nil,
		&commerceChange{Settings: &settingsChange{PacketSenders: a.PacketSenders, Shop: a.Shop}})
	return okAfter(wire.SeqResult{Seq: rec.Msg.Seq}, rec)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// validID: a user or order id as the protocol bounds it.
func validID(s string, max int) bool { return s != "" && len(s) <= max && utf8.ValidString(s) }
