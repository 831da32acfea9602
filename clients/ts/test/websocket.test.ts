/**
 * The WebSocket transport against a real qund. Until qund has its own
 * WebSocket listener, a bridge in this test speaks the framing the client
 * assumes (one binary WebSocket message = one frame: type byte + msgpack
 * body, no length prefix) and relays it, frame by frame, to qund's TCP
 * listener. The client side is the transport written against the standard
 * WebSocket API: Node's global WebSocket when present (Node >= 22), else the
 * `ws` package's implementation of that API.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { WebSocket as WsWebSocket, WebSocketServer, type RawData } from "ws";
import { Connection, Session, webSocketConnector, type WebSocketCtor } from "../src/index.js";
import { connectTcp } from "../src/tcp.js";
import { qund, startServer, within, type Server } from "./harness.js";
import { consecutive, Recorder } from "./faults.js";

const { bin, skip } = qund();
const Ctor = ((globalThis as { WebSocket?: WebSocketCtor }).WebSocket ?? WsWebSocket) as unknown as WebSocketCtor;

describe("WebSocket transport (one binary message per frame)", { skip }, () => {
  let srv: Server;
  let wss: WebSocketServer;
  let url = "";
  const sockets = new Set<WsWebSocket>();
  const closers: Array<{ close(): void }> = [];
  let frames = 0;

  before(async () => {
    srv = await startServer(bin!);
    wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise<void>((r) => wss.once("listening", () => r()));
    url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`;
    wss.on("connection", async (ws) => {
      sockets.add(ws);
      const pending: Buffer[] = [];
      let tcp: Awaited<ReturnType<typeof connectTcp>> | undefined;
      ws.on("message", (data: RawData, isBinary: boolean) => {
        if (!isBinary) return ws.close(1003, "binary frames only");
        const b = Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]);
        frames++;
        if (tcp) tcp.send(b[0]!, b.subarray(1));
        else pending.push(b);
      });
      ws.on("close", () => {
        sockets.delete(ws);
        tcp?.close();
      });
      tcp = await connectTcp({ host: srv.host, port: srv.port });
      tcp.onFrame = (type, body) => {
        const m = Buffer.alloc(1 + body.length);
        m[0] = type;
        m.set(body, 1);
        ws.send(m, { binary: true });
      };
      tcp.onClose = () => ws.close();
      for (const b of pending.splice(0)) tcp.send(b[0]!, b.subarray(1));
    });
  });
  after(async () => {
    for (const c of closers) c.close();
    for (const s of sockets) s.terminate();
    await new Promise<void>((r) => wss?.close(() => r()));
    await srv?.stop();
  });

  it("a WebSocket client and a TCP client chat; the session reconnects over WebSocket", async () => {
    const connector = webSocketConnector({ url, WebSocket: Ctor });
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

    // cut every WebSocket from the server side: the session reconnects and resyncs
    for (const sock of sockets) sock.terminate();
    await rec.until(() => (rec.count("disconnected") ? true : undefined), "disconnected");
    const r3 = await tcp.send({ g, cmid: "w3", type: 1, body: { text: { t: "while reconnecting" } } });
    const seqs = await rec.reach(g, r3.seq);
    await rec.until(() => (rec.count("reconnected") ? true : undefined), "reconnected");
    assert.ok(consecutive(seqs.slice(seqs.indexOf(r1.seq)), r1.seq, r3.seq), seqs.join(","));
    assert.ok(frames > 5);
  });
});
