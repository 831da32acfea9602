package client

import (
	"context"
	"time"

	"github.com/qunchat/qun/wire"
)

// Commerce: red packets, lotteries, coupons, order groups and the
// in-memory host's balances. Amounts are integer cents.

// SendPacket sends a red packet; it returns once the host debited the
// sender and the packet is in the group's history.
//
// It always sends a cmid — a.CMID, or a new one (NewCMID) — because a
// send_packet without one is not idempotent: a retry would send (and
// debit) a second packet. With the cmid the server recognises a retry and
// answers with the first packet. On this connection SendPacket retries
// with the same cmid, up to PacketAttempts times in all, while the answer
// is payment_pending (the host has not answered; the packet stays pending
// and is posted when it does), a timeout or a busy server. On any other
// failure, or a lost connection, the error carries the cmid
// (PacketSendError): send again with it, or use Session.SendPacket, which
// does so across reconnects.
func (c *Client) SendPacket(ctx context.Context, a wire.SendPacketArgs) (wire.PacketResult, error) {
	if a.CMID == "" {
		a.CMID = NewCMID()
	}
	var err error
	for attempt := 0; attempt < PacketAttempts; attempt++ {
		if attempt > 0 {
			t := time.NewTimer(packetBackoff << (attempt - 1))
			select {
			case <-ctx.Done():
				t.Stop()
				return wire.PacketResult{}, &PacketSendError{CMID: a.CMID, Err: ctx.Err()}
			case <-t.C:
			}
		}
		var r wire.PacketResult
		r, err = call[wire.PacketResult](ctx, c, wire.OpSendPacket, &a)
		if err == nil {
			return r, nil
		}
		if !packetRetryable(err) || c.Err() != nil {
			break
		}
	}
	return wire.PacketResult{}, &PacketSendError{CMID: a.CMID, Err: err}
}

// PacketAttempts bounds the attempts of one Client.SendPacket.
const PacketAttempts = 3

// packetBackoff is the wait before SendPacket's second attempt (then doubling).
const packetBackoff = 200 * time.Millisecond

// PacketSendError is a send_packet that was not acknowledged, with the cmid
// it used: a send with the same cmid (and sender) is a retry of it, never a
// second packet. It unwraps to the cause (a *wire.Error, or ErrClosed).
type PacketSendError struct {
	CMID string
	Err  error
}

func (e *PacketSendError) Error() string {
	return "client: send_packet (cmid " + e.CMID + "; a send with it is a retry): " + e.Err.Error()
}

func (e *PacketSendError) Unwrap() error { return e.Err }

// packetRetryable: worth another attempt with the same cmid.
func packetRetryable(err error) bool {
	return wire.CodeOf(err) == wire.CodePaymentPending || retryable(err)
}

// ClaimPacket claims the caller's share; a repeat returns the same share
// with Dup set.
func (c *Client) ClaimPacket(ctx context.Context, group, packet string) (wire.ClaimResult, error) {
	return call[wire.ClaimResult](ctx, c, wire.OpClaimPacket, &wire.PacketArgs{Group: group, Packet: packet})
}

// PacketInfo shows who got how much, and the luckiest claimer.
func (c *Client) PacketInfo(ctx context.Context, group, packet string) (wire.PacketInfo, error) {
	return call[wire.PacketInfo](ctx, c, wire.OpPacketInfo, &wire.PacketArgs{Group: group, Packet: packet})
}

// RecallPacket closes a packet early; the remainder is refunded.
func (c *Client) RecallPacket(ctx context.Context, group, packet string) (uint64, error) {
	return c.seqCall(ctx, wire.OpRecallPacket, &wire.PacketArgs{Group: group, Packet: packet})
}

// CommerceSettings changes who may send packets and whether the group is a
// shop group (owner only).
func (c *Client) CommerceSettings(ctx context.Context, a wire.CommerceSettingsArgs) (uint64, error) {
	return c.seqCall(ctx, wire.OpCommerceSettings, &a)
}

// OpenLottery opens a lottery drawn at deadline; the result publishes the
// seed's hash.
func (c *Client) OpenLottery(ctx context.Context, group, prize string, winners int, deadline time.Time, rule string) (wire.LotteryResult, error) {
	return call[wire.LotteryResult](ctx, c, wire.OpOpenLottery, &wire.OpenLotteryArgs{Group: group, Prize: prize,
		Winners: winners, Deadline: deadline.UnixMilli(), Rule: rule})
}

// EnterLottery enters the caller.
func (c *Client) EnterLottery(ctx context.Context, group, lottery string) error {
	_, err := call[wire.Empty](ctx, c, wire.OpEnterLottery, &wire.LotteryArgs{Group: group, Lottery: lottery})
	return err
}

// LotteryInfo shows a lottery (after the draw: winners, seed, entrants).
func (c *Client) LotteryInfo(ctx context.Context, group, lottery string) (wire.LotteryInfo, error) {
	return call[wire.LotteryInfo](ctx, c, wire.OpLotteryInfo, &wire.LotteryArgs{Group: group, Lottery: lottery})
}

// PostCoupon posts a coupon batch (owner and admins of a shop group).
func (c *Client) PostCoupon(ctx context.Context, a wire.PostCouponArgs) (wire.CouponResult, error) {
	return call[wire.CouponResult](ctx, c, wire.OpPostCoupon, &a)
}

// ClaimCoupon claims one coupon; it returns once the host issued it.
func (c *Client) ClaimCoupon(ctx context.Context, group, coupon string) (uint64, error) {
	return c.seqCall(ctx, wire.OpClaimCoupon, &wire.CouponArgs{Group: group, Coupon: coupon})
}

// CouponInfo shows a coupon batch and whether the caller has one.
func (c *Client) CouponInfo(ctx context.Context, group, coupon string) (wire.CouponInfo, error) {
	return call[wire.CouponInfo](ctx, c, wire.OpCouponInfo, &wire.CouponArgs{Group: group, Coupon: coupon})
}

// CreateOrderGroup creates an order's group (operators only).
func (c *Client) CreateOrderGroup(ctx context.Context, a wire.OrderGroupArgs) (string, error) {
	r, err := call[wire.CreateGroupResult](ctx, c, wire.OpCreateOrderGroup, &a)
	return r.Group, err
}

// OrderEvent reports an order's progress (operators only).
func (c *Client) OrderEvent(ctx context.Context, order, event, rider string) (uint64, error) {
	return c.seqCall(ctx, wire.OpOrderEvent, &wire.OrderEventArgs{Order: order, Event: event, Rider: rider})
}

// Balance is an account of the in-memory host ("" = the caller's).
func (c *Client) Balance(ctx context.Context, user string) (wire.BalanceResult, error) {
	return call[wire.BalanceResult](ctx, c, wire.OpBalance, &wire.UserArgs{User: user})
}

// Grant tops up an account of the in-memory host (operators only).
func (c *Client) Grant(ctx context.Context, user string, cents int64) (wire.BalanceResult, error) {
	return call[wire.BalanceResult](ctx, c, wire.OpGrant, &wire.GrantArgs{User: user, Amount: cents})
}

// ShopGroups lists a merchant's shop groups ("" = the caller's): the shop page.
func (c *Client) ShopGroups(ctx context.Context, user string) ([]wire.GroupCard, error) {
	r, err := call[wire.SearchResult](ctx, c, wire.OpShopGroups, &wire.UserArgs{User: user})
	return r.Groups, err
}
