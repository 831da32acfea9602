package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qunchat/qun/wire"
)

// Commerce: red packets, coupons, lotteries, order groups, and the
// in-memory host's balances (a standalone qund). Amounts are cents.

var commerceCommands = []command{
	{name: "packet", args: "send GROUP --total CENTS --count N [--equal] [--greeting T] [--only U,U] [--expires 24h] [--cmid ID] | claim|show|recall GROUP ID",
		min: 2, max: 3, help: "send, claim, show or recall a red packet", run: verbs(map[string]verb{
			"send": {1, cmdPacketSend}, "claim": {2, cmdPacketClaim}, "show": {2, cmdPacketShow}, "recall": {2, cmdPacketRecall}})},
	{name: "coupon", args: "post GROUP --title T --value CENTS [--threshold CENTS] --count N [--expires 24h] | claim|show GROUP ID",
		min: 2, max: 3, help: "post, claim or show coupons (shop groups)", run: verbs(map[string]verb{
			"post": {1, cmdCouponPost}, "claim": {2, cmdCouponClaim}, "show": {2, cmdCouponShow}})},
	{name: "lottery", args: "open GROUP --prize P --winners N --deadline 10m [--rule any|posted|follows] | enter|show GROUP ID",
		min: 2, max: 3, help: "open, enter or show a lottery", run: verbs(map[string]verb{
			"open": {1, cmdLotteryOpen}, "enter": {2, cmdLotteryEnter}, "show": {2, cmdLotteryShow}})},
	{name: "shop", args: "GROUP on|off", min: 2, max: 2, help: "make the group a shop group, or not (owner)",
		run: onOff(func(x *cli, on bool) (uint64, error) {
			return x.c.CommerceSettings(x.ctx, wire.CommerceSettingsArgs{Group: x.pos[0], Shop: &on})
		}, "{1} is a shop group (seq {seq})", "{1} is no longer a shop group (seq {seq})")},
	{name: "packet-senders", args: "GROUP member|admin|owner", min: 2, max: 2, help: "who may send red packets (owner)",
		run: seq(func(x *cli) (uint64, error) {
			r, err := parseRole(x.pos[1])
			if err != nil {
				return 0, err
			}
			return x.c.CommerceSettings(x.ctx, wire.CommerceSettingsArgs{Group: x.pos[0], PacketSenders: &r})
		}, "red packets in {1} may be sent by: {2} and above (seq {seq})")},
	{name: "order", args: "create ORDER --buyer U --merchant U [--rider U] | event ORDER assigned|picked_up|delivered|cancelled [--rider U]",
		min: 2, max: 3, help: "create or drive an order group (operators)", run: verbs(map[string]verb{
			"create": {1, cmdOrderCreate}, "event": {2, cmdOrderEvent}})},
	{name: "shops", args: "[USER]", min: 0, max: 1, help: "a merchant's shop groups (the shop page)", run: cmdShops},
	{name: "balance", args: "[USER]", min: 0, max: 1, help: "balance and ledger in the in-memory host", run: cmdBalance},
	{name: "grant", args: "USER CENTS", min: 2, max: 2, help: "top up an account in the in-memory host (operators)", run: cmdGrant},
}

// commerceOpts are the commerce commands' flags.
type commerceOpts struct {
	total, value, threshold       int64
	count, winners                int
	equal                         bool
	greeting, only, prize, rule   string
	title, buyer, merchant, rider string
	cmid                          string
	expires, deadline             time.Duration
}

func newCommerceOpts(fs *flag.FlagSet) *commerceOpts {
	o := &commerceOpts{}
	fs.Int64Var(&o.total, "total", 0, "packet total in cents")
	fs.IntVar(&o.count, "count", 0, "packet shares; coupons in a batch")
	fs.BoolVar(&o.equal, "equal", false, "equal shares (default lucky)")
	fs.StringVar(&o.greeting, "greeting", "", "packet greeting")
	fs.StringVar(&o.only, "only", "", "comma-separated members a packet is for")
	fs.DurationVar(&o.expires, "expires", 0, "packet lifetime (default 24h); coupon validity (default 24h)")
	fs.StringVar(&o.prize, "prize", "", "lottery prize")
	fs.IntVar(&o.winners, "winners", 1, "lottery winners")
	fs.DurationVar(&o.deadline, "deadline", 0, "lottery deadline, from now")
	fs.StringVar(&o.rule, "rule", "", "lottery entry rule: any, posted or follows")
	fs.Int64Var(&o.value, "value", 0, "coupon value in cents")
	fs.Int64Var(&o.threshold, "threshold", 0, "coupon minimum order in cents")
	fs.StringVar(&o.buyer, "buyer", "", "order buyer")
	fs.StringVar(&o.merchant, "merchant", "", "order merchant")
	fs.StringVar(&o.rider, "rider", "", "order rider")
	fs.StringVar(&o.cmid, "cmid", "", "packet send: the client message id of an earlier send to retry (default: a new one; a failed send prints it)")
	return o
}

