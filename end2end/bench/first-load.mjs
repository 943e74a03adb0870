// First-load benchmark: opens pages in headless Chromium over an emulated ordinary line
// (Chrome DevTools Protocol: 10 Mbit/s down, 5 Mbit/s up, 40 ms round trip) and records,
// per page, cold (empty cache) and warm (cache from an earlier visit) loads:
//   - first contentful paint (the browser's own `first-contentful-paint` entry);
//   - interactive: when hydration finished and the page answers clicks (the app marks
//     `<html data-hydrated>` then);
//   - bytes on the wire by kind (wasm + JS, CSS, HTML), from the protocol's
//     encodedDataLength (compressed size plus headers).
// Reports p50 / p95 over N loads of each. Signed in as the project manager.
//
//   BATON_URL=http://127.0.0.1:3055 node bench/first-load.mjs [loads=20] [--json out.json]
//
// Loopback only; bounded by its count.
import { chromium } from "@playwright/test";
import { writeFileSync } from "node:fs";

const base = process.env.BATON_URL ?? "http://127.0.0.1:3055";
if (!/^http:\/\/(127\.|localhost)/.test(base)) throw new Error("loopback only");
const args = process.argv.slice(2);
const loads = Number(args.find((a) => /^\d+$/.test(a)) ?? 20);
const jsonAt = args.indexOf("--json");
const jsonOut = jsonAt >= 0 ? args[jsonAt + 1] : null;
const email = process.env.BATON_EMAIL ?? "pm@northwind.test";

const LINE = { offline: false, latency: 40, downloadThroughput: (10e6 / 8), uploadThroughput: (5e6 / 8) };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

// Sign in once; every measured context starts from this session's cookies only.
const login = await browser.newContext({ baseURL: base });
const loginPage = await login.newPage();
await loginPage.goto("/login", { waitUntil: "networkidle" });
await loginPage.getByLabel("Email").fill(email);
await loginPage.getByLabel("Password").fill(process.env.BATON_PASSWORD ?? "baton-demo");
await loginPage.getByRole("button", { name: "Sign in" }).click();
await loginPage.waitForURL((url) => !url.pathname.startsWith("/login"));
const cookies = await login.cookies();
await loginPage.goto("/projects", { waitUntil: "networkidle" });
const projectHref = await loginPage.locator('a[href^="/projects/"]').first().getAttribute("href");
await login.close();
if (!projectHref) throw new Error("no project to open");

const routes = ["/pipeline", "/capacity", projectHref];

async function newContext() {
  const context = await browser.newContext({ baseURL: base, viewport: { width: 1600, height: 1000 } });
  await context.addCookies(cookies);
  // Stamps the moment hydration marks the page (performance.now(), from navigation start).
  await context.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.documentElement?.hasAttribute("data-hydrated")) {
        window.__interactive = performance.now();
        observer.disconnect();
      }
    }).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-hydrated"] });
  });
  return context;
}

/// One load of `route` in `page` (with `cdp` attached): its timings and bytes.
async function load(page, cdp, route) {
  const bytes = { code: 0, css: 0, html: 0, other: 0 };
  const kinds = new Map();
  const onResponse = (e) => {
    const url = e.response.url;
    const type = e.response.mimeType;
    kinds.set(e.requestId, type.includes("wasm") || type.includes("javascript") || url.endsWith(".wasm") || url.endsWith(".js")
      ? "code" : type.includes("css") ? "css" : type.includes("html") ? "html" : "other");
  };
  const onFinished = (e) => {
    const kind = kinds.get(e.requestId) ?? "other";
    bytes[kind] += e.encodedDataLength;
  };
  cdp.on("Network.responseReceived", onResponse);
  cdp.on("Network.loadingFinished", onFinished);
  await page.goto(route, { waitUntil: "load" });
  await page.waitForFunction(() => window.__interactive !== undefined, null, { timeout: 60_000 });
  // Let late chunk requests finish before the bytes are counted.
  await page.waitForLoadState("networkidle");
  const timing = await page.evaluate(() => ({
    fcp: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN,
    interactive: window.__interactive,
  }));
  cdp.off("Network.responseReceived", onResponse);
  cdp.off("Network.loadingFinished", onFinished);
  if (new URL(page.url()).pathname !== route) throw new Error(`${route} went to ${page.url()}`);
  return { ...timing, ...bytes };
}

async function throttled(context) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", LINE);
  return { page, cdp };
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

const results = [];
for (const route of routes) {
  const cold = [];
  for (let i = 0; i < loads; i++) {
    const context = await newContext();
    const { page, cdp } = await throttled(context);
    cold.push(await load(page, cdp, route));
    await context.close();
  }
  // Warm: one context; the first visit fills its cache, then each load reuses it.
  const warm = [];
  const context = await newContext();
  const { page, cdp } = await throttled(context);
  await load(page, cdp, route);
  for (let i = 0; i < loads; i++) {
    await page.goto("about:blank");
    warm.push(await load(page, cdp, route));
  }
  await context.close();
  for (const [cache, runs] of [["cold", cold], ["warm", warm]]) {
    const row = {
      route: route.startsWith("/projects/") ? "/projects/<id>" : route,
      cache,
      loads: runs.length,
      fcp_p50: pct(runs.map((r) => r.fcp), 50),
      fcp_p95: pct(runs.map((r) => r.fcp), 95),
      interactive_p50: pct(runs.map((r) => r.interactive), 50),
      interactive_p95: pct(runs.map((r) => r.interactive), 95),
      code_kb: pct(runs.map((r) => r.code), 50) / 1024,
      css_kb: pct(runs.map((r) => r.css), 50) / 1024,
      html_kb: pct(runs.map((r) => r.html), 50) / 1024,
    };
    results.push(row);
  }
}
await browser.close();

const ms = (x) => `${Math.round(x)} ms`;
const kb = (x) => `${x.toFixed(1)} KB`;
console.log(`first load over 10 Mbit/s, 40 ms RTT (${base}, ${loads} loads each, signed in as ${email})`);
console.log("| page | cache | FCP p50 | FCP p95 | interactive p50 | interactive p95 | wasm + JS | CSS | HTML |");
console.log("|---|---|---:|---:|---:|---:|---:|---:|---:|");
for (const r of results) {
  console.log(`| ${r.route} | ${r.cache} | ${ms(r.fcp_p50)} | ${ms(r.fcp_p95)} | ${ms(r.interactive_p50)} | ${ms(r.interactive_p95)} | ${kb(r.code_kb)} | ${kb(r.css_kb)} | ${kb(r.html_kb)} |`);
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(results, null, 2));
