/**
 * One authenticated connection: hello/welcome, request ids and in-flight
 * bookkeeping, replies matched by id, pushes/gaps/notices as events,
 * keep-alive pings. It does not reconnect: Session does.
 */
import { decodeBody, encodeBody } from "./codec.js";
import { ErrorCode, FrameType, PROTOCOL_VERSION } from "./codes.js";
import * as d from "./decode.js";
import { Emitter } from "./emitter.js";
import { ConnectionClosedError, ProtocolError, QunError, TimeoutError } from "./errors.js";
import { installOpMethods, type OpMethods } from "./opmethods.js";
import { ops, type OpArgs, type OpName, type OpResult } from "./ops.js";
import type { Connector, Transport } from "./transport.js";
import { roomPush } from "./roomdecode.js";
import type { RoomPush } from "./roomtypes.js";
import type { Gap, Notice, Push, Welcome } from "./types.js";

export interface ConnectionOptions {
  /** The token (a JWT for the default server authenticator). */
  token: string;
  /** Free text naming the client in the hello. Default "qun-ts/0.1". */
  client?: string;
  /** Bounds hello → welcome. Default 5000 ms. */
  handshakeTimeoutMs?: number;
  /** Bounds each request; 0 = unbounded. Default 30000 ms. */
  requestTimeoutMs?: number;
  /** Sends a ping this often; 0 disables. Default 30000 ms. */
  pingIntervalMs?: number;
}

export interface ConnectionEvents {
  push: [Push];
  gap: [Gap];
  notice: [Notice];
  /** Live rooms: a room's messages merged over its window (frame type 140). */
  room_push: [RoomPush];
  pong: [number | bigint];
  /** The connection ended; err is why (a QunError with connection=true when the server said why), undefined after close(). */
  close: [Error | undefined];
}

interface Pending {
  name: OpName;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

interface Queued {
  run: () => void;
}

/** The largest frame the client may send before the welcome. */
const HELLO_MAX_FRAME = 8192;

export interface Connection extends OpMethods {}

export class Connection extends Emitter<ConnectionEvents> {
  /** Resolves with the welcome; rejects with the handshake's failure. */
  readonly ready: Promise<Welcome>;
  private welcomeValue: Welcome | undefined;
  private readyResolve!: (w: Welcome) => void;
  private readyReject!: (e: Error) => void;
  private readonly pending = new Map<number, Pending>();
  private readonly queue: Queued[] = [];
  private early: Array<[number, Uint8Array]> = [];
  private nextId = 0;
  private sendLimit = HELLO_MAX_FRAME;
  private maxInflight = 1;
  private closedErr: Error | undefined;
  private isClosed = false;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  private pingN = 0;
  private readonly requestTimeoutMs: number;

  /**
   * Starts the handshake on an open transport. Attach listeners right
   * after construction (before awaiting `ready`) to see every push.
   */
  constructor(
    readonly transport: Transport,
    readonly options: ConnectionOptions,
  ) {
    super();
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30000;
    this.ready = new Promise<Welcome>((res, rej) => {
      this.readyResolve = res;
      this.readyReject = rej;
    });
    this.ready.catch(() => {});
    transport.onFrame = (t, b) => this.frame(t, b);
    transport.onClose = (err) => this.finish(err);
    this.handshakeTimer = setTimeout(() => this.fail(new TimeoutError("handshake")), options.handshakeTimeoutMs ?? 5000);
    try {
      transport.send(FrameType.Hello, encodeBody({ v: PROTOCOL_VERSION, token: options.token, client: options.client ?? "qun-ts/0.1" }));
    } catch (e) {
      this.fail(e as Error);
    }
  }

  /** Opens a transport with connector, performs the handshake and returns the connection. `init` runs before any frame is read (attach listeners there). */
  static async open(connector: Connector, options: ConnectionOptions, init?: (c: Connection) => void): Promise<Connection> {
    const t = await connector();
    const c = new Connection(t, options);
    init?.(c);
    await c.ready;
    return c;
  }

