/**
 * Fault injection around a real transport: hold reconnections at a gate,
 * drop a push frame, lose the reply to a request, cut the connection. The
 * server and the TCP connection stay real; only the client's view of them
 * is cut short, the way a network failure would.
 */
import { decodeBody, FrameType, Session, type GapMarker, type Message, type Transport } from "../src/index.js";
import type { Connector } from "../src/transport.js";
import { until } from "./harness.js";

export class Faults {
  private gateP: Promise<void> | undefined;
  private gateOpen: (() => void) | undefined;
  readonly transports: Transport[] = [];
  /** Request frames written, decoded. */
  readonly requests: Array<{ id: number; op: number; args: Record<string, unknown> }> = [];
  connects = 0;
  /** Drops the first push frame for which it returns true (then clears itself). */
  dropPush: ((g: string, seqs: number[]) => boolean) | undefined;
  /** Loses the reply to the first request it matches and cuts the connection instead (then clears itself). */
  loseReply: ((op: number, args: Record<string, unknown>) => boolean) | undefined;
  private lostId = 0;

  constructor(private readonly inner: Connector) {}

  /** Makes the next (re)connections wait until open() is called. */
  hold(): void {
    this.gateP = new Promise((r) => (this.gateOpen = r));
  }

  open(): void {
    this.gateOpen?.();
    this.gateP = undefined;
  }

  /** Cuts the current connection (as a network failure would). */
  cut(): void {
    this.transports.at(-1)?.close();
  }

  connector(): Connector {
    return async () => {
      if (this.gateP) await this.gateP;
      const inner = await this.inner();
      this.connects++;
      const t = this.wrap(inner);
      this.transports.push(t);
      return t;
    };
  }

  private wrap(inner: Transport): Transport {
    const self = this;
    const t: Transport = {
      maxFrame: inner.maxFrame,
      send(type, body) {
        if (type === FrameType.Request) {
          const r = decodeBody(body) as { id: number; op: number; args: Record<string, unknown> };
          self.requests.push(r);
          if (self.loseReply?.(r.op, r.args)) {
            self.loseReply = undefined;
            self.lostId = r.id;
          }
        }
        inner.send(type, body);
      },
      close: () => inner.close(),
      onFrame: () => {},
      onClose: () => {},
    };
    inner.onFrame = (type, body) => {
      if (type === FrameType.Push && this.dropPush) {
        const p = decodeBody(body) as { g: string; msgs: Array<{ seq: number }> };
        if (this.dropPush(p.g, p.msgs.map((m) => Number(m.seq)))) {
          this.dropPush = undefined;
          return;
        }
      }
      if ((type === FrameType.Reply || type === FrameType.Error) && this.lostId !== 0) {
        const r = decodeBody(body) as { id: number };
        if (r.id === this.lostId) {
          this.lostId = 0;
          inner.close();
          return;
        }
      }
      t.onFrame(type, body);
    };
    inner.onClose = (e) => t.onClose(e);
    return t;
  }
}

/** Records a session's events and awaits conditions on them, bounded in time. */
export class Recorder {
  readonly messages = new Map<string, Message[]>();
  readonly gaps: GapMarker[] = [];
  readonly events: string[] = [];
  private wakers = new Set<() => void>();

  constructor(readonly s: Session) {
    s.on("message", (g, m) => {
      let l = this.messages.get(g);
      if (!l) this.messages.set(g, (l = []));
      l.push(m);
      this.wake();
    });
    s.on("gap", (gm) => {
      this.gaps.push(gm);
      this.wake();
    });
    s.on("connected", (_w, re) => {
      this.events.push(re ? "reconnected" : "connected");
      this.wake();
    });
    s.on("disconnected", () => {
      this.events.push("disconnected");
      this.wake();
    });
    s.on("resynced", () => {
      this.events.push("resynced");
      this.wake();
    });
    s.on("retry", (op) => {
      this.events.push(`retry:${op}`);
      this.wake();
    });
    s.on("removed", (g, code) => {
      this.events.push(`removed:${g}:${code}`);
      this.wake();
    });
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }

  seqs(g: string): number[] {
    return (this.messages.get(g) ?? []).map((m) => m.seq);
  }

  until<T>(check: () => T | undefined, what: string, ms = 15_000): Promise<T> {
    return until((w) => (this.wakers.add(w), () => this.wakers.delete(w)), check, ms, what);
  }

  /** Waits until g's delivered messages reach seq. */
  reach(g: string, seq: number, ms = 15_000): Promise<number[]> {
    return this.until(() => {
      const s = this.seqs(g);
      return s.length && s.at(-1)! >= seq ? s : undefined;
    }, `${g} delivered up to seq ${seq} (have ${this.seqs(g).at(-1)})`, ms);
  }

  count(ev: string): number {
    return this.events.filter((e) => e === ev).length;
  }
}

/** Asserts that seqs are consecutive from first (each delivered once, in order). */
export function consecutive(seqs: number[], first: number, last: number): boolean {
  if (seqs.length !== last - first + 1) return false;
  return seqs.every((s, i) => s === first + i);
}
