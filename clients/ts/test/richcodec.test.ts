/**
 * Codec rules of the fan-group and rich-body types (no server): wide
 * integers on encode, custom float values, checked integers and bounds on
 * decode of rich bodies and fan-group results.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decode as rawDecode, encode as rawEncode } from "@msgpack/msgpack";
import { encodeBody, ProtocolError } from "../src/index.js";
import * as d from "../src/decode.js";
import * as rd from "../src/richdecode.js";

describe("rich bodies and fan-group codec", () => {
  it("integers beyond 32 bits encode as msgpack integers, never floats", () => {
    const since = 1_764_000_000_000; // a time in ms
    const b = encodeBody({ follows: [{ fan: "bob", creator: "cara", since }], start: -(2 ** 40) });
    const i = b.indexOf(0xcf); // uint64
    assert.ok(i > 0, "since is a uint64");
    assert.equal(Buffer.from(b).readBigUInt64BE(i + 1), BigInt(since));
    assert.ok(b.includes(0xd3), "a wide negative is an int64");
    assert.ok(!b.includes(0xcb), "no float64 anywhere");
    const back = rawDecode(b, { useBigInt64: true }) as { follows: Array<{ since: bigint }> };
    assert.equal(back.follows[0]!.since, BigInt(since));
    assert.throws(() => encodeBody({ g: "x", seq: 1.5 }), RangeError);
    assert.throws(() => encodeBody({ price: 2 ** 53 }), RangeError);
  });

  it("custom data may hold floats; other keys may not", () => {
    const b = encodeBody({ g: "x", type: 107, body: { custom: { type: "poll", data: { ratio: 0.25, n: 3, big: 2 ** 40, s: "a", on: true } } } });
    const back = rawDecode(b, { useBigInt64: true }) as { body: { custom: { data: Record<string, unknown> } } };
    assert.deepEqual(back.body.custom.data, { ratio: 0.25, n: 3, big: BigInt(2 ** 40), s: "a", on: true });
    assert.throws(() => encodeBody({ body: { img: { url: "u", w: 1.5, h: 1 } } }), RangeError);
  });

  it("decodes every rich body with its exact keys", () => {
    const wire = {
      seq: 7,
      ts: 1_764_000_000_000n,
      from: "cara",
      type: 103,
      body: {
        img: { url: "https://i/p.png", w: 10, h: 20 },
        video: { id: "v", title: "t", cover: "https://i/c", dur: 5 },
        live: { room: "r", title: "t", live: false, start: 1_764_000_000_000n },
        product: { id: "p", title: "t", price: 999_999_999_999n, cur: "CNY", img: "https://i/x", url: "https://s/p" },
        sticker: { pack: "cats", id: "wave" },
        loc: { lat: 1.5, lng: -2.25, name: "n", addr: "a" },
        link: { url: "https://l", title: "t", desc: "d", img: "https://i" },
        custom: { type: "x.y", data: { a: 1, b: 0.5, c: "s", d: false, e: -3n } },
        recalled: { by: "cara", at: 1_764_000_000_001n },
        unknown_future: { z: 1 },
      },
    };
    const m = d.message(wire, "m");
    assert.deepEqual(m.body, {
      img: { url: "https://i/p.png", w: 10, h: 20 },
      video: { id: "v", title: "t", cover: "https://i/c", dur: 5 },
      live: { room: "r", title: "t", live: false, start: 1_764_000_000_000 },
      product: { id: "p", title: "t", price: 999_999_999_999, cur: "CNY", img: "https://i/x", url: "https://s/p" },
      sticker: { pack: "cats", id: "wave" },
      loc: { lat: 1.5, lng: -2.25, name: "n", addr: "a" },
      link: { url: "https://l", title: "t", desc: "d", img: "https://i" },
      custom: { type: "x.y", data: { a: 1, b: 0.5, c: "s", d: false, e: -3 } },
      recalled: { by: "cara", at: 1_764_000_000_001 },
    });
    // the same through real msgpack bytes
    const viaBytes = d.message(rawDecode(rawEncode(wire, { useBigInt64: true }), { useBigInt64: true }), "m");
    assert.deepEqual(viaBytes, m);
  });

  it("refuses out-of-range integers and wrong kinds in rich bodies and fan results", () => {
    const msg = (body: object) => ({ seq: 1, ts: 1, from: "a", type: 100, body });
    const bad: Array<[string, object]> = [
      ["image side", msg({ img: { url: "u", w: 20001, h: 1 } })],
      ["negative width", msg({ img: { url: "u", w: -1, h: 1 } })],
      ["float width", msg({ img: { url: "u", w: 1.5, h: 1 } })],
      ["price beyond bound", msg({ product: { id: "p", title: "t", price: 1e12 + 1, cur: "CNY" } })],
      ["negative price", msg({ product: { id: "p", title: "t", price: -1, cur: "CNY" } })],
      ["unsafe recall time", msg({ recalled: { by: "a", at: 2n ** 60n } })],
      ["custom array value", msg({ custom: { type: "x", data: { a: [1] } } })],
      ["custom unsafe int", msg({ custom: { type: "x", data: { a: 2n ** 60n } } })],
      ["video dur string", msg({ video: { id: "v", title: "t", dur: "5" } })],
    ];
    for (const [what, v] of bad) assert.throws(() => d.message(v, "m"), ProtocolError, what);
    assert.throws(() => rd.creatorNoticeResult({ groups: [{ g: "g", code: 70000 }] }, "r"), ProtocolError);
    assert.throws(() => rd.fanGroupsResult({ creator: "c", groups: [{ g: "g", join: 256 }] }, "r"), ProtocolError);
    assert.throws(() => rd.threshold({ follow_days: -1 }, "t"), ProtocolError);
    assert.throws(() => rd.shareCard({ code: "c", links: { wechat: 1 } }, "s"), ProtocolError);
    assert.throws(() => d.myGroupsResult({ groups: [{ g: "g", mentioned: -1 }] }, "r"), ProtocolError);
  });

  it("decodes fan-group results, mentions and group kind", () => {
    assert.deepEqual(
      rd.fanGroupsResult(
        {
          creator: "cara",
          groups: [{ g: "g1", name: "n", members: 3, max_members: 2000, join: 1, threshold: { follow: true, level: 2 }, words: "w", order: 4, may_join: false, why: "level: …" }],
        },
        "r",
      ),
      {
        creator: "cara",
        groups: [{ g: "g1", name: "n", members: 3, max_members: 2000, join: 1, threshold: { follow: true, level: 2 }, words: "w", order: 4, member: false, may_join: false, why: "level: …" }],
      },
    );
    assert.deepEqual(rd.creatorNoticeResult({ groups: [{ g: "a", seq: 9 }, { g: "b", code: 215 }] }, "r").groups, [
      { g: "a", seq: 9, dup: false, code: 0 },
      { g: "b", dup: false, code: 215 },
    ]);
    const gi = d.groupInfo({ g: "g", kind: 1, threshold: { follow_days: 7 }, announcement: { seq: 3, text: "t", by: "o", at: 1, strong: true } }, "gi");
    assert.equal(gi.kind, 1);
    assert.deepEqual(gi.threshold, { follow_days: 7 });
    assert.equal(gi.announcement!.strong, true);
    assert.equal(d.groupInfo({ g: "g" }, "gi").kind, 0);
    assert.equal(d.myGroupsResult({ groups: [{ g: "g", mentioned: 2 }] }, "r").groups[0]!.mentioned, 2);
    // replies cut to fit max_frame say more
    assert.deepEqual(d.myGroupsResult({ groups: [], more: true }, "r"), { groups: [], more: true });
    assert.deepEqual(d.searchResult({ groups: [] }, "r"), { groups: [] });
    assert.equal(d.requestsResult({ requests: [], more: true }, "r").more, true);
    assert.throws(() => d.searchResult({ groups: [], more: 1 }, "r"), ProtocolError);
  });
});
