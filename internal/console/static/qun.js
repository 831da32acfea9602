// Generated from clients/ts by `npm run bundle` (esbuild); do not edit. `npm test` checks it is current.
var __defProp = Object.defineProperty;
var __defNormalProp = (obj, key, value) => key in obj ? __defProp(obj, key, { enumerable: true, configurable: true, writable: true, value }) : obj[key] = value;
var __publicField = (obj, key, value) => __defNormalProp(obj, typeof key !== "symbol" ? key + "" : key, value);

// src/codes.ts
var PROTOCOL_VERSION = 1;
var FrameType = {
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
  RoomPush: 140
};
var ErrorCode = {
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
  Timeout: 502
};
var codeNames = {
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
  502: "timeout"
};
function codeName(code) {
  return codeNames[code] ?? `code_${code}`;
}
function isConnectionCode(code) {
  return code >= 1 && code < 200;
}
function isRetryableCode(code) {
  return code >= 500 && code < 600;
}
var Role = { Member: 0, Admin: 1, Owner: 2 };
var JoinPolicy = { Open: 0, Approval: 1, Invite: 2 };
var MessageType = {
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
  Recalled: 108
};
var GroupKind = { User: 0, Fan: 1, Shop: 2, Order: 3 };
var DivertPolicy = { Default: 0, Allow: 1, Flag: 2, Mask: 3, Block: 4 };
var Lane = { Normal: 0, Chatter: 1, High: 2 };

// src/errors.ts
var QunError = class extends Error {
  constructor(code, detail, connection = false) {
    super(`qun: ${codeName(code)} (${code})${detail ? ": " + detail : ""}`);
    __publicField(this, "code");
    /** The server's text, may be empty; do not parse it. */
    __publicField(this, "detail");
    /** rate_limited (322): milliseconds until a retry may pass; absent otherwise. */
    __publicField(this, "retryAfter");
    /** True when the server sent it with id 0: the connection is closed. */
    __publicField(this, "connection");
    this.name = "QunError";
    this.code = code;
    this.detail = detail;
    this.connection = connection;
  }
  /** The protocol's name of the code, e.g. "not_member". */
  get codeName() {
    return codeName(this.code);
  }
  /** Whether the request may be retried (internal, unavailable, timeout). */
  get retryable() {
    return isRetryableCode(this.code) || this.connection && !isAuthCode(this.code) && isConnectionCode(this.code);
  }
};
function isAuthCode(code) {
  return code === 100 || code === 101 || code === 3;
}
var ConnectionClosedError = class extends Error {
  constructor(cause) {
    super(`qun: connection closed${cause instanceof Error ? ": " + cause.message : ""}`);
    /** Why the connection ended (a QunError when the server said why). */
    __publicField(this, "cause");
    this.name = "ConnectionClosedError";
    this.cause = cause;
  }
};
var ProtocolError = class extends Error {
  constructor(message2) {
    super(`qun: protocol: ${message2}`);
    this.name = "ProtocolError";
  }
};
var TimeoutError = class extends Error {
  constructor(what) {
    super(`qun: ${what} timed out`);
    this.name = "TimeoutError";
  }
};

// node_modules/@msgpack/msgpack/dist.esm/utils/utf8.mjs
function utf8Count(str) {
  const strLength = str.length;
  let byteLength = 0;
  let pos = 0;
  while (pos < strLength) {
    let value = str.charCodeAt(pos++);
    if ((value & 4294967168) === 0) {
      byteLength++;
      continue;
    } else if ((value & 4294965248) === 0) {
      byteLength += 2;
    } else {
      if (value >= 55296 && value <= 56319) {
        if (pos < strLength) {
          const extra = str.charCodeAt(pos);
          if ((extra & 64512) === 56320) {
            ++pos;
            value = ((value & 1023) << 10) + (extra & 1023) + 65536;
          }
        }
      }
      if ((value & 4294901760) === 0) {
        byteLength += 3;
      } else {
        byteLength += 4;
      }
    }
  }
  return byteLength;
}
function utf8EncodeJs(str, output, outputOffset) {
  const strLength = str.length;
  let offset = outputOffset;
  let pos = 0;
  while (pos < strLength) {
    let value = str.charCodeAt(pos++);
    if ((value & 4294967168) === 0) {
      output[offset++] = value;
      continue;
    } else if ((value & 4294965248) === 0) {
      output[offset++] = value >> 6 & 31 | 192;
    } else {
      if (value >= 55296 && value <= 56319) {
        if (pos < strLength) {
          const extra = str.charCodeAt(pos);
          if ((extra & 64512) === 56320) {
            ++pos;
            value = ((value & 1023) << 10) + (extra & 1023) + 65536;
          }
        }
      }
      if ((value & 4294901760) === 0) {
        output[offset++] = value >> 12 & 15 | 224;
        output[offset++] = value >> 6 & 63 | 128;
      } else {
        output[offset++] = value >> 18 & 7 | 240;
        output[offset++] = value >> 12 & 63 | 128;
        output[offset++] = value >> 6 & 63 | 128;
      }
    }
    output[offset++] = value & 63 | 128;
  }
}
var sharedTextEncoder = new TextEncoder();
var TEXT_ENCODER_THRESHOLD = 50;
function utf8EncodeTE(str, output, outputOffset) {
  sharedTextEncoder.encodeInto(str, output.subarray(outputOffset));
}
function utf8Encode(str, output, outputOffset) {
  if (str.length > TEXT_ENCODER_THRESHOLD) {
    utf8EncodeTE(str, output, outputOffset);
  } else {
    utf8EncodeJs(str, output, outputOffset);
  }
}
var CHUNK_SIZE = 4096;
function utf8DecodeJs(bytes, inputOffset, byteLength) {
  let offset = inputOffset;
  const end = offset + byteLength;
  const units = [];
  let result = "";
  while (offset < end) {
    const byte1 = bytes[offset++];
    if ((byte1 & 128) === 0) {
      units.push(byte1);
    } else if ((byte1 & 224) === 192) {
      const byte2 = bytes[offset++] & 63;
      units.push((byte1 & 31) << 6 | byte2);
    } else if ((byte1 & 240) === 224) {
      const byte2 = bytes[offset++] & 63;
      const byte3 = bytes[offset++] & 63;
      units.push((byte1 & 31) << 12 | byte2 << 6 | byte3);
    } else if ((byte1 & 248) === 240) {
      const byte2 = bytes[offset++] & 63;
      const byte3 = bytes[offset++] & 63;
      const byte4 = bytes[offset++] & 63;
      let unit = (byte1 & 7) << 18 | byte2 << 12 | byte3 << 6 | byte4;
      if (unit > 65535) {
        unit -= 65536;
        units.push(unit >>> 10 & 1023 | 55296);
        unit = 56320 | unit & 1023;
      }
      units.push(unit);
    } else {
      units.push(byte1);
    }
    if (units.length >= CHUNK_SIZE) {
      result += String.fromCharCode(...units);
      units.length = 0;
    }
  }
  if (units.length > 0) {
    result += String.fromCharCode(...units);
  }
  return result;
}
var sharedTextDecoder = new TextDecoder();
var TEXT_DECODER_THRESHOLD = 200;
function utf8DecodeTD(bytes, inputOffset, byteLength) {
  const stringBytes = bytes.subarray(inputOffset, inputOffset + byteLength);
  return sharedTextDecoder.decode(stringBytes);
}
function utf8Decode(bytes, inputOffset, byteLength) {
  if (byteLength > TEXT_DECODER_THRESHOLD) {
    return utf8DecodeTD(bytes, inputOffset, byteLength);
  } else {
    return utf8DecodeJs(bytes, inputOffset, byteLength);
  }
}

// node_modules/@msgpack/msgpack/dist.esm/ExtData.mjs
var ExtData = class {
  constructor(type, data) {
    __publicField(this, "type");
    __publicField(this, "data");
    this.type = type;
    this.data = data;
  }
};

// node_modules/@msgpack/msgpack/dist.esm/DecodeError.mjs
var DecodeError = class _DecodeError extends Error {
  constructor(message2) {
    super(message2);
    const proto = Object.create(_DecodeError.prototype);
    Object.setPrototypeOf(this, proto);
    Object.defineProperty(this, "name", {
      configurable: true,
      enumerable: false,
      value: _DecodeError.name
    });
  }
};

// node_modules/@msgpack/msgpack/dist.esm/utils/int.mjs
var UINT32_MAX = 4294967295;
function setUint64(view, offset, value) {
  const high = value / 4294967296;
  const low = value;
  view.setUint32(offset, high);
  view.setUint32(offset + 4, low);
}
function setInt64(view, offset, value) {
  const high = Math.floor(value / 4294967296);
  const low = value;
  view.setUint32(offset, high);
  view.setUint32(offset + 4, low);
}
function getInt64(view, offset) {
  const high = view.getInt32(offset);
  const low = view.getUint32(offset + 4);
  return high * 4294967296 + low;
}
function getUint64(view, offset) {
  const high = view.getUint32(offset);
  const low = view.getUint32(offset + 4);
  return high * 4294967296 + low;
}

// node_modules/@msgpack/msgpack/dist.esm/timestamp.mjs
var EXT_TIMESTAMP = -1;
var TIMESTAMP32_MAX_SEC = 4294967296 - 1;
var TIMESTAMP64_MAX_SEC = 17179869184 - 1;
function encodeTimeSpecToTimestamp({ sec, nsec }) {
  if (sec >= 0 && nsec >= 0 && sec <= TIMESTAMP64_MAX_SEC) {
    if (nsec === 0 && sec <= TIMESTAMP32_MAX_SEC) {
      const rv = new Uint8Array(4);
      const view = new DataView(rv.buffer);
      view.setUint32(0, sec);
      return rv;
    } else {
      const secHigh = sec / 4294967296;
      const secLow = sec & 4294967295;
      const rv = new Uint8Array(8);
      const view = new DataView(rv.buffer);
      view.setUint32(0, nsec << 2 | secHigh & 3);
      view.setUint32(4, secLow);
      return rv;
    }
  } else {
    const rv = new Uint8Array(12);
    const view = new DataView(rv.buffer);
    view.setUint32(0, nsec);
    setInt64(view, 4, sec);
    return rv;
  }
}
function encodeDateToTimeSpec(date) {
  const msec = date.getTime();
  const sec = Math.floor(msec / 1e3);
  const nsec = (msec - sec * 1e3) * 1e6;
  const nsecInSec = Math.floor(nsec / 1e9);
  return {
    sec: sec + nsecInSec,
    nsec: nsec - nsecInSec * 1e9
  };
}
function encodeTimestampExtension(object) {
  if (object instanceof Date) {
    const timeSpec = encodeDateToTimeSpec(object);
    return encodeTimeSpecToTimestamp(timeSpec);
  } else {
    return null;
  }
}
function decodeTimestampToTimeSpec(data) {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  switch (data.byteLength) {
    case 4: {
      const sec = view.getUint32(0);
      const nsec = 0;
      return { sec, nsec };
    }
    case 8: {
      const nsec30AndSecHigh2 = view.getUint32(0);
      const secLow32 = view.getUint32(4);
      const sec = (nsec30AndSecHigh2 & 3) * 4294967296 + secLow32;
      const nsec = nsec30AndSecHigh2 >>> 2;
      return { sec, nsec };
    }
    case 12: {
      const sec = getInt64(view, 4);
      const nsec = view.getUint32(0);
      return { sec, nsec };
    }
    default:
      throw new DecodeError(`Unrecognized data size for timestamp (expected 4, 8, or 12): ${data.length}`);
  }
}
function decodeTimestampExtension(data) {
  const timeSpec = decodeTimestampToTimeSpec(data);
  return new Date(timeSpec.sec * 1e3 + timeSpec.nsec / 1e6);
}
var timestampExtension = {
  type: EXT_TIMESTAMP,
  encode: encodeTimestampExtension,
  decode: decodeTimestampExtension
};

// node_modules/@msgpack/msgpack/dist.esm/ExtensionCodec.mjs
var _ExtensionCodec = class _ExtensionCodec {
  constructor() {
    // ensures ExtensionCodecType<X> matches ExtensionCodec<X>
    // this will make type errors a lot more clear
    // eslint-disable-next-line @typescript-eslint/naming-convention
    __publicField(this, "__brand");
    // built-in extensions
    __publicField(this, "builtInEncoders", []);
    __publicField(this, "builtInDecoders", []);
    // custom extensions
    __publicField(this, "encoders", []);
    __publicField(this, "decoders", []);
    this.register(timestampExtension);
  }
  register({ type, encode, decode }) {
    if (type >= 0) {
      this.encoders[type] = encode;
      this.decoders[type] = decode;
    } else {
      const index = -1 - type;
      this.builtInEncoders[index] = encode;
      this.builtInDecoders[index] = decode;
    }
  }
  tryToEncode(object, context) {
    for (let i = 0; i < this.builtInEncoders.length; i++) {
      const encodeExt = this.builtInEncoders[i];
      if (encodeExt != null) {
        const data = encodeExt(object, context);
        if (data != null) {
          const type = -1 - i;
          return new ExtData(type, data);
        }
      }
    }
    for (let i = 0; i < this.encoders.length; i++) {
      const encodeExt = this.encoders[i];
      if (encodeExt != null) {
        const data = encodeExt(object, context);
        if (data != null) {
          const type = i;
          return new ExtData(type, data);
        }
      }
    }
    if (object instanceof ExtData) {
      return object;
    }
    return null;
  }
  decode(data, type, context) {
    const decodeExt = type < 0 ? this.builtInDecoders[-1 - type] : this.decoders[type];
    if (decodeExt) {
      return decodeExt(data, type, context);
    } else {
      return new ExtData(type, data);
    }
  }
};
__publicField(_ExtensionCodec, "defaultCodec", new _ExtensionCodec());
var ExtensionCodec = _ExtensionCodec;

