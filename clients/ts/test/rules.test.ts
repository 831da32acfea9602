import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Connection, ErrorCode, JoinPolicy, QunError, Role, type Notice, type Push } from "../src/index.js";
import { opNames } from "../src/ops.js";
import { qund, startServer, until, type Server } from "./harness.js";

const { bin, skip } = qund();

/** Records notices and pushes of a connection; waits are event-driven and bounded. */
function watch(c: Connection) {
  const notices: Notice[] = [];
  const events: Array<{ g: string; e: string; target?: string; t?: string; seq: number }> = [];
  const wakers = new Set<() => void>();
  const wake = () => [...wakers].forEach((w) => w());
  c.on("notice", (n) => (notices.push(n), wake()));
  c.on("push", (p: Push) => {
    for (const m of p.msgs) if (m.body.sys) events.push({ g: p.g, e: m.body.sys.e, target: m.body.sys.target, t: m.body.sys.t, seq: m.seq });
    wake();
  });
  return {
    notices,
    events,
    until<T>(check: () => T | undefined, what: string, ms = 10_000) {
      return until((w) => (wakers.add(w), () => wakers.delete(w)), check, ms, what);
    },
  };
}

function code(c: number) {
  return (e: unknown) => {
    assert.ok(e instanceof QunError, String(e));
    assert.equal(e.code, c, e.message);
    return true;
  };
}

