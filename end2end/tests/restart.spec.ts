import { test, expect, request } from "@playwright/test";
import { ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scalar } from "./db";
import { PASSWORD, watchConsole } from "./helpers";

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

/** Starts `baton serve` on `db` and `port` and waits for /healthz. */
async function start(db: string, port: number): Promise<ChildProcess> {
  const bin = process.env.BATON_BIN;
  if (!bin) throw new Error("BATON_BIN is not set: run the suite through scripts/e2e.sh");
  const server = spawn(bin, ["serve"], {
    cwd: process.env.BATON_ROOT,
    env: { ...process.env, DATABASE_URL: `sqlite://${db}`, BATON_ADDR: `127.0.0.1:${port}`, RUST_LOG: "warn" },
    stdio: "ignore",
  });
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) return server;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  server.kill("SIGKILL");
  throw new Error(`baton did not start on ${port}`);
}

function stop(server: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (server.exitCode !== null) return resolve();
    server.once("exit", () => resolve());
    server.kill("SIGKILL");
  });
}

test("after the server restarts, the board reconnects and catches up on a change made meanwhile", async ({ browser }) => {
  test.setTimeout(90_000);
  const dir = mkdtempSync(join(tmpdir(), "baton-restart-"));
  const db = join(dir, "restart.db");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let server = await start(db, port);
  try {
    const row = scalar(
      "SELECT d.id || '|' || d.version FROM deals d JOIN stages s ON s.id = d.stage_id JOIN workspaces w ON w.id = d.workspace_id " +
        "WHERE w.slug = 'demo' AND s.name = 'Lead' AND d.archived_at IS NULL ORDER BY d.id LIMIT 1",
      db,
    );
    const [id, version] = row.split("|");
    const proposal = scalar("SELECT s.id FROM stages s JOIN workspaces w ON w.id = s.workspace_id WHERE w.slug = 'demo' AND s.name = 'Proposal'", db);

    const context = await browser.newContext({ baseURL: url });
    const page = await context.newPage();
    const errors = watchConsole(page);
    await page.goto("/login", { waitUntil: "networkidle" });
    await page.getByLabel("Email").fill("am@northwind.test");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/pipeline$/);
    const status = page.getByTestId("live-status");
    await expect(status).toHaveAttribute("data-status", "live");
    const card = (stage: string) =>
      page.getByRole("region", { name: stage, exact: true }).locator(`article[data-deal-id="${id}"]`);
    await expect(card("Lead")).toBeVisible();
    // Marks this document: a reload would lose the mark.
    await page.evaluate(() => ((window as unknown as { batonMark: number }).batonMark = 42));

    // The server dies; the board says it is offline.
    await stop(server);
    await expect(status).toHaveAttribute("data-status", "offline");
    await page.screenshot({ path: "screenshots/restart-offline.png" });

    // Meanwhile another server on the same database takes a change.
    const otherPort = await freePort();
    const other = await start(db, otherPort);
    const otherURL = `http://127.0.0.1:${otherPort}`;
    const api = await request.newContext({ baseURL: otherURL, extraHTTPHeaders: { Origin: otherURL } });
    const login = await api.post("/api/login", { form: { email: "daniel@northwind.test", password: PASSWORD } });
    expect(login.status()).toBeLessThan(400);
    const moved = await api.post("/api/move_deal", {
      form: { deal_id: id, stage_id: proposal, version },
      headers: { Accept: "application/json" },
    });
    expect(moved.status(), await moved.text()).toBe(200);
    await api.dispose();
    await stop(other);

    // Baton comes back on its address: the board reconnects by itself and applies what it missed.
    server = await start(db, port);
    await expect(status).toHaveAttribute("data-status", "live", { timeout: 30_000 });
    await expect(card("Proposal")).toBeVisible();
    await expect(card("Lead")).toHaveCount(0);
    expect(await page.evaluate(() => (window as unknown as { batonMark?: number }).batonMark)).toBe(42);
    await page.screenshot({ path: "screenshots/restart-caught-up.png" });
    // The browser's own console shows the dropped connection; nothing else may fail.
    expect(errors.filter((e) => !/api\/live|ERR_CONNECTION_REFUSED|ERR_INCOMPLETE_CHUNKED_ENCODING|EventSource/i.test(e))).toEqual([]);
    await context.close();
  } finally {
    await stop(server);
    rmSync(dir, { recursive: true, force: true });
  }
});
