package wire

// Commerce: red packets, lotteries, coupons, order groups and the in-memory
// host's balances. Amounts are integer cents (int64), never floats.

// Group kinds of commerce (GroupKind, append-only after KindFan).
const (
	KindShop  GroupKind = 2 // a merchant's shop group: on the owner's shop page, may post coupons
	KindOrder GroupKind = 3 // the group of one order (buyer, merchant, rider), made by the host
)

// Commerce operations (range 170-219).
const (
	OpSendPacket       Op = 170 // SendPacketArgs → PacketResult (once the host debited the sender)
	OpClaimPacket      Op = 171 // PacketArgs → ClaimResult
	OpPacketInfo       Op = 172 // PacketArgs → PacketInfo
	OpRecallPacket     Op = 173 // PacketArgs → SeqResult (the remainder is refunded)
	OpCommerceSettings Op = 174 // CommerceSettingsArgs → SeqResult
	OpOpenLottery      Op = 175 // OpenLotteryArgs → LotteryResult
	OpEnterLottery     Op = 176 // LotteryArgs → Empty
	OpLotteryInfo      Op = 177 // LotteryArgs → LotteryInfo
	OpPostCoupon       Op = 178 // PostCouponArgs → CouponResult
	OpClaimCoupon      Op = 179 // CouponArgs → SeqResult (once the host issued the coupon)
	OpCouponInfo       Op = 180 // CouponArgs → CouponInfo
	OpCreateOrderGroup Op = 181 // OrderGroupArgs → CreateGroupResult (operators only)
	OpOrderEvent       Op = 182 // OrderEventArgs → SeqResult (operators only)
	OpBalance          Op = 183 // UserArgs → BalanceResult (the in-memory host's account)
	OpGrant            Op = 184 // GrantArgs → BalanceResult (operators only; the in-memory host)
	OpShopGroups       Op = 185 // UserArgs → SearchResult (a merchant's shop groups: the shop page)
)

// Commerce error codes (range 340-369).
const (
	CodeInsufficientFunds Code = 340 // the host refused to debit the sender
	CodePacketEmpty       Code = 341 // every share of the packet was claimed
	CodePacketExpired     Code = 342 // the packet (or coupon) is past its expiry
	CodePacketRecalled    Code = 343 // the sender recalled the packet
	CodeWrongGroup        Code = 344 // the packet, lottery or coupon belongs to another group
	CodeNotEligible       Code = 345 // not among the packet's members, or the lottery's rule
	CodeLotteryClosed     Code = 346 // the lottery's deadline passed
	CodeSoldOut           Code = 347 // no coupons left
	CodeReadOnly          Code = 348 // the order group is archived
	CodePaymentPending    Code = 349 // the host is unreachable; Qun keeps retrying
	CodePruned            Code = 350 // the packet, lottery or coupon finished and was pruned after the retention; its messages stay in history
)

func init() {
	for c, n := range map[Code]string{
		CodeInsufficientFunds: "insufficient_funds", CodePacketEmpty: "packet_empty",
		CodePacketExpired: "packet_expired", CodePacketRecalled: "packet_recalled",
		CodeWrongGroup: "wrong_group", CodeNotEligible: "not_eligible", CodeLotteryClosed: "lottery_closed",
		CodeSoldOut: "sold_out", CodeReadOnly: "read_only", CodePaymentPending: "payment_pending",
		CodePruned: "pruned",
	} {
		codeNames[c] = n
	}
}

// Commerce system events (SystemBody.Event); SystemBody.Commerce carries
// the details.
const (
	EventRedPacket      = "red_packet"      // Actor sent a packet: packet, amount (total), count, mode, greeting, only, expires
	EventPacketClaimed  = "packet_claimed"  // Actor claimed share n of packet: amount
	EventPacketRefunded = "packet_refunded" // packet expired (Text "expired") or was recalled ("recalled"); amount refunded to Target
	EventLotteryOpened  = "lottery_opened"  // lottery, prize, count (winners), deadline, rule, seed_hash
	EventLotteryDrawn   = "lottery_drawn"   // lottery, winners, seed (hex), entries (count)
	EventCouponPosted   = "coupon_posted"   // coupon, title, amount (value), threshold, count, expires
	EventCouponClaimed  = "coupon_claimed"  // Actor claimed coupon
	EventCouponReleased = "coupon_released" // the host refused to issue Actor's coupon: stock restored
	EventOrder          = "order"           // status: created, assigned, picked_up, delivered, cancelled, archived
	EventSettings       = "commerce_settings"
)

