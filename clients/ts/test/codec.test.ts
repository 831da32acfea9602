/**
 * The codec against the protocol document's worked examples
 * (wire/testdata/protocol_examples.txt, regenerated from the Go encoder):
 * requests encode to exactly the same bytes, server frames decode to the
 * documented values. Plus the integer rules and TCP frame reassembly.
 */
import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { encode as rawEncode } from "@msgpack/msgpack";
import { decodeBody, encodeBody, FrameType, ProtocolError, QunError, ErrorCode } from "../src/index.js";
import * as d from "../src/decode.js";
import { ops } from "../src/ops.js";
import { connectTcp } from "../src/tcp.js";
import { repoRoot, within } from "./harness.js";

const examplesPath = join(repoRoot, "wire", "testdata", "protocol_examples.txt");

function examples(): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const text = readFileSync(examplesPath, "utf8");
  for (const sec of text.split(/^=== /m).slice(1)) {
    const name = sec.slice(0, sec.indexOf("\n")).trim();
    const lines = sec.split("\n");
    const start = lines.findIndex((l) => l.startsWith("frame,"));
    let hex = "";
    for (let i = start + 1; i < lines.length && lines[i]!.trim() !== ""; i++) hex += lines[i]!.trim();
    out.set(name, Uint8Array.from(Buffer.from(hex, "hex")));
  }
  return out;
}

/** The frame as the TCP transport writes it. */
function frame(type: number, body: Uint8Array): Uint8Array {
  const f = Buffer.alloc(5 + body.length);
  f.writeUInt32BE(1 + body.length, 0);
  f[4] = type;
  f.set(body, 5);
  return Uint8Array.from(f);
}

function split(f: Uint8Array): { type: number; body: Uint8Array } {
  const len = Buffer.from(f).readUInt32BE(0);
  assert.equal(len, f.length - 4);
  return { type: f[4]!, body: f.subarray(5) };
}

const G = "gq4zx7w2m5rkt3yab";

describe("codec vs the protocol's worked examples", { skip: existsSync(examplesPath) ? false : `no ${examplesPath}` }, () => {
  const ex = existsSync(examplesPath) ? examples() : new Map<string, Uint8Array>();
  const req = (id: number, op: keyof typeof ops, args: object) => frame(FrameType.Request, encodeBody({ id, op: ops[op].op, args }));

  it("requests encode byte for byte", () => {
    const h = decodeBody(split(ex.get("hello")!).body);
    assert.deepEqual(frame(FrameType.Hello, encodeBody({ v: 1, token: h["token"], client: "qun-doc/1" })), ex.get("hello"));
    assert.deepEqual(req(7, "send", { g: G, cmid: "c-0001", type: 1, body: { text: { t: "hi @bob", at: ["bob"] } } }), ex.get("send-request"));
    assert.deepEqual(req(12, "history", { g: G, after: 0, limit: 100 }), ex.get("history-request"));
    assert.deepEqual(req(9, "resync", { groups: { [G]: 40 } }), ex.get("resync-request"));
    assert.deepEqual(frame(FrameType.Ping, encodeBody({ n: 1 })), ex.get("ping"));
    assert.deepEqual(req(21, "create_invite", { g: G, ttl: 86400000, max_uses: 10 }), ex.get("create-invite-request"));
    assert.deepEqual(req(3, "join", { g: "", code: `${G}-K3M7Q2ZA` }), ex.get("join-code-request"));
    assert.deepEqual(req(22, "mute", { g: G, user: "bob", role: undefined, duration: 600000 }), ex.get("mute-request"));
  });

  it("server frames decode to the documented values", () => {
    const w = split(ex.get("welcome")!);
    assert.equal(w.type, FrameType.Welcome);
    assert.deepEqual(d.welcome(decodeBody(w.body), "welcome"), {
      v: 1,
      user: "alice",
      session: "m2q7k3v9x4b8n5cz",
      max_frame: 65536,
      max_inflight: 256,
      time: 1767225600123,
    });
    const sr = d.reply(decodeBody(split(ex.get("send-reply")!).body), "reply");
    assert.equal(sr.id, 7);
    assert.deepEqual(ops.send.decode(sr.body, "send"), { seq: 42, ts: 1767225601500, dup: false });
    const p = d.push(decodeBody(split(ex.get("push")!).body), "push");
    assert.equal(p.g, G);
    assert.deepEqual(p.msgs[0], { seq: 42, ts: 1767225601500, from: "alice", cmid: "c-0001", type: 1, body: { text: { t: "hi @bob", at: ["bob"] } } });
    assert.deepEqual(p.msgs[1], { seq: 43, ts: 1767225602000, from: "carol", type: 2, body: { sys: { e: "joined", actor: "carol", target: "carol" } } });
    assert.deepEqual(d.errorFrame(decodeBody(split(ex.get("request-error")!).body), "e"), { id: 8, code: 203, msg: "not a member" });
    const ce = d.errorFrame(decodeBody(split(ex.get("connection-error")!).body), "e");
    assert.deepEqual([ce.id, ce.code], [0, ErrorCode.SlowConsumer]);
    assert.deepEqual(d.gap(decodeBody(split(ex.get("gap")!).body), "gap"), { g: G, from: 1041, to: 1500 });
    const rr = d.reply(decodeBody(split(ex.get("resync-reply")!).body), "reply");
    assert.deepEqual(ops.resync.decode(rr.body, "resync"), { groups: [{ g: G, last_seq: 1500, sent: 1000, gap: true, code: 0 }] });
    const ir = d.reply(decodeBody(split(ex.get("create-invite-reply")!).body), "reply");
    assert.deepEqual(ops.create_invite.decode(ir.body, "ci"), {
      invite: { code: `${G}-K3M7Q2ZA`, creator: "alice", expires: 1767312000000, max_uses: 10, uses: 0 },
    });
    const mp = d.push(decodeBody(split(ex.get("mute-push")!).body), "push");
    assert.deepEqual(mp.msgs[0]!.body.sys, { e: "muted", actor: "alice", target: "bob", until: 1767226203000 });
    const me = d.errorFrame(decodeBody(split(ex.get("muted-error")!).body), "e");
    assert.equal(new QunError(me.code, me.msg).codeName, "muted");
    assert.deepEqual(d.notice(decodeBody(split(ex.get("notice")!).body), "n"), { kind: "join_request", g: G, user: "carol", t: "fan since 2020" });
  });
});

