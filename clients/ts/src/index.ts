/**
 * Qun TypeScript client (protocol version 1, docs/protocol.md).
 *
 * - Connection: one authenticated connection, every op typed.
 * - Session: reconnects, resyncs, fills gaps, retries idempotently.
 * - Transports: webSocketConnector (browsers, Node >= 22) here;
 *   tcpConnector from "@qunchat/qun-client/tcp" (Node).
 */
export * from "./codes.js";
export * from "./errors.js";
export * from "./types.js";
export type * from "./richtypes.js";
export type * from "./roomtypes.js";
export type * from "./commercetypes.js";
export { ops, opNames } from "./ops.js";
export type { OpTypes, OpName, OpArgs, OpResult, OpSpec } from "./ops.js";
export type { OpMethods } from "./opmethods.js";
export { Emitter } from "./emitter.js";
export type { Transport, Connector } from "./transport.js";
export { Connection } from "./connection.js";
export type { ConnectionOptions, ConnectionEvents } from "./connection.js";
export { Session, newCmid, anonymousPrefix } from "./session.js";
export type { SessionOptions, SessionEvents, GapMarker, BackoffOptions } from "./session.js";
export { webSocketConnector, connectWebSocket, WebSocketTransport } from "./websocket.js";
export type { WebSocketOptions, WebSocketCtor } from "./websocket.js";
export { encodeBody, decodeBody, Reader } from "./codec.js";
