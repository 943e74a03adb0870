// Load harness: N signed-in people (several roles, two workspaces) doing every kind of
// everyday write and opening every page at once, against a running Baton on loopback.
// Bounded in time and count; stops by itself. Reports p50 / p99 latency per server
// function and per page, throughput, and non-2xx answers by status; then checks the data:
// every acknowledged write is in the database, and the database is intact (SQLite's
// integrity checks; on PostgreSQL every foreign key holds, no event seq is repeated within
// a workspace, every index is valid and, if the amcheck extension is installed, every
// B-tree index agrees with its table).
//
//   BATON_URL=http://127.0.0.1:3000 BATON_DB=data/baton.db \
//     node bench/load.mjs [--users 32] [--seconds 30] [--max-ops 100000] [--json out.json]
//                         [--think MS]
//
// On PostgreSQL name the database instead of BATON_DB (the checks run through psql):
//   BATON_DATABASE_URL=postgres://USER@127.0.0.1:PORT/DATABASE
// (BATON_DATABASE_URL=sqlite://PATH is the same as BATON_DB=PATH.)
//
// Without --think every simulated person acts again the moment an answer arrives (a
// stress test: far more than people do). `--think MS` pauses 0.5–1.5 × MS between one
// person's actions, as someone reading the screen does.
//
// For the crash test (bench/crash.mjs): `--tolerate-network` does not fail on refused or
// reset connections (the server is being killed), `--expectations FILE` saves the
// acknowledged writes, and `--verify FILE...` only checks saved ones against BATON_DB
// (or BATON_DATABASE_URL).
//
// Exit status: 0 when there was no 5xx, no lost write and the database is intact; 1
// otherwise. 409 (someone else changed it) and 422 (a field error) are counted but are
// answers a person would also get, not failures.
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

const base = process.env.BATON_URL ?? "http://127.0.0.1:3000";
if (!/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(base)) {
  throw new Error(`BATON_URL must be a loopback address, not ${base}`);
}
// The database to check: a SQLite file (BATON_DB) or a PostgreSQL URL (BATON_DATABASE_URL).
const dbUrl = process.env.BATON_DATABASE_URL ?? "";
const pgUrl = /^postgres(ql)?:\/\//.test(dbUrl) ? dbUrl : "";
if (dbUrl && !pgUrl && !dbUrl.startsWith("sqlite://")) {
  throw new Error(`BATON_DATABASE_URL must be postgres://… or sqlite://…, not ${dbUrl}`);
}
const dbPath = pgUrl ? "" : dbUrl ? dbUrl.slice("sqlite://".length) : process.env.BATON_DB ?? "";
const haveDb = Boolean(pgUrl || dbPath);
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const USERS = Number(arg("users", 32));
const SECONDS = Number(arg("seconds", 30));
const MAX_OPS = Number(arg("max-ops", 100_000));
const JSON_OUT = arg("json", "");
const THINK_MS = Number(arg("think", 0));
const TOLERATE_NETWORK = process.argv.includes("--tolerate-network");
const EXPECTATIONS_OUT = arg("expectations", "");
const VERIFY = process.argv.includes("--verify")
  ? process.argv.slice(process.argv.indexOf("--verify") + 1)
  : null;
const PASSWORD = process.env.BATON_PASSWORD ?? "baton-demo";
const PAGES = ["/", "/pipeline", "/capacity", "/projects", "/clients", "/time"];

// Who the simulated people are: roles cycle through this list.
const PEOPLE = [
  { email: "am@northwind.test", role: "sales" },
  { email: "pm@northwind.test", role: "pm" },
  { email: "team@northwind.test", role: "team" },
  { email: "admin@northwind.test", role: "admin" },
  { email: "daniel@northwind.test", role: "sales" },
  { email: "finance@northwind.test", role: "viewer" },
  { email: "admin@bluebird.test", role: "admin" },
  { email: "pm@northwind.test", role: "pm" },
];

