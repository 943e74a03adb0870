import { test, expect, Page } from "@playwright/test";
import { scalar } from "./db";
import { signIn, watchConsole } from "./helpers";

const cardIn = (p: Page, stage: string, id: string) =>
  p.getByRole("region", { name: stage, exact: true }).locator(`article[data-deal-id="${id}"]`);

test("the drawer creates a client inline and edits the estimate; the client page lists the deal", async ({ page }) => {
  const errors = watchConsole(page);
  await signIn(page, "am@northwind.test");
  await expect(page.getByTestId("live-status")).toHaveAttribute("data-status", "live");
  const row = scalar(
    "SELECT d.id || '|' || d.title FROM deals d JOIN stages s ON s.id = d.stage_id JOIN workspaces w ON w.id = d.workspace_id " +
      "WHERE w.slug = 'demo' AND s.name = 'Qualified' AND d.archived_at IS NULL ORDER BY d.id LIMIT 1",
  );
  const [id, title] = row.split("|");
  await cardIn(page, "Qualified", id).getByRole("link", { name: title }).click();
  const drawer = page.getByRole("dialog");
  await expect(drawer).toBeVisible();
  await drawer.locator('select[name="client_id"]').selectOption({ label: "New client…" });
  await drawer.getByLabel("New client's name").fill("Harbour & Pine");
  await drawer.getByLabel("Design hours").fill("32");
  await drawer.getByLabel("QA hours").fill("7.5");
  await drawer.getByRole("button", { name: "Save" }).click();
  await expect(drawer.getByText("Saved.")).toBeVisible();
  await expect(cardIn(page, "Qualified", id)).toContainText("Harbour & Pine");
  await expect(drawer.getByLabel("QA hours")).toHaveValue("7.5");
  await expect(page.getByTestId("activity").locator("li").first()).toContainText("Design");
  await page.screenshot({ path: "screenshots/drawer-estimate.png" });
  expect(
    scalar(
      `SELECT l.minutes FROM deal_estimate_lines l JOIN skills s ON s.id = l.skill_id WHERE l.deal_id = ${Number(id)} AND s.name = 'QA'`,
    ),
  ).toBe("450");

  // The client exists, with the deal on its page.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Clients" }).click();
  await expect(page.getByRole("heading", { name: "Clients" })).toBeVisible();
  await page.getByRole("link", { name: "Harbour & Pine" }).click();
  await expect(page.getByRole("heading", { name: /Harbour & Pine/ })).toBeVisible();
  await expect(page.getByRole("link", { name: title })).toBeVisible();

  // Health is a flag the account manager sets.
  await page.getByLabel("Health").selectOption({ label: "At risk" });
  await page.getByLabel("Contact email").fill("ops@harbourpine.test");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("heading", { name: /Harbour & Pine/ }).locator(".health")).toHaveText("At risk");
  await page.screenshot({ path: "screenshots/client.png", fullPage: true });
  await page.goto("/clients");
  await expect(page.getByRole("row", { name: /Harbour & Pine/ })).toContainText("At risk");
  await page.screenshot({ path: "screenshots/clients.png", fullPage: true });
  expect(errors).toEqual([]);
});

test("a team member sees clients without amounts and cannot edit them", async ({ page }) => {
  await signIn(page, "team@northwind.test");
  await page.goto("/clients");
  await expect(page.getByRole("heading", { name: "Clients" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Add a client" })).toHaveCount(0);
  await expect(page.getByText("€")).toHaveCount(0);
  const first = page.locator("table.clients tbody tr a").first();
  await first.click();
  await expect(page.getByRole("heading", { name: "Deals" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Save" })).toHaveCount(0);
});
