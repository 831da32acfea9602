/**
 * Drift between the Go protocol (wire/*.go) and this client: every op of
 * wire/ops.go must be a row of the TS op table with the same number, every
 * error code constant (`CodeX Code = N`) an ErrorCode entry, and every
 * message type (`MsgX MsgType = N`) a MessageType entry. It reads the Go
 * sources of this repository, so an engineer adding an op to Go without
 * the TS client fails `npm test`.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ErrorCode, MessageType, codeName, ops, opNames } from "../src/index.js";
import { repoRoot } from "./harness.js";

const wireDir = join(repoRoot, "wire");
const skip = existsSync(join(wireDir, "ops.go")) ? false : `no wire/ops.go under ${repoRoot}`;

/**
 * Go ops (by protocol name) the TS client does not cover yet. Each entry is
 * a known gap: the test fails if an op is missing and NOT listed here, and
 * also if a listed op is covered (so the entry is removed). Keep it empty
 * when you can.
 */
const knownMissingOps = new Set<string>([]);
/** Error codes and message types likewise (by Go constant name). */
const knownMissingCodes = new Set<string>([]);
const knownMissingMsgTypes = new Set<string>([]);

function goSources(): string {
  return readdirSync(wireDir)
    .filter((f) => f.endsWith(".go") && !f.endsWith("_test.go"))
    .map((f) => readFileSync(join(wireDir, f), "utf8"))
    .join("\n");
}

/** `OpX Op = N` constants (in any wire/*.go) and the `OpX: "name"` entries of opNames in wire/ops.go. */
function goOps(): Map<string, number> {
  const src = readFileSync(join(wireDir, "ops.go"), "utf8");
  const nums = new Map<string, number>();
  for (const m of goSources().matchAll(/^\s*(Op\w+)\s+Op\s*=\s*(\d+)/gm)) nums.set(m[1]!, Number(m[2]));
  const start = src.indexOf("opNames = [...]string{");
  assert.ok(start >= 0, "wire/ops.go has no opNames table");
  const table = src.slice(start, src.indexOf("\n}", start));
  const byName = new Map<string, number>();
  for (const m of table.matchAll(/(Op\w+)\s*:\s*"([a-z0-9_]+)"/g)) {
    const n = nums.get(m[1]!);
    assert.ok(n !== undefined, `opNames names ${m[1]} which is not an Op constant`);
    byName.set(m[2]!, n);
  }
  assert.equal(byName.size, nums.size, "every Op constant has a name in opNames");
  return byName;
}

function goConsts(src: string, prefix: string, type: string): Map<string, number> {
  const out = new Map<string, number>();
  const re = new RegExp(`^\\s*${prefix}(\\w+)\\s+${type}\\s*=\\s*(\\d+)`, "gm");
  for (const m of src.matchAll(re)) out.set(m[1]!, Number(m[2]));
  return out;
}

describe("TS client covers the Go protocol", { skip }, () => {
  it("every op of wire/ops.go is in the TS op table with its number", () => {
    const go = goOps();
    assert.ok(go.size >= 45, `parsed only ${go.size} ops from wire/ops.go`);
    const missing: string[] = [];
    for (const [name, n] of go) {
      const spec = (ops as Record<string, { op: number }>)[name];
      if (!spec) {
        if (!knownMissingOps.has(name)) missing.push(`${name} (${n})`);
        continue;
      }
      assert.ok(!knownMissingOps.has(name), `${name} is covered now: remove it from knownMissingOps`);
      assert.equal(spec.op, n, `op ${name}: Go says ${n}, TS says ${spec.op}`);
    }
    assert.deepEqual(missing, [], "Go ops missing from clients/ts/src/ops.ts");
    for (const name of opNames) assert.ok(go.has(name), `TS op ${name} is not in wire/ops.go`);
    for (const name of knownMissingOps) assert.ok(go.has(name), `knownMissingOps lists ${name}, which Go does not have`);
  });

  it("every error code and message type of wire/*.go is known to the TS client", () => {
    const src = goSources();
    const codes = goConsts(src, "Code", "Code");
    assert.ok(codes.size >= 30, `parsed only ${codes.size} codes`);
    const ec = ErrorCode as Record<string, number>;
    const missing: string[] = [];
    for (const [name, n] of codes) {
      if (ec[name] === undefined) {
        if (!knownMissingCodes.has(name)) missing.push(`Code${name} (${n})`);
        continue;
      }
      assert.equal(ec[name], n, `Code${name}`);
      assert.notEqual(codeName(n), `code_${n}`, `codeName(${n}) is unnamed`);
    }
    const types = goConsts(src, "Msg", "MsgType");
    assert.ok(types.size >= 11, `parsed only ${types.size} message types`);
    const mt = MessageType as Record<string, number>;
    for (const [name, n] of types) {
      if (mt[name] === undefined) {
        if (!knownMissingMsgTypes.has(name)) missing.push(`Msg${name} (${n})`);
        continue;
      }
      assert.equal(mt[name], n, `Msg${name}`);
    }
    assert.deepEqual(missing, [], "Go constants missing from clients/ts/src/codes.ts");
  });
});
