import { test, expect } from "@playwright/test";
import { hydrated, signIn, watchConsole } from "./helpers";

// The first load: the bundle is served under a versioned directory with caching that
// matches it. Runs against the debug build in the suite (`/pkg/dev/`, revalidated) and
// against the release binary in scripts/release-check.sh (`/pkg/<hash>/`, immutable,
// brotli, served from inside the binary).

test("the bundle is served under a versioned address with caching that matches it", async ({ page }) => {
  const errors = watchConsole(page);
  await signIn(page, "pm@northwind.test");

  // The page names its bundle under a versioned directory, the stylesheet included.
  const script = await page.locator('link[rel="modulepreload"]').first().getAttribute("href");
  const version = script!.match(/^\/pkg\/([^/]+)\/baton\.js$/)?.[1];
  expect(version, `script at ${script}`).toBeTruthy();
  await expect(page.locator('link[rel="stylesheet"]#leptos')).toHaveAttribute("href", `/pkg/${version}/baton.css`);
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

test("a bundle that cannot be downloaded leaves a message and a way to try again", async ({ page }) => {
  await signIn(page, "am@northwind.test");
  // The connection drops while the WebAssembly downloads.
  await page.route("**/baton.wasm", (route) => route.abort("connectionreset"));
  await page.goto("/pipeline");
  const banner = page.getByRole("alert").filter({ hasText: "could not be downloaded" });
  await expect(banner).toBeVisible();
  await expect(banner).toContainText("Nothing you saved is lost.");
  expect(await page.locator("html").getAttribute("data-hydrated")).toBeNull();
  // The page the server sent is still there to read under the message.
  await expect(page.getByRole("region", { name: "Proposal", exact: true })).toBeVisible();
  await page.screenshot({ path: "screenshots/first-load-broken.png" });

  // The connection is back: *Try again* loads the page afresh and it starts.
  await page.unroute("**/baton.wasm");
  await banner.getByRole("link", { name: "Try again" }).click();
  await hydrated(page);
  await expect(page).toHaveURL(/\/pipeline$/);
  await expect(page.locator("#broken")).toHaveCount(0);
  await expect(page.getByRole("region", { name: "Proposal", exact: true })).toBeVisible();
});