// verb is a subcommand: how many arguments follow it, and what it does
// (with x.pos holding those arguments).
type verb struct {
	args int
	run  func(*cli) error
}

func verbs(m map[string]verb) func(*cli) error {
	return func(x *cli) error {
		v, ok := m[x.pos[0]]
		if !ok || len(x.pos)-1 != v.args {
			names := make([]string, 0, len(m))
			for k := range m {
				names = append(names, k)
			}
			return usagef("usage: see qun help (verbs: %s)", strings.Join(names, ", "))
		}
		x.pos = x.pos[1:]
		return v.run(x)
	}
}

func parseRole(s string) (wire.Role, error) {
	switch s {
	case "member":
		return wire.RoleMember, nil
	case "admin":
		return wire.RoleAdmin, nil
	case "owner":
		return wire.RoleOwner, nil
	}
	return 0, usagef("bad role %q: use member, admin or owner", s)
}

// cents prints an amount in cents as yuan.
func cents(c int64) string { return fmt.Sprintf("¥%d.%02d", c/100, c%100) }

func cmdPacketSend(x *cli) error {
	o := x.o.com
	// Always with a cmid (the client makes one if --cmid is not given): a
	// retry with the cmid a failed send printed is the same packet.
	a := wire.SendPacketArgs{Group: x.pos[0], CMID: o.cmid, Total: o.total, Count: o.count, Greeting: o.greeting, TTL: o.expires.Milliseconds()}
	if o.equal {
		a.Mode = "equal"
	}
	if o.only != "" {
		a.Only = strings.Split(o.only, ",")
	}
	r, err := x.c.SendPacket(x.ctx, a)
	if err != nil {
		return err
	}
	x.printf("%s\n", r.Packet)
	return nil
}

func cmdPacketClaim(x *cli) error {
	r, err := x.c.ClaimPacket(x.ctx, x.pos[0], x.pos[1])
	if err != nil {
		return err
	}
	x.printf("claimed %s (%d cents, share %d)\n", cents(r.Amount), r.Amount, r.N)
	return nil
}

func cmdPacketShow(x *cli) error {
	p, err := x.c.PacketInfo(x.ctx, x.pos[0], x.pos[1])
	if err != nil {
		return err
	}
	x.printf("packet %s from %s: %s in %d %s shares, %s claimed, %s\n", p.Packet, p.Sender, cents(p.Total), p.Count, p.Mode, cents(p.Claimed), p.State)
	for _, c := range p.Claims {
		if c.Credit == wire.CreditPaid || c.Credit == "" {
			x.printf("%s %d\n", c.User, c.Amount)
		} else {
			x.printf("%s %d (credit %s%s)\n", c.User, c.Amount, c.Credit, note(c.Note))
		}
	}
	if p.Luckiest != "" {
		x.printf("luckiest: %s\n", p.Luckiest)
	}
	if p.Refund > 0 {
		if p.RefundCredit == wire.CreditPaid || p.RefundCredit == "" {
			x.printf("refunded: %d\n", p.Refund)
		} else {
			x.printf("refunded: %d (credit %s%s)\n", p.Refund, p.RefundCredit, note(p.RefundNote))
		}
	}
	return nil
}

