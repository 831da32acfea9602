/**
 * Session: a connection that survives disconnections.
 *
 * - Reconnects with bounded exponential backoff (with jitter) after any
 *   connection loss, and resyncs every followed group from the last seq it
 *   holds (docs/protocol.md section 9).
 * - Delivers each group's messages as "message" events in seq order,
 *   exactly once: duplicates are dropped, messages beyond a gap are held
 *   while the gap is filled from history (forward pages). A gap larger than
 *   maxGapFill, or one history cannot fill, is not fetched: it is surfaced
 *   as a "gap" event with skipped = true (load it with history on demand).
 * - Retries idempotent operations, and `send` with the same client message
 *   id (cmid), across reconnections and 5xx answers until their deadline;
 *   the server answers a repeated cmid with the first post's seq (dup).
 * - Re-watches the live rooms it watches (watch_room) after a reconnection,
 *   from the last seq it delivered (`after`): the server pushes what was
 *   missed, or a gap for chatter no longer retained ("gap" with
 *   reason "room"); room pushes are "room_push" events, each message once.
 */
import type { ConnectionOptions } from "./connection.js";
import { Connection } from "./connection.js";
import { ErrorCode } from "./codes.js";
import { Emitter } from "./emitter.js";
import { ConnectionClosedError, QunError, TimeoutError } from "./errors.js";
import { installOpMethods, type OpMethods } from "./opmethods.js";
import { ops, type OpArgs, type OpName, type OpResult } from "./ops.js";
import type { Connector } from "./transport.js";
import type { RoomPush } from "./roomtypes.js";
import type { Message, Notice, ResyncResult, SendResult, Welcome } from "./types.js";

export interface BackoffOptions {
  /** First delay. Default 100 ms. */
  initialMs?: number;
  /** Largest delay. Default 10000 ms. */
  maxMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
}

export interface SessionOptions extends Omit<ConnectionOptions, "token"> {
  /** Opens a transport: tcpConnector(...) or webSocketConnector(...). */
  connect: Connector;
  /** The token, or a function returning a fresh one for each connection. */
  token: string | (() => string | Promise<string>);
  backoff?: BackoffOptions;
  /** Consecutive failed connection attempts before the session gives up. Default unbounded. */
  maxReconnectAttempts?: number;
  /** Groups to follow from the start: group id → last seq the application holds (0 = none). */
  groups?: Record<string, number>;
  /**
   * Call my_groups on every connection and follow the groups not followed
   * yet: on the first connection from their last_seq (new messages only),
   * on later ones from their read_seq. Default true.
   */
  syncGroups?: boolean;
  /** Follow a group first seen in a push (e.g. after an invitation), from that push. Default true. */
  adoptUnknownGroups?: boolean;
  /** Gaps of more messages than this are surfaced as skipped, not fetched. Default 5000. */
  maxGapFill?: number;
  /** History page size used to fill gaps. Default 200. */
  historyPageSize?: number;
  /** Default deadline of Session.call including retries. Default 30000 ms. */
  callTimeoutMs?: number;
  /** Default deadline of a send including retries. Default 60000 ms. */
  sendTimeoutMs?: number;
}

/** A range of seqs missing from what the session delivered. */
export interface GapMarker {
  g: string;
  from: number;
  to: number;
  /** false: the session fetches it now (the messages follow as "message" events); true: it was skipped, fetch it with history if needed. */
  skipped: boolean;
  /** Why: "push" (seq jump), "gap_frame" (the server's Gap), "resync", "too_large", or a failure's text. */
  reason: string;
}

export interface SessionEvents {
  /** A connection completed its handshake; `reconnect` is false the first time. */
  connected: [Welcome, boolean];
  /** The connection was lost (the session will reconnect unless closed). */
  disconnected: [Error | undefined];
  /** The resync after a (re)connection finished. */
  resynced: [ResyncResult];
  /** The next message of a group, in seq order, once. */
  message: [string, Message];
  gap: [GapMarker];
  notice: [Notice];
  /** A group is no longer followed (left, removed, dissolved, or the resync said not_member/no_such_group/banned); code 0 when learnt from an event. */
  removed: [string, number];
  /** An operation is being retried after err. */
  retry: [OpName, number, Error];
  /** The session stopped for good (close(), a refused token, or too many failed attempts). */
  closed: [Error | undefined];
  /** A watched room's merged push (or, after a re-watch, the missed messages); messages already delivered are left out. */
  room_push: [RoomPush];
  /** A room watched again after a reconnection (its RoomInfo, pushed messages first), or not: an error (room_closed, not_a_room, …) stops watching it. */
  rewatched: [string, Error | undefined];
}