  /** The server's welcome (undefined until `ready` resolves). */
  get welcome(): Welcome | undefined {
    return this.welcomeValue;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Why the connection ended, if it did. */
  get closeError(): Error | undefined {
    return this.closedErr;
  }

  /** Requests sent and not yet answered. */
  get inflight(): number {
    return this.pending.size;
  }

  /**
   * Calls an operation and resolves with its decoded result. Rejects with a
   * QunError (the server's code), ConnectionClosedError (outcome unknown),
   * TimeoutError (requestTimeoutMs; outcome unknown) or ProtocolError.
   * Requests beyond Welcome.max_inflight wait locally for a free slot.
   */
  call<K extends OpName>(name: K, args: OpArgs<K>, opts?: { timeoutMs?: number }): Promise<OpResult<K>> {
    const spec = ops[name];
    if (!spec) return Promise.reject(new TypeError(`qun: unknown op ${String(name)}`));
    return new Promise<OpResult<K>>((resolve, reject) => {
      if (this.isClosed) return reject(new ConnectionClosedError(this.closedErr));
      let body: Uint8Array;
      const id = this.allocId();
      try {
        body = encodeBody({ id, op: spec.op, args: args ?? {} });
      } catch (e) {
        return reject(e as Error);
      }
      if (1 + body.length > this.sendLimit) {
        return reject(new QunError(ErrorCode.FrameTooLarge, `request of ${1 + body.length} bytes exceeds max_frame ${this.sendLimit}`));
      }
      const timeoutMs = opts?.timeoutMs ?? this.requestTimeoutMs;
      const p: Pending = { name, resolve: resolve as (v: unknown) => void, reject, timer: undefined };
      const start = () => {
        if (this.isClosed) return reject(new ConnectionClosedError(this.closedErr));
        this.pending.set(id, p);
        if (timeoutMs > 0) {
          p.timer = setTimeout(() => {
            if (this.pending.get(id) === p) {
              // The id stays reserved (a late reply is dropped) so it is never reused while the server may still answer it.
              p.resolve = () => {};
              p.reject = () => {};
              p.timer = undefined;
              reject(new TimeoutError(`${name} request`));
            }
          }, timeoutMs);
        }
        try {
          this.transport.send(FrameType.Request, body);
        } catch (e) {
          this.pending.delete(id);
          if (p.timer) clearTimeout(p.timer);
          reject(new ConnectionClosedError(e));
        }
      };
      if (this.welcomeValue && this.pending.size < this.maxInflight && this.queue.length === 0) start();
      else this.queue.push({ run: start });
    });
  }

  /** Sends a ping; the pong arrives as a "pong" event. */
  ping(n?: number): void {
    if (this.isClosed) return;
    try {
      this.transport.send(FrameType.Ping, encodeBody({ n: n ?? ++this.pingN }));
    } catch {
      /* closing */
    }
  }

  /** Closes the connection. Unanswered requests reject with ConnectionClosedError. */
  close(): void {
    this.finish(undefined);
  }

  private allocId(): number {
    for (let i = 0; i < 1 << 20; i++) {
      this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
      if (!this.pending.has(this.nextId)) return this.nextId;
    }
    throw new Error("qun: no free request id");
  }

  private pump(): void {
    while (this.queue.length > 0 && this.pending.size < this.maxInflight && !this.isClosed) {
      this.queue.shift()!.run();
    }
  }

  private frame(type: number, body: Uint8Array): void {
    if (this.isClosed) return;
    try {
      this.dispatch(type, body);
    } catch (e) {
      this.fail(e instanceof Error ? e : new ProtocolError(String(e)));
    }
  }

  private dispatch(type: number, body: Uint8Array): void {
    if (!this.welcomeValue) {
      switch (type) {
        case FrameType.Welcome:
          return this.onWelcome(d.welcome(decodeBody(body), "welcome"));
        case FrameType.Error: {
          const ef = d.errorFrame(decodeBody(body), "error");
          return this.fail(new QunError(ef.code, ef.msg, true));
        }
        case FrameType.Push:
        case FrameType.Gap:
        case FrameType.Notice:
          // Registered for pushes just before the welcome: keep them until it arrives.
          this.early.push([type, body.slice()]);
          return;
        default:
          return;
      }
    }
    switch (type) {
      case FrameType.Reply: {
        const r = d.reply(decodeBody(body), "reply");
        const p = this.pending.get(r.id);
        if (!p) return;
        this.pending.delete(r.id);
        if (p.timer) clearTimeout(p.timer);
        let v: unknown;
        try {
          v = ops[p.name].decode(r.body, `${p.name}`);
        } catch (e) {
          p.reject(e as Error);
          this.pump();
          return;
        }
        p.resolve(v);
        this.pump();
        return;
      }
      case FrameType.Error: {
        const ef = d.errorFrame(decodeBody(body), "error");
        if (ef.id === 0) return this.fail(new QunError(ef.code, ef.msg, true));
        const p = this.pending.get(ef.id);
        if (!p) return;
        this.pending.delete(ef.id);
        if (p.timer) clearTimeout(p.timer);
        p.reject(withRetryAfter(new QunError(ef.code, ef.msg), ef.retry_after));
        this.pump();
        return;
      }
      case FrameType.Push:
        return this.emit("push", d.push(decodeBody(body), "push"));
      case FrameType.Gap:
        return this.emit("gap", d.gap(decodeBody(body), "gap"));
      case FrameType.Notice:
        return this.emit("notice", d.notice(decodeBody(body), "notice"));
      case FrameType.RoomPush:
        return this.emit("room_push", roomPush(decodeBody(body), "room_push"));
      case FrameType.Ping: {
        const p = d.ping(decodeBody(body), "ping");
        this.transport.send(FrameType.Pong, encodeBody({ n: p.n }));
        return;
      }
      case FrameType.Pong:
        return this.emit("pong", d.ping(decodeBody(body), "pong").n);
      default:
        return; // unknown frame types are ignored
    }
  }

  private onWelcome(w: Welcome): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    this.welcomeValue = w;
    this.sendLimit = w.max_frame > 0 ? w.max_frame : 65536;
    this.maxInflight = w.max_inflight > 0 ? w.max_inflight : 1;
    const every = this.options.pingIntervalMs ?? 30000;
    if (every > 0) {
      this.pingTimer = setInterval(() => this.ping(), every);
      (this.pingTimer as { unref?: () => void }).unref?.();
    }
    this.readyResolve(w);
    const early = this.early;
    this.early = [];
    for (const [t, b] of early) this.frame(t, b);
    this.pump();
  }

  private fail(err: Error): void {
    this.closedErr ??= err;
    this.finish(err);
  }

  private finish(err: Error | undefined): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closedErr ??= err;
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.transport.onFrame = () => {};
    this.transport.onClose = () => {};
    try {
      this.transport.close();
    } catch {
      /* already closed */
    }
    const cause = this.closedErr;
    if (!this.welcomeValue) this.readyReject(cause ?? new ConnectionClosedError());
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(new ConnectionClosedError(cause));
    }
    this.pending.clear();
    const q = this.queue.splice(0);
    for (const x of q) x.run(); // each rejects: closed
    this.emit("close", cause);
  }
}

installOpMethods(Connection.prototype);

function withRetryAfter(e: QunError, ms: number | undefined): QunError {
  if (ms) e.retryAfter = ms;
  return e;
}
