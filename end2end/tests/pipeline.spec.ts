import { test, expect, Page } from "@playwright/test";
import { scalar } from "./db";
import { signIn, watchConsole, PASSWORD } from "./helpers";

const STAGES = ["Lead", "Qualified", "Proposal", "Negotiation", "Won", "Lost"];

async function checkBoard(page: Page) {
  // One region per stage, in order.
  for (const stage of STAGES) {
    await expect(page.getByRole("region", { name: stage, exact: true })).toBeVisible();
  }
  const names = await page.locator("section.column").evaluateAll((els) =>
    els.map((el) => el.getAttribute("aria-label")),
  );
  expect(names).toEqual(STAGES);

  // As many cards as the database has live deals in the demo workspace.
  const inDb = Number(
    scalar(
      "SELECT COUNT(*) FROM deals d JOIN workspaces w ON w.id = d.workspace_id " +
        "WHERE w.slug = 'demo' AND d.archived_at IS NULL",
    ),
  );
  expect(inDb).toBeGreaterThanOrEqual(60);
  await expect(page.getByRole("article")).toHaveCount(inDb);

  // Each column's header equals the sum of its cards, and matches the database.
  for (const stage of STAGES) {
    const column = page.getByRole("region", { name: stage, exact: true });
    const cardValues = await column
      .getByRole("article")
      .evaluateAll((els) => els.map((el) => Number(el.getAttribute("data-value-minor"))));
    const total = Number(await column.getByTestId("column-value").getAttribute("data-minor"));
    expect(total).toBe(cardValues.reduce((a, b) => a + b, 0));
    await expect(column.getByTestId("column-count")).toHaveText(String(cardValues.length));
    const dbTotal = Number(
      scalar(
        "SELECT COALESCE(SUM(d.value_minor), 0) FROM deals d JOIN stages s ON s.id = d.stage_id " +
          `JOIN workspaces w ON w.id = d.workspace_id WHERE w.slug = 'demo' AND s.name = '${stage}' ` +
          "AND d.archived_at IS NULL",
      ),
    );
    expect(total).toBe(dbTotal);
  }

  // A card names its deal, and shows client, value, probability, owner and age.
  const card = page.getByRole("region", { name: "Proposal", exact: true }).getByRole("article").first();
  await expect(card.locator(".deal-client")).not.toBeEmpty();
  await expect(card.locator(".deal-value")).toHaveText(/^€[\d,]+$/);
  await expect(card.locator(".deal-probability")).toHaveText(/^\d+ %$/);
  await expect(card.locator(".avatar")).toHaveText(/^[A-Z]{1,2}$/);
  await expect(card.locator(".deal-age")).toContainText("in stage");
}

test("the pipeline board shows every deal in its stage with correct totals", async ({ page }) => {
  const errors = watchConsole(page);
  await signIn(page, "am@northwind.test");
  await page.waitForLoadState("networkidle");
  await expect(page).toHaveTitle("Pipeline · Baton");
  await checkBoard(page);
  // Hydration ran: the wasm bundle was fetched and instantiated without errors.
  const wasmLoaded = await page.evaluate(() =>
    performance.getEntriesByType("resource").some((e) => e.name.endsWith(".wasm")),
  );
  expect(wasmLoaded).toBe(true);
  // Open deals show whether they fit the team's capacity; closed ones do not.
  await expect(page.getByRole("region", { name: "Proposal", exact: true }).getByTestId("fit").first()).toHaveText(/^(Fits|Tight|Short)$/);
  await expect(page.getByRole("region", { name: "Won", exact: true }).getByTestId("fit")).toHaveCount(0);
  await page.screenshot({ path: "screenshots/pipeline.png", fullPage: false });
  expect(errors).toEqual([]);
});

test("the board is complete without JavaScript", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  // Signing in works as a plain form post too.
  await page.goto("/pipeline");
  await expect(page).toHaveURL(/\/login\?next=\/pipeline$/);
  await page.getByLabel("Email").fill("am@northwind.test");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/pipeline$/);
  await checkBoard(page);
  await page.screenshot({ path: "screenshots/pipeline-no-js.png" });
  await context.close();
});

test("home is the dashboard and unknown pages say so", async ({ page }) => {
  const errors = watchConsole(page);
  await signIn(page, "am@northwind.test");
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Dashboard", exact: true })).toBeVisible();
  const response = await page.goto("/no-such-page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  // The 404 page itself logs a console error for the 404 response; nothing else may.
  expect(errors.filter((e) => !e.includes("404"))).toEqual([]);
});
