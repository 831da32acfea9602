import { codeName, isConnectionCode, isRetryableCode } from "./codes.js";

/**
 * An error the server sent (an ErrorFrame), or one the client raises with a
 * protocol code (e.g. frame_too_large before sending an oversized frame).
 * `code` is the protocol's numeric code; compare it with ErrorCode.
 */
export class QunError extends Error {
  readonly code: number;
  /** The server's text, may be empty; do not parse it. */
  readonly detail: string;
  /** rate_limited (322): milliseconds until a retry may pass; absent otherwise. */
  retryAfter?: number;
  /** True when the server sent it with id 0: the connection is closed. */
  readonly connection: boolean;

  constructor(code: number, detail: string, connection = false) {
    super(`qun: ${codeName(code)} (${code})${detail ? ": " + detail : ""}`);
    this.name = "QunError";
    this.code = code;
    this.detail = detail;
    this.connection = connection;
  }

  /** The protocol's name of the code, e.g. "not_member". */
  get codeName(): string {
    return codeName(this.code);
  }

  /** Whether the request may be retried (internal, unavailable, timeout). */
  get retryable(): boolean {
    return isRetryableCode(this.code) || (this.connection && !isAuthCode(this.code) && isConnectionCode(this.code));
  }
}

function isAuthCode(code: number): boolean {
  return code === 100 || code === 101 || code === 3;
}

/**
 * The connection ended before the request was answered. The request's
 * outcome is unknown: it may have been applied (a send may be durable).
 */
export class ConnectionClosedError extends Error {
  /** Why the connection ended (a QunError when the server said why). */
  override readonly cause: unknown;
  constructor(cause?: unknown) {
    super(`qun: connection closed${cause instanceof Error ? ": " + cause.message : ""}`);
    this.name = "ConnectionClosedError";
    this.cause = cause;
  }
}

/** The server sent something that breaks the protocol (bad frame, a value out of range). */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(`qun: protocol: ${message}`);
    this.name = "ProtocolError";
  }
}

/** A wait bounded by the client (connect, handshake, request, session send) ran out. */
export class TimeoutError extends Error {
  constructor(what: string) {
    super(`qun: ${what} timed out`);
    this.name = "TimeoutError";
  }
}
