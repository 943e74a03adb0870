import { test, expect } from "@playwright/test";
import { hydrated, signIn, watchConsole } from "./helpers";

// The first load: the bundle is split by page (each page's code is its own chunk, fetched
// when the page is first shown), served under a versioned directory with caching that
// matches it, and a chunk that cannot be downloaded leaves a message with a way to try
// again rather than a dead page. Runs against the debug build in the suite (`/pkg/dev/`,
// revalidated) and against the release binary in scripts/release-check.sh (`/pkg/<hash>/`,
// immutable, served from inside the binary).

test("each page downloads its own chunk; the bundle's caching matches its address", async ({ page }) => {
  const errors = watchConsole(page);
  const wasm: string[] = [];
  page.on("request", (r) => {
    if (r.url().endsWith(".wasm")) wasm.push(new URL(r.url()).pathname);
  });
  await signIn(page, "pm@northwind.test");

  // The page names its bundle under a versioned directory, the stylesheet included.
  const script = await page.locator('link[rel="modulepreload"]').first().getAttribute("href");
  const version = script!.match(/^\/pkg\/([^/]+)\/baton\.js$/)?.[1];
  expect(version, `script at ${script}`).toBeTruthy();
  await expect(page.locator('link[rel="stylesheet"]#leptos')).toHaveAttribute("href", `/pkg/${version}/baton.css`);
  // The pipeline's own chunk came with the first load, and no other page's.
  const split = wasm.filter((p) => /split_/.test(p));
  expect(split.length, `chunks: ${wasm.join(", ")}`).toBeGreaterThan(0);
  expect(split.some((p) => /board_page/.test(p)), wasm.join(", ")).toBe(true);
  expect(split.some((p) => /planner_page|admin_pages|project_page|time_page/.test(p)), wasm.join(", ")).toBe(false);

  const firstLoad = wasm.length;
  // Each page opened from the menu fetches its group's chunk the first time one of the
  // group's pages is shown (projects, clients and the dashboard share one), and works.
  const pages: [string, RegExp, string, string | null][] = [
    ["Capacity", /\/capacity$/, "Capacity", "planner_page"],
    ["Projects", /\/projects$/, "Projects", "sales_pages"],
    ["Clients", /\/clients$/, "Clients", null],
    ["Dashboard", /\/$/, "Dashboard", null],
    ["Time", /\/time$/, "My time", "time_page"],
    ["Data", /\/data$/, "Import and export", "admin_pages"],
    ["Pipeline", /\/pipeline$/, "Pipeline", null],
  ];
  for (const [link, url, heading, chunk] of pages) {
    const before = wasm.length;
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: link, exact: true }).click();
    await expect(page).toHaveURL(url);
    await expect(page.getByRole("heading", { level: 1 }).first()).toContainText(heading);
    if (chunk) {
      const fetched = wasm.slice(before);
      expect(fetched.some((p) => p.includes(chunk)), `${link} fetched ${fetched.join(", ") || "nothing"}`).toBe(true);
    }
  }
  // No chunk was fetched twice: coming back to a page uses what the browser has.
  const browsed = wasm.slice(firstLoad);
  expect(new Set(browsed).size, browsed.join(", ")).toBe(browsed.length);
  expect(browsed.filter((p) => wasm.slice(0, firstLoad).includes(p)), "fetched again").toEqual([]);

  // Caching: a release's bundle is immutable, a debug build's is revalidated; an address
  // of another version is a 404 that is not kept.
  const js = await page.request.get(`/pkg/${version}/baton.js`, { headers: { "accept-encoding": "br, gzip" } });
  expect(js.status()).toBe(200);
  const caching = js.headers()["cache-control"];
  if (version === "dev") {
    expect(caching).toBe("no-cache");
  } else {
    expect(caching).toBe("public, max-age=31536000, immutable");
    expect(js.headers()["content-encoding"]).toBe("br");
  }
  expect(js.headers()["etag"]).toBeTruthy();
  const again = await page.request.get(`/pkg/${version}/baton.js`, { headers: { "if-none-match": js.headers()["etag"] } });
  expect(again.status()).toBe(304);
  const stale = await page.request.get(`/pkg/0000000000000000/baton.js`);
  expect(stale.status()).toBe(404);
  expect(stale.headers()["cache-control"]).toBe("no-store");
  // Pages are never kept.
  const html = await page.request.get("/pipeline");
  expect(html.headers()["cache-control"]).toBe("no-store");
  expect(errors).toEqual([]);
});

test("a deep link downloads its page's chunk and hydrates", async ({ page }) => {
  await signIn(page, "pm@northwind.test");
  const wasm: string[] = [];
  page.on("request", (r) => {
    if (r.url().endsWith(".wasm")) wasm.push(new URL(r.url()).pathname);
  });
  await page.goto("/capacity");
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Capacity");
  expect(wasm.some((p) => p.includes("planner_page")), wasm.join(", ")).toBe(true);
  expect(wasm.some((p) => /admin_pages|board_page/.test(p)), wasm.join(", ")).toBe(false);
});

test("a chunk that does not download shows a message and a way to try again", async ({ page }) => {
  // The audit log's chunk fails (a dropped connection, or a version replaced by a deploy).
  let fail = true;
  await page.route(/split_[^/]*admin_pages[^/]*\.wasm$/, (route) => (fail ? route.abort("connectionreset") : route.continue()));
  await signIn(page, "admin@northwind.test");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log" }).click();
  const banner = page.getByRole("alert").filter({ hasText: "could not be downloaded" });
  await expect(banner).toBeVisible();
  await expect(banner.getByRole("link", { name: "Try again" })).toBeVisible();
  await page.screenshot({ path: "screenshots/chunk-failed.png" });
  // The connection is back: trying again opens the page.
  fail = false;
  await banner.getByRole("link", { name: "Try again" }).click();
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Audit");
  await expect(page.getByRole("alert").filter({ hasText: "could not be downloaded" })).toHaveCount(0);
});