// CommerceEvent details a commerce system event. Only the fields of the
// event are set.
type CommerceEvent struct {
	Packet    string   `msgpack:"packet,omitempty"`
	Lottery   string   `msgpack:"lottery,omitempty"`
	Coupon    string   `msgpack:"coupon,omitempty"`
	Order     string   `msgpack:"order,omitempty"`
	Amount    int64    `msgpack:"amount,omitempty"`
	Count     int      `msgpack:"count,omitempty"`
	N         int      `msgpack:"n,omitempty"`
	Mode      string   `msgpack:"mode,omitempty"`
	Greeting  string   `msgpack:"greeting,omitempty"`
	Only      []string `msgpack:"only,omitempty"`
	Expires   int64    `msgpack:"expires,omitempty"`
	Prize     string   `msgpack:"prize,omitempty"`
	Deadline  int64    `msgpack:"deadline,omitempty"`
	Rule      string   `msgpack:"rule,omitempty"`
	SeedHash  string   `msgpack:"seed_hash,omitempty"`
	Seed      string   `msgpack:"seed,omitempty"`
	Winners   []string `msgpack:"winners,omitempty"`
	Title     string   `msgpack:"title,omitempty"`
	Threshold int64    `msgpack:"threshold,omitempty"`
	Status    string   `msgpack:"status,omitempty"`
}

// SendPacketArgs sends a red packet of Total cents in Count shares. Mode is
// "lucky" (default) or "equal". Only, if set, lists the members who may
// claim. TTL (ms) defaults to the server's packet lifetime (24 h). CMID
// makes a retry safe: the same caller and CMID name the same packet, which
// is sent (and paid) once.
type SendPacketArgs struct {
	Group    string   `msgpack:"g"`
	CMID     string   `msgpack:"cmid,omitempty"`
	Total    int64    `msgpack:"total"`
	Count    int      `msgpack:"count"`
	Mode     string   `msgpack:"mode,omitempty"`
	Greeting string   `msgpack:"greeting,omitempty"`
	Only     []string `msgpack:"only,omitempty"`
	TTL      int64    `msgpack:"ttl_ms,omitempty"`
}

// PacketResult names a packet that is funded and posted.
type PacketResult struct {
	Packet string `msgpack:"packet"`
	Seq    uint64 `msgpack:"seq"`
}

// PacketArgs names a packet of a group.
type PacketArgs struct {
	Group  string `msgpack:"g"`
	Packet string `msgpack:"packet"`
}

// ClaimResult is the caller's share. Dup: the caller had already claimed it.
type ClaimResult struct {
	Amount int64  `msgpack:"amount"`
	N      int    `msgpack:"n"`
	Seq    uint64 `msgpack:"seq"`
	Dup    bool   `msgpack:"dup,omitempty"`
}

// PacketClaim is one claim of a packet.
type PacketClaim struct {
	User   string `msgpack:"user"`
	Amount int64  `msgpack:"amount"`
	At     int64  `msgpack:"at"`
	// Credit is where the host's credit of this share stands:
	// CreditPaid, CreditPending (Qun retries it) or CreditRefused (the
	// host refused it for good; Note has its reason).
	Credit string `msgpack:"credit,omitempty"`
	Note   string `msgpack:"note,omitempty"`
}

// Where a host credit stands (PacketClaim.Credit, PacketInfo.RefundCredit).
const (
	CreditPaid    = "paid"
	CreditPending = "pending"
	CreditRefused = "refused"
)

// PacketInfo shows a packet: who got how much, and (once every share is
// claimed or the packet closed) the luckiest claimer.
type PacketInfo struct {
	Packet   string        `msgpack:"packet"`
	Sender   string        `msgpack:"sender"`
	Mode     string        `msgpack:"mode"`
	Total    int64         `msgpack:"total"`
	Count    int           `msgpack:"count"`
	Claimed  int64         `msgpack:"claimed"`
	Claims   []PacketClaim `msgpack:"claims"`
	Luckiest string        `msgpack:"luckiest,omitempty"`
	State    string        `msgpack:"state"` // "open", "empty", "expired", "recalled"
	Refund   int64         `msgpack:"refund,omitempty"`
	Expires  int64         `msgpack:"expires"`
	Greeting string        `msgpack:"greeting,omitempty"`
	Only     []string      `msgpack:"only,omitempty"`
	Seq      uint64        `msgpack:"seq"`
	// RefundCredit is where the refund's credit stands (as
	// PacketClaim.Credit), once there is a refund.
	RefundCredit string `msgpack:"refund_credit,omitempty"`
	RefundNote   string `msgpack:"refund_note,omitempty"`
	// Refused counts the credits of this packet the host refused for good.
	Refused int `msgpack:"refused,omitempty"`
}

