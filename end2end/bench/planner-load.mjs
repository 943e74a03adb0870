// Planner load benchmark: signs in as a project manager and opens /capacity N times
// (12 weeks, every person). Reports, per load, the server's time to the whole HTML
// (navigation responseEnd − requestStart, the page is rendered completely on the server),
// and the time until the WebAssembly has hydrated the planner (the table's
// data-hydrated-ms, set by an effect once the browser owns it), both from navigation start.
//
//   BATON_URL=http://127.0.0.1:3056 node bench/planner-load.mjs [loads]
//   BATON_DEMAND=weighted ...   (pipeline demand on: the odds of being over and the what-if)
import { chromium } from "@playwright/test";

const base = process.env.BATON_URL ?? "http://127.0.0.1:3056";
if (!/^http:\/\/(127\.|localhost)/.test(base)) throw new Error("loopback only");
const loads = Number(process.argv[2] ?? 20);
const demand = process.env.BATON_DEMAND ?? "off";

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext({ baseURL: base, viewport: { width: 1600, height: 1000 } });
const page = await context.newPage();
await page.goto("/login", { waitUntil: "networkidle" });
await page.getByLabel("Email").fill("pm@northwind.test");
await page.getByLabel("Password").fill("baton-demo");
await page.getByRole("button", { name: "Sign in" }).click();
await page.waitForURL(/\/pipeline$/);

const server = [];
const hydrated = [];
const html = [];
let rows = 0;
for (let i = 0; i < loads + 2; i++) {
  await page.goto(`/capacity?weeks=12&demand=${demand}`, { waitUntil: "load" });
  await page.locator("table.planner[data-hydrated-ms]").waitFor({ timeout: 60_000 });
  const t = await page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    return {
      server: nav.responseStart - nav.requestStart,
      html: nav.responseEnd - nav.startTime,
      hydrated: Number(document.querySelector("table.planner").getAttribute("data-hydrated-ms")),
      rows: document.querySelectorAll("tr.person-row").length,
      bytes: nav.transferSize,
    };
  });
  rows = t.rows;
  if (i < 2) continue; // warm-up
  server.push(t.server);
  html.push(t.html);
  hydrated.push(t.hydrated);
}
const pct = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.round((s.length - 1) * q)].toFixed(1);
};
console.log(`rows=${rows} loads=${loads} demand=${demand}`);
console.log(`server (request → first byte) ms: p50 ${pct(server, 0.5)} p95 ${pct(server, 0.95)}`);
console.log(`whole HTML received ms:          p50 ${pct(html, 0.5)} p95 ${pct(html, 0.95)}`);
console.log(`hydrated (from navigation) ms:   p50 ${pct(hydrated, 0.5)} p95 ${pct(hydrated, 0.95)}`);
await browser.close();