// node_modules/@msgpack/msgpack/dist.esm/utils/typedArrays.mjs
function isArrayBufferLike(buffer) {
  return buffer instanceof ArrayBuffer || typeof SharedArrayBuffer !== "undefined" && buffer instanceof SharedArrayBuffer;
}
function ensureUint8Array(buffer) {
  if (buffer instanceof Uint8Array) {
    return buffer;
  } else if (ArrayBuffer.isView(buffer)) {
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } else if (isArrayBufferLike(buffer)) {
    return new Uint8Array(buffer);
  } else {
    return Uint8Array.from(buffer);
  }
}

// node_modules/@msgpack/msgpack/dist.esm/Encoder.mjs
var DEFAULT_MAX_DEPTH = 100;
var DEFAULT_INITIAL_BUFFER_SIZE = 2048;
var Encoder = class _Encoder {
  constructor(options) {
    __publicField(this, "extensionCodec");
    __publicField(this, "context");
    __publicField(this, "useBigInt64");
    __publicField(this, "maxDepth");
    __publicField(this, "initialBufferSize");
    __publicField(this, "sortKeys");
    __publicField(this, "forceFloat32");
    __publicField(this, "ignoreUndefined");
    __publicField(this, "forceIntegerToFloat");
    __publicField(this, "pos");
    __publicField(this, "view");
    __publicField(this, "bytes");
    __publicField(this, "entered", false);
    this.extensionCodec = options?.extensionCodec ?? ExtensionCodec.defaultCodec;
    this.context = options?.context;
    this.useBigInt64 = options?.useBigInt64 ?? false;
    this.maxDepth = options?.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.initialBufferSize = options?.initialBufferSize ?? DEFAULT_INITIAL_BUFFER_SIZE;
    this.sortKeys = options?.sortKeys ?? false;
    this.forceFloat32 = options?.forceFloat32 ?? false;
    this.ignoreUndefined = options?.ignoreUndefined ?? false;
    this.forceIntegerToFloat = options?.forceIntegerToFloat ?? false;
    this.pos = 0;
    this.view = new DataView(new ArrayBuffer(this.initialBufferSize));
    this.bytes = new Uint8Array(this.view.buffer);
  }
  clone() {
    return new _Encoder({
      extensionCodec: this.extensionCodec,
      context: this.context,
      useBigInt64: this.useBigInt64,
      maxDepth: this.maxDepth,
      initialBufferSize: this.initialBufferSize,
      sortKeys: this.sortKeys,
      forceFloat32: this.forceFloat32,
      ignoreUndefined: this.ignoreUndefined,
      forceIntegerToFloat: this.forceIntegerToFloat
    });
  }
  reinitializeState() {
    this.pos = 0;
  }
  /**
   * This is almost equivalent to {@link Encoder#encode}, but it returns an reference of the encoder's internal buffer and thus much faster than {@link Encoder#encode}.
   *
   * @returns Encodes the object and returns a shared reference the encoder's internal buffer.
   */
  encodeSharedRef(object) {
    if (this.entered) {
      const instance = this.clone();
      return instance.encodeSharedRef(object);
    }
    try {
      this.entered = true;
      this.reinitializeState();
      this.doEncode(object, 1);
      return this.bytes.subarray(0, this.pos);
    } finally {
      this.entered = false;
    }
  }
  /**
   * @returns Encodes the object and returns a copy of the encoder's internal buffer.
   */
  encode(object) {
    if (this.entered) {
      const instance = this.clone();
      return instance.encode(object);
    }
    try {
      this.entered = true;
      this.reinitializeState();
      this.doEncode(object, 1);
      return this.bytes.slice(0, this.pos);
    } finally {
      this.entered = false;
    }
  }
  doEncode(object, depth) {
    if (depth > this.maxDepth) {
      throw new Error(`Too deep objects in depth ${depth}`);
    }
    if (object == null) {
      this.encodeNil();
    } else if (typeof object === "boolean") {
      this.encodeBoolean(object);
    } else if (typeof object === "number") {
      if (!this.forceIntegerToFloat) {
        this.encodeNumber(object);
      } else {
        this.encodeNumberAsFloat(object);
      }
    } else if (typeof object === "string") {
      this.encodeString(object);
    } else if (this.useBigInt64 && typeof object === "bigint") {
      this.encodeBigInt64(object);
    } else {
      this.encodeObject(object, depth);
    }
  }
  ensureBufferSizeToWrite(sizeToWrite) {
    const requiredSize = this.pos + sizeToWrite;
    if (this.view.byteLength < requiredSize) {
      this.resizeBuffer(requiredSize * 2);
    }
  }
  resizeBuffer(newSize) {
    const newBuffer = new ArrayBuffer(newSize);
    const newBytes = new Uint8Array(newBuffer);
    const newView = new DataView(newBuffer);
    newBytes.set(this.bytes);
    this.view = newView;
    this.bytes = newBytes;
  }
  encodeNil() {
    this.writeU8(192);
  }
  encodeBoolean(object) {
    if (object === false) {
      this.writeU8(194);
    } else {
      this.writeU8(195);
    }
  }
  encodeNumber(object) {
    if (!this.forceIntegerToFloat && Number.isSafeInteger(object)) {
      if (object >= 0) {
        if (object < 128) {
          this.writeU8(object);
        } else if (object < 256) {
          this.writeU8(204);
          this.writeU8(object);
        } else if (object < 65536) {
          this.writeU8(205);
          this.writeU16(object);
        } else if (object < 4294967296) {
          this.writeU8(206);
          this.writeU32(object);
        } else if (!this.useBigInt64) {
          this.writeU8(207);
          this.writeU64(object);
        } else {
          this.encodeNumberAsFloat(object);
        }
      } else {
        if (object >= -32) {
          this.writeU8(224 | object + 32);
        } else if (object >= -128) {
          this.writeU8(208);
          this.writeI8(object);
        } else if (object >= -32768) {
          this.writeU8(209);
          this.writeI16(object);
        } else if (object >= -2147483648) {
          this.writeU8(210);
          this.writeI32(object);
        } else if (!this.useBigInt64) {
          this.writeU8(211);
          this.writeI64(object);
        } else {
          this.encodeNumberAsFloat(object);
        }
      }
    } else {
      this.encodeNumberAsFloat(object);
    }
  }
  encodeNumberAsFloat(object) {
    if (this.forceFloat32) {
      this.writeU8(202);
      this.writeF32(object);
    } else {
      this.writeU8(203);
      this.writeF64(object);
    }
  }
  encodeBigInt64(object) {
    if (object >= BigInt(0)) {
      this.writeU8(207);
      this.writeBigUint64(object);
    } else {
      this.writeU8(211);
      this.writeBigInt64(object);
    }
  }
  writeStringHeader(byteLength) {
    if (byteLength < 32) {
      this.writeU8(160 + byteLength);
    } else if (byteLength < 256) {
      this.writeU8(217);
      this.writeU8(byteLength);
    } else if (byteLength < 65536) {
      this.writeU8(218);
      this.writeU16(byteLength);
    } else if (byteLength < 4294967296) {
      this.writeU8(219);
      this.writeU32(byteLength);
    } else {
      throw new Error(`Too long string: ${byteLength} bytes in UTF-8`);
    }
  }
  encodeString(object) {
    const maxHeaderSize = 1 + 4;
    const byteLength = utf8Count(object);
    this.ensureBufferSizeToWrite(maxHeaderSize + byteLength);
    this.writeStringHeader(byteLength);
    utf8Encode(object, this.bytes, this.pos);
    this.pos += byteLength;
  }
  encodeObject(object, depth) {
    const ext = this.extensionCodec.tryToEncode(object, this.context);
    if (ext != null) {
      this.encodeExtension(ext);
    } else if (Array.isArray(object)) {
      this.encodeArray(object, depth);
    } else if (ArrayBuffer.isView(object)) {
      this.encodeBinary(object);
    } else if (typeof object === "object") {
      this.encodeMap(object, depth);
    } else {
      throw new Error(`Unrecognized object: ${Object.prototype.toString.apply(object)}`);
    }
  }
  encodeBinary(object) {
    const size = object.byteLength;
    if (size < 256) {
      this.writeU8(196);
      this.writeU8(size);
    } else if (size < 65536) {
      this.writeU8(197);
      this.writeU16(size);
    } else if (size < 4294967296) {
      this.writeU8(198);
      this.writeU32(size);
    } else {
      throw new Error(`Too large binary: ${size}`);
    }
    const bytes = ensureUint8Array(object);
    this.writeU8a(bytes);
  }
  encodeArray(object, depth) {
    const size = object.length;
    if (size < 16) {
      this.writeU8(144 + size);
    } else if (size < 65536) {
      this.writeU8(220);
      this.writeU16(size);
    } else if (size < 4294967296) {
      this.writeU8(221);
      this.writeU32(size);
    } else {
      throw new Error(`Too large array: ${size}`);
    }
    for (const item of object) {
      this.doEncode(item, depth + 1);
    }
  }
  countWithoutUndefined(object, keys) {
    let count2 = 0;
    for (const key of keys) {
      if (object[key] !== void 0) {
        count2++;
      }
    }
    return count2;
  }
  encodeMap(object, depth) {
    const keys = Object.keys(object);
    if (this.sortKeys) {
      keys.sort();
    }
    const size = this.ignoreUndefined ? this.countWithoutUndefined(object, keys) : keys.length;
    if (size < 16) {
      this.writeU8(128 + size);
    } else if (size < 65536) {
      this.writeU8(222);
      this.writeU16(size);
    } else if (size < 4294967296) {
      this.writeU8(223);
      this.writeU32(size);
    } else {
      throw new Error(`Too large map object: ${size}`);
    }
    for (const key of keys) {
      const value = object[key];
      if (!(this.ignoreUndefined && value === void 0)) {
        this.encodeString(key);
        this.doEncode(value, depth + 1);
      }
    }
  }
  encodeExtension(ext) {
    if (typeof ext.data === "function") {
      const data = ext.data(this.pos + 6);
      const size2 = data.length;
      if (size2 >= 4294967296) {
        throw new Error(`Too large extension object: ${size2}`);
      }
      this.writeU8(201);
      this.writeU32(size2);
      this.writeI8(ext.type);
      this.writeU8a(data);
      return;
    }
    const size = ext.data.length;
    if (size === 1) {
      this.writeU8(212);
    } else if (size === 2) {
      this.writeU8(213);
    } else if (size === 4) {
      this.writeU8(214);
    } else if (size === 8) {
      this.writeU8(215);
    } else if (size === 16) {
      this.writeU8(216);
    } else if (size < 256) {
      this.writeU8(199);
      this.writeU8(size);
    } else if (size < 65536) {
      this.writeU8(200);
      this.writeU16(size);
    } else if (size < 4294967296) {
      this.writeU8(201);
      this.writeU32(size);
    } else {
      throw new Error(`Too large extension object: ${size}`);
    }
    this.writeI8(ext.type);
    this.writeU8a(ext.data);
  }
  writeU8(value) {
    this.ensureBufferSizeToWrite(1);
    this.view.setUint8(this.pos, value);
    this.pos++;
  }
  writeU8a(values) {
    const size = values.length;
    this.ensureBufferSizeToWrite(size);
    this.bytes.set(values, this.pos);
    this.pos += size;
  }
  writeI8(value) {
    this.ensureBufferSizeToWrite(1);
    this.view.setInt8(this.pos, value);
    this.pos++;
  }
  writeU16(value) {
    this.ensureBufferSizeToWrite(2);
    this.view.setUint16(this.pos, value);
    this.pos += 2;
  }
  writeI16(value) {
    this.ensureBufferSizeToWrite(2);
    this.view.setInt16(this.pos, value);
    this.pos += 2;
  }
  writeU32(value) {
    this.ensureBufferSizeToWrite(4);
    this.view.setUint32(this.pos, value);
    this.pos += 4;
  }
  writeI32(value) {
    this.ensureBufferSizeToWrite(4);
    this.view.setInt32(this.pos, value);
    this.pos += 4;
  }
  writeF32(value) {
    this.ensureBufferSizeToWrite(4);
    this.view.setFloat32(this.pos, value);
    this.pos += 4;
  }
  writeF64(value) {
    this.ensureBufferSizeToWrite(8);
    this.view.setFloat64(this.pos, value);
    this.pos += 8;
  }
  writeU64(value) {
    this.ensureBufferSizeToWrite(8);
    setUint64(this.view, this.pos, value);
    this.pos += 8;
  }
  writeI64(value) {
    this.ensureBufferSizeToWrite(8);
    setInt64(this.view, this.pos, value);
    this.pos += 8;
  }
  writeBigUint64(value) {
    this.ensureBufferSizeToWrite(8);
    this.view.setBigUint64(this.pos, value);
    this.pos += 8;
  }
  writeBigInt64(value) {
    this.ensureBufferSizeToWrite(8);
    this.view.setBigInt64(this.pos, value);
    this.pos += 8;
  }
};

