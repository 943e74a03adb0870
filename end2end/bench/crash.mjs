// Crash test: runs the load harness against a Baton server and kills the server with
// SIGKILL in the middle of it, ROUNDS times on one database; after each restart every
// write that was acknowledged before any of the kills must still be there, and the
// database must be intact (SQLite's integrity checks; on PostgreSQL see load.mjs).
// Loopback only, bounded, stops by itself.
//
//   BATON_BIN=target/debug/baton node bench/crash.mjs [--rounds 20] [--users 16]
//                                                     [--postgres ADMIN_URL]
//
// By default the server runs on a SQLite file in a temp dir. With `--postgres
// postgres://USER@127.0.0.1:PORT/postgres` it runs on a fresh database created on that
// PostgreSQL server (dropped at the end) and the checks go through psql.
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
const PG_ADMIN = arg("postgres", "");
if (process.argv.includes("--postgres") && !/^postgres(ql)?:\/\//.test(PG_ADMIN)) {
  throw new Error(`--postgres needs the server's URL (postgres://USER@HOST:PORT/postgres), not ${PG_ADMIN}`);
}
const bin = process.env.BATON_BIN ?? "target/debug/baton";
const root = process.env.BATON_ROOT ?? process.cwd();

const work = mkdtempSync(join(tmpdir(), "baton-crash-"));
const db = join(work, "crash.db");
// On PostgreSQL: a database of this run's own, next to the admin URL's.
const pgName = `baton_crash_${process.pid}_${Date.now()}`;
const pgUrl = (() => {
  if (!PG_ADMIN) return "";
  const u = new URL(PG_ADMIN);
  u.pathname = `/${pgName}`;
  return u.toString();
})();
const admin = (sql) => {
  const r = spawnSync("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", PG_ADMIN, "-c", sql], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`psql: ${sql}: ${r.stderr || r.error}`);
};
const port = await new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const url = `http://127.0.0.1:${port}`;
const env = {
  ...process.env,
  DATABASE_URL: pgUrl || `sqlite://${db}`,
  BATON_ADDR: `127.0.0.1:${port}`,
  RUST_LOG: "error",
  LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
};

// Where load.mjs checks the data.
const verifyEnv = pgUrl ? { ...env, BATON_DATABASE_URL: pgUrl } : { ...env, BATON_DB: db };
delete verifyEnv[pgUrl ? "BATON_DB" : "BATON_DATABASE_URL"];

let current = null; // the running server, killed on the way out whatever happens
async function start() {
  const server = spawn(bin, ["serve"], { cwd: root, env, stdio: ["ignore", "ignore", "inherit"] });
  current = server;
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
if (pgUrl) admin(`CREATE DATABASE ${pgName}`);
try {
  for (let round = 1; round <= ROUNDS; round++) {
    const server = await start();
    if (pgUrl && round === 1) {
      // The server has migrated its schema: let load.mjs check every B-tree index with
      // amcheck too (a contrib extension; its check is skipped where it is not available).
      const r = spawnSync("psql", ["-X", "-q", "-d", pgUrl, "-c", "CREATE EXTENSION IF NOT EXISTS amcheck"], { encoding: "utf8" });
      if (r.status !== 0) process.stdout.write(`amcheck not available, indexes not checked: ${r.stderr}`);
    }
    if (files.length) {
      // Everything acknowledged before every earlier kill must have survived it.
      const check = spawnSync("node", [join(here, "load.mjs"), "--verify", ...files], {
        env: verifyEnv,
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
      env: verifyEnv,
      encoding: "utf8",
    });
    process.stdout.write(`final: ${check.stdout}${check.stderr}`);
    failed = check.status !== 0;
    server.kill("SIGTERM");
    await new Promise((r) => server.on("exit", r));
  }
} finally {
  if (current && current.exitCode === null && current.signalCode === null) {
    current.kill("SIGKILL");
    await new Promise((r) => current.on("exit", r));
  }
  rmSync(work, { recursive: true, force: true });
  // FORCE: the connections of a killed server may not all be gone yet.
  if (pgUrl) admin(`DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`);
}
const backend = pgUrl ? "PostgreSQL" : "SQLite";
console.log(failed ? `FAILED (${backend}): an acknowledged write was lost or the database is damaged` : `ok (${backend}): ${ROUNDS} kills, no acknowledged write lost`);
process.exit(failed ? 1 : 0);