// ---- measurements -------------------------------------------------------------------
const stats = new Map(); // name -> { times: [], statuses: Map }
const record = (name, ms, status) => {
  let s = stats.get(name);
  if (!s) stats.set(name, (s = { times: [], statuses: new Map() }));
  s.times.push(ms);
  s.statuses.set(status, (s.statuses.get(status) ?? 0) + 1);
};
let ops = 0;
const firstErrors = new Map(); // "name status" -> the first answer's body, for the report
const deadline = Date.now() + SECONDS * 1000;
let serverGone = false; // with --tolerate-network: the server was killed, stop
const running = () => !serverGone && Date.now() < deadline && ops < MAX_OPS;

// Every acknowledged write, to look for afterwards: [sql returning one row, why].
const expectations = [];
const expect = (sql, what) => expectations.push({ sql, what });
const q = (text) => `'${String(text).replaceAll("'", "''")}'`;

// ---- HTTP -----------------------------------------------------------------------------
function form(args) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(args)) {
    if (v && typeof v === "object") {
      for (const [kk, vv] of Object.entries(v)) p.append(`${k}[${kk}]`, String(vv));
    } else if (v !== undefined && v !== null) {
      p.append(k, String(v));
    }
  }
  return p.toString();
}

class Person {
  constructor(n, spec) {
    this.n = n;
    this.email = spec.email;
    this.role = spec.role;
    this.cookie = "";
    this.rng = mulberry32(0xba70 + n * 7919);
    this.mine = []; // deals this person created: { id, version, stage_id }
  }
  pick(xs) {
    return xs[Math.floor(this.rng() * xs.length)];
  }
  async call(name, args = {}) {
    ops += 1;
    const t0 = performance.now();
    let status = 0;
    let body = null;
    try {
      const r = await fetch(`${base}/api/${name}`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          accept: "application/json",
          // A browser sends Origin with every POST; Baton refuses a signed-in one without.
          origin: base,
          cookie: this.cookie,
        },
        body: form(args),
        redirect: "manual",
      });
      status = r.status;
      const text = await r.text();
      const set = r.headers.get("set-cookie");
      if (set && set.startsWith("baton_session=")) this.cookie = set.split(";")[0];
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = text;
      }
    } catch (e) {
      status = `network: ${e.cause?.code ?? e.message}`;
      if (TOLERATE_NETWORK) serverGone = true;
    }
    record(`fn ${name}`, performance.now() - t0, status);
    if (!(typeof status === "number" && status < 400) && !firstErrors.has(`${name} ${status}`)) {
      firstErrors.set(`${name} ${status}`, typeof body === "string" ? body.slice(0, 200) : JSON.stringify(body)?.slice(0, 200));
    }
    return { status, body, ok: typeof status === "number" && status < 400 };
  }
  async page(path) {
    ops += 1;
    const t0 = performance.now();
    let status = 0;
    try {
      const r = await fetch(`${base}${path}`, { headers: { cookie: this.cookie }, redirect: "manual" });
      status = r.status;
      await r.arrayBuffer();
    } catch (e) {
      status = `network: ${e.cause?.code ?? e.message}`;
      if (TOLERATE_NETWORK) serverGone = true;
    }
    const label = path.replace(/\/\d+$/, "/:id");
    record(`page ${label}`, performance.now() - t0, status);
    return status;
  }
}

