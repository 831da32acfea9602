/**
 * Live rooms (ops 140-145, RoomPush frames, lanes, rate_limited with
 * retry_after) against a real qund, through the typed methods.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { anonymousPrefix, Connection, ErrorCode, Lane, MessageType, QunError, Session, type Message, type RoomPush } from "../src/index.js";
import { Faults } from "./faults.js";
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

  it("a Session watches its rooms again after a reconnection and gets what it missed, each message once", async () => {
    const host = await srv.connect("rw-host");
    const f = new Faults(srv.connector);
    const s = new Session({ connect: f.connector(), token: srv.token("rw-viewer"), pingIntervalMs: 0, backoff: { initialMs: 5, maxMs: 50 } });
    const msgs: Message[] = [];
    const wakers = new Set<() => void>();
    const events: string[] = [];
    s.on("room_push", (p) => {
      msgs.push(...p.msgs);
      for (const w of [...wakers]) w();
    });
    s.on("rewatched", (g, err) => {
      events.push(err ? `rewatch-failed:${g}` : `rewatched:${g}`);
      for (const w of [...wakers]) w();
    });
    const wait = <T>(check: () => T | undefined, what: string) => until((w) => (wakers.add(w), () => wakers.delete(w)), check, 10_000, what);
    try {
      await s.start();
      const room = (await host.openRoom({ stream: "rw-1", window_ms: 0 })).g;
      await s.watchRoom({ g: room });
      const send = (t: string, lane: Lane) => host.roomSend({ g: room, cmid: t, type: MessageType.Text, body: { text: { t } }, lane });
      const first = await send("before", Lane.High);
      await wait(() => (msgs.some((m) => m.seq === first.seq) ? true : undefined), "the first gift");

      f.hold();
      f.cut();
      const away = [await send("gift while away", Lane.High), await send("card while away", Lane.Normal), await send("chat while away", Lane.Chatter)];
      f.open();
      await wait(() => (events.includes(`rewatched:${room}`) ? true : undefined), "the room watched again");
      await wait(() => (away.every((r) => msgs.some((m) => m.seq === r.seq)) ? true : undefined), "what was missed, pushed on the re-watch");
      const live = await send("after", Lane.High);
      await wait(() => (msgs.some((m) => m.seq === live.seq) ? true : undefined), "live pushes on the new connection");
      const seqs = msgs.map((m) => m.seq);
      assert.equal(new Set(seqs).size, seqs.length, `each message once: ${seqs.join(",")}`);
      assert.equal(f.connects, 2);
      const rewatch = f.requests.filter((r) => r.op === 142).at(-1)!;
      assert.equal(Number(rewatch.args["after"]), first.seq, "re-watched from the last seq delivered");
      assert.equal(s.watchedRooms()[room], live.seq);

      // Leaving stops the re-watch.
      await s.leaveRoom({ g: room });
      assert.deepEqual(s.watchedRooms(), {});
    } finally {
      s.close();
      host.close();
    }
  });

  it("a signed-out viewer (no token) may watch a room, not speak", async () => {
    const host = await srv.connect("anon-host");
    const s = new Session({ connect: srv.connector, token: "", pingIntervalMs: 0 });
    const msgs: Message[] = [];
    const wakers = new Set<() => void>();
    s.on("room_push", (p) => {
      msgs.push(...p.msgs);
      for (const w of [...wakers]) w();
    });
    try {
      const w = await s.start();
      assert.ok(w.user.startsWith(anonymousPrefix), w.user);
      const room = (await host.openRoom({ stream: "anon-1", window_ms: 0 })).g;
      await s.watchRoom({ g: room });
      const gift = await host.roomSend({ g: room, cmid: "g", type: MessageType.Text, body: { text: { t: "gift" } }, lane: Lane.High });
      await until((w) => (wakers.add(w), () => wakers.delete(w)), () => (msgs.some((m) => m.seq === gift.seq) ? true : undefined), 10_000, "the gift");
      await refused(s.roomSend({ g: room, cmid: "a", type: MessageType.Text, body: { text: { t: "hi" } }, lane: Lane.Chatter }), ErrorCode.Unauthenticated);
    } finally {
      s.close();
      host.close();
    }
  });
});