describe("integers are exact or refused", () => {
  // seq written as uint64 (0xcf), as the server may for any width
  const msgWithSeq = (hi: number, lo: number) =>
    Uint8Array.from([0x82, 0xa3, ...Buffer.from("seq"), 0xcf, ...u32(hi), ...u32(lo), 0xa4, ...Buffer.from("more"), 0xc3]);
  function u32(n: number) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    return [...b];
  }

  it("uint64 up to 2^53-1 is a number; above it is a ProtocolError, never a rounded value", () => {
    const ok = d.message(decodeBody(msgWithSeq(0x1fffff, 0xffffffff)), "m");
    assert.equal(ok.seq, Number.MAX_SAFE_INTEGER);
    assert.throws(() => d.message(decodeBody(msgWithSeq(0x200000, 0x00000001)), "m"), ProtocolError);
    assert.throws(() => d.message(decodeBody(msgWithSeq(0xffffffff, 0xffffffff)), "m"), ProtocolError);
  });

  it("floats where integers belong are refused; nil and missing keys are zero; unknown keys are ignored", () => {
    assert.throws(() => d.gap(decodeBody(rawEncode({ g: "x", from: 1.5, to: 2 })), "gap"), ProtocolError);
    const m = ops.members.decode(decodeBody(Uint8Array.from([0x82, 0xa7, ...Buffer.from("members"), 0xc0, 0xa3, ...Buffer.from("new"), 0x01])), "m");
    assert.deepEqual(m, { members: [], total: 0 });
    assert.throws(() => encodeBody({ g: "x", seq: 2 ** 60 }), RangeError);
    assert.throws(() => encodeBody({ g: "x", seq: 0.5 }), RangeError);
    assert.doesNotThrow(() => encodeBody({ lat: 31.23, lng: 121.47, radius_km: 0.5 }));
  });

  it("a body with trailing bytes or that is not a map is a ProtocolError", () => {
    assert.throws(() => decodeBody(Uint8Array.from([0x80, 0x00])), ProtocolError);
    assert.throws(() => decodeBody(Uint8Array.from([0x91, 0x01])), ProtocolError);
  });
});

describe("TCP framing", () => {
  it("reassembles frames split and merged across reads; refuses frames over maxFrame", async () => {
    let peer!: Socket;
    const server = createServer((s) => (peer = s));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    try {
      const t = await connectTcp({ port, maxFrame: 64 });
      const got: Array<[number, number[]]> = [];
      const all = new Promise<void>((res) => {
        t.onFrame = (type, body) => {
          got.push([type, [...body]]);
          if (got.length === 3) res();
        };
      });
      const closed = new Promise<Error | undefined>((res) => (t.onClose = res));
      await within(new Promise<void>((r) => (peer ? r() : server.once("connection", () => r()))), 5000, "accept");
      const bytes = Buffer.concat([frame(9, encodeBody({ n: 1 })), frame(9, encodeBody({ n: 2 })), frame(6, encodeBody({ g: "x" }))]);
      // one byte at a time for the first frame, then the rest in one write
      for (let i = 0; i < 9; i++) peer.write(bytes.subarray(i, i + 1));
      peer.write(bytes.subarray(9));
      await within(all, 5000, "three frames");
      assert.deepEqual(got.map(([ty]) => ty), [9, 9, 6]);
      assert.deepEqual(decodeBody(Uint8Array.from(got[1]![1])), { n: 2 });
      peer.write(frame(6, new Uint8Array(100)));
      const err = await within(closed, 5000, "close on a frame over maxFrame");
      assert.ok(err instanceof QunError && err.code === ErrorCode.FrameTooLarge, String(err));
    } finally {
      peer?.destroy();
      server.close();
    }
  });
});