// CommerceSettingsArgs changes a group's commerce settings (owner only).
// PacketSenders is the lowest role that may send red packets; Shop marks
// the group a shop group (listed on its owner's shop page).
type CommerceSettingsArgs struct {
	Group         string `msgpack:"g"`
	PacketSenders *Role  `msgpack:"packet_senders,omitempty"`
	Shop          *bool  `msgpack:"shop,omitempty"`
}

// OpenLotteryArgs opens a lottery. Deadline is unix ms. Rule is "any"
// (default), "posted" (the member sent a message in the group) or "follows"
// (the member follows the group's owner, per the host).
type OpenLotteryArgs struct {
	Group    string `msgpack:"g"`
	Prize    string `msgpack:"prize"`
	Winners  int    `msgpack:"winners"`
	Deadline int64  `msgpack:"deadline"`
	Rule     string `msgpack:"rule,omitempty"`
}

// LotteryResult names an open lottery and publishes its seed's hash.
type LotteryResult struct {
	Lottery  string `msgpack:"lottery"`
	SeedHash string `msgpack:"seed_hash"`
	Seq      uint64 `msgpack:"seq"`
}

// LotteryArgs names a lottery of a group.
type LotteryArgs struct {
	Group   string `msgpack:"g"`
	Lottery string `msgpack:"lottery"`
}

// LotteryInfo shows a lottery. Once drawn: the winners, the revealed seed
// (hex) and the entry list the draw used (sorted).
type LotteryInfo struct {
	Lottery  string   `msgpack:"lottery"`
	Prize    string   `msgpack:"prize"`
	Winners  int      `msgpack:"winners"`
	Deadline int64    `msgpack:"deadline"`
	Rule     string   `msgpack:"rule"`
	SeedHash string   `msgpack:"seed_hash"`
	Entries  int      `msgpack:"entries"`
	Entered  bool     `msgpack:"entered"`
	Drawn    bool     `msgpack:"drawn"`
	Won      []string `msgpack:"won,omitempty"`
	Seed     string   `msgpack:"seed,omitempty"`
	Entrants []string `msgpack:"entrants,omitempty"`
}

// PostCouponArgs posts a batch of Count coupons worth Value cents off an
// order of at least Threshold cents, valid until ValidUntil (unix ms).
type PostCouponArgs struct {
	Group      string `msgpack:"g"`
	Title      string `msgpack:"title"`
	Value      int64  `msgpack:"value"`
	Threshold  int64  `msgpack:"threshold,omitempty"`
	Count      int    `msgpack:"count"`
	ValidUntil int64  `msgpack:"valid_until"`
}

// CouponResult names a posted coupon batch.
type CouponResult struct {
	Coupon string `msgpack:"coupon"`
	Seq    uint64 `msgpack:"seq"`
}

// CouponArgs names a coupon batch of a group.
type CouponArgs struct {
	Group  string `msgpack:"g"`
	Coupon string `msgpack:"coupon"`
}

// CouponInfo shows a coupon batch.
type CouponInfo struct {
	Coupon     string `msgpack:"coupon"`
	Title      string `msgpack:"title"`
	Value      int64  `msgpack:"value"`
	Threshold  int64  `msgpack:"threshold"`
	Count      int    `msgpack:"count"`
	Left       int    `msgpack:"left"`
	ValidUntil int64  `msgpack:"valid_until"`
	Claimed    bool   `msgpack:"claimed"`
}

// OrderGroupArgs creates the group of an order (idempotent on Order).
type OrderGroupArgs struct {
	Order    string `msgpack:"order"`
	Buyer    string `msgpack:"buyer"`
	Merchant string `msgpack:"merchant"`
	Rider    string `msgpack:"rider,omitempty"`
}

// OrderEventArgs reports an order's progress: Event is "assigned" (with
// Rider), "picked_up", "delivered" or "cancelled".
type OrderEventArgs struct {
	Order string `msgpack:"order"`
	Event string `msgpack:"event"`
	Rider string `msgpack:"rider,omitempty"`
}

// GrantArgs credits User's account in the in-memory host (operators only).
type GrantArgs struct {
	User   string `msgpack:"user"`
	Amount int64  `msgpack:"amount"`
}

// LedgerEntry is one applied payment of the in-memory host.
type LedgerEntry struct {
	Key     string `msgpack:"key"`
	Kind    string `msgpack:"kind"` // "grant", "debit", "credit"
	Amount  int64  `msgpack:"amount"`
	Balance int64  `msgpack:"balance"`
}

// BalanceResult is an account of the in-memory host and its ledger, newest
// last (at most 100 entries).
type BalanceResult struct {
	User    string        `msgpack:"user"`
	Balance int64         `msgpack:"balance"`
	Ledger  []LedgerEntry `msgpack:"ledger"`
}