function mulberry32(a) {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const isoDay = (d) => d.toISOString().slice(0, 10);
const monday = (offsetWeeks) => {
  const d = new Date();
  const day = (d.getUTCDay() + 6) % 7;
  d.setUTCDate(d.getUTCDate() - day + 7 * offsetWeeks);
  return isoDay(d);
};

// ---- what each role does ----------------------------------------------------------------
async function salesStep(p, board) {
  if (!board?.columns) {
    // The board did not load (the server was too busy): look at a page instead.
    await p.page(p.pick(PAGES));
    return;
  }
  const open = board.columns.filter((c) => c.stage.kind === "open");
  const r = p.rng();
  if (r < 0.25 || p.mine.length === 0) {
    const client = p.pick(board.clients);
    const title = `Load ${p.n}-${ops} ${Math.floor(p.rng() * 1e9)}`;
    const res = await p.call("create_deal", {
      stage_id: open[0].stage.id,
      title,
      client_id: client[0],
      value: String(1000 + Math.floor(p.rng() * 90000)),
    });
    if (res.ok) {
      p.mine.push({ id: res.body.id, version: res.body.version, stage_id: res.body.stage_id });
      // Its title, unless someone changed the deal since (a later version).
      expect(`SELECT 1 FROM deals WHERE id = ${res.body.id} AND (title = ${q(title)} OR version > ${res.body.version})`, `created deal ${res.body.id}`);
    }
  } else if (r < 0.55) {
    // Move one of mine, or now and then someone's card on the board (conflicts happen).
    const shared = p.rng() < 0.2;
    const cards = open.flatMap((c) => c.cards);
    const deal = shared && cards.length ? p.pick(cards) : p.pick(p.mine);
    const to = p.pick(open.filter((c) => c.stage.id !== deal.stage_id)) ?? open[0];
    const res = await p.call("move_deal", { deal_id: deal.id, stage_id: to.stage.id, version: deal.version });
    if (res.ok) {
      Object.assign(deal, { version: res.body.version, stage_id: res.body.stage_id });
      expect(`SELECT 1 FROM deals WHERE id = ${deal.id} AND version >= ${res.body.version}`, `moved deal ${deal.id} to v${res.body.version}`);
    } else if (res.status === 409 && res.body?.DealChanged) {
      const c = res.body.DealChanged.current;
      Object.assign(deal, { version: c.version, stage_id: c.stage_id });
    }
  } else if (r < 0.7) {
    const deal = p.pick(p.mine);
    const got = await p.call("get_deal", { deal_id: deal.id });
    if (!got.ok) return;
    const d = got.body;
    const start = monday(2 + Math.floor(p.rng() * 8));
    const title = `${d.card.title.split(" ~")[0]} ~${Math.floor(p.rng() * 1000)}`;
    const estimate = {};
    for (const line of d.estimate.slice(0, 2)) estimate[line.skill_id] = String(8 + Math.floor(p.rng() * 40));
    const res = await p.call("update_deal", {
      deal_id: deal.id,
      version: d.card.version,
      title,
      client_id: d.card.client_id,
      value: String(2000 + Math.floor(p.rng() * 50000)),
      probability: "",
      owner_user_id: d.card.owner_user_id,
      expected_close_on: "",
      planned_start_on: start,
      planned_weeks: 1 + Math.floor(p.rng() * 4),
      brief_goals: "Goals",
      brief_priorities: "Priorities",
      brief_context: "Context",
      notes: "",
      estimate,
    });
    if (res.ok) {
      deal.version = res.body.version;
      expect(`SELECT 1 FROM deals WHERE id = ${deal.id} AND (title = ${q(title)} OR version > ${res.body.version})`, `updated deal ${deal.id}`);
    }
  } else if (r < 0.8) {
    const name = `Load client ${p.n}-${ops}-${Math.floor(p.rng() * 1e9)}`;
    const res = await p.call("create_client", { name, contact_name: "Pat", contact_email: "pat@example.test" });
    if (res.ok) expect(`SELECT 1 FROM clients WHERE id = ${res.body.id} AND name = ${q(name)}`, `created client ${res.body.id}`);
  } else {
    await p.page(p.pick(PAGES.slice(0, 2)));
  }
}

async function pmStep(p, ctx) {
  const r = p.rng();
  if (r < 0.35 && ctx.grid && ctx.projects.length) {
    const row = p.pick(ctx.grid.rows);
    const project = p.pick(ctx.projects);
    const week = monday(1 + Math.floor(p.rng() * 6));
    const cell = await p.call("capacity_cell", { person_id: row.person_id, week });
    if (!cell.ok) return;
    const existing = (cell.body.allocations ?? []).find((a) => a.project_id === project.id);
    const hours = String(2 + Math.floor(p.rng() * 12));
    const res = await p.call("set_allocation", {
      person_id: row.person_id,
      target: `project:${project.id}`,
      week,
      hours,
      version: existing?.version ?? 0,
    });
    if (res.ok) {
      expect(`SELECT 1 FROM allocations WHERE person_id = ${row.person_id} AND project_id = ${project.id} AND week = ${q(week)}`, `allocation ${row.person_id}/${project.id}/${week}`);
    }
  } else if (r < 0.5 && ctx.projects.length) {
    const project = p.pick(ctx.projects);
    const res = await p.call("post_update", {
      project_id: project.id,
      rag: p.pick(["green", "amber", "red"]),
      summary: `Load update ${p.n}-${ops}`,
      next_steps: "Keep going",
    });
    if (res.ok) expect(`SELECT 1 FROM status_updates WHERE id = ${res.body}`, `client update ${res.body}`);
  } else if (r < 0.6 && ctx.projects.length) {
    const project = p.pick(ctx.projects);
    const res = await p.call("propose_change", {
      project_id: project.id,
      description: `Extra scope from the load run ${p.n}-${ops}`,
      extra_value: "1500",
      hours: Object.fromEntries(ctx.skills.slice(0, 1).map(([id]) => [id, "6"])),
    });
    if (res.ok) expect(`SELECT 1 FROM change_requests WHERE id = ${res.body}`, `change request ${res.body}`);
  } else if (r < 0.75) {
    const res = await p.call("capacity_grid", { from: "", weeks: 12, demand: p.pick(["off", "weighted"]) });
    if (res.ok) ctx.grid = res.body;
  } else {
    await p.page(p.pick(["/capacity", "/projects", "/", "/pipeline"]));
  }
}

async function teamStep(p, ctx) {
  const r = p.rng();
  if (r < 0.5 && ctx.week?.projects?.length) {
    const [projectId] = p.pick(ctx.week.projects);
    const day = new Date();
    day.setUTCDate(day.getUTCDate() - Math.floor(p.rng() * 14));
    const res = await p.call("log_time", {
      project_id: projectId,
      worked_on: isoDay(day),
      hours: "0.25",
      note: `load ${p.n}-${ops}`,
    });
    if (res.ok) expect(`SELECT 1 FROM time_entries WHERE id = ${res.body.id}`, `time entry ${res.body.id}`);
  } else if (r < 0.7) {
    const res = await p.call("timesheet", { week: "" });
    if (res.ok) ctx.week = res.body;
  } else {
    await p.page(p.pick(["/time", "/pipeline", "/capacity"]));
  }
}

async function viewerStep(p) {
  const r = p.rng();
  if (r < 0.3) await p.call("dashboard");
  else if (r < 0.5) await p.call("list_board");
  // Finance logs no time: its role does not open /time (that page answers 403).
  else await p.page(p.pick(PAGES.filter((page) => page !== "/time")));
}

async function person(p) {
  // Like a person, try again after the Retry-After a busy or rate-limited sign-in asks.
  let login = await p.call("login", { email: p.email, password: PASSWORD });
  for (let i = 0; i < 10 && !p.cookie && (login.status === 429 || login.status === 503); i++) {
    const wait = Number(login.body?.RateLimited?.retry_after_secs ?? 1);
    if (wait > 5) break;
    await new Promise((r) => setTimeout(r, wait * 1000 * (0.5 + p.rng())));
    login = await p.call("login", { email: p.email, password: PASSWORD });
  }
  if (!p.cookie) {
    console.error(`sign-in of ${p.email} failed: ${login.status} ${JSON.stringify(login.body)}`);
    return;
  }
  const ctx = { projects: [], skills: [], grid: null, week: null };
  let board = (await p.call("list_board")).body;
  if (p.role === "pm" || p.role === "admin") {
    const list = await p.call("list_projects");
    if (list.ok) ctx.projects = list.body.projects.filter((x) => x.status !== "done" && x.status !== "cancelled");
    const grid = await p.call("capacity_grid", { from: "", weeks: 12, demand: "off" });
    if (grid.ok) {
      ctx.grid = grid.body;
      ctx.skills = grid.body.skills;
    }
  }
  if (p.role === "team") ctx.week = (await p.call("timesheet", { week: "" })).body;
  let step = 0;
  while (running()) {
    step += 1;
    if ((step % 25 === 0 || !board?.columns) && (p.role === "sales" || p.role === "admin")) {
      const fresh = await p.call("list_board");
      if (fresh.ok) board = fresh.body;
    }
    if (p.role === "sales") await salesStep(p, board);
    else if (p.role === "pm") await pmStep(p, ctx);
    else if (p.role === "team") await teamStep(p, ctx);
    else if (p.role === "admin") {
      if (p.rng() < 0.5 && board?.columns) await salesStep(p, board);
      else await pmStep(p, ctx);
    } else await viewerStep(p);
    if (THINK_MS > 0) await new Promise((r) => setTimeout(r, THINK_MS * (0.5 + p.rng())));
  }
}

// ---- check the data ---------------------------------------------------------------------
const sqlite = (sql) =>
  execFileSync("sqlite3", [dbPath, sql], { encoding: "utf8", maxBuffer: 1 << 26 }).trim();
// psql reads the script from stdin: one line per result row, columns separated by |,
// stopping at the first error (thrown, with psql's message).
function psql(sql) {
  const r = spawnSync("psql", ["-X", "-q", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1", "-d", pgUrl, "-f", "-"], {
    input: sql,
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`psql exited with ${r.status}: ${r.stderr.trim()}`);
  return r.stdout
    .split("\n")
    .filter((line) => line !== "")
    .join("\n");
}
const query = (sql) => (pgUrl ? psql(sql) : sqlite(sql));

// PostgreSQL enforces foreign keys and unique constraints as it writes; after a crash check
// them anyway, from the catalog: every problem is one line, nothing means intact.
const PG_INTEGRITY = `
-- Every foreign key of the schema: rows whose (non-null) key has no parent row.
SELECT format($q$SELECT 'foreign key ' || %L || ': ' || count(*) || ' rows of ' || %L || ' without their ' || %L
                 FROM %s c WHERE %s AND NOT EXISTS (SELECT 1 FROM %s p WHERE %s) HAVING count(*) > 0$q$,
              conname, conrelid::regclass::text, confrelid::regclass::text,
              conrelid::regclass, not_null, confrelid::regclass, joined)
  FROM (SELECT c.conname, c.conrelid, c.confrelid,
               string_agg(format('c.%I IS NOT NULL', a.attname), ' AND ' ORDER BY k.i) AS not_null,
               string_agg(format('p.%I = c.%I', b.attname, a.attname), ' AND ' ORDER BY k.i) AS joined
          FROM pg_constraint c
          CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(ck, fk, i)
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.ck
          JOIN pg_attribute b ON b.attrelid = c.confrelid AND b.attnum = k.fk
         WHERE c.contype = 'f'
           AND c.connamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
         GROUP BY c.oid, c.conname, c.conrelid, c.confrelid) f
 ORDER BY conname
\\gexec
-- The live stream's order: one event per (workspace, seq).
SELECT 'events: workspace ' || workspace_id || ' has seq ' || seq || ' ' || count(*) || ' times'
  FROM events GROUP BY workspace_id, seq HAVING count(*) > 1 ORDER BY workspace_id, seq LIMIT 20;
-- No index left invalid.
SELECT 'index ' || i.indexrelid::regclass || ' is not valid'
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
   AND NOT (i.indisvalid AND i.indisready);
-- With amcheck installed: every B-tree index of the schema is sound and indexes every row.
SELECT format('SELECT %s.bt_index_check(%L::regclass, true)', quote_ident(e.nspname), c.oid::regclass)
  FROM pg_class c
  JOIN pg_am am ON am.oid = c.relam AND am.amname = 'btree'
  CROSS JOIN (SELECT n.nspname FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace
               WHERE x.extname = 'amcheck') e
 WHERE c.relkind = 'i'
   AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
 ORDER BY 1
\\gexec
`;

function checkDatabase(list) {
  const missing = [];
  // One query per batch of expectations: each answers 1 or is missing. (CASE rather than
  // EXISTS alone: PostgreSQL would answer a boolean, t or f.)
  for (let i = 0; i < list.length; i += 200) {
    const batch = list.slice(i, i + 200);
    const sql = batch.map((e, j) => `SELECT ${i + j}, CASE WHEN EXISTS(${e.sql}) THEN 1 ELSE 0 END;`).join("\n");
    for (const line of query(sql).split("\n")) {
      if (!line) continue;
      const [idx, found] = line.split("|");
      if (found !== "1") missing.push(list[Number(idx)].what);
    }
  }
  let integrity;
  if (pgUrl) {
    let problems;
    try {
      problems = psql(PG_INTEGRITY);
    } catch (e) {
      problems = e.message; // amcheck raises an error on a damaged index
    }
    integrity = problems === "" ? "ok" : problems.split("\n").join("; ");
  } else {
    const check = sqlite("PRAGMA integrity_check;");
    const fk = sqlite("PRAGMA foreign_key_check;");
    integrity = check === "ok" && fk === "" ? "ok" : `integrity_check: ${check}; foreign_key_check: ${fk || "ok"}`;
  }
  return { missing, integrity };
}

if (VERIFY) {
  if (!haveDb) throw new Error("--verify needs BATON_DB or BATON_DATABASE_URL");
  const list = VERIFY.flatMap((f) => JSON.parse(readFileSync(f, "utf8")));
  const { missing, integrity } = checkDatabase(list);
  console.log(`acknowledged writes checked: ${list.length}, missing: ${missing.length}; database integrity: ${integrity}`);
  for (const what of missing.slice(0, 20)) console.log(`  missing: ${what}`);
  process.exit(missing.length === 0 && integrity === "ok" ? 0 : 1);
}

// ---- run --------------------------------------------------------------------------------
const started = performance.now();
const people = Array.from({ length: USERS }, (_, i) => new Person(i, PEOPLE[i % PEOPLE.length]));
await Promise.all(people.map(person));
const seconds = (performance.now() - started) / 1000;

// ---- report -----------------------------------------------------------------------------
const pct = (xs, q) => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * q) - 1)];
};
let total = 0;
let writes = 0;
let fivexx = 0;
const nonOk = new Map();
const rows = [];
for (const [name, s] of [...stats.entries()].sort()) {
  total += s.times.length;
  const bad = [...s.statuses.entries()].filter(([st]) => !(typeof st === "number" && st < 400));
  for (const [st, n] of bad) {
    nonOk.set(st, (nonOk.get(st) ?? 0) + n);
    if (typeof st !== "number" || st >= 500) fivexx += n;
  }
  rows.push({
    name,
    count: s.times.length,
    p50: +pct(s.times, 0.5).toFixed(1),
    p99: +pct(s.times, 0.99).toFixed(1),
    non2xx: Object.fromEntries(bad),
  });
}
for (const e of expectations) writes += 1;
console.log(`users=${USERS} seconds=${seconds.toFixed(1)} requests=${total} (${(total / seconds).toFixed(0)}/s) acknowledged writes=${writes} (${(writes / seconds).toFixed(0)}/s)`);
console.log("name".padEnd(28), "count".padStart(7), "p50 ms".padStart(9), "p99 ms".padStart(9), "  non-2xx");
for (const r of rows) {
  console.log(
    r.name.padEnd(28),
    String(r.count).padStart(7),
    r.p50.toFixed(1).padStart(9),
    r.p99.toFixed(1).padStart(9),
    " ",
    Object.keys(r.non2xx).length ? JSON.stringify(r.non2xx) : "",
  );
}
console.log(`non-2xx by status: ${JSON.stringify(Object.fromEntries(nonOk))}`);
for (const [what, body] of firstErrors) console.log(`  first ${what}: ${body}`);

// ---- check the data ---------------------------------------------------------------------
let lost = [];
let integrity = "not checked (no BATON_DB or BATON_DATABASE_URL)";
if (EXPECTATIONS_OUT) writeFileSync(EXPECTATIONS_OUT, JSON.stringify(expectations));
if (haveDb) ({ missing: lost, integrity } = checkDatabase(expectations));
console.log(`acknowledged writes checked: ${haveDb ? expectations.length : 0}, missing: ${lost.length}`);
for (const what of lost.slice(0, 20)) console.log(`  missing: ${what}`);
console.log(`database integrity: ${integrity}`);
if (JSON_OUT) {
  writeFileSync(JSON_OUT, JSON.stringify({ users: USERS, seconds, requests: total, writes, rows, nonOk: Object.fromEntries(nonOk), lost: lost.length, integrity }, null, 2));
}
const failed = fivexx > 0 || lost.length > 0 || (haveDb && integrity !== "ok");
if (failed) console.log(`FAILED: ${fivexx} answers 5xx or network errors, ${lost.length} acknowledged writes missing, integrity ${integrity}`);
process.exit(failed ? 1 : 0);
