import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Connection, ConnectionClosedError, ErrorCode, QunError, Session, type SessionOptions } from "../src/index.js";
import { qund, startServer, type Server } from "./harness.js";
import { consecutive, Faults, Recorder } from "./faults.js";

const { bin, skip } = qund();

describe("Session: reconnect, resync, gaps, idempotent retries", { skip }, () => {
  let srv: Server;
  const open: Array<Session | Connection> = [];
  before(async () => {
    srv = await startServer(bin!);
  });
  after(async () => {
    for (const c of open) c.close();
    await srv?.stop();
  });

  function session(user: string, faults: Faults, opts: Partial<SessionOptions> = {}): { s: Session; rec: Recorder } {
    const s = new Session({
      connect: faults.connector(),
      token: srv.token(user),
      pingIntervalMs: 0,
      backoff: { initialMs: 5, maxMs: 50 },
      ...opts,
    });
    open.push(s);
    return { s, rec: new Recorder(s) };
  }

  async function conn(user: string): Promise<Connection> {
    const c = await srv.connect(user);
    open.push(c);
    return c;
  }

  async function sendN(c: Connection, g: string, n: number, tag: string): Promise<number> {
    const rs = await Promise.all(Array.from({ length: n }, (_, i) => c.send({ g, cmid: `${tag}-${i}`, type: 1, body: { text: { t: `${tag} ${i}` } } })));
    return Math.max(...rs.map((r) => r.seq));
  }

  it("reconnects mid-stream and resyncs from the last seq: every message once, in order", async () => {
    const f = new Faults(srv.connector);
    const { s, rec } = session("rs-alice", f);
    await s.start();
    const g = (await s.createGroup({ name: "resync" })).g;
    const bob = await conn("rs-bob");
    await bob.join({ g });
    let last = await sendN(bob, g, 5, "before");
    await rec.reach(g, last);

    f.hold(); // reconnections wait here until f.open()
    f.cut();
    await rec.until(() => (rec.count("disconnected") >= 1 ? true : undefined), "disconnected");
    last = await sendN(bob, g, 30, "while-down");
    assert.ok(!rec.seqs(g).includes(last), "nothing arrives while disconnected");
    f.open();
    await rec.until(() => (rec.count("reconnected") >= 1 ? true : undefined), "reconnected");
    await rec.reach(g, last);
    await rec.until(() => (rec.count("resynced") >= 2 ? true : undefined), "second resync");
    // and live pushes continue on the new connection
    last = (await bob.send({ g, cmid: "after", type: 1, body: { text: { t: "after" } } })).seq;
    const seqs = await rec.reach(g, last);
    assert.ok(consecutive(seqs, 2, last), `seqs delivered once, in order: ${seqs.join(",")}`);
    assert.equal(f.connects, 2);
    const resync = f.requests.filter((r) => r.op === 10).at(-1)!;
    assert.ok(Number((resync.args["groups"] as Record<string, number>)[g]) >= 6, "resync asked from the last seq held");
    assert.deepEqual(s.lastSeqs()[g], last);
  });

  it("fills a seq gap from history when a push is lost, and surfaces the gap", async () => {
    const f = new Faults(srv.connector);
    const { s, rec } = session("gap-alice", f);
    await s.start();
    const g = (await s.createGroup({ name: "gaps" })).g;
    const bob = await conn("gap-bob");
    await bob.join({ g });
    const first = await sendN(bob, g, 1, "g1");
    await rec.reach(g, first);
    f.dropPush = (gg, seqs) => gg === g && seqs.includes(first + 1);
    let last = first;
    for (let i = 0; i < 5; i++) last = (await bob.send({ g, cmid: `seq-${i}`, type: 1, body: { text: { t: `m${i}` } } })).seq;
    const seqs = await rec.reach(g, last);
    assert.equal(f.dropPush, undefined, "a push was dropped");
    assert.ok(consecutive(seqs, 2, last), `delivered once, in order: ${seqs.join(",")}`);
    const gm = rec.gaps.find((x) => x.g === g)!;
    assert.ok(gm, "gap surfaced");
    assert.equal(gm.skipped, false);
    assert.equal(gm.from, first + 1);
    assert.equal(gm.reason, "push");
    assert.ok(f.requests.some((r) => r.op === 6 && r.args["g"] === g && Number(r.args["after"]) === first), "filled with history after the last seq");
  });

  it("retries a send whose reply was lost with the same cmid: posted once (dup)", async () => {
    const f = new Faults(srv.connector);
    const { s, rec } = session("idem-alice", f);
    await s.start();
    const g = (await s.createGroup({ name: "idempotent" })).g;
    f.loseReply = (op, args) => op === 5 && args["cmid"] === "once-only";
    const res = await s.sendText(g, "exactly once", { cmid: "once-only" });
    assert.equal(f.loseReply, undefined, "the first reply was lost");
    assert.ok(rec.count("retry:send") >= 1, "the send was retried");
    const sent = f.requests.filter((r) => r.op === 5 && r.args["cmid"] === "once-only");
    assert.ok(sent.length >= 2, "the same cmid was sent again");
    assert.equal(res.dup, true, "the server recognised the retry");
    assert.equal(f.connects, 2);
    const h = await s.history({ g, after: 0 });
    const mine = h.msgs.filter((m) => m.cmid === "once-only");
    assert.equal(mine.length, 1);
    assert.equal(mine[0]!.seq, res.seq);
    // an explicit repeat answers dup with the first seq as well
    const again = await s.sendText(g, "exactly once", { cmid: "once-only" });
    assert.deepEqual([again.seq, again.dup], [res.seq, true]);
    const fresh = await s.sendText(g, "fresh cmid");
    assert.equal(fresh.dup, false);
    // a non-idempotent op is not retried: when its reply is lost its outcome is reported as unknown
    f.loseReply = (op) => op === 1;
    await assert.rejects(s.createGroup({ name: "maybe" }), ConnectionClosedError);
    assert.equal(f.requests.filter((r) => r.op === 1).length, 2, "the first create_group, and no retry of the second");
    // an idempotent read is retried across the loss
    f.loseReply = (op) => op === 2;
    assert.equal((await s.groupInfo({ g })).name, "idempotent");
    assert.equal(f.requests.filter((r) => r.op === 2).length, 2);
  });

  it("a Gap frame after a long absence is filled from history, or skipped beyond maxGapFill", async () => {
    const c = await conn("big-alice");
    const g = (await c.createGroup({ name: "backlog" })).g;
    const last = await sendN(c, g, 1100, "bulk");
    assert.equal(last, 1101);

    const f1 = new Faults(srv.connector);
    const a = session("big-alice", f1, { groups: { [g]: 0 }, syncGroups: false });
    await a.s.start();
    const seqs = await a.rec.reach(g, last, 30_000);
    assert.ok(consecutive(seqs, 1, last), "1000 pushed by the resync, the rest filled after its Gap frame");
    const gm = a.rec.gaps.find((x) => x.g === g)!;
    assert.deepEqual([gm.from, gm.to, gm.skipped, gm.reason], [1001, 1101, false, "gap_frame"]);

    const f2 = new Faults(srv.connector);
    const b = session("big-alice", f2, { groups: { [g]: 0 }, syncGroups: false, maxGapFill: 50 });
    await b.s.start();
    const sk = await b.rec.until(() => b.rec.gaps.find((x) => x.g === g && x.skipped), "skipped gap");
    assert.deepEqual([sk.from, sk.to, sk.reason], [1001, 1101, "too_large"]);
    const live = (await c.send({ g, cmid: "live", type: 1, body: { text: { t: "live" } } })).seq;
    const got = await b.rec.reach(g, live);
    assert.ok(consecutive(got.slice(0, 1000), 1, 1000));
    assert.deepEqual(got.slice(1000), [live], "after the skipped range, live messages continue");
  });

  it("forgets groups the resync says it no longer belongs to; a refused token ends the session", async () => {
    const f = new Faults(srv.connector);
    const owner = await conn("rm-owner");
    const g = (await owner.createGroup({ name: "kick me" })).g;
    const { s, rec } = session("rm-dave", f);
    await s.start();
    await s.join({ g });
    assert.ok(g in s.lastSeqs());
    f.hold();
    f.cut();
    await rec.until(() => (rec.count("disconnected") ? true : undefined), "disconnected");
    await owner.kick({ g, user: "rm-dave" });
    f.open();
    await rec.until(() => (rec.events.some((e) => e === `removed:${g}:${ErrorCode.NotMember}`) ? true : undefined), "removed by resync");
    assert.ok(!(g in s.lastSeqs()));

    const bad = new Session({ connect: srv.connector, token: srv.token("x", -100), pingIntervalMs: 0 });
    open.push(bad);
    await assert.rejects(bad.start(5000), (e: unknown) => e instanceof QunError && e.code === ErrorCode.TokenExpired);
    assert.equal(bad.closed, true);
  });
});