// node_modules/@msgpack/msgpack/dist.esm/utils/prettyByte.mjs
function prettyByte(byte) {
  return `${byte < 0 ? "-" : ""}0x${Math.abs(byte).toString(16).padStart(2, "0")}`;
}

// node_modules/@msgpack/msgpack/dist.esm/CachedKeyDecoder.mjs
var DEFAULT_MAX_KEY_LENGTH = 16;
var DEFAULT_MAX_LENGTH_PER_KEY = 16;
var CachedKeyDecoder = class {
  constructor(maxKeyLength = DEFAULT_MAX_KEY_LENGTH, maxLengthPerKey = DEFAULT_MAX_LENGTH_PER_KEY) {
    __publicField(this, "hit", 0);
    __publicField(this, "miss", 0);
    __publicField(this, "caches");
    __publicField(this, "maxKeyLength");
    __publicField(this, "maxLengthPerKey");
    this.maxKeyLength = maxKeyLength;
    this.maxLengthPerKey = maxLengthPerKey;
    this.caches = [];
    for (let i = 0; i < this.maxKeyLength; i++) {
      this.caches.push([]);
    }
  }
  canBeCached(byteLength) {
    return byteLength > 0 && byteLength <= this.maxKeyLength;
  }
  find(bytes, inputOffset, byteLength) {
    const records = this.caches[byteLength - 1];
    FIND_CHUNK: for (const record of records) {
      const recordBytes = record.bytes;
      for (let j = 0; j < byteLength; j++) {
        if (recordBytes[j] !== bytes[inputOffset + j]) {
          continue FIND_CHUNK;
        }
      }
      return record.str;
    }
    return null;
  }
  store(bytes, value) {
    const records = this.caches[bytes.length - 1];
    const record = { bytes, str: value };
    if (records.length >= this.maxLengthPerKey) {
      records[Math.random() * records.length | 0] = record;
    } else {
      records.push(record);
    }
  }
  decode(bytes, inputOffset, byteLength) {
    const cachedValue = this.find(bytes, inputOffset, byteLength);
    if (cachedValue != null) {
      this.hit++;
      return cachedValue;
    }
    this.miss++;
    const str = utf8DecodeJs(bytes, inputOffset, byteLength);
    const slicedCopyOfBytes = Uint8Array.prototype.slice.call(bytes, inputOffset, inputOffset + byteLength);
    this.store(slicedCopyOfBytes, str);
    return str;
  }
};

// node_modules/@msgpack/msgpack/dist.esm/Decoder.mjs
var STATE_ARRAY = "array";
var STATE_MAP_KEY = "map_key";
var STATE_MAP_VALUE = "map_value";
var mapKeyConverter = (key) => {
  if (typeof key === "string" || typeof key === "number") {
    return key;
  }
  throw new DecodeError("The type of key must be string or number but " + typeof key);
};
var StackPool = class {
  constructor() {
    __publicField(this, "stack", []);
    __publicField(this, "stackHeadPosition", -1);
  }
  get length() {
    return this.stackHeadPosition + 1;
  }
  top() {
    return this.stack[this.stackHeadPosition];
  }
  pushArrayState(size) {
    const state = this.getUninitializedStateFromPool();
    state.type = STATE_ARRAY;
    state.position = 0;
    state.size = size;
    state.array = new Array(size);
  }
  pushMapState(size) {
    const state = this.getUninitializedStateFromPool();
    state.type = STATE_MAP_KEY;
    state.readCount = 0;
    state.size = size;
    state.map = {};
  }
  getUninitializedStateFromPool() {
    this.stackHeadPosition++;
    if (this.stackHeadPosition === this.stack.length) {
      const partialState = {
        type: void 0,
        size: 0,
        array: void 0,
        position: 0,
        readCount: 0,
        map: void 0,
        key: null
      };
      this.stack.push(partialState);
    }
    return this.stack[this.stackHeadPosition];
  }
  release(state) {
    const topStackState = this.stack[this.stackHeadPosition];
    if (topStackState !== state) {
      throw new Error("Invalid stack state. Released state is not on top of the stack.");
    }
    if (state.type === STATE_ARRAY) {
      const partialState = state;
      partialState.size = 0;
      partialState.array = void 0;
      partialState.position = 0;
      partialState.type = void 0;
    }
    if (state.type === STATE_MAP_KEY || state.type === STATE_MAP_VALUE) {
      const partialState = state;
      partialState.size = 0;
      partialState.map = void 0;
      partialState.readCount = 0;
      partialState.type = void 0;
    }
    this.stackHeadPosition--;
  }
  reset() {
    this.stack.length = 0;
    this.stackHeadPosition = -1;
  }
};
var HEAD_BYTE_REQUIRED = -1;
var EMPTY_VIEW = new DataView(new ArrayBuffer(0));
var EMPTY_BYTES = new Uint8Array(EMPTY_VIEW.buffer);
try {
  EMPTY_VIEW.getInt8(0);
} catch (e) {
  if (!(e instanceof RangeError)) {
    throw new Error("This module is not supported in the current JavaScript engine because DataView does not throw RangeError on out-of-bounds access");
  }
}
var MORE_DATA = new RangeError("Insufficient data");
var sharedCachedKeyDecoder = new CachedKeyDecoder();
var Decoder = class _Decoder {
  constructor(options) {
    __publicField(this, "extensionCodec");
    __publicField(this, "context");
    __publicField(this, "useBigInt64");
    __publicField(this, "rawStrings");
    __publicField(this, "maxStrLength");
    __publicField(this, "maxBinLength");
    __publicField(this, "maxArrayLength");
    __publicField(this, "maxMapLength");
    __publicField(this, "maxExtLength");
    __publicField(this, "keyDecoder");
    __publicField(this, "mapKeyConverter");
    __publicField(this, "totalPos", 0);
    __publicField(this, "pos", 0);
    __publicField(this, "view", EMPTY_VIEW);
    __publicField(this, "bytes", EMPTY_BYTES);
    __publicField(this, "headByte", HEAD_BYTE_REQUIRED);
    __publicField(this, "stack", new StackPool());
    __publicField(this, "entered", false);
    this.extensionCodec = options?.extensionCodec ?? ExtensionCodec.defaultCodec;
    this.context = options?.context;
    this.useBigInt64 = options?.useBigInt64 ?? false;
    this.rawStrings = options?.rawStrings ?? false;
    this.maxStrLength = options?.maxStrLength ?? UINT32_MAX;
    this.maxBinLength = options?.maxBinLength ?? UINT32_MAX;
    this.maxArrayLength = options?.maxArrayLength ?? UINT32_MAX;
    this.maxMapLength = options?.maxMapLength ?? UINT32_MAX;
    this.maxExtLength = options?.maxExtLength ?? UINT32_MAX;
    this.keyDecoder = options?.keyDecoder !== void 0 ? options.keyDecoder : sharedCachedKeyDecoder;
    this.mapKeyConverter = options?.mapKeyConverter ?? mapKeyConverter;
  }
  clone() {
    return new _Decoder({
      extensionCodec: this.extensionCodec,
      context: this.context,
      useBigInt64: this.useBigInt64,
      rawStrings: this.rawStrings,
      maxStrLength: this.maxStrLength,
      maxBinLength: this.maxBinLength,
      maxArrayLength: this.maxArrayLength,
      maxMapLength: this.maxMapLength,
      maxExtLength: this.maxExtLength,
      keyDecoder: this.keyDecoder
    });
  }
  reinitializeState() {
    this.totalPos = 0;
    this.headByte = HEAD_BYTE_REQUIRED;
    this.stack.reset();
  }
  setBuffer(buffer) {
    const bytes = ensureUint8Array(buffer);
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
  }
  appendBuffer(buffer) {
    if (this.headByte === HEAD_BYTE_REQUIRED && !this.hasRemaining(1)) {
      this.setBuffer(buffer);
    } else {
      const remainingData = this.bytes.subarray(this.pos);
      const newData = ensureUint8Array(buffer);
      const newBuffer = new Uint8Array(remainingData.length + newData.length);
      newBuffer.set(remainingData);
      newBuffer.set(newData, remainingData.length);
      this.setBuffer(newBuffer);
    }
  }
  hasRemaining(size) {
    return this.view.byteLength - this.pos >= size;
  }
  createExtraByteError(posToShow) {
    const { view, pos } = this;
    return new RangeError(`Extra ${view.byteLength - pos} of ${view.byteLength} byte(s) found at buffer[${posToShow}]`);
  }
  /**
   * @throws {@link DecodeError}
   * @throws {@link RangeError}
   */
  decode(buffer) {
    if (this.entered) {
      const instance = this.clone();
      return instance.decode(buffer);
    }
    try {
      this.entered = true;
      this.reinitializeState();
      this.setBuffer(buffer);
      const object = this.doDecodeSync();
      if (this.hasRemaining(1)) {
        throw this.createExtraByteError(this.pos);
      }
      return object;
    } finally {
      this.entered = false;
    }
  }
  *decodeMulti(buffer) {
    if (this.entered) {
      const instance = this.clone();
      yield* instance.decodeMulti(buffer);
      return;
    }
    try {
      this.entered = true;
      this.reinitializeState();
      this.setBuffer(buffer);
      while (this.hasRemaining(1)) {
        yield this.doDecodeSync();
      }
    } finally {
      this.entered = false;
    }
  }
  async decodeAsync(stream) {
    if (this.entered) {
      const instance = this.clone();
      return instance.decodeAsync(stream);
    }
    try {
      this.entered = true;
      let decoded = false;
      let object;
      for await (const buffer of stream) {
        if (decoded) {
          this.entered = false;
          throw this.createExtraByteError(this.totalPos);
        }
        this.appendBuffer(buffer);
        try {
          object = this.doDecodeSync();
          decoded = true;
        } catch (e) {
          if (!(e instanceof RangeError)) {
            throw e;
          }
        }
        this.totalPos += this.pos;
      }
      if (decoded) {
        if (this.hasRemaining(1)) {
          throw this.createExtraByteError(this.totalPos);
        }
        return object;
      }
      const { headByte, pos, totalPos } = this;
      throw new RangeError(`Insufficient data in parsing ${prettyByte(headByte)} at ${totalPos} (${pos} in the current buffer)`);
    } finally {
      this.entered = false;
    }
  }
  decodeArrayStream(stream) {
    return this.decodeMultiAsync(stream, true);
  }
  decodeStream(stream) {
    return this.decodeMultiAsync(stream, false);
  }
  async *decodeMultiAsync(stream, isArray) {
    if (this.entered) {
      const instance = this.clone();
      yield* instance.decodeMultiAsync(stream, isArray);
      return;
    }
    try {
      this.entered = true;
      let isArrayHeaderRequired = isArray;
      let arrayItemsLeft = -1;
      for await (const buffer of stream) {
        if (isArray && arrayItemsLeft === 0) {
          throw this.createExtraByteError(this.totalPos);
        }
        this.appendBuffer(buffer);
        if (isArrayHeaderRequired) {
          arrayItemsLeft = this.readArraySize();
          isArrayHeaderRequired = false;
          this.complete();
        }
        try {
          while (true) {
            yield this.doDecodeSync();
            if (--arrayItemsLeft === 0) {
              break;
            }
          }
        } catch (e) {
          if (!(e instanceof RangeError)) {
            throw e;
          }
        }
        this.totalPos += this.pos;
      }
    } finally {
      this.entered = false;
    }
  }
  doDecodeSync() {
    DECODE: while (true) {
      const headByte = this.readHeadByte();
      let object;
      if (headByte >= 224) {
        object = headByte - 256;
      } else if (headByte < 192) {
        if (headByte < 128) {
          object = headByte;
        } else if (headByte < 144) {
          const size = headByte - 128;
          if (size !== 0) {
            this.pushMapState(size);
            this.complete();
            continue DECODE;
          } else {
            object = {};
          }
        } else if (headByte < 160) {
          const size = headByte - 144;
          if (size !== 0) {
            this.pushArrayState(size);
            this.complete();
            continue DECODE;
          } else {
            object = [];
          }
        } else {
          const byteLength = headByte - 160;
          object = this.decodeString(byteLength, 0);
        }
      } else if (headByte === 192) {
        object = null;
      } else if (headByte === 194) {
        object = false;
      } else if (headByte === 195) {
        object = true;
      } else if (headByte === 202) {
        object = this.readF32();
      } else if (headByte === 203) {
        object = this.readF64();
      } else if (headByte === 204) {
        object = this.readU8();
      } else if (headByte === 205) {
        object = this.readU16();
      } else if (headByte === 206) {
        object = this.readU32();
      } else if (headByte === 207) {
        if (this.useBigInt64) {
          object = this.readU64AsBigInt();
        } else {
          object = this.readU64();
        }
      } else if (headByte === 208) {
        object = this.readI8();
      } else if (headByte === 209) {
        object = this.readI16();
      } else if (headByte === 210) {
        object = this.readI32();
      } else if (headByte === 211) {
        if (this.useBigInt64) {
          object = this.readI64AsBigInt();
        } else {
          object = this.readI64();
        }
      } else if (headByte === 217) {
        const byteLength = this.lookU8();
        object = this.decodeString(byteLength, 1);
      } else if (headByte === 218) {
        const byteLength = this.lookU16();
        object = this.decodeString(byteLength, 2);
      } else if (headByte === 219) {
        const byteLength = this.lookU32();
        object = this.decodeString(byteLength, 4);
      } else if (headByte === 220) {
        const size = this.readU16();
        if (size !== 0) {
          this.pushArrayState(size);
          this.complete();
          continue DECODE;
        } else {
          object = [];
        }
      } else if (headByte === 221) {
        const size = this.readU32();
        if (size !== 0) {
          this.pushArrayState(size);
          this.complete();
          continue DECODE;
        } else {
          object = [];
        }
      } else if (headByte === 222) {
        const size = this.readU16();
        if (size !== 0) {
          this.pushMapState(size);
          this.complete();
          continue DECODE;
        } else {
          object = {};
        }
      } else if (headByte === 223) {
        const size = this.readU32();
        if (size !== 0) {
          this.pushMapState(size);
          this.complete();
          continue DECODE;
        } else {
          object = {};
        }
      } else if (headByte === 196) {
        const size = this.lookU8();
        object = this.decodeBinary(size, 1);
      } else if (headByte === 197) {
        const size = this.lookU16();
        object = this.decodeBinary(size, 2);
      } else if (headByte === 198) {
        const size = this.lookU32();
        object = this.decodeBinary(size, 4);
      } else if (headByte === 212) {
        object = this.decodeExtension(1, 0);
      } else if (headByte === 213) {
        object = this.decodeExtension(2, 0);
      } else if (headByte === 214) {
        object = this.decodeExtension(4, 0);
      } else if (headByte === 215) {
        object = this.decodeExtension(8, 0);
      } else if (headByte === 216) {
        object = this.decodeExtension(16, 0);
      } else if (headByte === 199) {
        const size = this.lookU8();
        object = this.decodeExtension(size, 1);
      } else if (headByte === 200) {
        const size = this.lookU16();
        object = this.decodeExtension(size, 2);
      } else if (headByte === 201) {
        const size = this.lookU32();
        object = this.decodeExtension(size, 4);
      } else {
        throw new DecodeError(`Unrecognized type byte: ${prettyByte(headByte)}`);
      }
      this.complete();
      const stack = this.stack;
      while (stack.length > 0) {
        const state = stack.top();
        if (state.type === STATE_ARRAY) {
          state.array[state.position] = object;
          state.position++;
          if (state.position === state.size) {
            object = state.array;
            stack.release(state);
          } else {
            continue DECODE;
          }
        } else if (state.type === STATE_MAP_KEY) {
          if (object === "__proto__") {
            throw new DecodeError("The key __proto__ is not allowed");
          }
          state.key = this.mapKeyConverter(object);
          state.type = STATE_MAP_VALUE;
          continue DECODE;
        } else {
          state.map[state.key] = object;
          state.readCount++;
          if (state.readCount === state.size) {
            object = state.map;
            stack.release(state);
          } else {
            state.key = null;
            state.type = STATE_MAP_KEY;
            continue DECODE;
          }
        }
      }
      return object;
    }
  }
  readHeadByte() {
    if (this.headByte === HEAD_BYTE_REQUIRED) {
      this.headByte = this.readU8();
    }
    return this.headByte;
  }
  complete() {
    this.headByte = HEAD_BYTE_REQUIRED;
  }
  readArraySize() {
    const headByte = this.readHeadByte();
    switch (headByte) {
      case 220:
        return this.readU16();
      case 221:
        return this.readU32();
      default: {
        if (headByte < 160) {
          return headByte - 144;
        } else {
          throw new DecodeError(`Unrecognized array type byte: ${prettyByte(headByte)}`);
        }
      }
    }
  }
  pushMapState(size) {
    if (size > this.maxMapLength) {
      throw new DecodeError(`Max length exceeded: map length (${size}) > maxMapLengthLength (${this.maxMapLength})`);
    }
    this.stack.pushMapState(size);
  }
  pushArrayState(size) {
    if (size > this.maxArrayLength) {
      throw new DecodeError(`Max length exceeded: array length (${size}) > maxArrayLength (${this.maxArrayLength})`);
    }
    this.stack.pushArrayState(size);
  }
  decodeString(byteLength, headerOffset) {
    if (!this.rawStrings || this.stateIsMapKey()) {
      return this.decodeUtf8String(byteLength, headerOffset);
    }
    return this.decodeBinary(byteLength, headerOffset);
  }
  /**
   * @throws {@link RangeError}
   */
  decodeUtf8String(byteLength, headerOffset) {
    if (byteLength > this.maxStrLength) {
      throw new DecodeError(`Max length exceeded: UTF-8 byte length (${byteLength}) > maxStrLength (${this.maxStrLength})`);
    }
    if (this.bytes.byteLength < this.pos + headerOffset + byteLength) {
      throw MORE_DATA;
    }
    const offset = this.pos + headerOffset;
    let object;
    if (this.stateIsMapKey() && this.keyDecoder?.canBeCached(byteLength)) {
      object = this.keyDecoder.decode(this.bytes, offset, byteLength);
    } else {
      object = utf8Decode(this.bytes, offset, byteLength);
    }
    this.pos += headerOffset + byteLength;
    return object;
  }
  stateIsMapKey() {
    if (this.stack.length > 0) {
      const state = this.stack.top();
      return state.type === STATE_MAP_KEY;
    }
    return false;
  }
  /**
   * @throws {@link RangeError}
   */
  decodeBinary(byteLength, headOffset) {
    if (byteLength > this.maxBinLength) {
      throw new DecodeError(`Max length exceeded: bin length (${byteLength}) > maxBinLength (${this.maxBinLength})`);
    }
    if (!this.hasRemaining(byteLength + headOffset)) {
      throw MORE_DATA;
    }
    const offset = this.pos + headOffset;
    const object = this.bytes.subarray(offset, offset + byteLength);
    this.pos += headOffset + byteLength;
    return object;
  }
  decodeExtension(size, headOffset) {
    if (size > this.maxExtLength) {
      throw new DecodeError(`Max length exceeded: ext length (${size}) > maxExtLength (${this.maxExtLength})`);
    }
    const extType = this.view.getInt8(this.pos + headOffset);
    const data = this.decodeBinary(
      size,
      headOffset + 1
      /* extType */
    );
    return this.extensionCodec.decode(data, extType, this.context);
  }
  lookU8() {
    return this.view.getUint8(this.pos);
  }
  lookU16() {
    return this.view.getUint16(this.pos);
  }
  lookU32() {
    return this.view.getUint32(this.pos);
  }
  readU8() {
    const value = this.view.getUint8(this.pos);
    this.pos++;
    return value;
  }
  readI8() {
    const value = this.view.getInt8(this.pos);
    this.pos++;
    return value;
  }
  readU16() {
    const value = this.view.getUint16(this.pos);
    this.pos += 2;
    return value;
  }
  readI16() {
    const value = this.view.getInt16(this.pos);
    this.pos += 2;
    return value;
  }
  readU32() {
    const value = this.view.getUint32(this.pos);
    this.pos += 4;
    return value;
  }
  readI32() {
    const value = this.view.getInt32(this.pos);
    this.pos += 4;
    return value;
  }
  readU64() {
    const value = getUint64(this.view, this.pos);
    this.pos += 8;
    return value;
  }
  readI64() {
    const value = getInt64(this.view, this.pos);
    this.pos += 8;
    return value;
  }
  readU64AsBigInt() {
    const value = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return value;
  }
  readI64AsBigInt() {
    const value = this.view.getBigInt64(this.pos);
    this.pos += 8;
    return value;
  }
  readF32() {
    const value = this.view.getFloat32(this.pos);
    this.pos += 4;
    return value;
  }
  readF64() {
    const value = this.view.getFloat64(this.pos);
    this.pos += 8;
    return value;
  }
};

