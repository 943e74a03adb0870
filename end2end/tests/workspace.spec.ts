import { test, expect } from "@playwright/test";
import { hydrated, signIn, watchConsole } from "./helpers";

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
