import { test, expect, Browser, Page } from "@playwright/test";
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hydrated, moveWithMenu, PASSWORD, watchConsole } from "./helpers";

// Two Baton servers on one PostgreSQL database behind nginx on loopback, as an operator
// runs them: browser A is served by server A, browser B by server B (each prefers its
// own, with the other as nginx's backup). A move and a close in A appear in B; then
// server A is killed, A's browser reconnects through nginx to B and catches up on a
// change made while it was away.

/** A free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/** The admin URL of the test cluster (scripts/e2e.sh starts one). */
function adminURL(): string {
  const url = process.env.BATON_TEST_POSTGRES;
  if (!url) throw new Error("BATON_TEST_POSTGRES is not set: run the suite through scripts/e2e.sh");
  return url;
}

/** `url` (a PostgreSQL URL) naming database `name`. */
function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

function psql(url: string, sql: string): string {
  return execFileSync("psql", [url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql], { encoding: "utf8" }).trim();
}

async function waitHealthy(url: string, child: ChildProcess, what: string) {
  for (let i = 0; i < 300; i++) {
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) return;
    } catch {
      // not up yet
    }
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start`);
}

async function startBaton(database: string, port: number): Promise<ChildProcess> {
  const bin = process.env.BATON_BIN;
  if (!bin) throw new Error("BATON_BIN is not set: run the suite through scripts/e2e.sh");
  const server = spawn(bin, ["serve"], {
    cwd: process.env.BATON_ROOT,
    env: {
      ...process.env,
      DATABASE_URL: database,
      BATON_ADDR: `127.0.0.1:${port}`,
      BATON_TRUSTED_PROXIES: "127.0.0.1",
      RUST_LOG: "warn",
    },
    stdio: "ignore",
  });
  await waitHealthy(`http://127.0.0.1:${port}`, server, `baton on ${port}`);
  return server;
}

/** nginx in front of both servers: `X-Prefer: b` is served by B, anything else by A; each
 * falls back to the other when its own does not answer. */
async function startNginx(dir: string, port: number, a: number, b: number): Promise<ChildProcess> {
  const conf = join(dir, "nginx.conf");
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream prefer_a { server 127.0.0.1:${a} max_fails=1 fail_timeout=30s; server 127.0.0.1:${b} backup; }
  upstream prefer_b { server 127.0.0.1:${b} max_fails=1 fail_timeout=30s; server 127.0.0.1:${a} backup; }
  map $http_x_prefer $pool { b prefer_b; default prefer_a; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://$pool;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_buffering off;
      proxy_read_timeout 1h;
      proxy_connect_timeout 2s;
    }
  }
}
`,
  );
  chmodSync(dir, 0o755);
  const nginx = spawn("nginx", ["-c", conf, "-p", dir], { stdio: "ignore" });
  await waitHealthy(`http://127.0.0.1:${port}`, nginx, "nginx");
  return nginx;
}

function stop(child: ChildProcess | undefined, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}

/** A browser whose every request (pages, server functions, the live stream) carries
 * `X-Prefer: prefer`, signed in as `email` on the board. */
async function openBoard(browser: Browser, baseURL: string, prefer: string, email: string) {
  const context = await browser.newContext({ baseURL, extraHTTPHeaders: { "X-Prefer": prefer } });
  const page = await context.newPage();
  const errors = watchConsole(page);
  await page.goto("/login", { waitUntil: "networkidle" });
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/pipeline$/);
  await hydrated(page);
  await expect(page.getByTestId("live-status")).toHaveAttribute("data-status", "live");
  return { context, page, errors };
}

const cardIn = (p: Page, stage: string, id: string) =>
  p.getByRole("region", { name: stage, exact: true }).locator(`article[data-deal-id="${id}"]`);

