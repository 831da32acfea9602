/**
 * The WebSocket transport against qund's own WebSocket listener
 * (--ws-listen, ws://host:port/ws): one binary WebSocket message per frame,
 * the type byte then the msgpack body, no length prefix. The client side is
 * the transport written against the standard WebSocket API: Node's global
 * WebSocket when present (Node >= 22), else the `ws` package's
 * implementation of that API.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { WebSocket as WsWebSocket } from "ws";
import { Connection, ErrorCode, QunError, Session, webSocketConnector, type WebSocketCtor } from "../src/index.js";
import { qund, startServer, within, type Server } from "./harness.js";
import { consecutive, Recorder } from "./faults.js";

const { bin, skip } = qund();

/** The `ws` implementation, recording each socket so the test can cut them. */
const opened: WsWebSocket[] = [];
class RecordingWebSocket extends WsWebSocket {
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols);
    opened.push(this);
  }
}
const Ctor = RecordingWebSocket as unknown as WebSocketCtor;

describe("WebSocket transport (qund --ws-listen)", { skip }, () => {
  let srv: Server;
  const closers: Array<{ close(): void }> = [];

  before(async () => {
    srv = await startServer(bin!);
  });
  after(async () => {
    for (const c of closers) c.close();
    for (const s of opened) s.terminate();
    await srv?.stop();
  });

  it("a WebSocket client and a TCP client chat; the session reconnects over WebSocket", async () => {
    const connector = webSocketConnector({ url: srv.wsUrl, WebSocket: Ctor });
    const ws = await Connection.open(connector, { token: srv.token("ws-alice"), pingIntervalMs: 0 });
    closers.push(ws);
    assert.equal(ws.welcome!.user, "ws-alice");
    const g = (await ws.createGroup({ name: "over websocket" })).g;
    const tcp = await srv.connect("ws-bob");
    closers.push(tcp);
    await tcp.join({ g });

    const s = new Session({ connect: connector, token: srv.token("ws-alice"), pingIntervalMs: 0, backoff: { initialMs: 5, maxMs: 50 } });
    closers.push(s);
    const rec = new Recorder(s);
    await s.start();
    const r1 = await tcp.send({ g, cmid: "w1", type: 1, body: { text: { t: "from tcp" } } });
    await rec.reach(g, r1.seq);
    const seenP = within(
      new Promise<number>((res) => tcp.on("push", (p) => p.msgs.forEach((m) => m.body.text?.t === "from websocket" && res(m.seq)))),
      10_000,
      "tcp client sees the websocket message",
    );
    const r2 = await s.sendText(g, "from websocket");
    assert.equal(await seenP, r2.seq);

    // cut the session's WebSocket abruptly: it reconnects and resyncs
    const before = opened.length;
    for (const sock of opened) sock.terminate();
    await rec.until(() => (rec.count("disconnected") ? true : undefined), "disconnected");
    const r3 = await tcp.send({ g, cmid: "w3", type: 1, body: { text: { t: "while reconnecting" } } });
    const seqs = await rec.reach(g, r3.seq);
    await rec.until(() => (rec.count("reconnected") ? true : undefined), "reconnected");
    assert.ok(consecutive(seqs.slice(seqs.indexOf(r1.seq)), r1.seq, r3.seq), seqs.join(","));
    assert.ok(opened.length > before, "the session opened a new WebSocket");
  });

  it("a bad token over WebSocket gets the same error code as over TCP", async () => {
    const connector = webSocketConnector({ url: srv.wsUrl, WebSocket: Ctor });
    await assert.rejects(Connection.open(connector, { token: "not.a.token", pingIntervalMs: 0 }), (e: unknown) => {
      assert.ok(e instanceof QunError, String(e));
      assert.equal(e.code, ErrorCode.Unauthenticated);
      return true;
    });
  });
});
