import { test, expect } from "@playwright/test";
import { scalar } from "./db";
import { signIn, watchConsole } from "./helpers";

const DEMO = "(SELECT id FROM workspaces WHERE slug = 'demo')";

test("filters narrow the board, follow the URL, and the totals follow them", async ({ page }) => {
  const errors = watchConsole(page);
  await signIn(page, "am@northwind.test");
  await expect(page.getByTestId("live-status")).toHaveAttribute("data-status", "live");
  const all = await page.getByRole("article").count();
  expect(all).toBeGreaterThanOrEqual(60);

  // Text search, debounced, kept in the URL.
  await page.getByRole("searchbox", { name: "Search" }).fill("Harbor");
  await expect(page).toHaveURL(/[?&]q=Harbor/);
  const harbor = Number(
    scalar(`SELECT COUNT(*) FROM deals d JOIN clients c ON c.id = d.client_id WHERE d.workspace_id = ${DEMO} AND d.archived_at IS NULL AND (lower(c.name) LIKE '%harbor%' OR lower(d.title) LIKE '%harbor%')`),
  );
  expect(harbor).toBeGreaterThan(0);
  expect(harbor).toBeLessThan(all);
  await expect(page.getByRole("article")).toHaveCount(harbor);
  for (const stage of ["Lead", "Qualified", "Proposal", "Negotiation", "Won", "Lost"]) {
    const column = page.getByRole("region", { name: stage, exact: true });
    const values = await column
      .getByRole("article")
      .evaluateAll((els) => els.map((el) => Number(el.getAttribute("data-value-minor"))));
    const total = Number(await column.getByTestId("column-value").getAttribute("data-minor"));
    expect(total).toBe(values.reduce((a, b) => a + b, 0));
    await expect(column.getByTestId("column-count")).toHaveText(String(values.length));
  }
  await page.screenshot({ path: "screenshots/filtered.png" });

  // "My deals" on top: only Sofia's.
  await page.getByLabel("My deals").check();
  await expect(page).toHaveURL(/mine=1/);
  const mine = Number(
    scalar(`SELECT COUNT(*) FROM deals d JOIN clients c ON c.id = d.client_id JOIN users u ON u.id = d.owner_user_id WHERE d.workspace_id = ${DEMO} AND d.archived_at IS NULL AND u.email = 'am@northwind.test' AND (lower(c.name) LIKE '%harbor%' OR lower(d.title) LIKE '%harbor%')`),
  );
  await expect(page.getByRole("article")).toHaveCount(mine);

  // A link shares the view: the server renders it filtered.
  const url = page.url();
  await page.goto(url);
  await expect(page.getByRole("article")).toHaveCount(mine);
  await expect(page.getByRole("searchbox", { name: "Search" })).toHaveValue("Harbor");

  // Clear brings everything back.
  await page.getByRole("link", { name: "Clear" }).click();
  await expect(page.getByRole("article")).toHaveCount(all);
  expect(errors).toEqual([]);
});

test("an owner filter from a link works without JavaScript", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Email").fill("am@northwind.test");
  await page.getByLabel("Password").fill("baton-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  const daniel = scalar("SELECT id FROM users WHERE email = 'daniel@northwind.test'");
  await page.goto(`/pipeline?owner=${daniel}`);
  const his = Number(scalar(`SELECT COUNT(*) FROM deals WHERE owner_user_id = ${daniel} AND archived_at IS NULL`));
  await expect(page.getByRole("article")).toHaveCount(his);
  await context.close();
});
