package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/qunchat/qun/wire"
)

// Payments is the host's wallet: Qun never holds money, it asks. Every call
// carries an idempotency key — "<packet>/debit", "<packet>/c<N>" (the N-th
// claim), "<packet>/refund" — and the host must apply a key at most once,
// answering a repeat with the first outcome. A refusal is a *wire.Error
// (use wire.CodeInsufficientFunds for a debit beyond the balance); any
// other error means "not applied, try again": Qun retries the same key
// until the host answers. See docs/embedding.md.
type Payments interface {
	Debit(ctx context.Context, key, user string, cents int64) error
	Credit(ctx context.Context, key, user string, cents int64) error
}

// CouponIssuer issues a coupon a member claimed (key "<coupon>/<user>"). A
// *wire.Error refuses it (the stock is given back); any other error is
// retried with the same key.
type CouponIssuer interface {
	IssueCoupon(ctx context.Context, key, user, group, coupon string, value, threshold int64) error
}

// commerceHost adapts the hooks to actors.CommerceHost.
type commerceHost struct {
	Payments
	CouponIssuer
}

// memoryLedger is the MemoryHost's wallet.
type memoryLedger struct {
	balances map[string]int64
	applied  map[string]bool // keys applied
	entries  []ledgerRec
	grants   int
	down     bool
	refuse   map[string]bool // users refused coupons
	file     *os.File
}

type ledgerRec struct {
	User   string `json:"user"`
	Key    string `json:"key"`
	Kind   string `json:"kind"`
	Amount int64  `json:"amount"`
}

// ErrHostDown is what MemoryHost's payments answer while SetPaymentsDown is
// on: a transient failure, so Qun keeps the work owed and retries.
var ErrHostDown = errors.New("engine: payments host down")

// OpenLedger makes the host's ledger durable in path (JSON lines, fsync'd
// before a call returns): existing entries are replayed first. Call it
// before Start. Without it the ledger lives in memory only.
func (h *MemoryHost) OpenLedger(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("engine: ledger: %w", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r ledgerRec
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			continue // a torn last line: the call it records never returned
		}
		h.apply(r)
	}
	h.ledger.file = f
	return nil
}

// CloseLedger closes the ledger file, if any.
func (h *MemoryHost) CloseLedger() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ledger.file == nil {
		return nil
	}
	err := h.ledger.file.Close()
	h.ledger.file = nil
	return err
}

func (h *MemoryHost) apply(r ledgerRec) {
	l := &h.ledger
	l.applied[r.Key] = true
	switch r.Kind {
	case "debit":
		l.balances[r.User] -= r.Amount
	case "grant", "credit":
		l.balances[r.User] += r.Amount
	}
	if r.Kind == "grant" {
		l.grants++
	}
	l.entries = append(l.entries, r)
}

// record applies r and writes it durably first.
func (h *MemoryHost) record(r ledgerRec) error {
	if f := h.ledger.file; f != nil {
		b, _ := json.Marshal(r)
		if _, err := f.Write(append(b, '\n')); err != nil {
			return err
		}
		if err := f.Sync(); err != nil {
			return err
		}
	}
	h.apply(r)
	return nil
}

// Grant gives user cents (a top-up, for trying things out and tests).
func (h *MemoryHost) Grant(user string, cents int64) error {
	if cents < 1 || cents > 1<<53 {
		return wire.Errorf(wire.CodeBadRequest, "amount must be 1..2^53 cents")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.record(ledgerRec{User: user, Key: "grant/" + strconv.Itoa(h.ledger.grants+1), Kind: "grant", Amount: cents})
}

// Balance is user's balance in cents.
func (h *MemoryHost) Balance(user string) int64 {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.ledger.balances[user]
}

// Ledger returns the applied entries of user ("" for everyone), oldest
// first, with the user's balance after each.
func (h *MemoryHost) Ledger(user string) []wire.LedgerEntry {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []wire.LedgerEntry
	bal := map[string]int64{}
	for _, r := range h.ledger.entries {
		if r.Kind == "debit" {
			bal[r.User] -= r.Amount
		} else if r.Kind != "coupon" {
			bal[r.User] += r.Amount
		}
		if user == "" || r.User == user {
			out = append(out, wire.LedgerEntry{Key: r.Key, Kind: r.Kind, Amount: r.Amount, Balance: bal[r.User]})
		}
	}
	return out
}

// Applied reports whether the payment with key was applied.
func (h *MemoryHost) Applied(key string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.ledger.applied[key]
}

// SetPaymentsDown makes every payment and coupon call fail with
// ErrHostDown (a host outage), or work again.
func (h *MemoryHost) SetPaymentsDown(down bool) {
	h.mu.Lock()
	h.ledger.down = down
	h.mu.Unlock()
}

// RefuseCoupons makes IssueCoupon refuse user (risk control), or not.
func (h *MemoryHost) RefuseCoupons(user string, refuse bool) {
	h.mu.Lock()
	h.ledger.refuse[user] = refuse
	h.mu.Unlock()
}

func (h *MemoryHost) pay(key, user, kind string, cents int64) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	l := &h.ledger
	switch {
	case l.down:
		return ErrHostDown
	case l.applied[key]:
		return nil // a retry: the first outcome
	case cents < 1:
		return wire.Errorf(wire.CodeBadRequest, "amount %d", cents)
	case kind == "debit" && l.balances[user] < cents:
		return wire.Errorf(wire.CodeInsufficientFunds, "balance %d cents, need %d", l.balances[user], cents)
	}
	return h.record(ledgerRec{User: user, Key: key, Kind: kind, Amount: cents})
}

// Debit implements Payments: refused beyond the balance.
func (h *MemoryHost) Debit(_ context.Context, key, user string, cents int64) error {
	return h.pay(key, user, "debit", cents)
}

// Credit implements Payments.
func (h *MemoryHost) Credit(_ context.Context, key, user string, cents int64) error {
	return h.pay(key, user, "credit", cents)
}

// IssueCoupon implements CouponIssuer: it records the coupon in the
// ledger (kind "coupon", no money moves) unless the user is refused.
func (h *MemoryHost) IssueCoupon(_ context.Context, key, user, _, _ string, value, _ int64) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	l := &h.ledger
	switch {
	case l.down:
		return ErrHostDown
	case l.applied[key]:
		return nil
	case l.refuse[user]:
		return wire.Errorf(wire.CodeRejected, "the platform refused this coupon")
	}
	return h.record(ledgerRec{User: user, Key: key, Kind: "coupon", Amount: value})
}
