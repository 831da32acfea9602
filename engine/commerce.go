package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"

	"github.com/qunchat/qun/actors"
	"github.com/qunchat/qun/internal/lottery"
	"github.com/qunchat/qun/internal/redpacket"
	"github.com/qunchat/qun/wire"
)

// Commerce: the facts the engine makes for red packets, lotteries and
// coupons (ids, seeds, follows), order groups (which span the group grain
// and the members' user grains), and the in-memory host's balances.

// newRef makes a packet, lottery or coupon id: "<group>~<random>", so a
// grain can tell another group's id from an unknown one.
func newRef(g string) string {
	raw := make([]byte, 6)
	_, _ = rand.Read(raw)
	return g + "~" + hex.EncodeToString(raw)
}

// packetFacts: a new packet's id and the seed its split is drawn from. The
// id is random: the grain recognises a retry by (sender, cmid) itself.
func packetFacts(_ *Engine, _ request, g string) ([]byte, error) {
	seed, err := redpacket.NewSeed()
	if err != nil {
		return nil, wire.Errorf(wire.CodeInternal, "seed: %v", err)
	}
	return marshalArgs(actors.HostFacts{ID: newRef(g), Seed: seed}), nil
}

// lotteryFacts: a new lottery's id and its secret seed (its hash is
// published when it opens).
func lotteryFacts(_ *Engine, _ request, g string) ([]byte, error) {
	seed, _, err := lottery.NewSeed()
	if err != nil {
		return nil, wire.Errorf(wire.CodeInternal, "seed: %v", err)
	}
	return marshalArgs(actors.HostFacts{ID: newRef(g), Seed: seed}), nil
}

// refFacts: a new coupon batch's id.
func refFacts(_ *Engine, _ request, g string) ([]byte, error) {
	return marshalArgs(actors.HostFacts{ID: newRef(g)}), nil
}

// Follower is optionally implemented by a SocialGraph: whether a follows b
// (one way). Without it, a lottery's "follows" rule asks Friends.
type Follower interface {
	Follows(ctx context.Context, a, b string) (bool, error)
}

// Follows implements Follower.
func (h *MemoryHost) Follows(_ context.Context, a, b string) (bool, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.follows[a][b], nil
}

// followFacts: whether the caller follows the group's owner (a lottery's
// "follows" rule).
func followFacts(e *Engine, r request, g string) ([]byte, error) {
	body, err := e.groupCall(r.user, actors.OpSummary, g, nil, nil)
	if err != nil {
		return nil, err
	}
	var s actors.GroupSummary
	if err := decodeInto(body, &s); err != nil {
		return nil, err
	}
	var follows bool
	if f, ok := e.hooks.Social.(Follower); ok {
		follows, err = f.Follows(r.ctx, r.user, s.Info.Owner)
	} else {
		follows, err = e.hooks.Social.Friends(r.ctx, r.user, s.Info.Owner)
	}
	if err != nil {
		return nil, hookErr("social", err)
	}
	return marshalArgs(actors.HostFacts{Follows: follows}), nil
}

// operator refuses callers not in Config.Operators.
func (e *Engine) operator(user string) error {
	if !slices.Contains(e.cfg.Operators, user) {
		return wire.Errorf(wire.CodeForbidden, "only operators may do this (qund --operators)")
	}
	return nil
}

func (e *Engine) createOrderGroupOp(r request) ([]byte, error) {
	if err := e.operator(r.user); err != nil {
		return nil, err
	}
	var a wire.OrderGroupArgs
	if err := parseArgs(r.args, &a); err != nil {
		return nil, err
	}
	g, err := e.CreateOrderGroup(r.ctx, a.Order, a.Buyer, a.Merchant, a.Rider)
	if err != nil {
		return nil, err
	}
	return marshalArgs(wire.CreateGroupResult{Group: g}), nil
}

// CreateOrderGroup creates the group of an order with its buyer, merchant
// and (if known) rider, and returns its id ("order-<orderID>"). It is
// idempotent on orderID: calling it again returns the same group.
func (e *Engine) CreateOrderGroup(_ context.Context, orderID, buyer, merchant, rider string) (string, error) {
	if !actors.ValidOrderID(orderID) {
		return "", wire.Errorf(wire.CodeBadRequest, "order id must be 1..%d bytes of [A-Za-z0-9_-]", actors.MaxOrderIDLen-6)
	}
	for _, u := range []string{buyer, merchant, rider} {
		if u != "" && ValidUserID(u) != nil {
			return "", wire.Errorf(wire.CodeBadRequest, "invalid user id %q", u)
		}
	}
	g := actors.OrderGroupID(orderID)
	args := marshalArgs(wire.OrderGroupArgs{Order: orderID, Buyer: buyer, Merchant: merchant, Rider: rider})
	body, err := e.groupCall(merchant, wire.OpCreateOrderGroup, g, args, nil)
	if err != nil {
		return "", err
	}
	var res actors.OrderGroupResult
	if err := decodeInto(body, &res); err != nil {
		return "", err
	}
	// Also on a repeat: a crash between the group and the user grains is
	// repaired by calling again.
	for _, u := range res.Members {
		if err := e.joined(u, g, res.Name, res.Seq, nil); err != nil {
			return "", err
		}
	}
	return g, nil
}

