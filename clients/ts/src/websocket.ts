/**
 * WebSocket transport written against the standard WebSocket API, so it
 * runs in browsers and in Node >= 22 (global WebSocket), or with any
 * constructor implementing that API (e.g. the `ws` package in older Node).
 *
 * Framing (what the server must match): one binary WebSocket message
 * carries exactly one frame: the type byte followed by the msgpack body,
 * with NO 4-byte length prefix (the WebSocket message delimits it). Text
 * messages are a protocol error.
 */
import { ProtocolError, QunError, TimeoutError } from "./errors.js";
import type { Connector, Transport } from "./transport.js";
import { ErrorCode } from "./codes.js";

/** The part of the standard WebSocket constructor this transport uses. */
export type WebSocketCtor = new (url: string, protocols?: string | string[]) => WebSocket;

export interface WebSocketOptions {
  /** e.g. "ws://127.0.0.1:7402/ws" */
  url: string;
  /** Subprotocols to offer, if the server asks for one. */
  protocols?: string | string[];
  /** Defaults to globalThis.WebSocket. */
  WebSocket?: WebSocketCtor;
  /** Bounds the opening handshake. Default 5000 ms. */
  connectTimeoutMs?: number;
  /** Largest frame accepted from the server. Default 16 MiB. */
  maxFrame?: number;
}

export function webSocketConnector(opts: WebSocketOptions): Connector {
  return () => connectWebSocket(opts);
}

export function connectWebSocket(opts: WebSocketOptions): Promise<Transport> {
  const Ctor = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
  if (!Ctor) return Promise.reject(new Error("qun: no WebSocket implementation: pass options.WebSocket"));
  const timeout = opts.connectTimeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const ws = new Ctor(opts.url, opts.protocols);
    ws.binaryType = "arraybuffer";
    const timer = setTimeout(() => {
      ws.close();
      reject(new TimeoutError(`connect ${opts.url}`));
    }, timeout);
    ws.onerror = () => {
      clearTimeout(timer);
      reject(new Error(`qun: WebSocket ${opts.url} failed to open`));
    };
    ws.onopen = () => {
      clearTimeout(timer);
      resolve(new WebSocketTransport(ws, opts.maxFrame ?? 16 << 20));
    };
  });
}

export class WebSocketTransport implements Transport {
  onFrame: (type: number, body: Uint8Array) => void = () => {};
  onClose: (err?: Error) => void = () => {};
  private closed = false;
  private err: Error | undefined;

  constructor(
    readonly ws: WebSocket,
    public maxFrame: number,
  ) {
    ws.onmessage = (ev: MessageEvent) => this.message(ev.data);
    ws.onerror = () => {
      this.err ??= new Error("qun: WebSocket error");
    };
    ws.onclose = (ev: CloseEvent) => {
      if (this.closed) return;
      this.closed = true;
      this.onClose(this.err ?? (ev.code === 1000 || ev.code === 1005 ? undefined : new Error(`qun: WebSocket closed (${ev.code} ${ev.reason})`)));
    };
  }

  send(type: number, body: Uint8Array): void {
    if (this.closed || this.ws.readyState !== 1) throw new Error("qun: transport closed");
    const frame = new Uint8Array(1 + body.length);
    frame[0] = type;
    frame.set(body, 1);
    this.ws.send(frame);
  }

  close(): void {
    this.ws.close();
  }

  private message(data: unknown): void {
    if (this.closed) return;
    let bytes: Uint8Array;
    if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
    else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    else return this.fail(new ProtocolError("text WebSocket message; frames are binary"));
    if (bytes.length === 0) return this.fail(new ProtocolError("empty frame"));
    if (bytes.length > this.maxFrame) {
      return this.fail(new QunError(ErrorCode.FrameTooLarge, `server frame of ${bytes.length} bytes exceeds ${this.maxFrame}`));
    }
    this.onFrame(bytes[0]!, bytes.subarray(1));
  }

  private fail(e: Error): void {
    this.err ??= e;
    this.ws.close();
  }
}
