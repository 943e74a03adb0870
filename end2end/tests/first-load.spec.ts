import { test, expect } from "@playwright/test";
import { signIn, watchConsole } from "./helpers";

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
