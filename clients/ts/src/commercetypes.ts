/**
 * Commerce: red packets, lotteries, coupons, order groups, shop pages and
 * the in-memory host's balances (wire/commerce.go), with the protocol's own
 * key names. Money is integer cents (an exact `number`), never a float;
 * times are Unix milliseconds; `?` keys are left out when undefined.
 */
import type { Role } from "./codes.js";

/** Red packet split: `lucky` (random shares, the default) or `equal`. */
export type PacketMode = "lucky" | "equal";

/** send_packet: `total` cents in `count` shares. `only` limits who may claim; `ttl_ms` defaults to the server's (24 h). The same cmid names the same packet (paid once). */
export interface SendPacketArgs {
  g: string;
  cmid?: string;
  total: number;
  count: number;
  mode?: PacketMode | string;
  greeting?: string;
  only?: string[];
  ttl_ms?: number;
}

/** A funded, posted packet. */
export interface PacketResult {
  packet: string;
  seq: number;
}

/** claim_packet, packet_info, recall_packet. */
export interface PacketArgs {
  g: string;
  packet: string;
}

/** The caller's share (cents); `dup`: already claimed before. */
export interface ClaimResult {
  amount: number;
  n: number;
  seq: number;
  dup: boolean;
}

export interface PacketClaim {
  user: string;
  amount: number;
  at: number;
}

/** A packet: who got how much, and (once closed) the luckiest claimer. */
export interface PacketInfo {
  packet: string;
  sender: string;
  mode: string;
  total: number;
  count: number;
  claimed: number;
  claims: PacketClaim[];
  luckiest?: string;
  /** "open", "empty", "expired", "recalled". */
  state: string;
  refund?: number;
  expires: number;
  greeting?: string;
  only?: string[];
  seq: number;
}

/** commerce_settings (owner): the lowest role that may send packets; whether the group is a shop group. */
export interface CommerceSettingsArgs {
  g: string;
  packet_senders?: Role;
  shop?: boolean;
}

/** open_lottery: `deadline` unix ms; `rule` "any" (default), "posted" or "follows". */
export interface OpenLotteryArgs {
  g: string;
  prize: string;
  winners: number;
  deadline: number;
  rule?: string;
}

export interface LotteryResult {
  lottery: string;
  seed_hash: string;
  seq: number;
}

export interface LotteryArgs {
  g: string;
  lottery: string;
}

/** A lottery; once drawn, the winners, the revealed seed (hex) and the sorted entrants. */
export interface LotteryInfo {
  lottery: string;
  prize: string;
  winners: number;
  deadline: number;
  rule: string;
  seed_hash: string;
  entries: number;
  entered: boolean;
  drawn: boolean;
  won?: string[];
  seed?: string;
  entrants?: string[];
}

/** post_coupon: `count` coupons worth `value` cents off an order of at least `threshold` cents. */
export interface PostCouponArgs {
  g: string;
  title: string;
  value: number;
  threshold?: number;
  count: number;
  valid_until: number;
}

export interface CouponResult {
  coupon: string;
  seq: number;
}

export interface CouponArgs {
  g: string;
  coupon: string;
}

export interface CouponInfo {
  coupon: string;
  title: string;
  value: number;
  threshold: number;
  count: number;
  left: number;
  valid_until: number;
  claimed: boolean;
}

/** create_order_group (operators; idempotent on order). */
export interface OrderGroupArgs {
  order: string;
  buyer: string;
  merchant: string;
  rider?: string;
}

/** order_event (operators): "assigned" (with rider), "picked_up", "delivered", "cancelled". */
export interface OrderEventArgs {
  order: string;
  event: string;
  rider?: string;
}

/** grant (operators): credit `amount` cents to user in the in-memory host. */
export interface GrantArgs {
  user: string;
  amount: number;
}

export interface LedgerEntry {
  key: string;
  /** "grant", "debit", "credit". */
  kind: string;
  amount: number;
  balance: number;
}

/** An account of the in-memory host; ledger newest last (at most 100). */
export interface BalanceResult {
  user: string;
  balance: number;
  ledger: LedgerEntry[];
}

/** SystemBody.com: details of a commerce system event; only the event's fields are set. */
export interface CommerceEvent {
  packet?: string;
  lottery?: string;
  coupon?: string;
  order?: string;
  amount?: number;
  count?: number;
  n?: number;
  mode?: string;
  greeting?: string;
  only?: string[];
  expires?: number;
  prize?: string;
  deadline?: number;
  rule?: string;
  seed_hash?: string;
  seed?: string;
  winners?: string[];
  title?: string;
  threshold?: number;
  status?: string;
}
