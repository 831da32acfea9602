package actors

import (
	"sort"
	"strings"

	"github.com/qunchat/qun/wire"
)

// Pruning finished commerce items (CommerceConfig.Retention).
//
// A packet that is refunded or empty, a drawn lottery, and a coupon batch
// that expired or ran out leave the group's state Retention after their
// expiry, deadline or last claim, once every host call of theirs is
// settled (a packet with a refused credit stays, for an operator to see).
// Their messages stay in history: the packet with its claims and refund,
// the lottery's opening and draw with the seed, the coupon batch. For one
// more Retention the id is remembered (a tombstone) and packet_info,
// lottery_info, coupon_info and claims answer wire.CodePruned; after that,
// not_found.
//
// Pruning is not a journal record: Tick drops the items from memory, and
// the batch that deletes their aux keys (confirmations, lottery entries)
// carries a snapshot without them. The batch is atomic, so recovery sees
// either the old snapshot with the old keys (and prunes again) or the new
// one without either; never a packet whose confirmations are gone, which
// would pay its claims twice.

// pruneAt is when the next item may be pruned (0 = never). An item past
// its time that a host call still holds is left out: it counts again once
// the call settles (the grain reschedules then), so a held item never makes
// the grain wake in a loop.
func (g *GroupMachine) pruneAt(now int64) int64 {
	c, keep := g.st.Commerce, g.cfg.Commerce.Retention
	if c == nil || keep <= 0 {
		return 0
	}
	var next int64
	at := func(t int64, id string, refusedToo bool) {
		if (next == 0 || t < next) && (t > now || !g.owesFor(id, refusedToo)) {
			next = t
		}
	}
	for id, p := range c.Packets {
		if !p.open() {
			at(p.Expires+keep, id, true)
		}
	}
	for id, l := range c.Lotteries {
		if l.Drawn {
			at(l.Deadline+keep, id, false)
		}
	}
	for id, cp := range c.Coupons {
		at(cp.finished()+keep, id, false)
	}
	for id, t := range c.Pruned {
		at(t+keep, id, false)
	}
	return next
}

// finished is when a coupon batch was done with: its expiry, or the claim
// that took its last coupon, whichever came first.
func (cp *couponState) finished() int64 {
	if cp.Exhausted > 0 && cp.Exhausted < cp.ValidUntil {
		return cp.Exhausted
	}
	return cp.ValidUntil
}

// owesFor reports whether a host call of item id is owed or refused.
func (g *GroupMachine) owesFor(id string, refusedToo bool) bool {
	if g.com == nil {
		return false
	}
	p := id + "/"
	for k := range g.com.owed {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	if refusedToo {
		for k := range g.com.refused {
			if strings.HasPrefix(k, p) {
				return true
			}
		}
	}
	return false
}

// prune drops what is past its retention at now; it returns the aux
// deletes, and asks for a snapshot in the same batch.
func (g *GroupMachine) prune(now int64) []AuxWrite {
	c, keep := g.st.Commerce, g.cfg.Commerce.Retention
	if c == nil || keep <= 0 {
		return nil
	}
	var gone []string
	for id, p := range c.Packets {
		if !p.open() && now >= p.Expires+keep && !g.owesFor(id, true) {
			gone = append(gone, id)
		}
	}
	for id, l := range c.Lotteries {
		if l.Drawn && now >= l.Deadline+keep {
			gone = append(gone, id)
		}
	}
	for id, cp := range c.Coupons {
		if now >= cp.finished()+keep && !g.owesFor(id, false) {
			gone = append(gone, id)
		}
	}
	expired := false
	for id, t := range c.Pruned {
		if now >= t+keep {
			delete(c.Pruned, id)
			expired = true
		}
	}
	if len(gone) == 0 {
		if expired {
			g.crt().snapNow = true
		}
		return nil
	}
	sort.Strings(gone)
	if c.Pruned == nil {
		c.Pruned = map[string]int64{}
	}
	r := g.crt()
	var aux []AuxWrite
	for _, id := range gone {
		delete(c.Packets, id)
		delete(c.Lotteries, id)
		delete(c.Coupons, id)
		c.Pruned[id] = now
		p := id + "/"
		for k := range r.done {
			if strings.HasPrefix(k, p) {
				delete(r.done, k)
				delete(r.refused, k)
				aux = append(aux, AuxWrite{Key: auxDone + k})
			}
		}
		for u := range r.entries[id] {
			aux = append(aux, AuxWrite{Key: auxEntry + id + "/" + u})
		}
		delete(r.entries, id)
	}
	sort.Slice(aux, func(i, j int) bool { return aux[i].Key < aux[j].Key })
	r.snapNow = true
	return aux
}

// pruned is the error for an id this group no longer holds.
func (g *GroupMachine) pruned(id, what string) *wire.Error {
	if c := g.st.Commerce; c != nil {
		if _, ok := c.Pruned[id]; ok {
			return wire.Errorf(wire.CodePruned, "%s %q finished and was pruned; its messages stay in history", what, id)
		}
	}
	return wire.Errorf(wire.CodeNotFound, "no %s %q", what, id)
}

// snapshotForced reports (and the snapshot clears) a prune's request that
// the next batch carry a snapshot.
func (g *GroupMachine) snapshotForced() bool { return g.com != nil && g.com.snapNow }
