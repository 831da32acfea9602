/**
 * Checked decoders of the fan-group results and rich message bodies
 * (richtypes.ts), with the same rules as decode.ts: every integer range
 * checked, unknown keys ignored, a missing key the zero value.
 */
import { Reader } from "./codec.js";
import { ProtocolError } from "./errors.js";
import { groupCard } from "./decode.js";
import type * as R from "./richtypes.js";
import type * as T from "./types.js";

type D<V> = (v: unknown, path: string) => V;

function setOpt<O, K extends keyof O>(o: O, k: K, v: O[K] | undefined): void {
  if (v !== undefined) o[k] = v;
}

/** Bounds of wire/rich.go, checked on decode too. */
const maxImageSide = 20000;
const maxPrice = 1e12;

const image: D<R.ImageBody> = (v, p) => {
  const r = Reader.of(v, p);
  const b: R.ImageBody = { url: r.str("url"), w: r.uint("w", 32), h: r.uint("h", 32) };
  if (b.w > maxImageSide || b.h > maxImageSide) throw new ProtocolError(`${p}: image side beyond ${maxImageSide}`);
  return b;
};

const video: D<R.VideoBody> = (v, p) => {
  const r = Reader.of(v, p);
  const b: R.VideoBody = { id: r.str("id"), title: r.str("title") };
  setOpt(b, "cover", r.optStr("cover"));
  setOpt(b, "dur", r.optUint("dur", 32));
  return b;
};

const live: D<R.LiveBody> = (v, p) => {
  const r = Reader.of(v, p);
  const b: R.LiveBody = { room: r.str("room"), title: r.str("title"), live: r.bool("live") };
  setOpt(b, "cover", r.optStr("cover"));
  setOpt(b, "start", r.optUint("start"));
  return b;
};

const product: D<R.ProductBody> = (v, p) => {
  const r = Reader.of(v, p);
  const b: R.ProductBody = { id: r.str("id"), title: r.str("title"), price: r.uint("price"), cur: r.str("cur") };
  if (b.price > maxPrice) throw new ProtocolError(`${p}.price: ${b.price} beyond ${maxPrice}`);
  setOpt(b, "img", r.optStr("img"));
  setOpt(b, "url", r.optStr("url"));
  return b;
};

const sticker: D<R.StickerBody> = (v, p) => {
  const r = Reader.of(v, p);
  return { pack: r.str("pack"), id: r.str("id") };
};

const location: D<R.LocationBody> = (v, p) => {
  const r = Reader.of(v, p);
  const b: R.LocationBody = { lat: r.float("lat"), lng: r.float("lng") };
  setOpt(b, "name", r.optStr("name"));
  setOpt(b, "addr", r.optStr("addr"));
  return b;
};

const link: D<R.LinkBody> = (v, p) => {
  const r = Reader.of(v, p);
  const b: R.LinkBody = { url: r.str("url") };
  setOpt(b, "title", r.optStr("title"));
  setOpt(b, "desc", r.optStr("desc"));
  setOpt(b, "img", r.optStr("img"));
  return b;
};

/** A custom value: string, integer (safe, else a ProtocolError), float or boolean; nothing else. */
function customValue(x: unknown, p: string): R.CustomValue {
  switch (typeof x) {
    case "string":
    case "boolean":
      return x;
    case "number":
      if (!Number.isFinite(x)) throw new ProtocolError(`${p}: not finite`);
      return x;
    case "bigint":
      if (x > BigInt(Number.MAX_SAFE_INTEGER) || x < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw new ProtocolError(`${p}: ${x} is beyond 2^53 and cannot be held exactly`);
      }
      return Number(x);
  }
  throw new ProtocolError(`${p}: a custom value must be a string, integer, float or boolean`);
}

const custom: D<R.CustomBody> = (v, p) => {
  const r = Reader.of(v, p);
  const b: R.CustomBody = { type: r.str("type") };
  if (r.has("data")) {
    const d = r.map("data");
    b.data = Object.fromEntries(Object.entries(d.m).map(([k, x]) => [k, customValue(x, `${p}.data.${k}`)]));
  }
  return b;
};

const recalled: D<R.RecalledBody> = (v, p) => {
  const r = Reader.of(v, p);
  return { by: r.str("by"), at: r.int("at") };
};

/** Decodes the rich fields of a message body map into body. */
export function richBody(b: Reader, body: T.Body): void {
  const at = (k: string) => b.m[k];
  const q = (k: string) => `${b.path}.${k}`;
  if (b.has("img")) body.img = image(at("img"), q("img"));
  if (b.has("video")) body.video = video(at("video"), q("video"));
  if (b.has("live")) body.live = live(at("live"), q("live"));
  if (b.has("product")) body.product = product(at("product"), q("product"));
  if (b.has("sticker")) body.sticker = sticker(at("sticker"), q("sticker"));
  if (b.has("loc")) body.loc = location(at("loc"), q("loc"));
  if (b.has("link")) body.link = link(at("link"), q("link"));
  if (b.has("custom")) body.custom = custom(at("custom"), q("custom"));
  if (b.has("recalled")) body.recalled = recalled(at("recalled"), q("recalled"));
}

// ---- fan groups ----

export const threshold: D<R.Threshold> = (v, p) => {
  const r = Reader.of(v, p);
  const t: R.Threshold = {};
  if (r.bool("follow")) t.follow = true;
  const days = r.uint("follow_days", 16);
  if (days) t.follow_days = days;
  const level = r.uint("level", 16);
  if (level) t.level = level;
  return t;
};

const fanCard: D<R.FanCard> = (v, p) => {
  const r = Reader.of(v, p);
  const c: R.FanCard = {
    g: r.str("g"),
    name: r.str("name"),
    members: r.int("members"),
    max_members: r.int("max_members"),
    join: r.uint("join", 8),
    threshold: threshold(r.m["threshold"], `${p}.threshold`),
    words: r.str("words"),
    order: r.int("order"),
    member: r.bool("member"),
    may_join: r.bool("may_join"),
  };
  setOpt(c, "avatar", r.optStr("avatar"));
  setOpt(c, "why", r.optStr("why"));
  return c;
};

export const fanGroupsResult: D<R.FanGroupsResult> = (v, p) => {
  const r = Reader.of(v, p);
  return { creator: r.str("creator"), groups: r.arr("groups", fanCard) };
};

export const creatorNoticeResult: D<R.CreatorNoticeResult> = (v, p) => ({
  groups: Reader.of(v, p).arr("groups", (x, q) => {
    const m = Reader.of(x, q);
    const n: R.NoticeGroup = { g: m.str("g"), dup: m.bool("dup"), code: m.uint("code", 16) };
    setOpt(n, "seq", m.optUint("seq"));
    return n;
  }),
});

export const shareCard: D<R.ShareCard> = (v, p) => {
  const r = Reader.of(v, p);
  const l = r.map("links");
  const links: Record<string, string> = Object.fromEntries(Object.keys(l.m).map((k) => [k, l.str(k)]));
  return { code: r.str("code"), links, card: groupCard(r.m["card"], `${p}.card`), expire: r.int("expire") };
};
