package actors

import (
	"sort"
	"strconv"

	"github.com/qunchat/qun/wire"
)

// Host-call retries and refusals (docs/embedding.md, "When a credit fails").
//
//   - A transient failure (any error but a *wire.Error: the host is down,
//     timed out) leaves the call owed; it is tried again after a backoff,
//     CommerceConfig.RetryMin doubling up to RetryMax, with the same key,
//     for as long as it takes. The backoff lives in memory: a restart tries
//     every owed call at once, then backs off again.
//   - A refusal (*wire.Error) of a debit or a coupon is answered to the
//     caller (the packet is not sent, the stock is given back). A refused
//     credit — a claim's share or a refund — is final: Qun records the
//     refusal (aux ok/<key> holds its reason), never retries it, tells the
//     engine (a HostPaymentRefused host event: a log line and the
//     qun_commerce_credits_refused_total metric), and packet_info shows the
//     claim or refund as "refused" with the reason, for an operator to
//     settle with the host.

// HostPaymentRefused is the host event of a credit the host refused for
// good: Group, From (the user owed), Text ("<key> <cents>: <reason>").
const HostPaymentRefused = "payment_refused"

type retryState struct {
	n  int   // transient failures so far
	at int64 // next attempt (unix ms)
}

// backoff is the wait after the n-th transient failure (n from 1).
func (c CommerceConfig) backoff(n int) int64 {
	d := c.RetryMin << min(n-1, 40)
	if d <= 0 || d > c.RetryMax {
		d = c.RetryMax
	}
	return d
}

// failed records a transient failure of c at now.
func (g *GroupMachine) failed(now int64, c HostCall) {
	r := g.crt()
	if r.retry == nil {
		r.retry = map[string]*retryState{}
	}
	s := r.retry[c.Key]
	if s == nil {
		s = &retryState{}
		r.retry[c.Key] = s
	}
	s.n++
	s.at = now + g.cfg.Commerce.backoff(s.n)
}

// OwedDue returns the owed calls to make at now (those not backing off), in
// key order.
func (g *GroupMachine) OwedDue(now int64) []HostCall {
	all := g.Owed()
	if g.com == nil || len(g.com.retry) == 0 {
		return all
	}
	out := all[:0]
	for _, c := range all {
		if s := g.com.retry[c.Key]; s == nil || s.at <= now {
			out = append(out, c)
		}
	}
	return out
}

// Attempts is how many times the owed call with key failed transiently.
func (g *GroupMachine) Attempts(key string) int {
	if g.com == nil || g.com.retry[key] == nil {
		return 0
	}
	return g.com.retry[key].n
}

// nextRetry is when an owed call is next to be made: 1 (at once) if one has
// not failed yet (it is in flight, or owed since loading), else the
// earliest end of a backoff; 0 if nothing is owed.
func (g *GroupMachine) nextRetry() int64 {
	if g.com == nil {
		return 0
	}
	var next int64
	for k := range g.com.owed {
		s := g.com.retry[k]
		if s == nil {
			return 1
		}
		if next == 0 || s.at < next {
			next = s.at
		}
	}
	return next
}

// WakeAt is when an active grain's own timer should fire: the next
// deadline or the earliest backoff to end after now (0 = none). A backoff
// already over is the tick's business (redrive), or the due index's when
// the grain was busy then: never a timer that would fire at once again.
// Prunes are left to the due index: days away, they need no precision.
func (g *GroupMachine) WakeAt(now int64) int64 {
	next := g.NextTimer()
	if g.com != nil {
		for k, s := range g.com.retry {
			if _, owed := g.com.owed[k]; owed && s.at > now && (next == 0 || s.at < next) {
				next = s.at
			}
		}
	}
	return next
}

// refusedCredit takes a credit the host refused for good: recorded, never
// retried, reported.
func (g *GroupMachine) refusedCredit(c HostCall, we *wire.Error) Effects {
	e := g.confirm(c.Key, we)
	e.HostEvents = []HostEvent{{Kind: HostPaymentRefused, Group: g.st.ID, From: c.User,
		Text: c.Key + " " + strconv.FormatInt(c.Amount, 10) + ": " + we.Error()}}
	return e
}

// creditState is where the credit with key stands, and a refusal's reason.
func (g *GroupMachine) creditState(key string) (string, string) {
	if g.IsOwed(key) {
		return wire.CreditPending, ""
	}
	if g.com != nil {
		if why, ok := g.com.refused[key]; ok {
			return wire.CreditRefused, why
		}
	}
	return wire.CreditPaid, ""
}

// RefusedCredits lists the keys of credits the host refused, sorted.
func (g *GroupMachine) RefusedCredits() []string {
	if g.com == nil {
		return nil
	}
	out := make([]string, 0, len(g.com.refused))
	for k := range g.com.refused {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// settle forgets an owed call without confirming it (its outcome is
// recorded otherwise: a posted packet, a released coupon).
func (g *GroupMachine) settle(key string) {
	r := g.crt()
	delete(r.owed, key)
	delete(r.retry, key)
}