func (e *Engine) orderEventOp(r request) ([]byte, error) {
	if err := e.operator(r.user); err != nil {
		return nil, err
	}
	var a wire.OrderEventArgs
	if err := parseArgs(r.args, &a); err != nil {
		return nil, err
	}
	seq, err := e.OrderEvent(r.ctx, a.Order, a.Event, a.Rider)
	if err != nil {
		return nil, err
	}
	return marshalArgs(wire.SeqResult{Seq: seq}), nil
}

// OrderEvent reports an order's progress: "assigned" (with rider: the rider
// joins), "picked_up", "delivered" (the rider leaves; the group is archived
// Group.Commerce.OrderArchiveAfter later) or "cancelled". Each shows in the
// group as a system message; it returns that message's seq.
func (e *Engine) OrderEvent(_ context.Context, orderID, event, rider string) (uint64, error) {
	if !actors.ValidOrderID(orderID) {
		return 0, wire.Errorf(wire.CodeBadRequest, "invalid order id")
	}
	g := actors.OrderGroupID(orderID)
	body, err := e.groupCall("", wire.OpOrderEvent, g, marshalArgs(wire.OrderEventArgs{Order: orderID, Event: event, Rider: rider}), nil)
	if err != nil {
		return 0, err
	}
	var res actors.OrderEventResult
	if err := decodeInto(body, &res); err != nil {
		return 0, err
	}
	if res.Joined != "" {
		if err := e.joined(res.Joined, g, res.Name, res.Seq, nil); err != nil {
			return 0, err
		}
	}
	if res.Left != "" {
		_ = e.userCall(res.Left, actors.OpUserRemove, actors.UserGroupArgs{Group: g})
	}
	return res.Seq, nil
}

// balance answers a user's own account in the in-memory host (operators:
// anyone's).
func (e *Engine) balance(r request) ([]byte, error) {
	var a wire.UserArgs
	if err := parseArgs(r.args, &a); err != nil {
		return nil, err
	}
	user := a.User
	if user == "" {
		user = r.user
	}
	if user != r.user {
		if err := e.operator(r.user); err != nil {
			return nil, err
		}
	}
	return marshalArgs(e.balanceOf(user)), nil
}

func (e *Engine) balanceOf(user string) wire.BalanceResult {
	l := e.host.Ledger(user)
	if len(l) > 100 {
		l = l[len(l)-100:]
	}
	if l == nil {
		l = []wire.LedgerEntry{}
	}
	return wire.BalanceResult{User: user, Balance: e.host.Balance(user), Ledger: l}
}

// grant tops up an account of the in-memory host (operators only).
func (e *Engine) grant(r request) ([]byte, error) {
	if err := e.operator(r.user); err != nil {
		return nil, err
	}
	var a wire.GrantArgs
	if err := parseArgs(r.args, &a); err != nil {
		return nil, err
	}
	if ValidUserID(a.User) != nil {
		return nil, wire.Errorf(wire.CodeBadRequest, "invalid user id")
	}
	if err := e.host.Grant(a.User, a.Amount); err != nil {
		return nil, err
	}
	return marshalArgs(e.balanceOf(a.User)), nil
}

// shopCards runs wire.OpShopGroups: UserArgs (empty = the caller) →
// SearchResult, the merchant's shop groups from every node's index, by
// member count.
func (e *Engine) shopCards(r request) ([]byte, error) {
	var a wire.UserArgs
	if err := parseArgs(r.args, &a); err != nil {
		return nil, err
	}
	if a.User == "" {
		a.User = r.user
	}
	if err := ValidUserID(a.User); err != nil {
		return nil, wire.Errorf(wire.CodeBadRequest, "invalid user id")
	}
	lists, err := e.askIndexes(actors.OpIndexShops, &a)
	if err != nil {
		return nil, err
	}
	cards := concatCards(lists)
	actors.SortByMembers(cards)
	return wire.Marshal(&wire.SearchResult{Groups: actors.DedupCards(cards)})
}
