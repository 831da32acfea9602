/**
 * The web console (internal/console) embeds a browser bundle of this client:
 * it must be what the sources build to now (`npm run bundle` rewrites it).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { it } from "node:test";
import { repoRoot } from "./harness.js";

it("the console's committed browser bundle is up to date", () => {
  const r = spawnSync(process.execPath, [join(repoRoot, "clients", "ts", "bundle.mjs"), "--check"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr || r.stdout);
});
