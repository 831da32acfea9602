/**
 * TCP transport for Node (node:net): length-prefixed frames
 * (docs/protocol.md section 1). Import it from "@qunchat/qun-client/tcp"
 * so that browser bundles never see node:net.
 */
import { Socket, connect as netConnect } from "node:net";
import { ProtocolError, QunError, TimeoutError } from "./errors.js";
import type { Connector, Transport } from "./transport.js";
import { ErrorCode } from "./codes.js";

export interface TcpOptions {
  host?: string;
  port: number;
  /** Bounds the TCP connect. Default 5000 ms. */
  connectTimeoutMs?: number;
  /** Largest frame accepted from the server (L). Default 16 MiB. */
  maxFrame?: number;
}

/** Returns a Connector that opens a TCP connection to host:port for each (re)connection. */
export function tcpConnector(opts: TcpOptions): Connector {
  return () => connectTcp(opts);
}

export function connectTcp(opts: TcpOptions): Promise<Transport> {
  const host = opts.host ?? "127.0.0.1";
  const timeout = opts.connectTimeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const sock = netConnect({ host, port: opts.port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new TimeoutError(`connect ${host}:${opts.port}`));
    }, timeout);
    const fail = (e: Error) => {
      clearTimeout(timer);
      sock.destroy();
      reject(e);
    };
    sock.once("error", fail);
    sock.once("connect", () => {
      clearTimeout(timer);
      sock.off("error", fail);
      sock.setNoDelay(true);
      resolve(new TcpTransport(sock, opts.maxFrame ?? 16 << 20));
    });
  });
}

/** One TCP connection carrying length-prefixed frames. */
export class TcpTransport implements Transport {
  onFrame: (type: number, body: Uint8Array) => void = () => {};
  onClose: (err?: Error) => void = () => {};
  private chunks: Buffer[] = [];
  private buffered = 0;
  private closed = false;
  private err: Error | undefined;

  constructor(
    readonly socket: Socket,
    public maxFrame: number,
  ) {
    socket.on("data", (b: Buffer) => this.data(b));
    socket.on("error", (e) => {
      this.err ??= e;
    });
    socket.on("close", () => {
      if (this.closed) return;
      this.closed = true;
      this.onClose(this.err);
    });
  }

  send(type: number, body: Uint8Array): void {
    if (this.closed || this.socket.destroyed) throw new Error("qun: transport closed");
    const frame = Buffer.allocUnsafe(5 + body.length);
    frame.writeUInt32BE(1 + body.length, 0);
    frame[4] = type;
    frame.set(body, 5);
    this.socket.write(frame);
  }

  close(): void {
    this.socket.destroy();
  }

  private data(b: Buffer): void {
    this.chunks.push(b);
    this.buffered += b.length;
    while (this.buffered >= 4) {
      const head = this.peek(4);
      const len = head.readUInt32BE(0);
      if (len === 0) return this.fail(new ProtocolError("frame length 0"));
      if (len > this.maxFrame) {
        return this.fail(new QunError(ErrorCode.FrameTooLarge, `server frame of ${len} bytes exceeds ${this.maxFrame}`));
      }
      if (this.buffered < 4 + len) return;
      const frame = this.take(4 + len);
      if (this.closed) return;
      this.onFrame(frame[4]!, frame.subarray(5));
    }
  }

  private fail(e: Error): void {
    this.err ??= e;
    this.chunks = [];
    this.buffered = 0;
    this.socket.destroy();
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!.subarray(0, n);
  }

  private take(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    const first = this.chunks[0]!;
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }
}
