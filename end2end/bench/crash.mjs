// Crash test: runs the load harness against a Baton server and kills the server with
// SIGKILL in the middle of it, ROUNDS times on one database; after each restart every
// write that was acknowledged before any of the kills must still be there, and SQLite's
// integrity checks must pass. Loopback only, bounded, stops by itself.
//
//   BATON_BIN=target/debug/baton node bench/crash.mjs [--rounds 20] [--users 16]
//
// Exit status 0 when no acknowledged write was lost; 1 otherwise.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const ROUNDS = Number(arg("rounds", 20));
const USERS = Number(arg("users", 16));
const bin = process.env.BATON_BIN ?? "target/debug/baton";
const root = process.env.BATON_ROOT ?? process.cwd();

const work = mkdtempSync(join(tmpdir(), "baton-crash-"));
const db = join(work, "crash.db");
const port = await new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const url = `http://127.0.0.1:${port}`;
const env = {
  ...process.env,
  DATABASE_URL: `sqlite://${db}`,
  BATON_ADDR: `127.0.0.1:${port}`,
  RUST_LOG: "error",
  LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
};

async function start() {
  const server = spawn(bin, ["serve"], { cwd: root, env, stdio: ["ignore", "ignore", "inherit"] });
  for (let i = 0; i < 240; i++) {
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) return server;
    } catch {}
    if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error("the server did not start");
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const files = [];
let failed = false;
try {
  for (let round = 1; round <= ROUNDS; round++) {
    const server = await start();
    if (files.length) {
      // Everything acknowledged before every earlier kill must have survived it.
      const check = spawnSync("node", [join(here, "load.mjs"), "--verify", ...files], {
        env: { ...env, BATON_DB: db },
        encoding: "utf8",
      });
      process.stdout.write(`round ${round}: after restart ${check.stdout}${check.stderr}`);
      if (check.status !== 0) {
        failed = true;
        server.kill("SIGKILL");
        break;
      }
    }
    const out = join(work, `acked-${round}.json`);
    const load = spawn(
      "node",
      [join(here, "load.mjs"), "--users", String(USERS), "--seconds", "8", "--tolerate-network", "--expectations", out],
      { env: { ...env, BATON_URL: url }, stdio: ["ignore", "ignore", "ignore"] },
    );
    const loadDone = new Promise((r) => load.on("exit", r));
    // Kill somewhere between 1 and 4 seconds into the load, mid-write.
    await sleep(1000 + Math.floor(Math.random() * 3000));
    server.kill("SIGKILL");
    await new Promise((r) => server.on("exit", r));
    await loadDone;
    files.push(out);
  }
  if (!failed) {
    const server = await start();
    const check = spawnSync("node", [join(here, "load.mjs"), "--verify", ...files], {
      env: { ...env, BATON_DB: db },
      encoding: "utf8",
    });
    process.stdout.write(`final: ${check.stdout}${check.stderr}`);
    failed = check.status !== 0;
    server.kill("SIGTERM");
    await new Promise((r) => server.on("exit", r));
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(failed ? "FAILED: an acknowledged write was lost" : `ok: ${ROUNDS} kills, no acknowledged write lost`);
process.exit(failed ? 1 : 0);
