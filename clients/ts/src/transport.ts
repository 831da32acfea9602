/**
 * A transport carries whole frames: a type byte and a msgpack body. Over TCP
 * (tcp.ts) each frame is preceded by its 4-byte big-endian length; over
 * WebSocket (websocket.ts) one binary message is exactly one frame, type
 * byte then body, without the length prefix.
 */
export interface Transport {
  /** Sends one frame: `type` then `body`. Throws if the transport is closed. */
  send(type: number, body: Uint8Array): void;
  /** Closes the transport; onClose runs once, later. */
  close(): void;
  /** Set by the connection: receives each whole frame in order. */
  onFrame: (type: number, body: Uint8Array) => void;
  /** Set by the connection: called once when the transport ends (err undefined after close()). */
  onClose: (err?: Error) => void;
  /** Frames larger than this (type byte + body) are refused as they are read; the connection raises it after the welcome. */
  maxFrame: number;
}

/** Opens a transport; called for every (re)connection. Resolve once the transport is open. */
export type Connector = () => Promise<Transport>;
