/**
 * Fan groups, rich bodies, mentions, recall, diversion and the share card
 * (docs/protocol.md section 12) against a real qund, through the typed
 * methods of the TS client.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Connection, DivertPolicy, ErrorCode, GroupKind, MessageType, QunError, type Body, type Message } from "../src/index.js";
import { qund, startServer, type Server } from "./harness.js";

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

/** The message of seq in g, read back with history (forward from seq-1). */
async function messageAt(c: Connection, g: string, seq: number): Promise<Message> {
  const h = await c.history({ g, after: seq - 1, limit: 1 });
  assert.equal(h.msgs.length, 1);
  assert.equal(h.msgs[0]!.seq, seq);
  return h.msgs[0]!;
}

describe("fan groups and rich messages", { skip }, () => {
  let srv: Server;
  let cara: Connection; // the creator
  let bob: Connection; // a fan who meets the threshold
  let dave: Connection; // a fan who does not
  let g: string;
  before(async () => {
    srv = await startServer(bin!, ["--fan-admins", "ops"]);
    cara = await srv.connect("cara");
    bob = await srv.connect("bob");
    dave = await srv.connect("dave");
    const ops = await srv.connect("ops");
    try {
      const day = 24 * 3600 * 1000;
      await refused(bob.setHostFacts({ follows: [{ fan: "bob", creator: "cara", since: 0 }] }), ErrorCode.Forbidden);
      const r = await ops.setHostFacts({
        follows: [
          { fan: "bob", creator: "cara", since: Date.now() - 30 * day },
          { fan: "dave", creator: "cara", since: Date.now() - 2 * day },
        ],
        levels: [{ fan: "bob", creator: "cara", level: 5 }],
      });
      assert.deepEqual(r, {});
    } finally {
      ops.close();
    }
  });
  after(async () => {
    cara?.close();
    bob?.close();
    dave?.close();
    await srv?.stop();
  });

  it("creates a fan group with a threshold, lists it on the homepage, checks it on join", async () => {
    const created = await cara.createFanGroup({ name: "cara's fans", threshold: { follow_days: 7, level: 3 }, order: 2 });
    g = created.g;
    assert.equal(created.seq, 1);
    const info = await cara.groupInfo({ g });
    assert.equal(info.kind, GroupKind.Fan);
    assert.deepEqual(info.threshold, { follow_days: 7, level: 3 });
    const plain = await cara.createGroup({ name: "plain" });
    assert.equal((await cara.groupInfo({ g: plain.g })).kind, GroupKind.User);
    assert.equal((await cara.groupInfo({ g: plain.g })).threshold, undefined);

    const forBob = await bob.fanGroups({ creator: "cara" });
    assert.equal(forBob.creator, "cara");
    assert.equal(forBob.groups.length, 1);
    const card = forBob.groups[0]!;
    assert.equal(card.g, g);
    assert.equal(card.order, 2);
    assert.equal(card.members, 1);
    assert.ok(card.max_members > 0);
    assert.deepEqual(card.threshold, { follow_days: 7, level: 3 });
    assert.ok(card.words.length > 0);
    assert.equal(card.may_join, true);
    assert.equal(card.member, false);
    const forDave = (await dave.fanGroups({ creator: "cara" })).groups[0]!;
    assert.equal(forDave.may_join, false);
    assert.ok(forDave.why && forDave.why.length > 0);

    const no = await refused(dave.join({ g }), ErrorCode.ThresholdNotMet);
    assert.match(no.detail, /^(follow_days|level):/);
    assert.equal((await bob.join({ g })).seq, 2);
    assert.equal((await bob.fanGroups({ creator: "cara" })).groups[0]!.member, true);

    const set = await cara.setFanGroup({ g, order: 5 });
    assert.ok(set.seq > 2);
    assert.equal((await bob.fanGroups({ creator: "cara" })).groups[0]!.order, 5);
    await refused(bob.setFanGroup({ g, order: 1 }), ErrorCode.Forbidden);
  });

  it("rich bodies round-trip through send and history with their types", async () => {
    const bodies: Array<[number, Body]> = [
      [MessageType.Product, { product: { id: "sku-1", title: "Hiking boots", price: 59900, cur: "CNY", img: "https://img.example/b.jpg", url: "https://shop.example/sku-1" } }],
      [MessageType.Image, { img: { url: "https://img.example/p.png", w: 1080, h: 720 } }],
      [MessageType.Video, { video: { id: "v1", title: "Trail cut", cover: "https://img.example/c.jpg", dur: 95 } }],
      [MessageType.Live, { live: { room: "r1", title: "Tonight", live: true } }],
      [MessageType.Sticker, { sticker: { pack: "cats", id: "wave" } }],
      [MessageType.Location, { loc: { lat: 31.2304, lng: 121.4737, name: "The Bund", addr: "Zhongshan East Road" } }],
      [MessageType.Link, { link: { url: "https://example.org/post", title: "A post", desc: "about hiking" } }],
      [MessageType.Custom, { custom: { type: "poll.v1", data: { q: "Which trail?", n: 3, ratio: 0.25, open: true } } }],
    ];
    for (const [i, [type, body]] of bodies.entries()) {
      const s = await cara.send({ g, cmid: `rich-${i}`, type, body });
      const m = await messageAt(bob, g, s.seq);
      assert.equal(m.type, type, `type of ${Object.keys(body)[0]}`);
      assert.equal(m.from, "cara");
      assert.equal(m.cmid, `rich-${i}`);
      assert.deepEqual(m.body, body);
    }
    // a body that does not match its type stores nothing
    await refused(cara.send({ g, cmid: "bad", type: MessageType.Image, body: { product: bodies[0]![1].product! } }), ErrorCode.BadRequest);
    await refused(cara.send({ g, cmid: "bad2", type: MessageType.Product, body: { product: { id: "x", title: "t", price: 1, cur: "cny" } } }), ErrorCode.BadRequest);
  });

  it("a mention counts in my_groups until read; recall turns the message into a tombstone", async () => {
    const before = (await bob.myGroups()).groups.find((x) => x.g === g)!;
    await bob.markRead({ g, seq: before.last_seq });
    assert.equal((await bob.myGroups()).groups.find((x) => x.g === g)!.mentioned, 0);
    const s = await cara.send({ g, cmid: "m-1", type: MessageType.Text, body: { text: { t: "see you there", at: ["bob"] } } });
    const mine = (await bob.myGroups()).groups.find((x) => x.g === g)!;
    assert.equal(mine.mentioned, 1);
    assert.equal(mine.unread, 1);
    assert.deepEqual((await messageAt(bob, g, s.seq)).body.text, { t: "see you there", at: ["bob"] });
    // @all: owner only
    await refused(bob.send({ g, cmid: "all-1", type: MessageType.Text, body: { text: { t: "hey", at: ["@all"] } } }), ErrorCode.Forbidden);

    await refused(bob.recall({ g, seq: s.seq }), ErrorCode.Forbidden);
    const rc = await cara.recall({ g, seq: s.seq });
    assert.ok(rc.seq > s.seq);
    const tomb = await messageAt(bob, g, s.seq);
    assert.equal(tomb.type, MessageType.Recalled);
    assert.equal(tomb.from, "cara");
    assert.equal(tomb.cmid, "m-1");
    assert.equal(tomb.body.text, undefined);
    assert.equal(tomb.body.recalled!.by, "cara");
    assert.ok(Number.isSafeInteger(tomb.body.recalled!.at) && tomb.body.recalled!.at >= tomb.ts);
    const ev = await messageAt(bob, g, rc.seq);
    assert.equal(ev.type, MessageType.System);
    assert.equal(ev.body.sys!.e, "recalled");
    assert.equal((await bob.myGroups()).groups.find((x) => x.g === g)!.mentioned, 0, "a recalled mention no longer counts");
    await refused(cara.recall({ g, seq: s.seq }), ErrorCode.Conflict);
  });

  it("strong announcement, diversion policy, share card and creator notices", async () => {
    const a = await cara.announceStrong({ g, text: "Live tonight at eight" });
    const info = await bob.groupInfo({ g });
    assert.equal(info.announcement!.seq, a.seq);
    assert.equal(info.announcement!.strong, true);
    assert.equal((await messageAt(bob, g, a.seq)).body.sys!.e, "strong_announcement");

    await refused(bob.setDivert({ g, policy: DivertPolicy.Block }), ErrorCode.Forbidden);
    await cara.setDivert({ g, policy: DivertPolicy.Block });
    await refused(bob.send({ g, cmid: "d-1", type: MessageType.Text, body: { text: { t: "call me on 13812345678" } } }), ErrorCode.Diverted);
    await cara.setDivert({ g, policy: DivertPolicy.Allow });
    const ok = await bob.send({ g, cmid: "d-2", type: MessageType.Text, body: { text: { t: "call me on 13812345678" } } });
    assert.equal((await messageAt(bob, g, ok.seq)).body.text!.t, "call me on 13812345678");

    // sharing makes an invite code: plain members may not unless members_invite is on
    await refused(bob.shareCard({ g }), ErrorCode.Forbidden);
    const share = await cara.shareCard({ g });
    assert.ok(share.code.length > 0);
    assert.deepEqual(Object.keys(share.links).sort(), ["qq", "wechat", "weibo"]);
    assert.equal(share.card.g, g);
    assert.equal(share.card.owner, "cara");
    assert.ok(share.expire > Date.now());

    const n1 = await cara.notifyCreator({ id: "live-1", kind: "live", room: "room-9", title: "On air" });
    assert.deepEqual(n1.groups.map((x) => [x.g, x.dup, x.code]), [[g, false, 0]]);
    const m = await messageAt(bob, g, n1.groups[0]!.seq!);
    assert.equal(m.type, MessageType.Live);
    assert.deepEqual(m.body.live, { room: "room-9", title: "On air", live: true });
    const n2 = await cara.notifyCreator({ id: "live-1", kind: "live", room: "room-9", title: "On air" });
    assert.deepEqual(n2.groups.map((x) => [x.g, x.seq, x.dup]), [[g, n1.groups[0]!.seq, true]]);
  });
});
