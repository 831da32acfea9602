/**
 * Test harness: builds qund from this repository (once per `npm test`, see
 * run.ts), starts real servers on 127.0.0.1 port 0 with a data dir in a
 * temp dir, mints HS256 JWTs with the secret qund wrote, and offers
 * deadline-bounded waits on events (no sleeps).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHmac } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Connection, type ConnectionOptions } from "../src/index.js";
import { tcpConnector } from "../src/tcp.js";
import type { Connector } from "../src/transport.js";

const here = dirname(fileURLToPath(import.meta.url));
/** The Go module root (clients/ts/build/test → ../../../..). */
export const repoRoot = resolve(here, "..", "..", "..", "..");

let built: { bin?: string; skip?: string } | undefined;

/** Path of a qund binary, building it if QUN_QUND is not set; or a reason to skip. */
export function qund(): { bin?: string; skip?: string } {
  if (built) return built;
  const fromEnv = process.env["QUN_QUND"];
  if (fromEnv) return (built = existsSync(fromEnv) ? { bin: fromEnv } : { skip: process.env["QUN_QUND_SKIP"] || `QUN_QUND=${fromEnv} does not exist` });
  if (process.env["QUN_QUND_SKIP"]) return (built = { skip: process.env["QUN_QUND_SKIP"] });
  built = buildQund(mkdtempSync(join(tmpdir(), "qun-ts-bin-")));
  return built;
}

/** go build -o DIR/qund ./cmd/qund from the repo root. */
export function buildQund(dir: string): { bin?: string; skip?: string } {
  if (!existsSync(join(repoRoot, "go.mod")) || !existsSync(join(repoRoot, "cmd", "qund"))) {
    return { skip: `no Qun repository at ${repoRoot}` };
  }
  const go = spawnSync("go", ["version"], { encoding: "utf8" });
  if (go.error || go.status !== 0) return { skip: "Go is not installed: cannot build qund" };
  const bin = join(dir, "qund");
  const b = spawnSync("go", ["build", "-o", bin, "./cmd/qund"], { cwd: repoRoot, encoding: "utf8", timeout: 600_000 });
  if (b.status !== 0) return { skip: `go build ./cmd/qund failed: ${b.stderr || b.error}` };
  return { bin };
}

export interface Server {
  port: number;
  /** qund's WebSocket endpoint, ws://127.0.0.1:PORT/ws */
  wsUrl: string;
  host: string;
  dataDir: string;
  secret: string;
  proc: ChildProcess;
  connector: Connector;
  token(user: string, ttlSec?: number): string;
  connect(user: string, opts?: Partial<ConnectionOptions>, init?: (c: Connection) => void): Promise<Connection>;
  stop(): Promise<void>;
}

/** Starts qund on 127.0.0.1:0 with a fresh data dir; resolves once it printed its address. */
export async function startServer(bin: string, extraArgs: string[] = []): Promise<Server> {
  const base = mkdtempSync(join(tmpdir(), "qun-ts-"));
  const dataDir = join(base, "data");
  // The tests send as fast as they can: lift qund's rate and connection limits.
  const unlimited = ["requests-per-second", "request-burst", "sends-per-second", "send-burst", "creates-per-hour",
    "joins-per-hour", "code-guesses-per-hour", "max-conns-per-user"].flatMap((f) => [`--${f}`, "1000000"]);
  const proc = spawn(bin, ["--listen", "127.0.0.1:0", "--ws-listen", "127.0.0.1:0", "--admin", "", "--data", dataDir, "--log-level", "error", ...unlimited, ...extraArgs], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  proc.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
  const [addr, wsUrl] = await new Promise<[string, string]>((res, rej) => {
    let out = "";
    const t = setTimeout(() => rej(new Error(`qund did not start within 60 s: ${stderr}`)), 60_000);
    proc.stdout!.on("data", (b: Buffer) => {
      out += b.toString();
      const m = /listening on (\S+)/.exec(out);
      const w = /websocket at (\S+)/.exec(out);
      if (m && w) {
        clearTimeout(t);
        res([m[1]!, w[1]!]);
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(t);
      rej(new Error(`qund exited with ${code}: ${stderr}`));
    });
  });
  const i = addr.lastIndexOf(":");
  const host = addr.slice(0, i);
  const port = Number(addr.slice(i + 1));
  const secret = readFileSync(join(dataDir, "secret"), "utf8").trim();
  const connector = tcpConnector({ host, port });
  const srv: Server = {
    port,
    wsUrl,
    host,
    dataDir,
    secret,
    proc,
    connector,
    token: (user, ttl = 3600) => mintToken(secret, user, ttl),
    connect: (user, opts, init) => Connection.open(connector, { token: mintToken(secret, user, 3600), pingIntervalMs: 0, ...opts }, init),
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise<void>((r) => proc.once("exit", () => r()));
        proc.kill("SIGTERM");
        const t = setTimeout(() => proc.kill("SIGKILL"), 15_000);
        await exited;
        clearTimeout(t);
      }
      rmSync(base, { recursive: true, force: true });
    },
  };
  return srv;
}

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString("base64url");
}

/**
 * Mints a token the way `qun token` does: a JWT signed with HS256 whose key
 * is the secret string itself (the 64 hex characters, not their bytes),
 * with sub, iat and exp (required). ttlSec may be negative: an expired token.
 */
export function mintToken(secret: string, user: string, ttlSec: number): string {
  const now = Math.floor(Date.now() / 1000);
  const head = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const claims = b64url(JSON.stringify({ sub: user, iat: now, exp: now + ttlSec }));
  const sig = createHmac("sha256", secret).update(`${head}.${claims}`).digest("base64url");
  return `${head}.${claims}.${sig}`;
}

/** Resolves when `check` returns a value other than undefined, re-checked on each `on` event; rejects after ms. */
export function until<T>(
  subscribe: (wake: () => void) => () => void,
  check: () => T | undefined,
  ms: number,
  what: string,
): Promise<T> {
  return new Promise<T>((res, rej) => {
    let off = () => {};
    const t = setTimeout(() => {
      off();
      rej(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    const test = () => {
      let v: T | undefined;
      try {
        v = check();
      } catch (e) {
        clearTimeout(t);
        off();
        rej(e);
        return;
      }
      if (v !== undefined) {
        clearTimeout(t);
        off();
        res(v);
      }
    };
    off = subscribe(test);
    test();
  });
}

/** Bounds a promise by ms. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        res(v);
      },
      (e) => {
        clearTimeout(t);
        rej(e);
      },
    );
  });
}
