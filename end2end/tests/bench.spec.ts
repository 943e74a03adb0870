import { test, expect } from "@playwright/test";
import { signIn } from "./helpers";

// Reports how long the engine takes as WebAssembly in this Chromium. Reported, not
// asserted: run against a release build for the numbers in docs/BENCHMARKS.md
// (BATON_URL=http://127.0.0.1:3000 npx playwright test bench.spec.ts).
test("the engine runs as WebAssembly in the browser", async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, "pm@northwind.test");
  await page.goto("/bench/engine", { waitUntil: "networkidle" });
  await page.getByRole("button", { name: "Run 50 full checks" }).click();
  const output = page.getByTestId("bench-result");
  await expect(output).toContainText("median_ms=", { timeout: 100_000 });
  const text = await output.textContent();
  expect(text).toMatch(/verdict=Some\((Fits|Tight|Short)\)/);
  console.log(`engine in Chromium (wasm): ${text}`);
});
