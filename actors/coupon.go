package actors

import "github.com/qunchat/qun/wire"

// Coupons: a shop's owner or admin posts a batch; a member claims at most
// one; the claim is a journal record (stock taken), then the host issues
// the coupon; a refusal releases the stock again.

type couponState struct {
	ID         string   `msgpack:"id"`
	By         string   `msgpack:"by"`
	Title      string   `msgpack:"title"`
	Value      int64    `msgpack:"value"`
	Threshold  int64    `msgpack:"threshold,omitempty"`
	Count      int      `msgpack:"count"`
	ValidUntil int64    `msgpack:"valid_until"`
	Claimed    []string `msgpack:"claimed,omitempty"`
	Exhausted  int64    `msgpack:"exhausted,omitempty"` // when the last coupon was claimed (0 while some are left)
}

func (cp *couponState) issueCall(group, user string) HostCall {
	return HostCall{Kind: CallIssue, Key: cp.ID + "/" + user, Group: group, User: user, Amount: cp.Value,
		Threshold: cp.Threshold, Ref: cp.ID}
}

func (g *GroupMachine) postCoupon(r *req[wire.PostCouponArgs]) Effects {
	a, cfg := &r.args, g.cfg.Commerce
	switch {
	case !g.isShop():
		return fail(wire.CodeNotAllowed, "coupons are posted in shop groups (commerce_settings shop=true)")
	case a.Title == "" || !validText(a.Title, MaxGreetingLen):
		return fail(wire.CodeBadRequest, "title must be 1..%d bytes of UTF-8", MaxGreetingLen)
	case a.Value < 1 || a.Value > cfg.MaxCouponValue || a.Threshold < 0 || a.Threshold > cfg.MaxCouponValue:
		return fail(wire.CodeBadRequest, "value must be 1..%d cents, threshold 0..%d", cfg.MaxCouponValue, cfg.MaxCouponValue)
	case a.Count < 1 || a.Count > cfg.MaxCoupons:
		return fail(wire.CodeBadRequest, "count must be 1..%d", cfg.MaxCoupons)
	case a.ValidUntil <= r.Now:
		return fail(wire.CodeBadRequest, "valid_until must be in the future")
	}
	open := 0
	for _, cp := range g.st.Commerce.Coupons {
		if cp.ValidUntil > r.Now && len(cp.Claimed) < cp.Count {
			open++
		}
	}
	if open >= cfg.MaxOpen {
		return fail(wire.CodeLimitReached, "a group has at most %d open coupon batches", cfg.MaxOpen)
	}
	id := r.host.ID
	if g.refOf(id) != nil || g.hasRef(id) {
		return fail(wire.CodeInternal, "bad coupon id from the engine")
	}
	cp := &couponState{ID: id, By: r.User, Title: a.Title, Value: a.Value, Threshold: a.Threshold, Count: a.Count, ValidUntil: a.ValidUntil}
	ev := &wire.CommerceEvent{Coupon: id, Title: a.Title, Amount: a.Value, Threshold: a.Threshold, Count: a.Count, Expires: a.ValidUntil}
	rec := g.commerceRecord(r.Now, wire.EventCouponPosted, r.User, "", a.Title, ev, &commerceChange{Coupon: cp})
	return okAfter(wire.CouponResult{Coupon: id, Seq: rec.Msg.Seq}, rec)
}

func (g *GroupMachine) coupon(id string) (*couponState, *wire.Error) {
	if err := g.refOf(id); err != nil {
		return nil, err
	}
	if c := g.st.Commerce; c != nil {
		if cp := c.Coupons[id]; cp != nil {
			return cp, nil
		}
	}
	return nil, g.pruned(id, "coupon")
}

func (g *GroupMachine) claimCoupon(r *req[wire.CouponArgs]) Effects {
	cp, err := g.coupon(r.args.Coupon)
	if err != nil {
		return refuse(err)
	}
	switch {
	case contains(cp.Claimed, r.User):
		if g.IsOwed(cp.ID + "/" + r.User) {
			return fail(wire.CodePaymentPending, "your coupon is being issued by the host")
		}
		return fail(wire.CodeConflict, "you already claimed coupon %q", cp.ID)
	case cp.ValidUntil <= r.Now:
		return fail(wire.CodePacketExpired, "coupon %q expired", cp.ID)
	case len(cp.Claimed) >= cp.Count:
		return fail(wire.CodeSoldOut, "coupon %q is sold out", cp.ID)
	}
	rec := g.commerceRecord(r.Now, wire.EventCouponClaimed, r.User, "", cp.Title, &wire.CommerceEvent{Coupon: cp.ID},
		&commerceChange{Claim: &claimChange{Ref: cp.ID, User: r.User}})
	call := cp.issueCall(g.st.ID, r.User)
	// The reply waits for the host: the coupon is the caller's only once issued.
	return Effects{Records: []record{rec}, Calls: []HostCall{call}, Hold: call.Key}
}

// issued takes the host's answer to a coupon issue.
func (g *GroupMachine) issued(now int64, c HostCall, refused *wire.Error) Effects {
	if refused == nil {
		e := g.confirm(c.Key, nil)
		e.Answers = []Answer{{Key: c.Key, Reply: mustMarshal(wire.SeqResult{Seq: g.st.LastSeq})}}
		return e
	}
	g.settle(c.Key)
	rec := g.commerceRecord(now, wire.EventCouponReleased, c.User, "", refused.Msg, &wire.CommerceEvent{Coupon: c.Ref},
		&commerceChange{Release: &claimChange{Ref: c.Ref, User: c.User}})
	if refused.Code != wire.CodeRejected {
		refused = wire.Errorf(wire.CodeRejected, "the host refused the coupon: %s", refused.Msg)
	}
	return Effects{Records: []record{rec}, Answers: []Answer{{Key: c.Key, Err: refused}}}
}

func (g *GroupMachine) couponInfo(r *req[wire.CouponArgs]) Effects {
	cp, err := g.coupon(r.args.Coupon)
	if err != nil {
		return refuse(err)
	}
	return g.okDurable(wire.CouponInfo{Coupon: cp.ID, Title: cp.Title, Value: cp.Value, Threshold: cp.Threshold, Count: cp.Count,
		Left: cp.Count - len(cp.Claimed), ValidUntil: cp.ValidUntil, Claimed: contains(cp.Claimed, r.User)})
}

// oweFromState rebuilds what is owed from a restored snapshot (aux
// confirmations, loaded next, take back what was done).
func (g *GroupMachine) oweFromState() {
	c := g.st.Commerce
	if c == nil {
		return
	}
	for _, p := range c.Packets {
		for n := 1; n <= len(p.Claims); n++ {
			g.owe(p.creditCall(g.st.ID, n))
		}
		if p.Closed && p.Refund > 0 {
			g.owe(HostCall{Kind: CallCredit, Key: p.ID + "/refund", Group: g.st.ID, User: p.Sender, Amount: p.Refund, Ref: p.ID})
		}
	}
	for _, cp := range c.Coupons {
		for _, u := range cp.Claimed {
			g.owe(cp.issueCall(g.st.ID, u))
		}
	}
}
