import { test, expect } from "@playwright/test";
import { scalar } from "./db";
import { hydrated, signIn, watchConsole } from "./helpers";

const DEMO = "(SELECT id FROM workspaces WHERE slug = 'demo')";
const BLUEBIRD = "(SELECT id FROM workspaces WHERE slug = 'bluebird')";

/** The values of one column of a query, one per row. */
function names(sql: string): string[] {
  return scalar(`SELECT group_concat(name, '|') FROM (${sql})`).split("|").filter(Boolean);
}

/** Names that are Northwind's own: its clients, projects and people. */
const northwindNames = () =>
  names(
    `SELECT name FROM clients WHERE workspace_id = ${DEMO}
     UNION SELECT name FROM projects WHERE workspace_id = ${DEMO}
     UNION SELECT name FROM people WHERE workspace_id = ${DEMO}`,
  );

test("the second workspace is its own studio: its pipeline, clients and people, nothing of Northwind", async ({ page }) => {
  const errors = watchConsole(page);
  await signIn(page, "admin@bluebird.test");
  const deals = Number(scalar(`SELECT COUNT(*) FROM deals WHERE workspace_id = ${BLUEBIRD} AND archived_at IS NULL`));
  await expect(page.getByRole("article")).toHaveCount(deals);
  for (const stage of ["Inquiry", "Discovery call", "Treatment", "Bidding", "Awarded", "Not awarded"]) {
    await expect(page.getByRole("region", { name: stage, exact: true })).toBeVisible();
  }
  await expect(page.getByRole("article").filter({ hasText: "Hudson Coffee Roasters" }).first()).toBeVisible();
  const northwind = northwindNames();
  expect(northwind.length).toBeGreaterThan(30);
  const board = (await page.locator("main").textContent()) ?? "";
  for (const name of northwind) expect(board).not.toContain(name);

  await page.goto("/clients");
  await hydrated(page);
  const clients = (await page.locator("main").textContent()) ?? "";
  for (const name of names(`SELECT name FROM clients WHERE workspace_id = ${BLUEBIRD}`)) {
    expect(clients).toContain(name);
  }
  for (const name of northwind) expect(clients).not.toContain(name);

  await page.goto("/capacity");
  await hydrated(page);
  await expect(page.locator("tr.skill-row th", { hasText: "Video editing" })).toBeVisible();
  const capacity = (await page.locator("main").textContent()) ?? "";
  for (const name of northwind) expect(capacity).not.toContain(name);
  expect(errors).toEqual([]);
});

// Bluebird's calendar is changed, not Northwind's: the other specs share the database and
// count on Northwind's Berlin days and Monday weeks.
test("an admin moves the workspace to Sydney time and Sunday weeks", async ({ page }) => {
  const errors = watchConsole(page);
  await signIn(page, "admin@bluebird.test");
  await page.goto("/settings/workspace");
  await hydrated(page);
  await expect(page.getByTestId("time-zone")).toHaveValue("America/New_York");
  await expect(page.getByTestId("week-start")).toHaveValue("1");

  await page.getByTestId("time-zone").selectOption("Australia/Sydney");
  await page.getByTestId("week-start").selectOption({ label: "Sunday" });
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("workspace-today")).toContainText("in Australia/Sydney");
  await expect(page.getByTestId("workspace-today")).toContainText("(Sunday)");
  await page.screenshot({ path: "screenshots/workspace-settings.png", fullPage: true });

  // The planner's weeks start on Sunday now.
  await page.goto("/capacity");
  await hydrated(page);
  const week = await page.request.post("/api/capacity_grid", {
    form: { weeks: "1" },
    headers: { Accept: "application/json", Origin: process.env.BATON_URL ?? "http://127.0.0.1:3100" },
  });
  const grid = await week.json();
  expect(new Date(`${grid.first_week}T00:00:00Z`).getUTCDay()).toBe(0);

  // And the audit log has the change.
  await page.goto("/settings/audit?entity=workspace");
  await hydrated(page);
  await expect(page.getByText("settings changed")).toBeVisible();
  expect(errors).toEqual([]);
});
