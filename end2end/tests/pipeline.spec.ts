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
  await expect(card.locator(".avatar [aria-hidden]")).toHaveText(/^[A-Z]{1,2}$/);
  await expect(card.locator(".avatar .sr-only")).toHaveText(/^Owner: \S/);
  await expect(card.locator(".deal-age")).toContainText("in stage");
  await expect(card.locator(".deal-age")).toHaveAttribute("title", /^In this stage \d+ days?/);
  // A rotting card says how long the deal has gone without progress.
  const rotFlag = page.locator(".deal-card.rotting .rot-flag").first();
  if (await rotFlag.count()) {
    await expect(rotFlag).toHaveAttribute("title", /^Rotting: no progress for \d+ days?$/);
  }
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

test("a long column draws a page of cards, counts them all, and shows more on request", async ({ page, browser }) => {
  // It creates dozens of deals first: on a debug build late in the suite that alone takes
  // most of the default 30 s.
  test.setTimeout(60_000);
  const errors = watchConsole(page);
  await signIn(page, "am@northwind.test");
  await page.waitForLoadState("networkidle");
  const column = page.getByRole("region", { name: "Negotiation", exact: true });
  const before = Number(await column.getByTestId("column-count").textContent());
  const [stage, client] = scalar(
    "SELECT s.id || '|' || c.id FROM stages s JOIN workspaces w ON w.id = s.workspace_id JOIN clients c ON c.workspace_id = w.id " +
      "WHERE w.slug = 'demo' AND s.name = 'Negotiation' ORDER BY c.id LIMIT 1",
  ).split("|");
  // 70 more deals in the column, as other people would add them.
  const created: [number, number][] = await page.evaluate(async ([stage_id, client_id]) => {
    const out: [number, number][] = [];
    for (let i = 0; i < 70; i++) {
      const body = new URLSearchParams({ stage_id, client_id, title: `Bulk deal ${i}`, value: "1000" });
      const r = await fetch("/api/create_deal", { method: "POST", body, headers: { Accept: "application/json" } });
      if (r.status !== 200) throw new Error(await r.text());
      const card = await r.json();
      out.push([card.id, card.version]);
    }
    return out;
  }, [stage, client]);
  const total = before + 70;
  await expect(column.getByTestId("column-count")).toHaveText(String(total));

  // A fresh load draws the first 50 and offers the rest; totals are of every card.
  await page.reload({ waitUntil: "networkidle" });
  await expect(column.getByRole("article")).toHaveCount(50);
  await expect(column.getByTestId("column-count")).toHaveText(String(total));
  const dbTotal = Number(
    scalar(
      "SELECT SUM(d.value_minor) FROM deals d JOIN stages s ON s.id = d.stage_id JOIN workspaces w ON w.id = d.workspace_id " +
        "WHERE w.slug = 'demo' AND s.name = 'Negotiation' AND d.archived_at IS NULL",
    ),
  );
  expect(Number(await column.getByTestId("column-value").getAttribute("data-minor"))).toBe(dbTotal);
  const hidden = total - 50;
  await expect(column.getByTestId("column-more")).toHaveText(hidden > 50 ? `Show 50 more of ${hidden}` : `Show ${hidden} more`);

  // A deal added here shows at once, although it sorts past the first page.
  await column.getByText("+ Add a deal").click();
  const form = page.getByRole("form", { name: "Add a deal to Negotiation" });
  await form.getByLabel("Deal title").fill("Added past the first page");
  await form.getByLabel("Value").fill("5,000");
  await form.getByRole("button", { name: "Add" }).click();
  await expect(column.getByRole("article", { name: "Added past the first page" })).toBeVisible();
  await expect(column.getByTestId("column-count")).toHaveText(String(total + 1));
  await page.screenshot({ path: "screenshots/pipeline-long-column.png", fullPage: false });

  // "Show more" draws the rest in place.
  await column.getByTestId("column-more").scrollIntoViewIfNeeded();
  await column.screenshot({ path: "screenshots/pipeline-column-more.png" });
  await column.getByTestId("column-more").click();
  await expect(column.getByRole("article")).toHaveCount(Math.min(100, total + 1));
  await expect(page).toHaveURL(/\/pipeline$/);

  // Without JavaScript "Show more" is a link to a longer page.
  const plain = await browser.newContext({ javaScriptEnabled: false });
  const noJs = await plain.newPage();
  await noJs.goto("/login?next=/pipeline");
  await noJs.getByLabel("Email").fill("am@northwind.test");
  await noJs.getByLabel("Password").fill(PASSWORD);
  await noJs.getByRole("button", { name: "Sign in" }).click();
  const plainColumn = noJs.getByRole("region", { name: "Negotiation", exact: true });
  await expect(plainColumn.getByRole("article")).toHaveCount(50);
  await plainColumn.getByTestId("column-more").click();
  await expect(noJs).toHaveURL(/\/pipeline\?cards=100$/);
  await expect(plainColumn.getByRole("article")).toHaveCount(Math.min(100, total + 1));
  await plain.close();

  // Put the board back as it was for the other tests.
  const added = scalar("SELECT id || '|' || version FROM deals WHERE title = 'Added past the first page'").split("|");
  created.push([Number(added[0]), Number(added[1])]);
  const statuses = await page.evaluate(async (deals) => {
    const out: number[] = [];
    for (const [deal_id, version] of deals) {
      const body = new URLSearchParams({ deal_id: String(deal_id), version: String(version) });
      const r = await fetch("/api/archive_deal", { method: "POST", body, headers: { Accept: "application/json" } });
      out.push(r.status);
    }
    return out;
  }, created);
  expect(statuses.every((s) => s === 200)).toBe(true);
  await expect(column.getByTestId("column-count")).toHaveText(String(before));
  expect(errors).toEqual([]);
});
