// Live latency benchmark: browser A moves a deal, browser B (another user) sees it.
// Measures, for N moves, the time from A's move (just before the select changes) to B's
// DOM showing the card in its new column (a MutationObserver in B reports back).
// Both clocks are this Node process's: the figure includes Playwright's round trips.
//
//   BATON_URL=http://127.0.0.1:3055 node bench/live-latency.mjs [moves]
//
// With BATON_URL_B set, browser B signs in there instead: another server on the same
// PostgreSQL database, so each move crosses servers (through the database's notification).
import { chromium } from "@playwright/test";

const base = process.env.BATON_URL ?? "http://127.0.0.1:3055";
if (!/^http:\/\/(127\.|localhost)/.test(base)) throw new Error("loopback only");
const baseB = process.env.BATON_URL_B ?? base;
if (!/^http:\/\/(127\.|localhost)/.test(baseB)) throw new Error("loopback only");
const moves = Number(process.argv[2] ?? 100);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

async function signedIn(email, url = base) {
  const context = await browser.newContext({ baseURL: url, viewport: { width: 1600, height: 1000 } });
  const page = await context.newPage();
  await page.goto("/login", { waitUntil: "networkidle" });
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("baton-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/pipeline$/);
  await page.locator('[data-testid="live-status"][data-status="live"]').waitFor();
  return page;
}

const a = await signedIn("am@northwind.test");
const b = await signedIn("daniel@northwind.test", baseB);

const stageId = (page, name) => page.getByRole("region", { name, exact: true }).getAttribute("data-stage-id");
const lead = await stageId(a, "Lead");
const qualified = await stageId(a, "Qualified");
const dealId = await a.getByRole("region", { name: "Lead", exact: true }).locator("article").first().getAttribute("data-deal-id");

let waiting = null;
await b.exposeFunction("__arrived", (stage) => {
  if (waiting && waiting.stage === stage) {
    const w = waiting;
    waiting = null;
    w.resolve(performance.now());
  }
});
await b.evaluate((id) => {
  const seen = () => {
    const card = document.querySelector(`article[data-deal-id="${id}"]`);
    const stage = card?.closest("section")?.getAttribute("data-stage-id");
    if (stage) window.__arrived(stage);
  };
  new MutationObserver(seen).observe(document.querySelector(".board"), { childList: true, subtree: true });
}, dealId);

const times = [];
for (let i = 0; i < moves; i++) {
  const target = i % 2 === 0 ? qualified : lead;
  const from = i % 2 === 0 ? "Lead" : "Qualified";
  const arrived = new Promise((resolve) => (waiting = { stage: target, resolve }));
  const menu = a.getByRole("region", { name: from, exact: true }).locator(`article[data-deal-id="${dealId}"] select`);
  await menu.waitFor();
  const t0 = performance.now();
  await menu.selectOption(target);
  const t1 = await Promise.race([arrived, new Promise((r) => setTimeout(() => r(null), 5000))]);
  if (t1 === null) throw new Error(`move ${i} never arrived`);
  times.push(t1 - t0);
  // Let A's own save finish before the next move (its version must be current).
  await a.waitForTimeout(60);
}
times.sort((x, y) => x - y);
const pct = (q) => times[Math.round((times.length - 1) * q)];
console.log(`moves=${moves} A->B p50=${pct(0.5).toFixed(1)} ms p95=${pct(0.95).toFixed(1)} ms max=${times.at(-1).toFixed(1)} ms`);
await browser.close();