func note(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

func cmdPacketRecall(x *cli) error {
	s, err := x.c.RecallPacket(x.ctx, x.pos[0], x.pos[1])
	if err != nil {
		return err
	}
	x.printf("recalled %s; the remainder is refunded (seq %d)\n", x.pos[1], s)
	return nil
}

func cmdCouponPost(x *cli) error {
	o := x.o.com
	valid := o.expires
	if valid <= 0 {
		valid = 24 * time.Hour
	}
	r, err := x.c.PostCoupon(x.ctx, wire.PostCouponArgs{Group: x.pos[0], Title: x.o.fan.title, Value: o.value, Threshold: o.threshold,
		Count: o.count, ValidUntil: time.Now().Add(valid).UnixMilli()})
	if err != nil {
		return err
	}
	x.printf("%s\n", r.Coupon)
	return nil
}

func cmdCouponClaim(x *cli) error {
	if _, err := x.c.ClaimCoupon(x.ctx, x.pos[0], x.pos[1]); err != nil {
		return err
	}
	x.printf("claimed coupon %s\n", x.pos[1])
	return nil
}

func cmdCouponShow(x *cli) error {
	c, err := x.c.CouponInfo(x.ctx, x.pos[0], x.pos[1])
	if err != nil {
		return err
	}
	x.printf("coupon %s %q: %s off %s, %d of %d left, until %s, yours: %v\n", c.Coupon, c.Title, cents(c.Value),
		cents(c.Threshold), c.Left, c.Count, fmtTime(c.ValidUntil), c.Claimed)
	return nil
}

func cmdLotteryOpen(x *cli) error {
	o := x.o.com
	r, err := x.c.OpenLottery(x.ctx, x.pos[0], o.prize, o.winners, time.Now().Add(o.deadline), o.rule)
	if err != nil {
		return err
	}
	x.printf("%s seed_hash %s\n", r.Lottery, r.SeedHash)
	return nil
}

func cmdLotteryEnter(x *cli) error {
	if err := x.c.EnterLottery(x.ctx, x.pos[0], x.pos[1]); err != nil {
		return err
	}
	x.printf("entered %s\n", x.pos[1])
	return nil
}

func cmdLotteryShow(x *cli) error {
	l, err := x.c.LotteryInfo(x.ctx, x.pos[0], x.pos[1])
	if err != nil {
		return err
	}
	x.printf("lottery %s %q: %d winners, deadline %s, rule %s, %d entries, seed_hash %s\n", l.Lottery, l.Prize, l.Winners,
		fmtTime(l.Deadline), l.Rule, l.Entries, l.SeedHash)
	if l.Drawn {
		x.printf("winners: %s\nseed: %s\nentrants: %s\n", strings.Join(l.Won, " "), l.Seed, strings.Join(l.Entrants, " "))
	} else {
		x.printf("not drawn yet\n")
	}
	return nil
}

func cmdOrderCreate(x *cli) error {
	o := x.o.com
	g, err := x.c.CreateOrderGroup(x.ctx, wire.OrderGroupArgs{Order: x.pos[0], Buyer: o.buyer, Merchant: o.merchant, Rider: o.rider})
	if err != nil {
		return err
	}
	x.printf("%s\n", g)
	return nil
}

func cmdOrderEvent(x *cli) error {
	s, err := x.c.OrderEvent(x.ctx, x.pos[0], x.pos[1], x.o.com.rider)
	if err != nil {
		return err
	}
	x.printf("order %s %s (seq %d)\n", x.pos[0], x.pos[1], s)
	return nil
}

func printBalance(x *cli, b wire.BalanceResult) {
	x.printf("%s balance %d (%s)\n", b.User, b.Balance, cents(b.Balance))
	for _, l := range b.Ledger {
		x.printf("%s %s %d -> %d\n", l.Kind, l.Key, l.Amount, l.Balance)
	}
}

func cmdBalance(x *cli) error {
	user := ""
	if len(x.pos) > 0 {
		user = x.pos[0]
	}
	b, err := x.c.Balance(x.ctx, user)
	if err != nil {
		return err
	}
	printBalance(x, b)
	return nil
}

func cmdGrant(x *cli) error {
	n, err := strconv.ParseInt(x.pos[1], 10, 64)
	if err != nil {
		return usagef("grant: CENTS must be an integer")
	}
	b, err := x.c.Grant(x.ctx, x.pos[0], n)
	if err != nil {
		return err
	}
	printBalance(x, b)
	return nil
}

func cmdShops(x *cli) error {
	user := ""
	if len(x.pos) > 0 {
		user = x.pos[0]
	}
	cards, err := x.c.ShopGroups(x.ctx, user)
	if err != nil {
		return err
	}
	printCards(x, cards)
	return nil
}
