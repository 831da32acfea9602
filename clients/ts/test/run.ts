/**
 * `npm test` entry: builds qund once (or records why it cannot), then runs
 * every compiled test file with Node's test runner, passing the binary in
 * QUN_QUND so no test file builds it again.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildQund } from "./harness.js";

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "qun-ts-bin-"));
const env = { ...process.env };
if (!env["QUN_QUND"]) {
  const t0 = Date.now();
  const b = buildQund(dir);
  if (b.bin) {
    env["QUN_QUND"] = b.bin;
    console.log(`built qund in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${b.bin}`);
  } else {
    env["QUN_QUND_SKIP"] = b.skip!;
    console.log(`qund unavailable, server tests will be skipped: ${b.skip}`);
  }
}
const files = readdirSync(here)
  .filter((f) => f.endsWith(".test.js"))
  .map((f) => join(here, f));
const r = spawnSync(process.execPath, ["--test", ...process.argv.slice(2), ...files], { stdio: "inherit", env });
rmSync(dir, { recursive: true, force: true });
process.exit(r.status ?? 1);
