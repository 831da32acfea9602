/**
 * msgpack encoding of bodies and the typed, checked reading of what the
 * server sends (docs/protocol.md section 2).
 *
 * Integers: the decoder runs with `useBigInt64: true`, so a value the server
 * wrote as uint64/int64 (0xcf/0xd3) arrives as a bigint and never as a
 * rounded double. The readers below turn every integer field into a
 * `number` only after checking that it is a safe integer
 * (|v| <= Number.MAX_SAFE_INTEGER = 2^53 - 1); anything else is a
 * ProtocolError, never a silently wrong value. Seqs, ids and millisecond
 * times are therefore plain numbers in this client, exact by construction.
 * (A group would need 2^53 messages, ~285 years at a million a second, to
 * exceed this.)
 *
 * Unknown keys are ignored; a missing key or nil is the zero value; a float
 * where an integer is expected is refused.
 */
import { Decoder, Encoder } from "@msgpack/msgpack";
import { ProtocolError } from "./errors.js";

/** A decoded msgpack map with string keys. */
export type WireMap = { readonly [key: string]: unknown };

/** Bounds applied while decoding, before allocating (the frame size bounds them all too). */
export const decodeLimits = {
  maxStrLength: 16 << 20,
  maxBinLength: 16 << 20,
  maxArrayLength: 1 << 20,
  maxMapLength: 1 << 20,
  maxExtLength: 0,
};

const encoder = new Encoder({ ignoreUndefined: true, useBigInt64: true });
const decoder = new Decoder({ useBigInt64: true, ...decodeLimits });

/** Keys whose values are floats on the wire (coordinates, distances, averages). */
const floatKeys = new Set(["lat", "lng", "radius_km", "distance_km", "average_age"]);

/**
 * Encodes a body map. Integer-valued keys must hold safe integers: a
 * fractional or unsafe number would be sent as a float and refused by the
 * server, so it is refused here with a RangeError instead. An integer
 * beyond 32 bits (a time in ms, a big price) is sent as a msgpack int64 or
 * uint64: the msgpack encoder with useBigInt64 would otherwise write such a
 * number as a float64, which the server refuses for an integer field.
 */
export function encodeBody(body: object): Uint8Array {
  return encoder.encode(prepare(body, 0, ""));
}

/** A copy of v with every integer checked and the wide ones made bigints. */
function prepare(v: unknown, depth: number, key: string): unknown {
  if (depth > 16) throw new RangeError("qun: arguments nest deeper than 16 levels");
  if (typeof v === "number") {
    // A custom body's data values may be floats (msgpack float64 when not an integer).
    if (floatKeys.has(key) || key === "\0custom-data") return Number.isSafeInteger(v) ? wide(v) : v;
    if (!Number.isSafeInteger(v)) throw new RangeError(`qun: ${key} must be a safe integer, got ${v}`);
    return wide(v);
  }
  if (Array.isArray(v)) return v.map((x) => prepare(x, depth + 1, key));
  if (v === null || typeof v !== "object" || v instanceof Uint8Array) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const inner = k === "data" && key === "custom" ? "\0custom-data" : key === "\0custom-data" ? key : k;
    Object.defineProperty(out, k, { value: prepare(x, depth + 1, inner), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function wide(n: number): number | bigint {
  return n >= 2 ** 32 || n < -(2 ** 31) ? BigInt(n) : n;
}

/** Decodes one body; it must be exactly one msgpack map. */
export function decodeBody(bytes: Uint8Array): WireMap {
  let v: unknown;
  try {
    v = decoder.decode(bytes);
  } catch (e) {
    throw new ProtocolError(`bad body: ${(e as Error).message}`);
  }
  if (!isMap(v)) throw new ProtocolError("body is not a map");
  return v;
}

function isMap(v: unknown): v is WireMap {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function toInt(v: unknown, where: string): number {
  if (v === undefined || v === null) return 0;
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

/** Typed, checked access to the keys of one decoded map. */
export class Reader {
  constructor(
    readonly m: WireMap,
    readonly path: string,
  ) {}

  static of(v: unknown, path: string): Reader {
    if (v === undefined || v === null) return new Reader({}, path);
    if (!isMap(v)) throw new ProtocolError(`${path}: expected a map`);
    return new Reader(v, path);
  }

  /** Whether the key is present with a non-nil value. */
  has(k: string): boolean {
    return this.m[k] !== undefined && this.m[k] !== null;
  }

  str(k: string): string {
    const v = this.m[k];
    if (v === undefined || v === null) return "";
    if (typeof v !== "string") throw new ProtocolError(`${this.path}.${k}: expected a string`);
    return v;
  }

  int(k: string): number {
    return toInt(this.m[k], `${this.path}.${k}`);
  }

  /** A non-negative integer below 2^bits (bits <= 53). */
  uint(k: string, bits = 53): number {
    const n = this.int(k);
    if (n < 0 || (bits < 53 && n >= 2 ** bits)) {
      throw new ProtocolError(`${this.path}.${k}: ${n} is out of range for uint${bits}`);
    }
    return n;
  }

  bool(k: string): boolean {
    const v = this.m[k];
    if (v === undefined || v === null) return false;
    if (typeof v !== "boolean") throw new ProtocolError(`${this.path}.${k}: expected a bool`);
    return v;
  }

  float(k: string): number {
    const v = this.m[k];
    if (v === undefined || v === null) return 0;
    if (typeof v === "number") return v;
    if (typeof v === "bigint") return Number(v);
    throw new ProtocolError(`${this.path}.${k}: expected a number`);
  }

  map(k: string): Reader {
    return Reader.of(this.m[k], `${this.path}.${k}`);
  }

  arr<T>(k: string, each: (v: unknown, path: string) => T): T[] {
    const v = this.m[k];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new ProtocolError(`${this.path}.${k}: expected an array`);
    return v.map((x, i) => each(x, `${this.path}.${k}[${i}]`));
  }

  strs(k: string): string[] {
    return this.arr(k, (x, p) => {
      if (typeof x !== "string") throw new ProtocolError(`${p}: expected a string`);
      return x;
    });
  }

  uints(k: string): number[] {
    return this.arr(k, (x, p) => {
      const n = toInt(x, p);
      if (n < 0) throw new ProtocolError(`${p}: negative`);
      return n;
    });
  }

  /** The string if present, else undefined. */
  optStr(k: string): string | undefined {
    return this.has(k) ? this.str(k) : undefined;
  }

  optUint(k: string, bits = 53): number | undefined {
    return this.has(k) ? this.uint(k, bits) : undefined;
  }

  optInt(k: string): number | undefined {
    return this.has(k) ? this.int(k) : undefined;
  }
}
