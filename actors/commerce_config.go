package actors

import (
	"fmt"

	"github.com/qunchat/qun/internal/redpacket"
)

// CommerceConfig bounds red packets, lotteries, coupons and order groups.
// Amounts are integer cents.
type CommerceConfig struct {
	// Packets bounds a red packet: shares 1..MaxCount, total 1..MaxTotal
	// cents, at least one cent a share. Default redpacket.DefaultConfig():
	// 200 shares, 20 000 cents (¥200).
	Packets redpacket.Config
	// PacketTTL is a packet's default and longest lifetime (ms); the
	// remainder is refunded when it ends. Default 24 h.
	PacketTTL int64
	// MaxOpen bounds the open packets, lotteries and coupon batches of one
	// group (each kind counted apart). Default 100.
	MaxOpen int
	// MaxWinners bounds a lottery's winners. Default 100.
	MaxWinners int
	// MaxLotteryAhead is the furthest a lottery deadline may be (ms).
	// Default 30 days.
	MaxLotteryAhead int64
	// MaxCoupons bounds the coupons of one batch. Default 100 000.
	MaxCoupons int
	// MaxCouponValue bounds a coupon's value and threshold (cents).
	// Default 100 000 000 (¥1 000 000).
	MaxCouponValue int64
	// OrderArchiveAfter is how long (ms) after delivery or cancellation an
	// order group stays writable before it is archived. Default 72 h.
	OrderArchiveAfter int64
	// Retention is how long (ms) a finished packet (refunded or empty),
	// drawn lottery or finished coupon batch (expired, or out of stock)
	// stays in the group's state after its expiry, deadline or last claim;
	// then it is pruned from memory and snapshots (its messages stay in
	// history), and for one more Retention its info answers
	// wire.CodePruned. 0 keeps everything. Default 7 days.
	Retention int64
	// RetryMin and RetryMax bound the backoff (ms) between attempts of a
	// host call that failed transiently: RetryMin, doubling, at most
	// RetryMax. Defaults 1 s and 5 min.
	RetryMin, RetryMax int64
}

// DefaultCommerceConfig returns the defaults documented on CommerceConfig.
func DefaultCommerceConfig() CommerceConfig {
	return CommerceConfig{Packets: redpacket.DefaultConfig(), PacketTTL: day, MaxOpen: 100, MaxWinners: 100,
		MaxLotteryAhead: 30 * day, MaxCoupons: 100_000, MaxCouponValue: 100_000_000, OrderArchiveAfter: 3 * day,
		Retention: 7 * day, RetryMin: 1000, RetryMax: 5 * 60 * 1000}
}

// Validate reports a field out of range.
func (c CommerceConfig) Validate() error {
	if err := c.Packets.Validate(); err != nil {
		return fmt.Errorf("actors: commerce: %w", err)
	}
	switch {
	case c.PacketTTL < 1000 || c.PacketTTL > 30*day:
		return fmt.Errorf("actors: PacketTTL %d ms not in [1 s, 30 days]", c.PacketTTL)
	case c.MaxOpen < 1 || c.MaxWinners < 1 || c.MaxCoupons < 1:
		return fmt.Errorf("actors: commerce limits must be >= 1")
	case c.MaxLotteryAhead < 1000:
		return fmt.Errorf("actors: MaxLotteryAhead %d ms < 1 s", c.MaxLotteryAhead)
	case c.MaxCouponValue < 1 || c.MaxCouponValue > 1<<53:
		return fmt.Errorf("actors: MaxCouponValue %d not in [1, 2^53]", c.MaxCouponValue)
	case c.OrderArchiveAfter < 0:
		return fmt.Errorf("actors: OrderArchiveAfter %d < 0", c.OrderArchiveAfter)
	case c.Retention < 0:
		return fmt.Errorf("actors: commerce Retention %d < 0", c.Retention)
	case c.RetryMin < 1 || c.RetryMax < c.RetryMin:
		return fmt.Errorf("actors: commerce RetryMin %d, RetryMax %d: want 1 <= min <= max", c.RetryMin, c.RetryMax)
	}
	return nil
}

// Limits of commerce operations that are part of the protocol (bytes).
const (
	MaxGreetingLen = 200 // a packet's greeting, a prize, a coupon title
	MaxOrderIDLen  = 64
)