/** A watched room: the highest seq delivered, and the seqs delivered recently (duplicates after a re-watch are dropped). */
interface RoomState {
  last: number;
  seen: Set<number>;
}

/** How many recent seqs a watched room remembers to drop duplicates. */
const roomSeen = 4096;

interface GroupState {
  last: number;
  /** Highest seq known to exist (from pushes, gaps and resync). */
  want: number;
  buf: Map<number, Message>;
  filling: boolean;
  reason: string;
}

export interface Session extends OpMethods {}

export class Session extends Emitter<SessionEvents> {
  private readonly groups = new Map<string, GroupState>();
  private readonly rooms = new Map<string, RoomState>();
  private conn: Connection | undefined;
  private live = false;
  private syncing = false;
  private isClosed = false;
  private closeErr: Error | undefined;
  private connects = 0;
  private waiters = new Set<{ resolve: (c: Connection) => void; reject: (e: Error) => void }>();
  private sleepCancel: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private userId = "";
  private syncedOnce = false;

  constructor(readonly options: SessionOptions) {
    super();
    for (const [g, s] of Object.entries(options.groups ?? {})) this.track(g, s);
  }

  /**
   * Starts connecting; resolves with the first welcome once the first
   * my_groups/resync is done, so that every message after the positions it
   * took is delivered (bounded by timeoutMs, default 30 s).
   */
  async start(timeoutMs = 30000): Promise<Welcome> {
    const deadline = Date.now() + timeoutMs;
    this.running ??= this.run();
    const c = await this.connection(deadline);
    if (!this.syncedOnce) {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => {
          off1();
          off2();
          reject(new TimeoutError("first resync"));
        }, Math.max(0, deadline - Date.now()));
        const off1 = this.once("resynced", () => {
          clearTimeout(t);
          off2();
          resolve();
        });
        const off2 = this.once("closed", (e) => {
          clearTimeout(t);
          off1();
          reject(e instanceof QunError ? e : new ConnectionClosedError(e));
        });
      });
    }
    return this.conn?.welcome ?? c.welcome!;
  }

  /** Stops the session and closes its connection. */
  close(): void {
    this.stop(undefined);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The user id of the welcome ("" before). */
  get user(): string {
    return this.userId;
  }

  /** The current connection when one is up. */
  get connectionNow(): Connection | undefined {
    return this.live ? this.conn : undefined;
  }

  /** Last seq delivered per followed group. */
  lastSeqs(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [g, st] of this.groups) out[g] = st.last;
    return out;
  }

  /** Follows a group from seq `last` (the next message delivered is last + 1). */
  follow(g: string, last: number): void {
    this.track(g, last);
    this.scheduleFill(g);
  }

  /** The live rooms being watched: room id → highest seq delivered. */
  watchedRooms(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [g, r] of this.rooms) out[g] = r.last;
    return out;
  }

  /** Stops following a group. */
  unfollow(g: string): void {
    this.groups.delete(g);
  }

  /**
   * Calls an operation on the current connection, waiting for one if the
   * session is reconnecting. Idempotent ops are retried after a lost
   * connection, a request timeout or a 5xx; so are `send` and
   * `send_packet` when they have a cmid (always with that cmid). Other ops
   * reject with ConnectionClosedError when the connection drops (outcome unknown).
   */
  async call<K extends OpName>(name: K, args: OpArgs<K>, opts?: { timeoutMs?: number }): Promise<OpResult<K>> {
    const timeout = opts?.timeoutMs ?? (name === "send" ? this.options.sendTimeoutMs ?? 60000 : this.options.callTimeoutMs ?? 30000);
    const deadline = Date.now() + timeout;
    const retryable =
      ops[name].idempotent ||
      (name === "send" && (args as OpArgs<"send">).cmid !== "") ||
      (name === "send_packet" && !!(args as OpArgs<"send_packet">).cmid);
    for (let attempt = 1; ; attempt++) {
      const conn = await this.connection(deadline);
      try {
        const res = await conn.call(name, args, { timeoutMs: Math.max(1, deadline - Date.now()) });
        this.after(name, args, res);
        return res;
      } catch (e) {
        const err = e as Error;
        const transient =
          err instanceof ConnectionClosedError || err instanceof TimeoutError || (err instanceof QunError && !err.connection && err.retryable);
        if (!retryable || !transient || Date.now() >= deadline || this.isClosed) throw err;
        this.emit("retry", name, attempt, err);
        if (err instanceof QunError) await this.sleep(Math.min(this.delay(attempt), Math.max(0, deadline - Date.now())));
      }
    }
  }

  /** Sends a text; the cmid (generated if absent) is kept across retries. */
  sendText(g: string, text: string, opts?: { cmid?: string; at?: string[]; timeoutMs?: number }): Promise<SendResult> {
    const body = opts?.at?.length ? { text: { t: text, at: opts.at } } : { text: { t: text } };
    return this.call("send", { g, cmid: opts?.cmid ?? newCmid(), type: 1, body }, { timeoutMs: opts?.timeoutMs });
  }

  // ---- connection loop ----

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.isClosed) {
      let conn: Connection | undefined;
      try {
        const token = typeof this.options.token === "function" ? await this.options.token() : this.options.token;
        const transport = await this.options.connect();
        if (this.isClosed) {
          transport.close();
          break;
        }
        this.syncing = true;
        conn = new Connection(transport, { ...this.options, token });
        this.conn = conn;
        const closedP = new Promise<Error | undefined>((res) => conn!.on("close", res));
        conn.on("push", (p) => {
          // A re-watched room's missed messages come as plain pushes.
          if (this.rooms.has(p.g)) return this.onRoomPush({ g: p.g, msgs: p.msgs, skipped: 0, online: 0 });
          for (const m of p.msgs) this.accept(p.g, m, "push");
        });
        conn.on("gap", (gp) => {
          if (this.rooms.has(gp.g)) this.emit("gap", { g: gp.g, from: gp.from, to: gp.to, skipped: true, reason: "room" });
          else this.onGap(gp.g, gp.to);
        });
        conn.on("room_push", (p) => this.onRoomPush(p));
        conn.on("notice", (n) => this.emit("notice", n));
        const w = await conn.ready;
        failures = 0;
        this.userId = w.user;
        this.live = true;
        const reconnect = this.connects++ > 0;
        for (const wt of this.waiters) wt.resolve(conn);
        this.waiters.clear();
        this.emit("connected", w, reconnect);
        void this.sync(conn, reconnect);
        const err = await closedP;
        this.live = false;
        this.syncing = false;
        for (const st of this.groups.values()) st.filling = false;
        if (this.isClosed) break;
        this.emit("disconnected", err);
      } catch (e) {
        this.live = false;
        this.syncing = false;
        const err = e as Error;
        if (this.isClosed) break;
        if (err instanceof QunError && isAuthFailure(err.code) && typeof this.options.token !== "function") {
          this.stop(err);
          break;
        }
        conn?.close();
        this.emit("disconnected", err);
      }
      failures++;
      if (failures > (this.options.maxReconnectAttempts ?? Infinity)) {
        this.stop(new Error(`qun: gave up after ${failures - 1} failed reconnection attempts`));
        break;
      }
      await this.sleep(this.delay(failures));
    }
  }

  /** my_groups (optional), then resync of every followed group, then gap filling. */
  private async sync(conn: Connection, reconnect: boolean): Promise<void> {
    try {
      // Rooms first: a re-watch pushes what was missed while away.
      if (reconnect) await this.rewatch(conn);
      if (conn.welcome?.user.startsWith(anonymousPrefix)) {
        // A signed-out viewer: it has no groups (and may not ask for them).
        if (conn !== this.conn) return;
        this.syncing = false;
        this.syncedOnce = true;
        this.emit("resynced", { groups: [] });
        return;
      }
      if (this.options.syncGroups ?? true) {
        const mg = await conn.call("my_groups", {});
        for (const g of mg.groups) {
          if (!this.groups.has(g.g)) this.track(g.g, reconnect ? g.read_seq : g.last_seq);
        }
      }
      const names = [...this.groups.keys()];
      const all: ResyncResult = { groups: [] };
      for (let i = 0; i < names.length || i === 0; i += 4096) {
        const chunk: Record<string, number> = {};
        for (const g of names.slice(i, i + 4096)) chunk[g] = this.groups.get(g)!.last;
        if (Object.keys(chunk).length === 0) break;
        const res = await conn.call("resync", { groups: chunk });
        all.groups.push(...res.groups);
      }
      for (const rg of all.groups) {
        const st = this.groups.get(rg.g);
        if (!st) continue;
        if (rg.code === ErrorCode.NotMember || rg.code === ErrorCode.NoSuchGroup || rg.code === ErrorCode.Banned) {
          this.groups.delete(rg.g);
          this.emit("removed", rg.g, rg.code);
          continue;
        }
        if (rg.code === 0 && rg.last_seq > st.want) {
          st.want = rg.last_seq;
          st.reason ||= "resync";
        }
      }
      if (conn !== this.conn) return;
      this.syncing = false;
      this.syncedOnce = true;
      this.emit("resynced", all);
      for (const g of this.groups.keys()) this.scheduleFill(g);
    } catch {
      // The connection dropped (or answered oddly): the next connection resyncs again.
      if (conn === this.conn) conn.close();
    }
  }

  /** Watches every watched room again on a new connection, from its last seq. */
  private async rewatch(conn: Connection): Promise<void> {
    for (const [g, r] of [...this.rooms]) {
      try {
        await conn.call("watch_room", { g, after: r.last });
        this.emit("rewatched", g, undefined);
      } catch (e) {
        if (e instanceof QunError && !e.connection && !e.retryable) {
          this.rooms.delete(g);
          this.emit("rewatched", g, e);
          continue;
        }
        throw e; // connection trouble: the next connection watches again
      }
    }
  }

  private onRoomPush(p: RoomPush): void {
    const r = this.rooms.get(p.g);
    if (!r) {
      this.emit("room_push", p);
      return;
    }
    const msgs = p.msgs.filter((m) => !r.seen.has(m.seq));
    for (const m of msgs) {
      r.seen.add(m.seq);
      if (m.seq > r.last) r.last = m.seq;
    }
    if (r.seen.size > roomSeen) {
      const drop = [...r.seen].sort((a, b) => a - b).slice(0, r.seen.size - roomSeen / 2);
      for (const s of drop) r.seen.delete(s);
    }
    if (msgs.length === 0 && p.skipped === 0 && p.online === 0) return;
    this.emit("room_push", msgs.length === p.msgs.length ? p : { ...p, msgs });
  }

  // ---- ordering, dedupe, gaps ----

  private track(g: string, last: number): GroupState {
    let st = this.groups.get(g);
    if (!st) {
      st = { last, want: last, buf: new Map(), filling: false, reason: "" };
      this.groups.set(g, st);
    } else if (last > st.last) {
      st.last = last;
      if (st.want < last) st.want = last;
      this.drain(g, st);
    }
    return st;
  }

  private accept(g: string, m: Message, reason: string): void {
    let st = this.groups.get(g);
    if (!st) {
      if (!(this.options.adoptUnknownGroups ?? true)) return;
      st = this.track(g, m.seq - 1);
    }
    if (m.seq <= st.last) return;
    if (m.seq === st.last + 1) {
      this.deliver(g, st, m);
      this.drain(g, st);
      return;
    }
    st.buf.set(m.seq, m);
    if (m.seq - 1 > st.want) {
      st.want = m.seq - 1;
      st.reason ||= reason;
    }
    this.scheduleFill(g);
  }

  private deliver(g: string, st: GroupState, m: Message): void {
    st.last = m.seq;
    if (st.want < m.seq) st.want = m.seq;
    this.emit("message", g, m);
    const sys = m.body.sys;
    if (sys && (sys.e === "dissolved" || ((sys.e === "left" || sys.e === "kicked" || sys.e === "banned") && sys.target === this.userId))) {
      if (this.groups.get(g) === st) {
        this.groups.delete(g);
        this.emit("removed", g, 0);
      }
    }
  }

  private drain(g: string, st: GroupState): void {
    for (const s of [...st.buf.keys()]) if (s <= st.last) st.buf.delete(s);
    for (let m = st.buf.get(st.last + 1); m && this.groups.get(g) === st; m = st.buf.get(st.last + 1)) {
      st.buf.delete(m.seq);
      this.deliver(g, st, m);
    }
  }

  /** A Gap frame: seqs from..to exist and were not pushed; the fill starts at last + 1 (<= from). */
  private onGap(g: string, to: number): void {
    const st = this.groups.get(g);
    if (!st) return;
    if (to > st.want) {
      st.want = to;
      st.reason = "gap_frame";
    }
    this.scheduleFill(g);
  }

  private scheduleFill(g: string): void {
    const st = this.groups.get(g);
    if (!st || st.filling || this.syncing || !this.live || !this.conn) return;
    if (st.want <= st.last && st.buf.size === 0) return;
    void this.fill(g, st, this.conn);
  }

  private async fill(g: string, st: GroupState, conn: Connection): Promise<void> {
    st.filling = true;
    const max = this.options.maxGapFill ?? 5000;
    const limit = this.options.historyPageSize ?? 200;
    try {
      for (let i = 0; i < 100000 && this.groups.get(g) === st; i++) {
        const bufTop = st.buf.size ? Math.max(...st.buf.keys()) - 1 : 0;
        const target = Math.max(st.want, bufTop);
        if (target <= st.last) break;
        const from = st.last + 1;
        if (target - st.last > max) {
          this.emit("gap", { g, from, to: target, skipped: true, reason: "too_large" });
          this.skipTo(g, st, target);
          continue;
        }
        if (i === 0) this.emit("gap", { g, from, to: target, skipped: false, reason: st.reason || "push" });
        let page;
        try {
          page = await conn.call("history", { g, after: st.last, limit });
        } catch (e) {
          if (e instanceof QunError && !e.connection && !e.retryable) {
            this.emit("gap", { g, from, to: target, skipped: true, reason: e.message });
            this.skipTo(g, st, target);
            continue;
          }
          return; // connection trouble: the next resync covers it
        }
        const before = st.last;
        for (const m of page.msgs) this.accept(g, m, "history");
        if (st.last === before) {
          // history has nothing after last: those seqs are gone (e.g. deleted on dissolve).
          this.emit("gap", { g, from, to: target, skipped: true, reason: "not in history" });
          this.skipTo(g, st, target);
        }
      }
      st.reason = "";
    } finally {
      st.filling = false;
    }
  }

  private skipTo(g: string, st: GroupState, seq: number): void {
    if (seq > st.last) st.last = seq;
    this.drain(g, st);
  }

  /** Bookkeeping after an op that changes which groups this user follows. */
  private after<K extends OpName>(name: K, args: OpArgs<K>, res: OpResult<K>): void {
    switch (name) {
      case "create_group": {
        const r = res as OpResult<"create_group">;
        this.track(r.g, r.seq);
        break;
      }
      case "join": {
        const r = res as OpResult<"join">;
        const a = args as OpArgs<"join">;
        const g = a.g || (a.code ? a.code.slice(0, a.code.lastIndexOf("-")) : "");
        if (g) this.track(g, r.seq);
        break;
      }
      case "apply": {
        const r = res as OpResult<"apply">;
        if (r.joined && r.seq) this.track((args as OpArgs<"apply">).g, r.seq);
        break;
      }
      case "watch_room": {
        const a = args as OpArgs<"watch_room">;
        const r = res as OpResult<"watch_room">;
        const st = this.rooms.get(a.g);
        if (!st) this.rooms.set(a.g, { last: a.after ?? r.last_seq, seen: new Set() });
        break;
      }
      case "leave_room":
      case "close_room":
        this.rooms.delete((args as OpArgs<"leave_room">).g);
        break;
      case "leave":
      case "dissolve": {
        const g = (args as OpArgs<"leave">).g;
        if (this.groups.delete(g)) this.emit("removed", g, 0);
        break;
      }
    }
  }

  // ---- waiting ----

  /** Resolves with a live connection, waiting until the deadline (ms since epoch). */
  connection(deadline: number): Promise<Connection> {
    if (this.isClosed) return Promise.reject(new ConnectionClosedError(this.closeErr));
    if (this.live && this.conn && !this.conn.closed) return Promise.resolve(this.conn);
    this.running ??= this.run();
    return new Promise((resolve, reject) => {
      const w = {
        resolve: (c: Connection) => {
          clearTimeout(t);
          resolve(c);
        },
        reject: (e: Error) => {
          clearTimeout(t);
          reject(e);
        },
      };
      const t = setTimeout(() => {
        this.waiters.delete(w);
        reject(new TimeoutError("waiting for a connection"));
      }, Math.max(0, deadline - Date.now()));
      this.waiters.add(w);
    });
  }

  private delay(attempt: number): number {
    const b = this.options.backoff ?? {};
    const initial = b.initialMs ?? 100;
    const max = b.maxMs ?? 10000;
    const d = Math.min(max, initial * (b.factor ?? 2) ** Math.min(attempt - 1, 30));
    return d / 2 + (Math.random() * d) / 2;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.sleepCancel = undefined;
        resolve();
      }, ms);
      this.sleepCancel = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private stop(err: Error | undefined): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closeErr = err;
    this.live = false;
    this.sleepCancel?.();
    this.conn?.close();
    for (const w of this.waiters) w.reject(err instanceof QunError ? err : new ConnectionClosedError(err));
    this.waiters.clear();
    this.emit("closed", err);
  }
}

installOpMethods(Session.prototype);

function isAuthFailure(code: number): boolean {
  return code === ErrorCode.Unauthenticated || code === ErrorCode.TokenExpired || code === ErrorCode.BadVersion;
}

/** The user id of a signed-out room viewer starts with this (docs/protocol.md, Handshake). */
export const anonymousPrefix = "~anon-";

let cmidCounter = 0;

/** A fresh client message id: a random UUID where available. */
export function newCmid(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}-${(++cmidCounter).toString(36)}`;
}
