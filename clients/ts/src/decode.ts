/**
 * Checked decoders from msgpack maps to the types of types.ts. Each one
 * reads exactly the keys of its table in docs/protocol.md and ignores others.
 */
import { Reader } from "./codec.js";
import { commerceEvent } from "./commercedecode.js";
import { richBody, threshold } from "./richdecode.js";
import type * as T from "./types.js";

type D<V> = (v: unknown, path: string) => V;

export const welcome: D<T.Welcome> = (v, p) => {
  const r = Reader.of(v, p);
  return {
    v: r.int("v"),
    user: r.str("user"),
    session: r.str("session"),
    max_frame: r.uint("max_frame", 32),
    max_inflight: r.uint("max_inflight", 32),
    time: r.int("time"),
  };
};

export interface ErrorFrame {
  id: number;
  code: number;
  msg: string;
  /** rate_limited: ms until a retry may pass; absent otherwise. */
  retry_after?: number;
}
export const errorFrame: D<ErrorFrame> = (v, p) => {
  const r = Reader.of(v, p);
  const e: ErrorFrame = { id: r.uint("id", 32), code: r.uint("code", 16), msg: r.str("msg") };
  const ra = r.uint("retry_after");
  if (ra) e.retry_after = ra;
  return e;
};

export interface ReplyFrame {
  id: number;
  body: unknown;
}
export const reply: D<ReplyFrame> = (v, p) => {
  const r = Reader.of(v, p);
  return { id: r.uint("id", 32), body: r.m["body"] };
};

export const message: D<T.Message> = (v, p) => {
  const r = Reader.of(v, p);
  const b = r.map("body");
  const body: T.Body = {};
  if (b.has("text")) {
    const t = b.map("text");
    body.text = { t: t.str("t") };
    const at = t.strs("at");
    if (at.length) body.text.at = at;
  }
  if (b.has("sys")) {
    const s = b.map("sys");
    const sys: T.SystemBody = { e: s.str("e") };
    setOpt(sys, "actor", s.optStr("actor"));
    setOpt(sys, "target", s.optStr("target"));
    setOpt(sys, "t", s.optStr("t"));
    setOpt(sys, "until", s.optInt("until"));
    if (s.has("com")) sys.com = commerceEvent(s.m["com"], `${p}.body.sys.com`);
    body.sys = sys;
  }
  richBody(b, body);
  const m: T.Message = { seq: r.uint("seq"), ts: r.int("ts"), from: r.str("from"), type: r.uint("type", 8), body };
  setOpt(m, "cmid", r.optStr("cmid"));
  const lane = r.uint("lane", 8);
  if (lane) m.lane = lane;
  return m;
};

export const push: D<T.Push> = (v, p) => {
  const r = Reader.of(v, p);
  return { g: r.str("g"), msgs: r.arr("msgs", message) };
};

export const gap: D<T.Gap> = (v, p) => {
  const r = Reader.of(v, p);
  return { g: r.str("g"), from: r.uint("from"), to: r.uint("to") };
};

export const notice: D<T.Notice> = (v, p) => {
  const r = Reader.of(v, p);
  const n: T.Notice = { kind: r.str("kind"), g: r.str("g") };
  setOpt(n, "user", r.optStr("user"));
  setOpt(n, "by", r.optStr("by"));
  setOpt(n, "t", r.optStr("t"));
  return n;
};

export const ping = (v: unknown, p: string): { n: number | bigint } => {
  // n is opaque and echoed: keep a bigint as is so nothing is rounded.
  const r = Reader.of(v, p);
  const n = r.m["n"];
  return { n: typeof n === "bigint" ? n : r.uint("n") };
};

function setOpt<O, K extends keyof O>(o: O, k: K, v: O[K] | undefined): void {
  if (v !== undefined) o[k] = v;
}

// ---- results ----

export const empty: D<T.Empty> = (v, p) => {
  Reader.of(v, p);
  return {};
};

export const seqResult: D<T.SeqResult> = (v, p) => ({ seq: Reader.of(v, p).uint("seq") });

export const createGroupResult: D<T.CreateGroupResult> = (v, p) => {
  const r = Reader.of(v, p);
  return { g: r.str("g"), seq: r.uint("seq") };
};

const geo: D<T.GeoArgs> = (v, p) => {
  const r = Reader.of(v, p);
  const g: T.GeoArgs = { lat: r.float("lat"), lng: r.float("lng") };
  setOpt(g, "city", r.optStr("city"));
  return g;
};

const announcement: D<T.Announcement> = (v, p) => {
  const r = Reader.of(v, p);
  const a: T.Announcement = { seq: r.uint("seq"), text: r.str("text"), by: r.str("by"), at: r.int("at") };
  if (r.bool("strong")) a.strong = true;
  return a;
};

export const groupInfo: D<T.GroupInfo> = (v, p) => {
  const r = Reader.of(v, p);
  const gi: T.GroupInfo = {
    g: r.str("g"),
    name: r.str("name"),
    owner: r.str("owner"),
    created: r.int("created"),
    members: r.int("members"),
    max_members: r.int("max_members"),
    last_seq: r.uint("last_seq"),
    last_ts: r.int("last_ts"),
    join: r.uint("join", 8),
    searchable: r.bool("searchable"),
    members_invite: r.bool("members_invite"),
    mute_all: r.bool("mute_all"),
    admins: r.strs("admins"),
    pins: r.uints("pins"),
    dissolved: r.bool("dissolved"),
    kind: r.uint("kind", 8),
  };
  setOpt(gi, "avatar", r.optStr("avatar"));
  setOpt(gi, "desc", r.optStr("desc"));
  setOpt(gi, "category", r.optStr("category"));
  if (r.has("loc")) gi.loc = geo(r.m["loc"], `${p}.loc`);
  if (r.has("announcement")) gi.announcement = announcement(r.m["announcement"], `${p}.announcement`);
  setOpt(gi, "your_role", r.optUint("your_role", 8));
  setOpt(gi, "muted_until", r.optInt("muted_until"));
  if (r.has("threshold")) gi.threshold = threshold(r.m["threshold"], `${p}.threshold`);
  return gi;
};

