import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Connection, ConnectionClosedError, ErrorCode, QunError, type Message, type Push } from "../src/index.js";
import { qund, startServer, until, within, type Server } from "./harness.js";

const { bin, skip } = qund();

/** Collects pushes of one connection and lets a test await a condition on them. */
function collect(c: Connection) {
  const msgs: Array<[string, Message]> = [];
  const wakers = new Set<() => void>();
  c.on("push", (p: Push) => {
    for (const m of p.msgs) msgs.push([p.g, m]);
    for (const w of [...wakers]) w();
  });
  return {
    msgs,
    until<T>(check: () => T | undefined, what: string, ms = 10_000) {
      return until((w) => (wakers.add(w), () => wakers.delete(w)), check, ms, what);
    },
  };
}

describe("two clients over TCP", { skip }, () => {
  let srv: Server;
  before(async () => {
    srv = await startServer(bin!);
  });
  after(async () => {
    await srv?.stop();
  });

  it("chat: create, join, send, both receive the push once durable", async () => {
    const alice = await srv.connect("alice");
    const bob = await srv.connect("bob");
    try {
      assert.equal(alice.welcome!.user, "alice");
      assert.equal(alice.welcome!.v, 1);
      assert.ok(alice.welcome!.max_frame >= 1024);
      assert.ok(Number.isSafeInteger(alice.welcome!.time) && alice.welcome!.time > 1.6e12);
      const ca = collect(alice);
      const cb = collect(bob);
      const g = await alice.createGroup({ name: "weekend hikes" });
      assert.match(g.g, /^g[a-z2-7]{16}$/);
      assert.equal(g.seq, 1);
      const j = await bob.join({ g: g.g });
      assert.equal(j.name, "weekend hikes");
      assert.equal(j.seq, 2);
      const s = await alice.send({ g: g.g, cmid: "c-1", type: 1, body: { text: { t: "hi @bob", at: ["bob"] } } });
      assert.equal(s.seq, 3);
      assert.equal(s.dup, false);
      const r = await bob.send({ g: g.g, cmid: "c-1", type: 1, body: { text: { t: "hello alice" } } });
      assert.equal(r.seq, 4, "cmids are per sender: bob's c-1 is a new message");
      for (const [who, c] of [
        ["alice", ca],
        ["bob", cb],
      ] as const) {
        const got = await c.until(() => {
          const texts = c.msgs.filter(([gg, m]) => gg === g.g && m.type === 1);
          return texts.length >= 2 ? texts : undefined;
        }, `${who} gets both texts`);
        assert.deepEqual(
          got.map(([, m]) => [m.seq, m.from, m.cmid, m.body.text?.t]),
          [
            [3, "alice", "c-1", "hi @bob"],
            [4, "bob", "c-1", "hello alice"],
          ],
        );
        assert.deepEqual(got[0]![1].body.text!.at, ["bob"]);
        assert.ok(Number.isSafeInteger(got[0]![1].ts) && got[0]![1].ts === s.ts);
      }
      const info = await bob.groupInfo({ g: g.g });
      assert.equal(info.owner, "alice");
      assert.equal(info.members, 2);
      assert.equal(info.last_seq, 4);
      assert.equal(info.your_role, 0);
      const mine = await bob.myGroups();
      assert.deepEqual(
        mine.groups.map((x) => [x.g, x.read_seq, x.last_seq, x.unread]),
        [[g.g, 2, 4, 2]],
      );
      await bob.markRead({ g: g.g, seq: 4 });
      assert.equal((await bob.myGroups()).groups[0]!.unread, 0);
      const mem = await alice.members({ g: g.g });
      assert.deepEqual(
        mem.members.map((m) => [m.user, m.role]),
        [
          ["alice", 2],
          ["bob", 0],
        ],
      );
      assert.equal(mem.total, 2);
      assert.equal(mem.next, undefined);
      const page1 = await alice.members({ g: g.g, limit: 1 });
      assert.equal(page1.next, "alice");
      const page2 = await alice.members({ g: g.g, after: page1.next!, limit: 1 });
      assert.deepEqual(page2.members.map((m) => m.user), ["bob"]);
      // pipelined requests: replies matched by id
      const many = await Promise.all(Array.from({ length: 20 }, () => bob.groupInfo({ g: g.g })));
      assert.ok(many.every((x) => x.g === g.g));
      const pong = new Promise<number | bigint>((res) => bob.once("pong", res));
      bob.ping(7);
      assert.equal(await within(pong, 5000, "pong"), 7);
    } finally {
      alice.close();
      bob.close();
    }
  });

  it("history pages forward and backward", async () => {
    const alice = await srv.connect("hist-alice");
    try {
      const g = (await alice.createGroup({ name: "history" })).g;
      const sends = [];
      for (let i = 1; i <= 120; i++) {
        sends.push(alice.send({ g, cmid: `h-${i}`, type: 1, body: { text: { t: `m${i}` } } }));
      }
      const res = await Promise.all(sends);
      assert.deepEqual(
        res.map((r) => r.seq).sort((a, b) => a - b),
        Array.from({ length: 120 }, (_, i) => i + 2),
      );
      // forward from the start: after = 0 is present, so forward mode
      const seen: number[] = [];
      let after = 0;
      for (let pages = 0; pages < 10; pages++) {
        const p = await alice.history({ g, after, limit: 50 });
        assert.equal(p.last_seq, 121);
        seen.push(...p.msgs.map((m) => m.seq));
        after = p.msgs.at(-1)!.seq;
        if (!p.more) break;
      }
      assert.deepEqual(seen, Array.from({ length: 121 }, (_, i) => i + 1));
      // backward from the latest (after absent): ascending pages, scrolling back
      const back: number[][] = [];
      let before: number | undefined = undefined;
      for (let pages = 0; pages < 10; pages++) {
        const p = await alice.history({ g, before, limit: 50 });
        back.push(p.msgs.map((m) => m.seq));
        before = p.msgs[0]!.seq;
        if (!p.more) break;
      }
      assert.deepEqual(back.map((b) => [b[0], b.at(-1), b.length]), [
        [72, 121, 50],
        [22, 71, 50],
        [1, 21, 21],
      ]);
      const first = await alice.history({ g, after: 0, limit: 1 });
      assert.equal(first.msgs[0]!.type, 2);
      assert.equal(first.msgs[0]!.body.sys!.e, "created");
      assert.equal(first.msgs[0]!.body.sys!.t, "history");
      assert.equal(first.more, true);
    } finally {
      alice.close();
    }
  });

  it("errors carry the protocol's numeric codes", async () => {
    const alice = await srv.connect("err-alice");
    const carol = await srv.connect("err-carol");
    try {
      const g = (await alice.createGroup({ name: "private" })).g;
      await assert.rejects(carol.history({ g, after: 0 }), (e: unknown) => {
        assert.ok(e instanceof QunError);
        assert.equal(e.code, ErrorCode.NotMember);
        assert.equal(e.code, 203);
        assert.equal(e.codeName, "not_member");
        assert.equal(e.connection, false);
        return true;
      });
      await assert.rejects(carol.groupInfo({ g: "gnosuchgroupatall" }), (e: unknown) => e instanceof QunError && e.code === ErrorCode.NoSuchGroup);
      await assert.rejects(alice.send({ g, cmid: "x", type: 1, body: { text: { t: "" } } }), (e: unknown) => e instanceof QunError && e.code === ErrorCode.BadRequest);
      await assert.rejects(alice.groupInfo({ g: "bad id!" }), (e: unknown) => e instanceof QunError && e.code === 200);
      // the connection stays open after request errors
      assert.equal((await carol.groupInfo({ g })).name, "private");
      // client-side integer check: never sent as a float
      await assert.rejects(alice.markRead({ g, seq: 1.5 }), RangeError);
    } finally {
      alice.close();
      carol.close();
    }
  });

  it("handshake errors: bad signature 100, expired token 101", async () => {
    await assert.rejects(srv.connect("mallory", { token: srv.token("mallory").slice(0, -2) + "xx" }), (e: unknown) => {
      assert.ok(e instanceof QunError, String(e));
      assert.equal(e.code, ErrorCode.Unauthenticated);
      assert.equal(e.connection, true);
      return true;
    });
    await assert.rejects(srv.connect("late", { token: srv.token("late", -120) }), (e: unknown) => e instanceof QunError && e.code === ErrorCode.TokenExpired);
  });

  it("close rejects requests in flight with ConnectionClosedError", async () => {
    const c = await srv.connect("closer");
    const p = c.myGroups();
    c.close();
    await assert.rejects(p, ConnectionClosedError);
    await assert.rejects(c.myGroups(), ConnectionClosedError);
  });
});
