/**
 * Fan groups, creator tools and rich message bodies (docs/protocol.md
 * section 12; wire/fans.go and wire/rich.go), with the protocol's own key
 * names. Same conventions as types.ts: integers are exact `number`s, times
 * are Unix milliseconds, `?` keys are left out when undefined.
 */
import type { DivertPolicy, JoinPolicy } from "./codes.js";
import type { GroupCard } from "./types.js";

// ---- rich message bodies (message types 100-108) ----

/** Type 100 `img`. */
export interface ImageBody {
  url: string;
  /** Pixels, 1..20000. */
  w: number;
  h: number;
}

/** Type 101 `video`: a short video shared into the group. */
export interface VideoBody {
  id: string;
  title: string;
  cover?: string;
  /** Seconds. */
  dur?: number;
}

/** Type 102 `live`: a live room, on air (`live`), a preview (`start` in the future) or ended. */
export interface LiveBody {
  room: string;
  title: string;
  cover?: string;
  live: boolean;
  start?: number;
}

/** Type 103 `product`: a product card; `price` in the currency's minor unit. */
export interface ProductBody {
  id: string;
  title: string;
  price: number;
  /** ISO 4217, e.g. "CNY". */
  cur: string;
  img?: string;
  url?: string;
}

/** Type 104 `sticker`. */
export interface StickerBody {
  pack: string;
  id: string;
}

/** Type 105 `loc`. */
export interface LocationBody {
  lat: number;
  lng: number;
  name?: string;
  addr?: string;
}

/** Type 106 `link`: a link card. */
export interface LinkBody {
  url: string;
  title?: string;
  desc?: string;
  img?: string;
}

/**
 * A custom value: a msgpack string, integer, float or boolean. A JS number
 * that is an integer is sent as a msgpack integer, any other as a float64
 * (so a float with an integral value, e.g. 2.0, cannot be sent as a float).
 */
export type CustomValue = string | number | boolean;

/** Type 107 `custom`: a host-defined type name ([a-z0-9_.], 1..32) and at most 16 scalars. */
export interface CustomBody {
  type: string;
  data?: Record<string, CustomValue>;
}

/** Type 108 `recalled`: what a recalled message becomes (never sent by clients). */
export interface RecalledBody {
  by: string;
  at: number;
}

// ---- fan groups ----

/** What a fan must meet to join a fan group; any combination. */
export interface Threshold {
  follow?: boolean;
  /** 0..3650; implies follow. */
  follow_days?: number;
  /** 0..100. */
  level?: number;
}

export interface CreateFanGroupArgs {
  name: string;
  avatar?: string;
  join?: JoinPolicy;
  threshold: Threshold;
  /** Place on the creator's homepage, ascending (0..1000). */
  order?: number;
}

/** Undefined fields stay as they are. */
export interface SetFanGroupArgs {
  g: string;
  threshold?: Threshold;
  order?: number;
}

export interface FanGroupsArgs {
  creator: string;
}

/** A fan group as the creator's homepage shows it to the caller. */
export interface FanCard {
  g: string;
  name: string;
  avatar?: string;
  members: number;
  max_members: number;
  join: JoinPolicy | number;
  threshold: Threshold;
  /** The threshold and join policy in words. */
  words: string;
  order: number;
  /** The caller is already a member. */
  member: boolean;
  may_join: boolean;
  /** Why not, when may_join is false. */
  why?: string;
}

export interface FanGroupsResult {
  creator: string;
  groups: FanCard[];
}

export type CreatorNoticeKind = "live" | "preview" | "video";

/** One rich message to every fan group of the caller; idempotent on `id`. */
export interface CreatorNoticeArgs {
  id: string;
  kind: CreatorNoticeKind;
  room?: string;
  video?: string;
  title: string;
  cover?: string;
  /** preview: unix ms. */
  start?: number;
  /** video: seconds. */
  dur?: number;
}

export interface NoticeGroup {
  g: string;
  seq?: number;
  dup: boolean;
  /** Non-zero if the group refused (e.g. 215 dissolved). */
  code: number;
}

export interface CreatorNoticeResult {
  groups: NoticeGroup[];
}

export interface RecallArgs {
  g: string;
  seq: number;
}

export interface SetDivertArgs {
  g: string;
  policy: DivertPolicy;
}

/** What a member shares outside the platform. */
export interface ShareCard {
  code: string;
  /** "wechat", "qq", "weibo" → text to paste there. */
  links: Record<string, string>;
  card: GroupCard;
  expire: number;
}

export interface FanFollow {
  fan: string;
  creator: string;
  since: number;
}

export interface FanLevel {
  fan: string;
  creator: string;
  level: number;
}

/** Seeds the in-memory host of a standalone qund (--fan-admins users only). */
export interface HostFactsArgs {
  follows?: FanFollow[];
  levels?: FanLevel[];
}
