/**
 * Frame types, operation numbers and error codes of Qun protocol version 1
 * (docs/protocol.md sections 4, 6 and 7). All are append-only numbers.
 */

/** The protocol version this client speaks (`Hello.v`). */
export const PROTOCOL_VERSION = 1;

/** Frame type byte (docs/protocol.md section 4). */
export const FrameType = {
  Hello: 1,
  Welcome: 2,
  Request: 3,
  Reply: 4,
  Error: 5,
  Push: 6,
  Gap: 7,
  Ping: 8,
  Pong: 9,
  Notice: 10,
  /** A room's messages merged over its window (live rooms). */
  RoomPush: 140,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Numeric error codes (docs/protocol.md section 7). */
export const ErrorCode = {
  BadFrame: 1,
  FrameTooLarge: 2,
  BadVersion: 3,
  HandshakeTimeout: 4,
  TooManyInFlight: 5,
  SlowConsumer: 6,
  ShuttingDown: 7,
  ExpectedHello: 8,
  UnexpectedFrame: 9,
  Unauthenticated: 100,
  TokenExpired: 101,
  BadRequest: 200,
  UnknownOp: 201,
  NoSuchGroup: 202,
  NotMember: 203,
  AlreadyMember: 204,
  Forbidden: 205,
  GroupFull: 206,
  Muted: 207,
  Banned: 208,
  LimitReached: 209,
  NotFound: 210,
  Conflict: 211,
  Rejected: 212,
  Pending: 213,
  InvalidCode: 214,
  Dissolved: 215,
  NotAllowed: 216,
  ThresholdNotMet: 217,
  Diverted: 300,
  RecallWindow: 301,
  NotReviewed: 302,
  NotARoom: 320,
  RoomClosed: 321,
  /** Too fast: QunError.retryAfter says when a retry may pass. */
  RateLimited: 322,
  /** The host refused to debit the sender. */
  InsufficientFunds: 340,
  /** Every share of the packet was claimed. */
  PacketEmpty: 341,
  /** The packet (or coupon) is past its expiry. */
  PacketExpired: 342,
  PacketRecalled: 343,
  /** The packet, lottery or coupon belongs to another group. */
  WrongGroup: 344,
  /** Not among the packet's members, or not meeting the lottery's rule. */
  NotEligible: 345,
  LotteryClosed: 346,
  /** No coupons left. */
  SoldOut: 347,
  /** The order group is archived. */
  ReadOnly: 348,
  /** The host is unreachable; Qun keeps retrying. */
  PaymentPending: 349,
  /** The packet, lottery or coupon batch ended and was pruned after the retention; its messages stay in history. */
  Pruned: 350,
  /** The reply would exceed max_frame: ask for less. */
  ReplyTooLarge: 370,
  /** Closes: a connection limit is reached. */
  TooManyConnections: 372,
  /** Closes: the user opened more connections than allowed; this, the oldest, is closed. */
  Replaced: 373,
  /** Closes: the host revoked the token or denied the user. */
  TokenRevoked: 374,
  Internal: 500,
  Unavailable: 501,
  Timeout: 502,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const codeNames: Record<number, string> = {
  1: "bad_frame",
  2: "frame_too_large",
  3: "bad_version",
  4: "handshake_timeout",
  5: "too_many_in_flight",
  6: "slow_consumer",
  7: "shutting_down",
  8: "expected_hello",
  9: "unexpected_frame",
  100: "unauthenticated",
  101: "token_expired",
  200: "bad_request",
  201: "unknown_op",
  202: "no_such_group",
  203: "not_member",
  204: "already_member",
  205: "forbidden",
  206: "group_full",
  207: "muted",
  208: "banned",
  209: "limit_reached",
  210: "not_found",
  211: "conflict",
  212: "rejected",
  213: "pending",
  214: "invalid_code",
  215: "dissolved",
  216: "not_allowed",
  217: "threshold_not_met",
  300: "diverted",
  301: "recall_window",
  302: "not_reviewed",
  320: "not_a_room",
  321: "room_closed",
  322: "rate_limited",
  340: "insufficient_funds",
  341: "packet_empty",
  342: "packet_expired",
  343: "packet_recalled",
  344: "wrong_group",
  345: "not_eligible",
  346: "lottery_closed",
  347: "sold_out",
  348: "read_only",
  349: "payment_pending",
  350: "pruned",
  370: "reply_too_large",
  372: "too_many_connections",
  373: "replaced",
  374: "token_revoked",
  500: "internal",
  501: "unavailable",
  502: "timeout",
};

/** The protocol's name of a code, e.g. 203 → "not_member"; "code_N" if unknown. */
export function codeName(code: number): string {
  return codeNames[code] ?? `code_${code}`;
}

/**
 * Whether a code sent with request id 0 ends the connection. The protocol:
 * 1–199 are connection errors; 200 and up answer one request (502 with id 0
 * is the idle timeout, also fatal; the caller knows the id).
 */
export function isConnectionCode(code: number): boolean {
  return code >= 1 && code < 200;
}

/** Whether a request that failed with code may be retried (500–599). */
export function isRetryableCode(code: number): boolean {
  return code >= 500 && code < 600;
}

/** Member roles (append-only). */
export const Role = { Member: 0, Admin: 1, Owner: 2 } as const;
export type Role = (typeof Role)[keyof typeof Role];

/** Join policies (append-only). */
export const JoinPolicy = { Open: 0, Approval: 1, Invite: 2 } as const;
export type JoinPolicy = (typeof JoinPolicy)[keyof typeof JoinPolicy];

/** Message types (append-only). */
export const MessageType = {
  Text: 1,
  System: 2,
  Image: 100,
  Video: 101,
  Live: 102,
  Product: 103,
  Sticker: 104,
  Location: 105,
  Link: 106,
  Custom: 107,
  /** What a recalled message becomes; never sent by clients. */
  Recalled: 108,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** Group kinds (append-only). */
export const GroupKind = { User: 0, Fan: 1, Shop: 2, Order: 3 } as const;
export type GroupKind = (typeof GroupKind)[keyof typeof GroupKind];

/** Contact-diversion policies of a group (append-only). */
export const DivertPolicy = { Default: 0, Allow: 1, Flag: 2, Mask: 3, Block: 4 } as const;
export type DivertPolicy = (typeof DivertPolicy)[keyof typeof DivertPolicy];

/** A message's priority lane in a live room (append-only); plain groups: Normal. */
export const Lane = { Normal: 0, Chatter: 1, High: 2 } as const;
export type Lane = (typeof Lane)[keyof typeof Lane];