// src/codec.ts
var decodeLimits = {
  maxStrLength: 16 << 20,
  maxBinLength: 16 << 20,
  maxArrayLength: 1 << 20,
  maxMapLength: 1 << 20,
  maxExtLength: 0
};
var encoder = new Encoder({ ignoreUndefined: true, useBigInt64: true });
var decoder = new Decoder({ useBigInt64: true, ...decodeLimits });
var floatKeys = /* @__PURE__ */ new Set(["lat", "lng", "radius_km", "distance_km", "average_age"]);
function encodeBody(body) {
  return encoder.encode(prepare(body, 0, ""));
}
function prepare(v, depth, key) {
  if (depth > 16) throw new RangeError("qun: arguments nest deeper than 16 levels");
  if (typeof v === "number") {
    if (floatKeys.has(key) || key === "\0custom-data") return Number.isSafeInteger(v) ? wide(v) : v;
    if (!Number.isSafeInteger(v)) throw new RangeError(`qun: ${key} must be a safe integer, got ${v}`);
    return wide(v);
  }
  if (Array.isArray(v)) return v.map((x) => prepare(x, depth + 1, key));
  if (v === null || typeof v !== "object" || v instanceof Uint8Array) return v;
  const out = {};
  for (const [k, x] of Object.entries(v)) {
    const inner = k === "data" && key === "custom" ? "\0custom-data" : key === "\0custom-data" ? key : k;
    Object.defineProperty(out, k, { value: prepare(x, depth + 1, inner), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
function wide(n) {
  return n >= 2 ** 32 || n < -(2 ** 31) ? BigInt(n) : n;
}
function decodeBody(bytes) {
  let v;
  try {
    v = decoder.decode(bytes);
  } catch (e) {
    throw new ProtocolError(`bad body: ${e.message}`);
  }
  if (!isMap(v)) throw new ProtocolError("body is not a map");
  return v;
}
function isMap(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}
function toInt(v, where) {
  if (v === void 0 || v === null) return 0;
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new ProtocolError(`${where}: ${v} is not an integer`);
    return v;
  }
  if (typeof v === "bigint") {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new ProtocolError(`${where}: ${v} is beyond 2^53 and cannot be held exactly`);
    }
    return Number(v);
  }
  throw new ProtocolError(`${where}: expected an integer, got ${typeof v}`);
}
var Reader = class _Reader {
  constructor(m, path) {
    this.m = m;
    this.path = path;
  }
  static of(v, path) {
    if (v === void 0 || v === null) return new _Reader({}, path);
    if (!isMap(v)) throw new ProtocolError(`${path}: expected a map`);
    return new _Reader(v, path);
  }
  /** Whether the key is present with a non-nil value. */
  has(k) {
    return this.m[k] !== void 0 && this.m[k] !== null;
  }
  str(k) {
    const v = this.m[k];
    if (v === void 0 || v === null) return "";
    if (typeof v !== "string") throw new ProtocolError(`${this.path}.${k}: expected a string`);
    return v;
  }
  int(k) {
    return toInt(this.m[k], `${this.path}.${k}`);
  }
  /** A non-negative integer below 2^bits (bits <= 53). */
  uint(k, bits = 53) {
    const n = this.int(k);
    if (n < 0 || bits < 53 && n >= 2 ** bits) {
      throw new ProtocolError(`${this.path}.${k}: ${n} is out of range for uint${bits}`);
    }
    return n;
  }
  bool(k) {
    const v = this.m[k];
    if (v === void 0 || v === null) return false;
    if (typeof v !== "boolean") throw new ProtocolError(`${this.path}.${k}: expected a bool`);
    return v;
  }
  float(k) {
    const v = this.m[k];
    if (v === void 0 || v === null) return 0;
    if (typeof v === "number") return v;
    if (typeof v === "bigint") return Number(v);
    throw new ProtocolError(`${this.path}.${k}: expected a number`);
  }
  map(k) {
    return _Reader.of(this.m[k], `${this.path}.${k}`);
  }
  arr(k, each) {
    const v = this.m[k];
    if (v === void 0 || v === null) return [];
    if (!Array.isArray(v)) throw new ProtocolError(`${this.path}.${k}: expected an array`);
    return v.map((x, i) => each(x, `${this.path}.${k}[${i}]`));
  }
  strs(k) {
    return this.arr(k, (x, p) => {
      if (typeof x !== "string") throw new ProtocolError(`${p}: expected a string`);
      return x;
    });
  }
  uints(k) {
    return this.arr(k, (x, p) => {
      const n = toInt(x, p);
      if (n < 0) throw new ProtocolError(`${p}: negative`);
      return n;
    });
  }
  /** The string if present, else undefined. */
  optStr(k) {
    return this.has(k) ? this.str(k) : void 0;
  }
  optUint(k, bits = 53) {
    return this.has(k) ? this.uint(k, bits) : void 0;
  }
  optInt(k) {
    return this.has(k) ? this.int(k) : void 0;
  }
};

// src/commercedecode.ts
function setOpt(o, k, v) {
  if (v !== void 0) o[k] = v;
}
var cents = (r, k) => r.int(k);
var count = (r, k) => r.uint(k, 32);
var packetResult = (v, p) => {
  const r = Reader.of(v, p);
  return { packet: r.str("packet"), seq: r.uint("seq") };
};
var claimResult = (v, p) => {
  const r = Reader.of(v, p);
  return { amount: cents(r, "amount"), n: count(r, "n"), seq: r.uint("seq"), dup: r.bool("dup") };
};
var packetClaim = (v, p) => {
  const r = Reader.of(v, p);
  return { user: r.str("user"), amount: cents(r, "amount"), at: r.int("at") };
};
var packetInfo = (v, p) => {
  const r = Reader.of(v, p);
  const i = {
    packet: r.str("packet"),
    sender: r.str("sender"),
    mode: r.str("mode"),
    total: cents(r, "total"),
    count: count(r, "count"),
    claimed: cents(r, "claimed"),
    claims: r.arr("claims", packetClaim),
    state: r.str("state"),
    expires: r.int("expires"),
    seq: r.uint("seq")
  };
  setOpt(i, "luckiest", r.optStr("luckiest"));
  setOpt(i, "refund", r.optInt("refund"));
  setOpt(i, "greeting", r.optStr("greeting"));
  if (r.has("only")) i.only = r.strs("only");
  if (i.claims.length > i.count) throw new ProtocolError(`${p}: ${i.claims.length} claims of ${i.count} shares`);
  return i;
};
var lotteryResult = (v, p) => {
  const r = Reader.of(v, p);
  return { lottery: r.str("lottery"), seed_hash: r.str("seed_hash"), seq: r.uint("seq") };
};
var lotteryInfo = (v, p) => {
  const r = Reader.of(v, p);
  const i = {
    lottery: r.str("lottery"),
    prize: r.str("prize"),
    winners: count(r, "winners"),
    deadline: r.int("deadline"),
    rule: r.str("rule"),
    seed_hash: r.str("seed_hash"),
    entries: count(r, "entries"),
    entered: r.bool("entered"),
    drawn: r.bool("drawn")
  };
  if (r.has("won")) i.won = r.strs("won");
  setOpt(i, "seed", r.optStr("seed"));
  if (r.has("entrants")) i.entrants = r.strs("entrants");
  return i;
};
var couponResult = (v, p) => {
  const r = Reader.of(v, p);
  return { coupon: r.str("coupon"), seq: r.uint("seq") };
};
var couponInfo = (v, p) => {
  const r = Reader.of(v, p);
  return {
    coupon: r.str("coupon"),
    title: r.str("title"),
    value: cents(r, "value"),
    threshold: cents(r, "threshold"),
    count: count(r, "count"),
    left: count(r, "left"),
    valid_until: r.int("valid_until"),
    claimed: r.bool("claimed")
  };
};
var ledgerEntry = (v, p) => {
  const r = Reader.of(v, p);
  return { key: r.str("key"), kind: r.str("kind"), amount: cents(r, "amount"), balance: cents(r, "balance") };
};
var balanceResult = (v, p) => {
  const r = Reader.of(v, p);
  return { user: r.str("user"), balance: cents(r, "balance"), ledger: r.arr("ledger", ledgerEntry) };
};
var commerceEvent = (v, p) => {
  const r = Reader.of(v, p);
  const e = {};
  for (const k of ["packet", "lottery", "coupon", "order", "mode", "greeting", "prize", "rule", "seed_hash", "seed", "title", "status"]) {
    setOpt(e, k, r.optStr(k));
  }
  for (const k of ["amount", "expires", "deadline", "threshold"]) setOpt(e, k, r.optInt(k));
  for (const k of ["count", "n"]) setOpt(e, k, r.optUint(k, 32));
  for (const k of ["only", "winners"]) if (r.has(k)) e[k] = r.strs(k);
  return e;
};

// src/richdecode.ts
function setOpt2(o, k, v) {
  if (v !== void 0) o[k] = v;
}
var maxImageSide = 2e4;
var maxPrice = 1e12;
var image = (v, p) => {
  const r = Reader.of(v, p);
  const b = { url: r.str("url"), w: r.uint("w", 32), h: r.uint("h", 32) };
  if (b.w > maxImageSide || b.h > maxImageSide) throw new ProtocolError(`${p}: image side beyond ${maxImageSide}`);
  return b;
};
var video = (v, p) => {
  const r = Reader.of(v, p);
  const b = { id: r.str("id"), title: r.str("title") };
  setOpt2(b, "cover", r.optStr("cover"));
  setOpt2(b, "dur", r.optUint("dur", 32));
  return b;
};
var live = (v, p) => {
  const r = Reader.of(v, p);
  const b = { room: r.str("room"), title: r.str("title"), live: r.bool("live") };
  setOpt2(b, "cover", r.optStr("cover"));
  setOpt2(b, "start", r.optUint("start"));
  return b;
};
var product = (v, p) => {
  const r = Reader.of(v, p);
  const b = { id: r.str("id"), title: r.str("title"), price: r.uint("price"), cur: r.str("cur") };
  if (b.price > maxPrice) throw new ProtocolError(`${p}.price: ${b.price} beyond ${maxPrice}`);
  setOpt2(b, "img", r.optStr("img"));
  setOpt2(b, "url", r.optStr("url"));
  return b;
};
var sticker = (v, p) => {
  const r = Reader.of(v, p);
  return { pack: r.str("pack"), id: r.str("id") };
};
var location = (v, p) => {
  const r = Reader.of(v, p);
  const b = { lat: r.float("lat"), lng: r.float("lng") };
  setOpt2(b, "name", r.optStr("name"));
  setOpt2(b, "addr", r.optStr("addr"));
  return b;
};
var link = (v, p) => {
  const r = Reader.of(v, p);
  const b = { url: r.str("url") };
  setOpt2(b, "title", r.optStr("title"));
  setOpt2(b, "desc", r.optStr("desc"));
  setOpt2(b, "img", r.optStr("img"));
  return b;
};
function customValue(x, p) {
  switch (typeof x) {
    case "string":
    case "boolean":
      return x;
    case "number":
      if (!Number.isFinite(x)) throw new ProtocolError(`${p}: not finite`);
      return x;
    case "bigint":
      if (x > BigInt(Number.MAX_SAFE_INTEGER) || x < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw new ProtocolError(`${p}: ${x} is beyond 2^53 and cannot be held exactly`);
      }
      return Number(x);
  }
  throw new ProtocolError(`${p}: a custom value must be a string, integer, float or boolean`);
}
var custom = (v, p) => {
  const r = Reader.of(v, p);
  const b = { type: r.str("type") };
  if (r.has("data")) {
    const d = r.map("data");
    b.data = Object.fromEntries(Object.entries(d.m).map(([k, x]) => [k, customValue(x, `${p}.data.${k}`)]));
  }
  return b;
};
var recalled = (v, p) => {
  const r = Reader.of(v, p);
  return { by: r.str("by"), at: r.int("at") };
};
function richBody(b, body) {
  const at = (k) => b.m[k];
  const q = (k) => `${b.path}.${k}`;
  if (b.has("img")) body.img = image(at("img"), q("img"));
  if (b.has("video")) body.video = video(at("video"), q("video"));
  if (b.has("live")) body.live = live(at("live"), q("live"));
  if (b.has("product")) body.product = product(at("product"), q("product"));
  if (b.has("sticker")) body.sticker = sticker(at("sticker"), q("sticker"));
  if (b.has("loc")) body.loc = location(at("loc"), q("loc"));
  if (b.has("link")) body.link = link(at("link"), q("link"));
  if (b.has("custom")) body.custom = custom(at("custom"), q("custom"));
  if (b.has("recalled")) body.recalled = recalled(at("recalled"), q("recalled"));
}
var threshold = (v, p) => {
  const r = Reader.of(v, p);
  const t = {};
  if (r.bool("follow")) t.follow = true;
  const days = r.uint("follow_days", 16);
  if (days) t.follow_days = days;
  const level = r.uint("level", 16);
  if (level) t.level = level;
  return t;
};
var fanCard = (v, p) => {
  const r = Reader.of(v, p);
  const c = {
    g: r.str("g"),
    name: r.str("name"),
    members: r.int("members"),
    max_members: r.int("max_members"),
    join: r.uint("join", 8),
    threshold: threshold(r.m["threshold"], `${p}.threshold`),
    words: r.str("words"),
    order: r.int("order"),
    member: r.bool("member"),
    may_join: r.bool("may_join")
  };
  setOpt2(c, "avatar", r.optStr("avatar"));
  setOpt2(c, "why", r.optStr("why"));
  return c;
};
var fanGroupsResult = (v, p) => {
  const r = Reader.of(v, p);
  return { creator: r.str("creator"), groups: r.arr("groups", fanCard) };
};
var creatorNoticeResult = (v, p) => ({
  groups: Reader.of(v, p).arr("groups", (x, q) => {
    const m = Reader.of(x, q);
    const n = { g: m.str("g"), dup: m.bool("dup"), code: m.uint("code", 16) };
    setOpt2(n, "seq", m.optUint("seq"));
    return n;
  })
});
var shareCard = (v, p) => {
  const r = Reader.of(v, p);
  const l = r.map("links");
  const links = Object.fromEntries(Object.keys(l.m).map((k) => [k, l.str(k)]));
  return { code: r.str("code"), links, card: groupCard(r.m["card"], `${p}.card`), expire: r.int("expire") };
};

// src/decode.ts
var welcome = (v, p) => {
  const r = Reader.of(v, p);
  return {
    v: r.int("v"),
    user: r.str("user"),
    session: r.str("session"),
    max_frame: r.uint("max_frame", 32),
    max_inflight: r.uint("max_inflight", 32),
    time: r.int("time")
  };
};
var errorFrame = (v, p) => {
  const r = Reader.of(v, p);
  const e = { id: r.uint("id", 32), code: r.uint("code", 16), msg: r.str("msg") };
  const ra = r.uint("retry_after");
  if (ra) e.retry_after = ra;
  return e;
};
var reply = (v, p) => {
  const r = Reader.of(v, p);
  return { id: r.uint("id", 32), body: r.m["body"] };
};
var message = (v, p) => {
  const r = Reader.of(v, p);
  const b = r.map("body");
  const body = {};
  if (b.has("text")) {
    const t = b.map("text");
    body.text = { t: t.str("t") };
    const at = t.strs("at");
    if (at.length) body.text.at = at;
  }
  if (b.has("sys")) {
    const s = b.map("sys");
    const sys = { e: s.str("e") };
    setOpt3(sys, "actor", s.optStr("actor"));
    setOpt3(sys, "target", s.optStr("target"));
    setOpt3(sys, "t", s.optStr("t"));
    setOpt3(sys, "until", s.optInt("until"));
    if (s.has("com")) sys.com = commerceEvent(s.m["com"], `${p}.body.sys.com`);
    body.sys = sys;
  }
  richBody(b, body);
  const m = { seq: r.uint("seq"), ts: r.int("ts"), from: r.str("from"), type: r.uint("type", 8), body };
  setOpt3(m, "cmid", r.optStr("cmid"));
  const lane = r.uint("lane", 8);
  if (lane) m.lane = lane;
  return m;
};
var push = (v, p) => {
  const r = Reader.of(v, p);
  return { g: r.str("g"), msgs: r.arr("msgs", message) };
};
var gap = (v, p) => {
  const r = Reader.of(v, p);
  return { g: r.str("g"), from: r.uint("from"), to: r.uint("to") };
};
var notice = (v, p) => {
  const r = Reader.of(v, p);
  const n = { kind: r.str("kind"), g: r.str("g") };
  setOpt3(n, "user", r.optStr("user"));
  setOpt3(n, "by", r.optStr("by"));
  setOpt3(n, "t", r.optStr("t"));
  return n;
};
var ping = (v, p) => {
  const r = Reader.of(v, p);
  const n = r.m["n"];
  return { n: typeof n === "bigint" ? n : r.uint("n") };
};
function setOpt3(o, k, v) {
  if (v !== void 0) o[k] = v;
}
var empty = (v, p) => {
  Reader.of(v, p);
  return {};
};
var seqResult = (v, p) => ({ seq: Reader.of(v, p).uint("seq") });
var createGroupResult = (v, p) => {
  const r = Reader.of(v, p);
  return { g: r.str("g"), seq: r.uint("seq") };
};
var geo = (v, p) => {
  const r = Reader.of(v, p);
  const g = { lat: r.float("lat"), lng: r.float("lng") };
  setOpt3(g, "city", r.optStr("city"));
  return g;
};
var announcement = (v, p) => {
  const r = Reader.of(v, p);
  const a = { seq: r.uint("seq"), text: r.str("text"), by: r.str("by"), at: r.int("at") };
  if (r.bool("strong")) a.strong = true;
  return a;
};
var groupInfo = (v, p) => {
  const r = Reader.of(v, p);
  const gi = {
    g: r.str("g"),
    name: r.str("name"),
    owner: r.str("owner"),
    created: r.int("created"),
    members: r.int("members"),
    max_members: r.int("max_members"),
    last_seq: r.uint("last_seq"),
    last_ts: r.int("last_ts"),
    join: r.uint("join", 8),
    searchable: r.bool("searchable"),
    members_invite: r.bool("members_invite"),
    mute_all: r.bool("mute_all"),
    admins: r.strs("admins"),
    pins: r.uints("pins"),
    dissolved: r.bool("dissolved"),
    kind: r.uint("kind", 8)
  };
  setOpt3(gi, "avatar", r.optStr("avatar"));
  setOpt3(gi, "desc", r.optStr("desc"));
  setOpt3(gi, "category", r.optStr("category"));
  if (r.has("loc")) gi.loc = geo(r.m["loc"], `${p}.loc`);
  if (r.has("announcement")) gi.announcement = announcement(r.m["announcement"], `${p}.announcement`);
  setOpt3(gi, "your_role", r.optUint("your_role", 8));
  setOpt3(gi, "muted_until", r.optInt("muted_until"));
  if (r.has("threshold")) gi.threshold = threshold(r.m["threshold"], `${p}.threshold`);
  return gi;
};
var joinResult = (v, p) => {
  const r = Reader.of(v, p);
  return { seq: r.uint("seq"), name: r.str("name") };
};
var sendResult = (v, p) => {
  const r = Reader.of(v, p);
  return { seq: r.uint("seq"), ts: r.int("ts"), dup: r.bool("dup") };
};
var historyResult = (v, p) => {
  const r = Reader.of(v, p);
  return { msgs: r.arr("msgs", message), more: r.bool("more"), last_seq: r.uint("last_seq") };
};
var membersResult = (v, p) => {
  const r = Reader.of(v, p);
  const res = {
    members: r.arr("members", (x, q) => {
      const m = Reader.of(x, q);
      return { user: m.str("user"), role: m.uint("role", 8), joined: m.int("joined") };
    }),
    total: r.int("total")
  };
  setOpt3(res, "next", r.optStr("next"));
  return res;
};
var myGroupsResult = (v, p) => withMore({
  groups: Reader.of(v, p).arr("groups", (x, q) => {
    const m = Reader.of(x, q);
    return {
      g: m.str("g"),
      name: m.str("name"),
      last_seq: m.uint("last_seq"),
      read_seq: m.uint("read_seq"),
      unread: m.uint("unread"),
      last_ts: m.int("last_ts"),
      pinned: m.bool("pinned"),
      mentioned: m.uint("mentioned", 32)
    };
  })
}, v, p);
var resyncResult = (v, p) => ({
  groups: Reader.of(v, p).arr("groups", (x, q) => {
    const m = Reader.of(x, q);
    return { g: m.str("g"), last_seq: m.uint("last_seq"), sent: m.int("sent"), gap: m.bool("gap"), code: m.uint("code", 16) };
  })
});
var applyResult = (v, p) => {
  const r = Reader.of(v, p);
  const a = { joined: r.bool("joined") };
  setOpt3(a, "seq", r.optUint("seq"));
  setOpt3(a, "expires", r.optInt("expires"));
  return a;
};
var requestsResult = (v, p) => withMore({
  requests: Reader.of(v, p).arr("requests", (x, q) => {
    const m = Reader.of(x, q);
    const jr = { user: m.str("user"), at: m.int("at"), expires: m.int("expires") };
    setOpt3(jr, "note", m.optStr("note"));
    return jr;
  })
}, v, p);
var invite = (v, p) => {
  const r = Reader.of(v, p);
  return { code: r.str("code"), creator: r.str("creator"), expires: r.int("expires"), max_uses: r.int("max_uses"), uses: r.int("uses") };
};
var inviteResult = (v, p) => ({ invite: invite(Reader.of(v, p).m["invite"], `${p}.invite`) });
var invitesResult = (v, p) => ({ invites: Reader.of(v, p).arr("invites", invite) });
var announceStateResult = (v, p) => {
  const r = Reader.of(v, p);
  const a = { acked: r.int("acked"), unacked: r.strs("unacked") };
  if (r.has("announcement")) a.announcement = announcement(r.m["announcement"], `${p}.announcement`);
  return a;
};
var groupCard = (x, q) => {
  const m = Reader.of(x, q);
  const c = { g: m.str("g"), name: m.str("name"), owner: m.str("owner"), members: m.int("members"), join: m.uint("join", 8) };
  setOpt3(c, "avatar", m.optStr("avatar"));
  setOpt3(c, "category", m.optStr("category"));
  setOpt3(c, "city", m.optStr("city"));
  if (m.has("distance_km")) c.distance_km = m.float("distance_km");
  return c;
};
var searchResult = (v, p) => withMore({ groups: Reader.of(v, p).arr("groups", groupCard) }, v, p);
function withMore(res, v, p) {
  if (Reader.of(v, p).bool("more")) res.more = true;
  return res;
}
var groupStats = (v, p) => {
  const r = Reader.of(v, p);
  return {
    g: r.str("g"),
    members: r.int("members"),
    female: r.int("female"),
    active_7d: r.int("active_7d"),
    average_age: r.float("average_age"),
    msgs_yesterday: r.int("msgs_yesterday"),
    msgs_today: r.int("msgs_today")
  };
};

// src/roomdecode.ts
var openRoomResult = (v, p) => {
  const r = Reader.of(v, p);
  return { g: r.str("g"), seq: r.uint("seq"), existed: r.bool("existed") };
};
var roomInfo = (v, p) => {
  const r = Reader.of(v, p);
  return {
    g: r.str("g"),
    name: r.str("name"),
    owner: r.str("owner"),
    last_seq: r.uint("last_seq"),
    online: r.uint("online", 32),
    window_ms: r.uint("window_ms", 32),
    slow_mode_s: r.uint("slow_mode_s", 32),
    closed: r.bool("closed"),
    chatter_from: r.uint("chatter_from"),
    sent: r.uint("sent", 32),
    gap: r.bool("gap")
  };
};
var roomPush = (v, p) => {
  const r = Reader.of(v, p);
  return { g: r.str("g"), msgs: r.arr("msgs", message), skipped: r.uint("skipped", 32), online: r.uint("online", 32) };
};

// src/ops.ts
var ops = {
  create_group: { op: 1, decode: createGroupResult, idempotent: false },
  group_info: { op: 2, decode: groupInfo, idempotent: true },
  join: { op: 3, decode: joinResult, idempotent: false },
  leave: { op: 4, decode: seqResult, idempotent: false },
  send: { op: 5, decode: sendResult, idempotent: false },
  history: { op: 6, decode: historyResult, idempotent: true },
  members: { op: 7, decode: membersResult, idempotent: true },
  my_groups: { op: 8, decode: myGroupsResult, idempotent: true },
  mark_read: { op: 9, decode: empty, idempotent: true },
  resync: { op: 10, decode: resyncResult, idempotent: false },
  update_group: { op: 11, decode: seqResult, idempotent: false },
  set_role: { op: 12, decode: seqResult, idempotent: false },
  kick: { op: 13, decode: seqResult, idempotent: false },
  ban: { op: 14, decode: seqResult, idempotent: false },
  unban: { op: 15, decode: seqResult, idempotent: false },
  mute: { op: 16, decode: seqResult, idempotent: false },
  mute_all: { op: 17, decode: seqResult, idempotent: false },
  transfer_owner: { op: 18, decode: seqResult, idempotent: false },
  dissolve: { op: 19, decode: seqResult, idempotent: false },
  apply: { op: 20, decode: applyResult, idempotent: false },
  review: { op: 21, decode: seqResult, idempotent: false },
  list_requests: { op: 22, decode: requestsResult, idempotent: true },
  create_invite: { op: 23, decode: inviteResult, idempotent: false },
  revoke_invite: { op: 24, decode: empty, idempotent: false },
  invite: { op: 25, decode: seqResult, idempotent: false },
  announce: { op: 26, decode: seqResult, idempotent: false },
  ack_announcement: { op: 27, decode: empty, idempotent: true },
  announcement_state: { op: 28, decode: announceStateResult, idempotent: true },
  pin: { op: 29, decode: seqResult, idempotent: false },
  pin_group: { op: 30, decode: empty, idempotent: true },
  search: { op: 31, decode: searchResult, idempotent: true },
  nearby: { op: 32, decode: searchResult, idempotent: true },
  profile_groups: { op: 33, decode: searchResult, idempotent: true },
  show_on_profile: { op: 34, decode: empty, idempotent: true },
  group_stats: { op: 35, decode: groupStats, idempotent: true },
  list_invites: { op: 36, decode: invitesResult, idempotent: true },
  create_fan_group: { op: 100, decode: createGroupResult, idempotent: false },
  set_fan_group: { op: 101, decode: seqResult, idempotent: false },
  fan_groups: { op: 102, decode: fanGroupsResult, idempotent: true },
  // Idempotent on its id: a retry posts nothing new and answers dup.
  notify_creator: { op: 103, decode: creatorNoticeResult, idempotent: true },
  announce_strong: { op: 104, decode: seqResult, idempotent: false },
  recall: { op: 105, decode: seqResult, idempotent: false },
  set_divert: { op: 106, decode: seqResult, idempotent: false },
  share_card: { op: 107, decode: shareCard, idempotent: false },
  set_host_facts: { op: 108, decode: empty, idempotent: true },
  // Opening an open room of the caller returns it (existed).
  open_room: { op: 140, decode: openRoomResult, idempotent: true },
  close_room: { op: 141, decode: seqResult, idempotent: false },
  // Watching is per connection: watch again after a reconnect.
  watch_room: { op: 142, decode: roomInfo, idempotent: true },
  leave_room: { op: 143, decode: empty, idempotent: true },
  room_send: { op: 144, decode: sendResult, idempotent: false },
  room_config: { op: 145, decode: seqResult, idempotent: false },
  // Idempotent only with a cmid: the same caller and cmid name the same packet, paid once.
  send_packet: { op: 170, decode: packetResult, idempotent: false },
  // A second claim answers the first share with dup set.
  claim_packet: { op: 171, decode: claimResult, idempotent: true },
  packet_info: { op: 172, decode: packetInfo, idempotent: true },
  recall_packet: { op: 173, decode: seqResult, idempotent: false },
  commerce_settings: { op: 174, decode: seqResult, idempotent: false },
  open_lottery: { op: 175, decode: lotteryResult, idempotent: false },
  enter_lottery: { op: 176, decode: empty, idempotent: true },
  lottery_info: { op: 177, decode: lotteryInfo, idempotent: true },
  post_coupon: { op: 178, decode: couponResult, idempotent: false },
  claim_coupon: { op: 179, decode: seqResult, idempotent: false },
  coupon_info: { op: 180, decode: couponInfo, idempotent: true },
  // Idempotent on the order id.
  create_order_group: { op: 181, decode: createGroupResult, idempotent: true },
  order_event: { op: 182, decode: seqResult, idempotent: false },
  balance: { op: 183, decode: balanceResult, idempotent: true },
  grant: { op: 184, decode: balanceResult, idempotent: false },
  shop_groups: { op: 185, decode: searchResult, idempotent: true }
};
var opNames = Object.keys(ops);

// src/emitter.ts
var Emitter = class {
  constructor() {
    __publicField(this, "listeners", {});
  }
  /** Adds a listener; returns a function that removes it. */
  on(event, fn) {
    var _a;
    ((_a = this.listeners)[event] ?? (_a[event] = /* @__PURE__ */ new Set())).add(fn);
    return () => this.off(event, fn);
  }
  off(event, fn) {
    this.listeners[event]?.delete(fn);
  }
  /** Calls fn once, at the next event. */
  once(event, fn) {
    const off = this.on(event, ((...a) => {
      off();
      fn(...a);
    }));
    return off;
  }
  /** Calls every listener; a listener that throws does not stop the others (the error is reported asynchronously). */
  emit(event, ...args) {
    const set = this.listeners[event];
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(...args);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }
};

// src/opmethods.ts
function camel(s) {
  return s.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
}
function installOpMethods(proto, skip = []) {
  for (const name of opNames) {
    const m = camel(name);
    if (skip.includes(m)) continue;
    Object.defineProperty(proto, m, {
      value: function(args) {
        return this.call(name, args ?? {});
      },
      writable: true,
      configurable: true
    });
  }
}

// src/connection.ts
var HELLO_MAX_FRAME = 8192;
var Connection = class _Connection extends Emitter {
  /**
   * Starts the handshake on an open transport. Attach listeners right
   * after construction (before awaiting `ready`) to see every push.
   */
  constructor(transport, options) {
    super();
    this.transport = transport;
    this.options = options;
    /** Resolves with the welcome; rejects with the handshake's failure. */
    __publicField(this, "ready");
    __publicField(this, "welcomeValue");
    __publicField(this, "readyResolve");
    __publicField(this, "readyReject");
    __publicField(this, "pending", /* @__PURE__ */ new Map());
    __publicField(this, "queue", []);
    __publicField(this, "early", []);
    __publicField(this, "nextId", 0);
    __publicField(this, "sendLimit", HELLO_MAX_FRAME);
    __publicField(this, "maxInflight", 1);
    __publicField(this, "closedErr");
    __publicField(this, "isClosed", false);
    __publicField(this, "pingTimer");
    __publicField(this, "handshakeTimer");
    __publicField(this, "pingN", 0);
    __publicField(this, "requestTimeoutMs");
    this.requestTimeoutMs = options.requestTimeoutMs ?? 3e4;
    this.ready = new Promise((res, rej) => {
      this.readyResolve = res;
      this.readyReject = rej;
    });
    this.ready.catch(() => {
    });
    transport.onFrame = (t, b) => this.frame(t, b);
    transport.onClose = (err) => this.finish(err);
    this.handshakeTimer = setTimeout(() => this.fail(new TimeoutError("handshake")), options.handshakeTimeoutMs ?? 5e3);
    try {
      transport.send(FrameType.Hello, encodeBody({ v: PROTOCOL_VERSION, token: options.token, client: options.client ?? "qun-ts/0.1" }));
    } catch (e) {
      this.fail(e);
    }
  }
  /** Opens a transport with connector, performs the handshake and returns the connection. `init` runs before any frame is read (attach listeners there). */
  static async open(connector, options, init) {
    const t = await connector();
    const c = new _Connection(t, options);
    init?.(c);
    await c.ready;
    return c;
  }
  /** The server's welcome (undefined until `ready` resolves). */
  get welcome() {
    return this.welcomeValue;
  }
  get closed() {
    return this.isClosed;
  }
  /** Why the connection ended, if it did. */
  get closeError() {
    return this.closedErr;
  }
  /** Requests sent and not yet answered. */
  get inflight() {
    return this.pending.size;
  }
  /**
   * Calls an operation and resolves with its decoded result. Rejects with a
   * QunError (the server's code), ConnectionClosedError (outcome unknown),
   * TimeoutError (requestTimeoutMs; outcome unknown) or ProtocolError.
   * Requests beyond Welcome.max_inflight wait locally for a free slot.
   */
  call(name, args, opts) {
    const spec = ops[name];
    if (!spec) return Promise.reject(new TypeError(`qun: unknown op ${String(name)}`));
    return new Promise((resolve, reject) => {
      if (this.isClosed) return reject(new ConnectionClosedError(this.closedErr));
      let body;
      const id = this.allocId();
      try {
        body = encodeBody({ id, op: spec.op, args: args ?? {} });
      } catch (e) {
        return reject(e);
      }
      if (1 + body.length > this.sendLimit) {
        return reject(new QunError(ErrorCode.FrameTooLarge, `request of ${1 + body.length} bytes exceeds max_frame ${this.sendLimit}`));
      }
      const timeoutMs = opts?.timeoutMs ?? this.requestTimeoutMs;
      const p = { name, resolve, reject, timer: void 0 };
      const start = () => {
        if (this.isClosed) return reject(new ConnectionClosedError(this.closedErr));
        this.pending.set(id, p);
        if (timeoutMs > 0) {
          p.timer = setTimeout(() => {
            if (this.pending.get(id) === p) {
              p.resolve = () => {
              };
              p.reject = () => {
              };
              p.timer = void 0;
              reject(new TimeoutError(`${name} request`));
            }
          }, timeoutMs);
        }
        try {
          this.transport.send(FrameType.Request, body);
        } catch (e) {
          this.pending.delete(id);
          if (p.timer) clearTimeout(p.timer);
          reject(new ConnectionClosedError(e));
        }
      };
      if (this.welcomeValue && this.pending.size < this.maxInflight && this.queue.length === 0) start();
      else this.queue.push({ run: start });
    });
  }
  /** Sends a ping; the pong arrives as a "pong" event. */
  ping(n) {
    if (this.isClosed) return;
    try {
      this.transport.send(FrameType.Ping, encodeBody({ n: n ?? ++this.pingN }));
    } catch {
    }
  }
  /** Closes the connection. Unanswered requests reject with ConnectionClosedError. */
  close() {
    this.finish(void 0);
  }
  allocId() {
    for (let i = 0; i < 1 << 20; i++) {
      this.nextId = this.nextId >= 4294967295 ? 1 : this.nextId + 1;
      if (!this.pending.has(this.nextId)) return this.nextId;
    }
    throw new Error("qun: no free request id");
  }
  pump() {
    while (this.queue.length > 0 && this.pending.size < this.maxInflight && !this.isClosed) {
      this.queue.shift().run();
    }
  }
  frame(type, body) {
    if (this.isClosed) return;
    try {
      this.dispatch(type, body);
    } catch (e) {
      this.fail(e instanceof Error ? e : new ProtocolError(String(e)));
    }
  }
  dispatch(type, body) {
    if (!this.welcomeValue) {
      switch (type) {
        case FrameType.Welcome:
          return this.onWelcome(welcome(decodeBody(body), "welcome"));
        case FrameType.Error: {
          const ef = errorFrame(decodeBody(body), "error");
          return this.fail(new QunError(ef.code, ef.msg, true));
        }
        case FrameType.Push:
        case FrameType.Gap:
        case FrameType.Notice:
          this.early.push([type, body.slice()]);
          return;
        default:
          return;
      }
    }
    switch (type) {
      case FrameType.Reply: {
        const r = reply(decodeBody(body), "reply");
        const p = this.pending.get(r.id);
        if (!p) return;
        this.pending.delete(r.id);
        if (p.timer) clearTimeout(p.timer);
        let v;
        try {
          v = ops[p.name].decode(r.body, `${p.name}`);
        } catch (e) {
          p.reject(e);
          this.pump();
          return;
        }
        p.resolve(v);
        this.pump();
        return;
      }
      case FrameType.Error: {
        const ef = errorFrame(decodeBody(body), "error");
        if (ef.id === 0) return this.fail(new QunError(ef.code, ef.msg, true));
        const p = this.pending.get(ef.id);
        if (!p) return;
        this.pending.delete(ef.id);
        if (p.timer) clearTimeout(p.timer);
        p.reject(withRetryAfter(new QunError(ef.code, ef.msg), ef.retry_after));
        this.pump();
        return;
      }
      case FrameType.Push:
        return this.emit("push", push(decodeBody(body), "push"));
      case FrameType.Gap:
        return this.emit("gap", gap(decodeBody(body), "gap"));
      case FrameType.Notice:
        return this.emit("notice", notice(decodeBody(body), "notice"));
      case FrameType.RoomPush:
        return this.emit("room_push", roomPush(decodeBody(body), "room_push"));
      case FrameType.Ping: {
        const p = ping(decodeBody(body), "ping");
        this.transport.send(FrameType.Pong, encodeBody({ n: p.n }));
        return;
      }
      case FrameType.Pong:
        return this.emit("pong", ping(decodeBody(body), "pong").n);
      default:
        return;
    }
  }
  onWelcome(w) {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = void 0;
    this.welcomeValue = w;
    this.sendLimit = w.max_frame > 0 ? w.max_frame : 65536;
    this.maxInflight = w.max_inflight > 0 ? w.max_inflight : 1;
    const every = this.options.pingIntervalMs ?? 3e4;
    if (every > 0) {
      this.pingTimer = setInterval(() => this.ping(), every);
      this.pingTimer.unref?.();
    }
    this.readyResolve(w);
    const early = this.early;
    this.early = [];
    for (const [t, b] of early) this.frame(t, b);
    this.pump();
  }
  fail(err) {
    this.closedErr ?? (this.closedErr = err);
    this.finish(err);
  }
  finish(err) {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closedErr ?? (this.closedErr = err);
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.transport.onFrame = () => {
    };
    this.transport.onClose = () => {
    };
    try {
      this.transport.close();
    } catch {
    }
    const cause = this.closedErr;
    if (!this.welcomeValue) this.readyReject(cause ?? new ConnectionClosedError());
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(new ConnectionClosedError(cause));
    }
    this.pending.clear();
    const q = this.queue.splice(0);
    for (const x of q) x.run();
    this.emit("close", cause);
  }
};
installOpMethods(Connection.prototype);
function withRetryAfter(e, ms) {
  if (ms) e.retryAfter = ms;
  return e;
}

// src/session.ts
var Session = class extends Emitter {
  constructor(options) {
    super();
    this.options = options;
    __publicField(this, "groups", /* @__PURE__ */ new Map());
    __publicField(this, "conn");
    __publicField(this, "live", false);
    __publicField(this, "syncing", false);
    __publicField(this, "isClosed", false);
    __publicField(this, "closeErr");
    __publicField(this, "connects", 0);
    __publicField(this, "waiters", /* @__PURE__ */ new Set());
    __publicField(this, "sleepCancel");
    __publicField(this, "running");
    __publicField(this, "userId", "");
    __publicField(this, "syncedOnce", false);
    for (const [g, s] of Object.entries(options.groups ?? {})) this.track(g, s);
  }
  /**
   * Starts connecting; resolves with the first welcome once the first
   * my_groups/resync is done, so that every message after the positions it
   * took is delivered (bounded by timeoutMs, default 30 s).
   */
  async start(timeoutMs = 3e4) {
    const deadline = Date.now() + timeoutMs;
    this.running ?? (this.running = this.run());
    const c = await this.connection(deadline);
    if (!this.syncedOnce) {
      await new Promise((resolve, reject) => {
        const t = setTimeout(() => {
          off1();
          off2();
          reject(new TimeoutError("first resync"));
        }, Math.max(0, deadline - Date.now()));
        const off1 = this.once("resynced", () => {
          clearTimeout(t);
          off2();
          resolve();
        });
        const off2 = this.once("closed", (e) => {
          clearTimeout(t);
          off1();
          reject(e instanceof QunError ? e : new ConnectionClosedError(e));
        });
      });
    }
    return this.conn?.welcome ?? c.welcome;
  }
  /** Stops the session and closes its connection. */
  close() {
    this.stop(void 0);
  }
  get closed() {
    return this.isClosed;
  }
  /** The user id of the welcome ("" before). */
  get user() {
    return this.userId;
  }
  /** The current connection when one is up. */
  get connectionNow() {
    return this.live ? this.conn : void 0;
  }
  /** Last seq delivered per followed group. */
  lastSeqs() {
    const out = {};
    for (const [g, st] of this.groups) out[g] = st.last;
    return out;
  }
  /** Follows a group from seq `last` (the next message delivered is last + 1). */
  follow(g, last) {
    this.track(g, last);
    this.scheduleFill(g);
  }
  /** Stops following a group. */
  unfollow(g) {
    this.groups.delete(g);
  }
  /**
   * Calls an operation on the current connection, waiting for one if the
   * session is reconnecting. Idempotent ops are retried after a lost
   * connection, a request timeout or a 5xx; so are `send` and
   * `send_packet` when they have a cmid (always with that cmid). Other ops
   * reject with ConnectionClosedError when the connection drops (outcome unknown).
   */
  async call(name, args, opts) {
    const timeout = opts?.timeoutMs ?? (name === "send" ? this.options.sendTimeoutMs ?? 6e4 : this.options.callTimeoutMs ?? 3e4);
    const deadline = Date.now() + timeout;
    const retryable = ops[name].idempotent || name === "send" && args.cmid !== "" || name === "send_packet" && !!args.cmid;
    for (let attempt = 1; ; attempt++) {
      const conn = await this.connection(deadline);
      try {
        const res = await conn.call(name, args, { timeoutMs: Math.max(1, deadline - Date.now()) });
        this.after(name, args, res);
        return res;
      } catch (e) {
        const err = e;
        const transient = err instanceof ConnectionClosedError || err instanceof TimeoutError || err instanceof QunError && !err.connection && err.retryable;
        if (!retryable || !transient || Date.now() >= deadline || this.isClosed) throw err;
        this.emit("retry", name, attempt, err);
        if (err instanceof QunError) await this.sleep(Math.min(this.delay(attempt), Math.max(0, deadline - Date.now())));
      }
    }
  }
  /** Sends a text; the cmid (generated if absent) is kept across retries. */
  sendText(g, text, opts) {
    const body = opts?.at?.length ? { text: { t: text, at: opts.at } } : { text: { t: text } };
    return this.call("send", { g, cmid: opts?.cmid ?? newCmid(), type: 1, body }, { timeoutMs: opts?.timeoutMs });
  }
  // ---- connection loop ----
  async run() {
    let failures = 0;
    while (!this.isClosed) {
      let conn;
      try {
        const token = typeof this.options.token === "function" ? await this.options.token() : this.options.token;
        const transport = await this.options.connect();
        if (this.isClosed) {
          transport.close();
          break;
        }
        this.syncing = true;
        conn = new Connection(transport, { ...this.options, token });
        this.conn = conn;
        const closedP = new Promise((res) => conn.on("close", res));
        conn.on("push", (p) => {
          for (const m of p.msgs) this.accept(p.g, m, "push");
        });
        conn.on("gap", (gp) => this.onGap(gp.g, gp.to));
        conn.on("notice", (n) => this.emit("notice", n));
        const w = await conn.ready;
        failures = 0;
        this.userId = w.user;
        this.live = true;
        const reconnect = this.connects++ > 0;
        for (const wt of this.waiters) wt.resolve(conn);
        this.waiters.clear();
        this.emit("connected", w, reconnect);
        void this.sync(conn, reconnect);
        const err = await closedP;
        this.live = false;
        this.syncing = false;
        for (const st of this.groups.values()) st.filling = false;
        if (this.isClosed) break;
        this.emit("disconnected", err);
      } catch (e) {
        this.live = false;
        this.syncing = false;
        const err = e;
        if (this.isClosed) break;
        if (err instanceof QunError && isAuthFailure(err.code) && typeof this.options.token !== "function") {
          this.stop(err);
          break;
        }
        conn?.close();
        this.emit("disconnected", err);
      }
      failures++;
      if (failures > (this.options.maxReconnectAttempts ?? Infinity)) {
        this.stop(new Error(`qun: gave up after ${failures - 1} failed reconnection attempts`));
        break;
      }
      await this.sleep(this.delay(failures));
    }
  }
  /** my_groups (optional), then resync of every followed group, then gap filling. */
  async sync(conn, reconnect) {
    try {
      if (this.options.syncGroups ?? true) {
        const mg = await conn.call("my_groups", {});
        for (const g of mg.groups) {
          if (!this.groups.has(g.g)) this.track(g.g, reconnect ? g.read_seq : g.last_seq);
        }
      }
      const names = [...this.groups.keys()];
      const all = { groups: [] };
      for (let i = 0; i < names.length || i === 0; i += 4096) {
        const chunk = {};
        for (const g of names.slice(i, i + 4096)) chunk[g] = this.groups.get(g).last;
        if (Object.keys(chunk).length === 0) break;
        const res = await conn.call("resync", { groups: chunk });
        all.groups.push(...res.groups);
      }
      for (const rg of all.groups) {
        const st = this.groups.get(rg.g);
        if (!st) continue;
        if (rg.code === ErrorCode.NotMember || rg.code === ErrorCode.NoSuchGroup || rg.code === ErrorCode.Banned) {
          this.groups.delete(rg.g);
          this.emit("removed", rg.g, rg.code);
          continue;
        }
        if (rg.code === 0 && rg.last_seq > st.want) {
          st.want = rg.last_seq;
          st.reason || (st.reason = "resync");
        }
      }
      if (conn !== this.conn) return;
      this.syncing = false;
      this.syncedOnce = true;
      this.emit("resynced", all);
      for (const g of this.groups.keys()) this.scheduleFill(g);
    } catch {
      if (conn === this.conn) conn.close();
    }
  }
  // ---- ordering, dedupe, gaps ----
  track(g, last) {
    let st = this.groups.get(g);
    if (!st) {
      st = { last, want: last, buf: /* @__PURE__ */ new Map(), filling: false, reason: "" };
      this.groups.set(g, st);
    } else if (last > st.last) {
      st.last = last;
      if (st.want < last) st.want = last;
      this.drain(g, st);
    }
    return st;
  }
  accept(g, m, reason) {
    let st = this.groups.get(g);
    if (!st) {
      if (!(this.options.adoptUnknownGroups ?? true)) return;
      st = this.track(g, m.seq - 1);
    }
    if (m.seq <= st.last) return;
    if (m.seq === st.last + 1) {
      this.deliver(g, st, m);
      this.drain(g, st);
      return;
    }
    st.buf.set(m.seq, m);
    if (m.seq - 1 > st.want) {
      st.want = m.seq - 1;
      st.reason || (st.reason = reason);
    }
    this.scheduleFill(g);
  }
  deliver(g, st, m) {
    st.last = m.seq;
    if (st.want < m.seq) st.want = m.seq;
    this.emit("message", g, m);
    const sys = m.body.sys;
    if (sys && (sys.e === "dissolved" || (sys.e === "left" || sys.e === "kicked" || sys.e === "banned") && sys.target === this.userId)) {
      if (this.groups.get(g) === st) {
        this.groups.delete(g);
        this.emit("removed", g, 0);
      }
    }
  }
  drain(g, st) {
    for (const s of [...st.buf.keys()]) if (s <= st.last) st.buf.delete(s);
    for (let m = st.buf.get(st.last + 1); m && this.groups.get(g) === st; m = st.buf.get(st.last + 1)) {
      st.buf.delete(m.seq);
      this.deliver(g, st, m);
    }
  }
  /** A Gap frame: seqs from..to exist and were not pushed; the fill starts at last + 1 (<= from). */
  onGap(g, to) {
    const st = this.groups.get(g);
    if (!st) return;
    if (to > st.want) {
      st.want = to;
      st.reason = "gap_frame";
    }
    this.scheduleFill(g);
  }
  scheduleFill(g) {
    const st = this.groups.get(g);
    if (!st || st.filling || this.syncing || !this.live || !this.conn) return;
    if (st.want <= st.last && st.buf.size === 0) return;
    void this.fill(g, st, this.conn);
  }
  async fill(g, st, conn) {
    st.filling = true;
    const max = this.options.maxGapFill ?? 5e3;
    const limit = this.options.historyPageSize ?? 200;
    try {
      for (let i = 0; i < 1e5 && this.groups.get(g) === st; i++) {
        const bufTop = st.buf.size ? Math.max(...st.buf.keys()) - 1 : 0;
        const target = Math.max(st.want, bufTop);
        if (target <= st.last) break;
        const from = st.last + 1;
        if (target - st.last > max) {
          this.emit("gap", { g, from, to: target, skipped: true, reason: "too_large" });
          this.skipTo(g, st, target);
          continue;
        }
        if (i === 0) this.emit("gap", { g, from, to: target, skipped: false, reason: st.reason || "push" });
        let page;
        try {
          page = await conn.call("history", { g, after: st.last, limit });
        } catch (e) {
          if (e instanceof QunError && !e.connection && !e.retryable) {
            this.emit("gap", { g, from, to: target, skipped: true, reason: e.message });
            this.skipTo(g, st, target);
            continue;
          }
          return;
        }
        const before = st.last;
        for (const m of page.msgs) this.accept(g, m, "history");
        if (st.last === before) {
          this.emit("gap", { g, from, to: target, skipped: true, reason: "not in history" });
          this.skipTo(g, st, target);
        }
      }
      st.reason = "";
    } finally {
      st.filling = false;
    }
  }
  skipTo(g, st, seq) {
    if (seq > st.last) st.last = seq;
    this.drain(g, st);
  }
  /** Bookkeeping after an op that changes which groups this user follows. */
  after(name, args, res) {
    switch (name) {
      case "create_group": {
        const r = res;
        this.track(r.g, r.seq);
        break;
      }
      case "join": {
        const r = res;
        const a = args;
        const g = a.g || (a.code ? a.code.slice(0, a.code.lastIndexOf("-")) : "");
        if (g) this.track(g, r.seq);
        break;
      }
      case "apply": {
        const r = res;
        if (r.joined && r.seq) this.track(args.g, r.seq);
        break;
      }
      case "leave":
      case "dissolve": {
        const g = args.g;
        if (this.groups.delete(g)) this.emit("removed", g, 0);
        break;
      }
    }
  }
  // ---- waiting ----
  /** Resolves with a live connection, waiting until the deadline (ms since epoch). */
  connection(deadline) {
    if (this.isClosed) return Promise.reject(new ConnectionClosedError(this.closeErr));
    if (this.live && this.conn && !this.conn.closed) return Promise.resolve(this.conn);
    this.running ?? (this.running = this.run());
    return new Promise((resolve, reject) => {
      const w = {
        resolve: (c) => {
          clearTimeout(t);
          resolve(c);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        }
      };
      const t = setTimeout(() => {
        this.waiters.delete(w);
        reject(new TimeoutError("waiting for a connection"));
      }, Math.max(0, deadline - Date.now()));
      this.waiters.add(w);
    });
  }
  delay(attempt) {
    const b = this.options.backoff ?? {};
    const initial = b.initialMs ?? 100;
    const max = b.maxMs ?? 1e4;
    const d = Math.min(max, initial * (b.factor ?? 2) ** Math.min(attempt - 1, 30));
    return d / 2 + Math.random() * d / 2;
  }
  sleep(ms) {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.sleepCancel = void 0;
        resolve();
      }, ms);
      this.sleepCancel = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
  stop(err) {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closeErr = err;
    this.live = false;
    this.sleepCancel?.();
    this.conn?.close();
    for (const w of this.waiters) w.reject(err instanceof QunError ? err : new ConnectionClosedError(err));
    this.waiters.clear();
    this.emit("closed", err);
  }
};
installOpMethods(Session.prototype);
function isAuthFailure(code) {
  return code === ErrorCode.Unauthenticated || code === ErrorCode.TokenExpired || code === ErrorCode.BadVersion;
}
var cmidCounter = 0;
function newCmid() {
  const c = globalThis.crypto;
  if (c?.randomUUID) return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}-${(++cmidCounter).toString(36)}`;
}

// src/websocket.ts
function webSocketConnector(opts) {
  return () => connectWebSocket(opts);
}
function connectWebSocket(opts) {
  const Ctor = opts.WebSocket ?? globalThis.WebSocket;
  if (!Ctor) return Promise.reject(new Error("qun: no WebSocket implementation: pass options.WebSocket"));
  const timeout = opts.connectTimeoutMs ?? 5e3;
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
var WebSocketTransport = class {
  constructor(ws, maxFrame) {
    this.ws = ws;
    this.maxFrame = maxFrame;
    __publicField(this, "onFrame", () => {
    });
    __publicField(this, "onClose", () => {
    });
    __publicField(this, "closed", false);
    __publicField(this, "err");
    ws.onmessage = (ev) => this.message(ev.data);
    ws.onerror = () => {
      this.err ?? (this.err = new Error("qun: WebSocket error"));
    };
    ws.onclose = (ev) => {
      if (this.closed) return;
      this.closed = true;
      this.onClose(this.err ?? (ev.code === 1e3 || ev.code === 1005 ? void 0 : new Error(`qun: WebSocket closed (${ev.code} ${ev.reason})`)));
    };
  }
  send(type, body) {
    if (this.closed || this.ws.readyState !== 1) throw new Error("qun: transport closed");
    const frame = new Uint8Array(1 + body.length);
    frame[0] = type;
    frame.set(body, 1);
    this.ws.send(frame);
  }
  close() {
    this.ws.close();
  }
  message(data) {
    if (this.closed) return;
    let bytes;
    if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
    else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    else return this.fail(new ProtocolError("text WebSocket message; frames are binary"));
    if (bytes.length === 0) return this.fail(new ProtocolError("empty frame"));
    if (bytes.length > this.maxFrame) {
      return this.fail(new QunError(ErrorCode.FrameTooLarge, `server frame of ${bytes.length} bytes exceeds ${this.maxFrame}`));
    }
    this.onFrame(bytes[0], bytes.subarray(1));
  }
  fail(e) {
    this.err ?? (this.err = e);
    this.ws.close();
  }
};
export {
  Connection,
  ConnectionClosedError,
  DivertPolicy,
  Emitter,
  ErrorCode,
  FrameType,
  GroupKind,
  JoinPolicy,
  Lane,
  MessageType,
  PROTOCOL_VERSION,
  ProtocolError,
  QunError,
  Reader,
  Role,
  Session,
  TimeoutError,
  WebSocketTransport,
  codeName,
  connectWebSocket,
  decodeBody,
  encodeBody,
  isConnectionCode,
  isRetryableCode,
  newCmid,
  opNames,
  ops,
  webSocketConnector
};