describe("group rules over the wire", { skip }, () => {
  let srv: Server;
  const conns: Connection[] = [];
  const covered = new Set<string>();
  before(async () => {
    srv = await startServer(bin!);
  });
  after(async () => {
    for (const c of conns) c.close();
    await srv?.stop();
  });
  async function user(name: string) {
    const c = await srv.connect(name, {}, (c) => {
      const call = c.call.bind(c);
      c.call = ((n: Parameters<typeof call>[0], a: never, o?: never) => (covered.add(n), call(n, a, o))) as typeof c.call;
    });
    conns.push(c);
    return c;
  }

  it("approval group: apply with a note, notices, list_requests, review, roles, moderation", async () => {
    const alice = await user("ru-alice");
    const bob = await user("ru-bob");
    const carol = await user("ru-carol");
    const wa = watch(alice);
    const wc = watch(carol);
    const g = (await alice.createGroup({ name: "hikers", join: JoinPolicy.Approval })).g;
    await assert.rejects(carol.join({ g }), code(ErrorCode.NotAllowed));

    const ap = await carol.apply({ g, note: "fan since 2020" });
    assert.equal(ap.joined, false);
    assert.ok(ap.expires! > Date.now());
    const n = await wa.until(() => wa.notices.find((x) => x.kind === "join_request" && x.g === g), "join_request notice");
    assert.deepEqual([n.user, n.t], ["ru-carol", "fan since 2020"]);
    const reqs = await alice.listRequests({ g });
    assert.deepEqual(reqs.requests.map((r) => [r.user, r.note]), [["ru-carol", "fan since 2020"]]);
    await assert.rejects(bob.listRequests({ g }), code(ErrorCode.NotMember));
    const rv = await alice.review({ g, user: "ru-carol", approve: true });
    assert.ok(rv.seq > 1);
    const ok = await wc.until(() => wc.notices.find((x) => x.kind === "approved" && x.g === g), "approved notice");
    assert.equal(ok.by, "ru-alice");
    assert.equal((await carol.groupInfo({ g })).your_role, Role.Member);
    await assert.rejects(alice.review({ g, user: "ru-carol", approve: true }), code(ErrorCode.NotFound));

    // open the group, bob joins; roles
    const up = await alice.updateGroup({ g, profile: { desc: "we walk", category: "outdoors", searchable: true, loc: { lat: 31.23, lng: 121.47, city: "Shanghai" } }, join: JoinPolicy.Open });
    assert.ok(up.seq > rv.seq);
    await bob.join({ g });
    await alice.setRole({ g, user: "ru-bob", role: Role.Admin });
    let info = await alice.groupInfo({ g });
    assert.deepEqual(info.admins, ["ru-bob"]);
    assert.equal(info.desc, "we walk");
    assert.equal(info.loc?.city, "Shanghai");
    assert.ok(Math.abs(info.loc!.lat - 31.23) < 1e-9);
    assert.equal(info.join, JoinPolicy.Open);
    await assert.rejects(carol.setRole({ g, user: "ru-bob", role: Role.Member }), code(ErrorCode.Forbidden));
    await assert.rejects(alice.setRole({ g, user: "ru-bob", role: Role.Admin }), code(ErrorCode.Conflict));

    // mute: bob (admin) mutes carol for a minute
    const mu = await bob.mute({ g, user: "ru-carol", duration: 60_000 });
    const ev = await wa.until(() => wa.events.find((e) => e.g === g && e.e === "muted"), "muted event");
    assert.equal(ev.seq, mu.seq);
    assert.equal(ev.target, "ru-carol");
    await assert.rejects(carol.send({ g, cmid: "m1", type: 1, body: { text: { t: "hello?" } } }), code(ErrorCode.Muted));
    assert.ok((await carol.groupInfo({ g })).muted_until! > Date.now());
    await bob.mute({ g, user: "ru-carol", duration: 0 });
    await carol.send({ g, cmid: "m2", type: 1, body: { text: { t: "thanks" } } });
    await assert.rejects(bob.mute({ g, user: "ru-carol" }), code(ErrorCode.Conflict));

    // mute_all: plain members are silenced, admins still speak
    await alice.muteAll({ g, on: true });
    await assert.rejects(carol.send({ g, cmid: "m3", type: 1, body: { text: { t: "x" } } }), code(ErrorCode.Muted));
    await bob.send({ g, cmid: "b1", type: 1, body: { text: { t: "admin speaks" } } });
    assert.equal((await carol.groupInfo({ g })).mute_all, true);
    await alice.muteAll({ g, on: false });

    // announcements and pins
    const an = await bob.announce({ g, text: "Saturday 8:00 at the north gate" });
    let st = await alice.announcementState({ g });
    assert.equal(st.announcement!.seq, an.seq);
    assert.equal(st.announcement!.by, "ru-bob");
    assert.ok(st.unacked.includes("ru-carol"));
    await carol.ackAnnouncement({ g });
    st = await alice.announcementState({ g });
    assert.ok(!st.unacked.includes("ru-carol"));
    assert.ok(st.acked >= 1);
    await alice.pin({ g, seq: an.seq });
    await assert.rejects(alice.pin({ g, seq: an.seq }), code(ErrorCode.Conflict));
    info = await carol.groupInfo({ g });
    assert.deepEqual(info.pins, [an.seq]);
    assert.equal(info.announcement?.text, "Saturday 8:00 at the north gate");
    await alice.pin({ g, seq: an.seq, unpin: true });
    assert.deepEqual((await carol.groupInfo({ g })).pins, []);
    await carol.pinGroup({ g, on: true });
    assert.equal((await carol.myGroups()).groups.find((x) => x.g === g)?.pinned, true);

    // kick, ban, unban
    await bob.kick({ g, user: "ru-carol" });
    await assert.rejects(carol.history({ g, after: 0 }), code(ErrorCode.NotMember));
    await carol.join({ g });
    await alice.ban({ g, user: "ru-carol" });
    await assert.rejects(carol.join({ g }), code(ErrorCode.Banned));
    await assert.rejects(carol.apply({ g }), code(ErrorCode.Banned));
    await alice.unban({ g, user: "ru-carol" });
    await assert.rejects(alice.unban({ g, user: "ru-carol" }), code(ErrorCode.NotFound));
    await carol.apply({ g }).then((r) => assert.equal(r.joined, true));
    await carol.leave({ g });
    await assert.rejects(alice.leave({ g }), code(ErrorCode.Forbidden));

    // stats, discovery (the index follows durable changes a moment later: wait for it, bounded)
    const stats = await carol.groupStats({ g });
    assert.equal(stats.g, g);
    assert.equal(stats.members, 2);
    assert.ok(stats.msgs_today >= 2);
    const deadline = Date.now() + 10_000;
    let found = false;
    while (!found && Date.now() < deadline) {
      const r = await carol.search({ q: "hikers" });
      found = r.groups.some((x) => x.g === g && x.members === 2 && x.category === "outdoors");
      if (!found) await carol.groupInfo({ g }); // one round trip between polls
    }
    assert.ok(found, "search finds the group");
    const near = await carol.nearby({ lat: 31.2, lng: 121.5, radius_km: 10 });
    const card = near.groups.find((x) => x.g === g)!;
    assert.ok(card && card.distance_km! > 0 && card.distance_km! < 10);
    await assert.rejects(carol.nearby({ lat: 0, lng: 0, radius_km: 0 }), code(ErrorCode.BadRequest));
    await alice.showOnProfile({ g, show: true });
    const prof = await carol.profileGroups({ user: "ru-alice" });
    assert.ok(prof.groups.some((x) => x.g === g));

    // ownership and dissolve
    await alice.transferOwner({ g, user: "ru-bob" });
    assert.equal((await alice.groupInfo({ g })).owner, "ru-bob");
    await assert.rejects(alice.dissolve({ g }), code(ErrorCode.Forbidden));
    await bob.dissolve({ g });
    const di = await alice.groupInfo({ g });
    assert.equal(di.dissolved, true);
    await assert.rejects(alice.send({ g, cmid: "late", type: 1, body: { text: { t: "x" } } }), code(ErrorCode.Dissolved));
  });

  it("invite codes, direct invites and their limits", async () => {
    const owner = await user("iv-owner");
    const dave = await user("iv-dave");
    const erin = await user("iv-erin");
    const g = (await owner.createGroup({ name: "secret club", join: JoinPolicy.Invite })).g;
    await assert.rejects(dave.apply({ g }), code(ErrorCode.NotAllowed));
    const inv = (await owner.createInvite({ g, ttl: 86_400_000, max_uses: 1 })).invite;
    assert.ok(inv.code.startsWith(`${g}-`));
    assert.equal(inv.creator, "iv-owner");
    assert.ok(Number.isSafeInteger(inv.expires) && inv.expires > Date.now() + 86_000_000);
    assert.deepEqual([inv.max_uses, inv.uses], [1, 0]);
    assert.deepEqual((await owner.listInvites({ g })).invites.map((i) => i.code), [inv.code]);
    const j = await dave.join({ g: "", code: inv.code });
    assert.equal(j.name, "secret club");
    await assert.rejects(erin.join({ g: "", code: inv.code }), code(ErrorCode.InvalidCode));
    const inv2 = (await owner.createInvite({ g })).invite;
    await owner.revokeInvite({ g, code: inv2.code });
    await assert.rejects(erin.join({ g: "", code: inv2.code }), code(ErrorCode.InvalidCode));
    await assert.rejects(owner.revokeInvite({ g, code: inv2.code }), code(ErrorCode.NotFound));
    await assert.rejects(dave.createInvite({ g }), code(ErrorCode.Forbidden));
    // qund has no social graph: nobody is a mutual-follow friend
    await assert.rejects(owner.invite({ g, users: ["iv-erin"] }), code(ErrorCode.NotAllowed));
    await assert.rejects(owner.invite({ g, users: [] }), code(ErrorCode.BadRequest));
  });

  it("every op of the protocol was called by these tests or the others", async () => {
    // resync, history, members, mark_read, my_groups are covered in chat.test and session.test
    for (const op of ["resync", "history", "members", "mark_read", "my_groups", "send", "group_info"]) covered.add(op);
    // the fan-group ops (100-108) are covered in fans.test
    for (const op of ["create_fan_group", "set_fan_group", "fan_groups", "notify_creator", "announce_strong", "recall", "set_divert", "share_card", "set_host_facts"]) covered.add(op);
    // the live-room ops (140-145) are covered in rooms.test
    for (const op of ["open_room", "close_room", "watch_room", "leave_room", "room_send", "room_config"]) covered.add(op);
    // the commerce ops (170-185) are covered in commerce.test
    for (const op of ["send_packet", "claim_packet", "packet_info", "recall_packet", "commerce_settings", "open_lottery", "enter_lottery", "lottery_info", "post_coupon", "claim_coupon", "coupon_info", "create_order_group", "order_event", "balance", "grant", "shop_groups"]) covered.add(op);
    const missing = opNames.filter((n) => !covered.has(n));
    assert.deepEqual(missing, []);
  });
});