test("two servers behind nginx: changes cross servers live, and a browser whose server dies carries on through the other", async ({ browser }) => {
  test.setTimeout(150_000);
  const dir = mkdtempSync(join(tmpdir(), "baton-servers-"));
  const name = `baton_e2e_${process.pid}_${Date.now()}`;
  const admin = adminURL();
  psql(admin, `CREATE DATABASE ${name}`);
  const database = withDatabase(admin, name);
  const [portA, portB, portLB] = [await freePort(), await freePort(), await freePort()];
  let serverA: ChildProcess | undefined;
  let serverB: ChildProcess | undefined;
  let nginx: ChildProcess | undefined;
  try {
    // Started together on the empty database: one migrates and seeds, the other waits.
    [serverA, serverB] = await Promise.all([startBaton(database, portA), startBaton(database, portB)]);
    expect(psql(database, "SELECT COUNT(*) FROM workspaces WHERE slug = 'demo'")).toBe("1");
    nginx = await startNginx(dir, portLB, portA, portB);
    const url = `http://127.0.0.1:${portLB}`;

    const a = await openBoard(browser, url, "a", "admin@northwind.test");
    const b = await openBoard(browser, url, "b", "daniel@northwind.test");
    // Each server has its own sessions' browser; both see each other on the board.
    const connections = psql(database, "SELECT COUNT(DISTINCT server_id) FROM presence");
    expect(connections).toBe("2");
    await expect(a.page.getByTestId("viewers")).toContainText("Daniel Brooks");
    await expect(b.page.getByTestId("viewers")).toContainText("Nora Lindqvist");

    // A move in A appears in B.
    const [id, title] = psql(
      database,
      "SELECT d.id || '|' || d.title FROM deals d JOIN stages s ON s.id = d.stage_id JOIN workspaces w ON w.id = d.workspace_id " +
        "WHERE w.slug = 'demo' AND s.name = 'Lead' AND d.archived_at IS NULL ORDER BY d.id LIMIT 1",
    ).split("|");
    await expect(cardIn(b.page, "Lead", id)).toBeVisible();
    await moveWithMenu(cardIn(a.page, "Lead", id), "Qualified");
    await expect(cardIn(a.page, "Qualified", id)).toBeVisible();
    await expect(cardIn(b.page, "Qualified", id)).toBeVisible();
    await expect(cardIn(b.page, "Lead", id)).toHaveCount(0);

    // A close in A (a deal that fits as planned) appears in B: the card lands in Won.
    const fits = a.page.locator('article[data-deal-id]:has([data-testid="fit"]:text-is("Fits"))').first();
    const closeId = (await fits.getAttribute("data-deal-id")) ?? "";
    expect(closeId).not.toBe("");
    await moveWithMenu(fits, "Won — close…");
    const dialog = a.page.getByRole("dialog");
    await expect(dialog).toBeVisible();
    const closeButton = dialog.getByRole("button", { name: "Close deal and create the project" });
    await expect(closeButton).toBeEnabled();
    await closeButton.click();
    await expect(a.page).toHaveURL(/\/projects\/\d+$/);
    await expect(cardIn(b.page, "Won", closeId)).toBeVisible();
    await b.page.screenshot({ path: "screenshots/servers-b-sees-close.png" });
    await a.page.goto("/pipeline");
    await hydrated(a.page);
    await expect(a.page.getByTestId("live-status")).toHaveAttribute("data-status", "live");

    // Server A dies. Its browser loses the stream, reconnects through nginx to B, and
    // catches up on a move B's browser made while it was away.
    await stop(serverA);
    const [id2, title2] = psql(
      database,
      "SELECT d.id || '|' || d.title FROM deals d JOIN stages s ON s.id = d.stage_id JOIN workspaces w ON w.id = d.workspace_id " +
        "WHERE w.slug = 'demo' AND s.name = 'Lead' AND d.archived_at IS NULL ORDER BY d.id LIMIT 1",
    ).split("|");
    await moveWithMenu(cardIn(b.page, "Lead", id2), "Proposal");
    await expect(cardIn(b.page, "Proposal", id2)).toBeVisible();
    await expect(a.page.getByTestId("live-status")).toHaveAttribute("data-status", "live", { timeout: 30_000 });
    await expect(cardIn(a.page, "Proposal", id2)).toBeVisible({ timeout: 20_000 });
    await expect(cardIn(a.page, "Lead", id2)).toHaveCount(0);
    await a.page.screenshot({ path: "screenshots/servers-a-caught-up.png" });
    // Only server B holds live connections now.
    await expect
      .poll(() => psql(database, "SELECT COUNT(DISTINCT server_id) FROM presence WHERE seen_at > 0"), { timeout: 45_000 })
      .toBe("1");
    // And A's browser keeps working through B: another move goes through and B sees it.
    const [id3, title3] = psql(
      database,
      "SELECT d.id || '|' || d.title FROM deals d JOIN stages s ON s.id = d.stage_id JOIN workspaces w ON w.id = d.workspace_id " +
        "WHERE w.slug = 'demo' AND s.name = 'Lead' AND d.archived_at IS NULL ORDER BY d.id LIMIT 1",
    ).split("|");
    await moveWithMenu(cardIn(a.page, "Lead", id3), "Qualified");
    await expect(cardIn(b.page, "Qualified", id3)).toBeVisible();
    // The dropped stream shows in the console; nothing else may fail.
    const unexpected = (errors: string[]) =>
      errors.filter((e) => !/api\/live|ERR_CONNECTION_REFUSED|ERR_INCOMPLETE_CHUNKED_ENCODING|EventSource|502|Bad Gateway/i.test(e));
    expect(unexpected(a.errors)).toEqual([]);
    expect(unexpected(b.errors)).toEqual([]);
    await a.context.close();
    await b.context.close();
  } finally {
    await stop(nginx, "SIGQUIT");
    await stop(serverA);
    await stop(serverB, "SIGTERM");
    try {
      psql(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } catch {
      // the cluster is stopped with the run anyway
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