export const joinResult: D<T.JoinResult> = (v, p) => {
  const r = Reader.of(v, p);
  return { seq: r.uint("seq"), name: r.str("name") };
};

export const sendResult: D<T.SendResult> = (v, p) => {
  const r = Reader.of(v, p);
  return { seq: r.uint("seq"), ts: r.int("ts"), dup: r.bool("dup") };
};

export const historyResult: D<T.HistoryResult> = (v, p) => {
  const r = Reader.of(v, p);
  return { msgs: r.arr("msgs", message), more: r.bool("more"), last_seq: r.uint("last_seq") };
};

export const membersResult: D<T.MembersResult> = (v, p) => {
  const r = Reader.of(v, p);
  const res: T.MembersResult = {
    members: r.arr("members", (x, q) => {
      const m = Reader.of(x, q);
      return { user: m.str("user"), role: m.uint("role", 8), joined: m.int("joined") };
    }),
    total: r.int("total"),
  };
  setOpt(res, "next", r.optStr("next"));
  return res;
};

export const myGroupsResult: D<T.MyGroupsResult> = (v, p) => withMore<T.MyGroupsResult>({
  groups: Reader.of(v, p).arr("groups", (x, q) => {
    const m = Reader.of(x, q);
    return {
      g: m.str("g"),
      name: m.str("name"),
      last_seq: m.uint("last_seq"),
      read_seq: m.uint("read_seq"),
      unread: m.uint("unread"),
      last_ts: m.int("last_ts"),
      pinned: m.bool("pinned"),
      mentioned: m.uint("mentioned", 32),
    };
  }),
}, v, p);

export const resyncResult: D<T.ResyncResult> = (v, p) => ({
  groups: Reader.of(v, p).arr("groups", (x, q) => {
    const m = Reader.of(x, q);
    return { g: m.str("g"), last_seq: m.uint("last_seq"), sent: m.int("sent"), gap: m.bool("gap"), code: m.uint("code", 16) };
  }),
});

export const applyResult: D<T.ApplyResult> = (v, p) => {
  const r = Reader.of(v, p);
  const a: T.ApplyResult = { joined: r.bool("joined") };
  setOpt(a, "seq", r.optUint("seq"));
  setOpt(a, "expires", r.optInt("expires"));
  return a;
};

export const requestsResult: D<T.RequestsResult> = (v, p) => withMore<T.RequestsResult>({
  requests: Reader.of(v, p).arr("requests", (x, q) => {
    const m = Reader.of(x, q);
    const jr: T.JoinRequest = { user: m.str("user"), at: m.int("at"), expires: m.int("expires") };
    setOpt(jr, "note", m.optStr("note"));
    return jr;
  }),
}, v, p);

const invite: D<T.Invite> = (v, p) => {
  const r = Reader.of(v, p);
  return { code: r.str("code"), creator: r.str("creator"), expires: r.int("expires"), max_uses: r.int("max_uses"), uses: r.int("uses") };
};

export const inviteResult: D<T.InviteResult> = (v, p) => ({ invite: invite(Reader.of(v, p).m["invite"], `${p}.invite`) });

export const invitesResult: D<T.InvitesResult> = (v, p) => ({ invites: Reader.of(v, p).arr("invites", invite) });

export const announceStateResult: D<T.AnnounceStateResult> = (v, p) => {
  const r = Reader.of(v, p);
  const a: T.AnnounceStateResult = { acked: r.int("acked"), unacked: r.strs("unacked") };
  if (r.has("announcement")) a.announcement = announcement(r.m["announcement"], `${p}.announcement`);
  return a;
};

export const groupCard: D<T.GroupCard> = (x, q) => {
  const m = Reader.of(x, q);
  const c: T.GroupCard = { g: m.str("g"), name: m.str("name"), owner: m.str("owner"), members: m.int("members"), join: m.uint("join", 8) };
  setOpt(c, "avatar", m.optStr("avatar"));
  setOpt(c, "category", m.optStr("category"));
  setOpt(c, "city", m.optStr("city"));
  if (m.has("distance_km")) c.distance_km = m.float("distance_km");
  return c;
};

export const searchResult: D<T.SearchResult> = (v, p) => withMore<T.SearchResult>({ groups: Reader.of(v, p).arr("groups", groupCard) }, v, p);

/** Sets more: true when the reply says it was cut to fit max_frame. */
function withMore<R extends { more?: boolean }>(res: R, v: unknown, p: string): R {
  if (Reader.of(v, p).bool("more")) res.more = true;
  return res;
}

export const groupStats: D<T.GroupStats> = (v, p) => {
  const r = Reader.of(v, p);
  return {
    g: r.str("g"),
    members: r.int("members"),
    female: r.int("female"),
    active_7d: r.int("active_7d"),
    average_age: r.float("average_age"),
    msgs_yesterday: r.int("msgs_yesterday"),
    msgs_today: r.int("msgs_today"),
  };
};
