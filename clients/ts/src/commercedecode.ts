/**
 * Checked decoders of the commerce results (commercetypes.ts), with the
 * rules of decode.ts: every integer range checked (money is a signed
 * integer of cents, never a float), unknown keys ignored, a missing key the
 * zero value.
 */
import { Reader } from "./codec.js";
import { ProtocolError } from "./errors.js";
import type * as C from "./commercetypes.js";

type D<V> = (v: unknown, path: string) => V;

function setOpt<O, K extends keyof O>(o: O, k: K, v: O[K] | undefined): void {
  if (v !== undefined) o[k] = v;
}

/** Cents: an exact integer (a float is refused by Reader.int). */
const cents = (r: Reader, k: string): number => r.int(k);
/** A Go int count: non-negative, 32 bits is ample. */
const count = (r: Reader, k: string): number => r.uint(k, 32);

export const packetResult: D<C.PacketResult> = (v, p) => {
  const r = Reader.of(v, p);
  return { packet: r.str("packet"), seq: r.uint("seq") };
};

export const claimResult: D<C.ClaimResult> = (v, p) => {
  const r = Reader.of(v, p);
  return { amount: cents(r, "amount"), n: count(r, "n"), seq: r.uint("seq"), dup: r.bool("dup") };
};

const packetClaim: D<C.PacketClaim> = (v, p) => {
  const r = Reader.of(v, p);
  return { user: r.str("user"), amount: cents(r, "amount"), at: r.int("at") };
};

export const packetInfo: D<C.PacketInfo> = (v, p) => {
  const r = Reader.of(v, p);
  const i: C.PacketInfo = {
    packet: r.str("packet"),
    sender: r.str("sender"),
    mode: r.str("mode"),
    total: cents(r, "total"),
    count: count(r, "count"),
    claimed: cents(r, "claimed"),
    claims: r.arr("claims", packetClaim),
    state: r.str("state"),
    expires: r.int("expires"),
    seq: r.uint("seq"),
  };
  setOpt(i, "luckiest", r.optStr("luckiest"));
  setOpt(i, "refund", r.optInt("refund"));
  setOpt(i, "greeting", r.optStr("greeting"));
  if (r.has("only")) i.only = r.strs("only");
  if (i.claims.length > i.count) throw new ProtocolError(`${p}: ${i.claims.length} claims of ${i.count} shares`);
  return i;
};

export const lotteryResult: D<C.LotteryResult> = (v, p) => {
  const r = Reader.of(v, p);
  return { lottery: r.str("lottery"), seed_hash: r.str("seed_hash"), seq: r.uint("seq") };
};

export const lotteryInfo: D<C.LotteryInfo> = (v, p) => {
  const r = Reader.of(v, p);
  const i: C.LotteryInfo = {
    lottery: r.str("lottery"),
    prize: r.str("prize"),
    winners: count(r, "winners"),
    deadline: r.int("deadline"),
    rule: r.str("rule"),
    seed_hash: r.str("seed_hash"),
    entries: count(r, "entries"),
    entered: r.bool("entered"),
    drawn: r.bool("drawn"),
  };
  if (r.has("won")) i.won = r.strs("won");
  setOpt(i, "seed", r.optStr("seed"));
  if (r.has("entrants")) i.entrants = r.strs("entrants");
  return i;
};

export const couponResult: D<C.CouponResult> = (v, p) => {
  const r = Reader.of(v, p);
  return { coupon: r.str("coupon"), seq: r.uint("seq") };
};

export const couponInfo: D<C.CouponInfo> = (v, p) => {
  const r = Reader.of(v, p);
  return {
    coupon: r.str("coupon"),
    title: r.str("title"),
    value: cents(r, "value"),
    threshold: cents(r, "threshold"),
    count: count(r, "count"),
    left: count(r, "left"),
    valid_until: r.int("valid_until"),
    claimed: r.bool("claimed"),
  };
};

const ledgerEntry: D<C.LedgerEntry> = (v, p) => {
  const r = Reader.of(v, p);
  return { key: r.str("key"), kind: r.str("kind"), amount: cents(r, "amount"), balance: cents(r, "balance") };
};

export const balanceResult: D<C.BalanceResult> = (v, p) => {
  const r = Reader.of(v, p);
  return { user: r.str("user"), balance: cents(r, "balance"), ledger: r.arr("ledger", ledgerEntry) };
};

/** SystemBody.com. */
export const commerceEvent: D<C.CommerceEvent> = (v, p) => {
  const r = Reader.of(v, p);
  const e: C.CommerceEvent = {};
  for (const k of ["packet", "lottery", "coupon", "order", "mode", "greeting", "prize", "rule", "seed_hash", "seed", "title", "status"] as const) {
    setOpt(e, k, r.optStr(k));
  }
  for (const k of ["amount", "expires", "deadline", "threshold"] as const) setOpt(e, k, r.optInt(k));
  for (const k of ["count", "n"] as const) setOpt(e, k, r.optUint(k, 32));
  for (const k of ["only", "winners"] as const) if (r.has(k)) e[k] = r.strs(k);
  return e;
};
