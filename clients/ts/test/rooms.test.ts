/**
 * Live rooms (ops 140-145, RoomPush frames, lanes, rate_limited with
 * retry_after) against a real qund, through the typed methods.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Connection, ErrorCode, Lane, MessageType, QunError, type Message, type RoomPush } from "../src/index.js";
import { qund, startServer, until, type Server } from "./harness.js";

const { bin, skip } = qund();

async function refused(p: Promise<unknown>, code: number): Promise<QunError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof QunError, `expected a QunError, got ${e}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected code ${code}, the call succeeded`);
}

function collectRoom(c: Connection) {
  const msgs: Message[] = [];
  const frames: RoomPush[] = [];
  const wakers = new Set<() => void>();
  c.on("room_push", (p: RoomPush) => {
    frames.push(p);
    msgs.push(...p.msgs);
    for (const w of [...wakers]) w();
  });
  return {
    msgs,
    frames,
    until<T>(check: () => T | undefined, what: string, ms = 10_000) {
      return until((w) => (wakers.add(w), () => wakers.delete(w)), check, ms, what);
    },
  };
}

describe("live rooms", { skip }, () => {
  let srv: Server;
  before(async () => {
    srv = await startServer(bin!);
  });
  after(async () => {
    await srv?.stop();
  });

  it("open, watch, lanes in merged room pushes, rate limit, config, leave, close", async () => {
    const host = await srv.connect("host");
    const viewer = await srv.connect("viewer");
    try {
      const open = await host.openRoom({ stream: "s-1", name: "Evening show", window_ms: 0 });
      assert.equal(open.g, "room-s-1");
      assert.equal(open.existed, false);
      assert.ok(open.seq >= 1);
      const again = await host.openRoom({ stream: "s-1" });
      assert.deepEqual([again.g, again.existed], ["room-s-1", true]);
      const room = open.g;

      const got = collectRoom(viewer);
      const info = await viewer.watchRoom({ g: room });
      assert.equal(info.g, room);
      assert.equal(info.owner, "host");
      assert.equal(info.name, "Evening show");
      assert.equal(info.window_ms, 0);
      assert.equal(info.closed, false);
      assert.ok(info.last_seq >= open.seq);

      const chat = await viewer.roomSend({ g: room, cmid: "v-1", type: MessageType.Text, body: { text: { t: "hello" } }, lane: Lane.Chatter });
      const high = await host.roomSend({ g: room, cmid: "h-1", type: MessageType.Text, body: { text: { t: "welcome all" } }, lane: Lane.High });
      const card = await host.roomSend({
        g: room,
        cmid: "h-2",
        type: MessageType.Product,
        body: { product: { id: "sku", title: "Mug", price: 1999, cur: "CNY" } },
        lane: Lane.Normal,
      });
      const seen = await got.until(() => {
        const want = [chat.seq, high.seq, card.seq];
        const ms = want.map((s) => got.msgs.find((m) => m.seq === s));
        return ms.every((m) => m) ? (ms as Message[]) : undefined;
      }, "the three room messages in room_push frames");
      assert.ok(got.frames.every((f) => f.g === room));
      assert.deepEqual(
        seen.map((m) => [m.from, m.lane ?? 0, m.type]),
        [
          ["viewer", Lane.Chatter, MessageType.Text],
          ["host", Lane.High, MessageType.Text],
          ["host", Lane.Normal, MessageType.Product],
        ],
      );
      assert.deepEqual(seen[2]!.body.product, { id: "sku", title: "Mug", price: 1999, cur: "CNY" });

      // per viewer: 1 message a second, burst 3 (one already spent)
      let limited: QunError | undefined;
      for (let i = 2; i <= 6 && !limited; i++) {
        try {
          await viewer.roomSend({ g: room, cmid: `v-${i}`, type: MessageType.Text, body: { text: { t: `m${i}` } }, lane: Lane.Chatter });
        } catch (e) {
          assert.ok(e instanceof QunError);
          limited = e;
        }
      }
      assert.ok(limited, "a burst past the per-viewer limit is refused");
      assert.equal(limited.code, ErrorCode.RateLimited);
      assert.equal(limited.codeName, "rate_limited");
      assert.ok(limited.retryAfter! > 0 && limited.retryAfter! <= 60_000, `retryAfter ${limited.retryAfter}`);

      await refused(viewer.roomConfig({ g: room, slow_mode_s: 5 }), ErrorCode.NotMember); // a viewer is not a member
      const cfg = await host.roomConfig({ g: room, slow_mode_s: 5, window_ms: 20 });
      assert.ok(cfg.seq > card.seq);
      const info2 = await host.watchRoom({ g: room });
      assert.deepEqual([info2.slow_mode_s, info2.window_ms], [5, 20]);

      assert.deepEqual(await viewer.leaveRoom({ g: room }), {});
      const plain = await host.createGroup({ name: "not a room" });
      await refused(viewer.watchRoom({ g: plain.g }), ErrorCode.NotARoom);

      const closed = await host.closeRoom({ g: room });
      assert.ok(closed.seq > cfg.seq);
      await refused(viewer.watchRoom({ g: room }), ErrorCode.RoomClosed);
      const h = await viewer.history({ g: room, after: 0, limit: 200 });
      assert.ok(h.msgs.some((m) => m.seq === card.seq && m.body.product?.title === "Mug"), "history stays readable");
    } finally {
      host.close();
      viewer.close();
    }
  });
});
