// Builds the browser bundle of this client that qund's web console embeds
// (internal/console/static/qun.js): one ES module, everything inlined.
//
//   node bundle.mjs          write it (npm run bundle)
//   node bundle.mjs --check  exit 1 if the committed file is not what the sources build to
import { build } from "esbuild";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const outfile = join(here, "..", "..", "internal", "console", "static", "qun.js");

export async function bundle() {
  const r = await build({
    entryPoints: [join(here, "src", "index.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2020",
    write: false,
    legalComments: "none",
    banner: { js: "// Generated from clients/ts by `npm run bundle` (esbuild); do not edit. `npm test` checks it is current." },
    logLevel: "silent",
  });
  return r.outputFiles[0].text;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = await bundle();
  if (process.argv.includes("--check")) {
    let have = "";
    try {
      have = readFileSync(outfile, "utf8");
    } catch {}
    if (have !== text) {
      console.error(`${outfile} is not what clients/ts builds to: run \`npm run bundle\` in clients/ts and commit it`);
      process.exit(1);
    }
    console.log(`${outfile} is up to date`);
  } else {
    writeFileSync(outfile, text);
    console.log(`wrote ${outfile} (${text.length} bytes)`);
  }
}
