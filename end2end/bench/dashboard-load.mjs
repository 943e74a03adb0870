// Dashboard load benchmark: signs in as an admin, then (1) opens `/` N times and reports
// the server's time to first byte and to the whole HTML (the dashboard is rendered
// completely on the server), and (2) calls the `dashboard` server function N times from
// the page (what every live reload does) and reports its round trip.
//
//   BATON_URL=http://127.0.0.1:3056 node bench/dashboard-load.mjs [loads]
import { chromium } from "@playwright/test";

const base = process.env.BATON_URL ?? "http://127.0.0.1:3056";
if (!/^http:\/\/(127\.|localhost)/.test(base)) throw new Error("loopback only");
const loads = Number(process.argv[2] ?? 20);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext({ baseURL: base, viewport: { width: 1600, height: 1000 } });
const page = await context.newPage();
await page.goto("/login", { waitUntil: "networkidle" });
await page.getByLabel("Email").fill("admin@northwind.test");
await page.getByLabel("Password").fill("baton-demo");
await page.getByRole("button", { name: "Sign in" }).click();
await page.waitForURL(/\/pipeline$/);

const server = [];
const html = [];
for (let i = 0; i < loads + 2; i++) {
  await page.goto("/", { waitUntil: "load" });
  await page.getByTestId("forecast-chart").waitFor();
  const t = await page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    return { server: nav.responseStart - nav.requestStart, html: nav.responseEnd - nav.startTime };
  });
  if (i < 2) continue; // warm-up
  server.push(t.server);
  html.push(t.html);
}
const calls = await page.evaluate(async (n) => {
  const out = [];
  for (let i = 0; i < n + 2; i++) {
    const t0 = performance.now();
    const r = await fetch("/api/dashboard", { method: "POST", headers: { Accept: "application/json" } });
    await r.text();
    if (i >= 2) out.push(performance.now() - t0);
  }
  return out;
}, loads);
const pct = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.round((s.length - 1) * q)].toFixed(1);
};
console.log(`loads=${loads}`);
console.log(`page: server (request → first byte) ms: p50 ${pct(server, 0.5)} p95 ${pct(server, 0.95)}`);
console.log(`page: whole HTML received ms:          p50 ${pct(html, 0.5)} p95 ${pct(html, 0.95)}`);
console.log(`dashboard server function ms:          p50 ${pct(calls, 0.5)} p95 ${pct(calls, 0.95)}`);
await browser.close();
