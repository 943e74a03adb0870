import { test, expect, Browser } from "@playwright/test";
import { scalar } from "./db";
import { hydrated, signIn, watchConsole } from "./helpers";

async function open(browser: Browser, email: string, path: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = watchConsole(page);
  await signIn(page, email);
  await page.goto(path);
  await hydrated(page);
  return { page, errors };
}

test("a team member logs time and the project manager sees the burn move without reload", async ({ browser }) => {
  const project = scalar(
    "SELECT p.id || '|' || p.name FROM projects p JOIN users u ON u.email = 'team@northwind.test' " +
      "WHERE p.status IN ('planned', 'active', 'on_hold') " +
      "AND EXISTS (SELECT 1 FROM allocations a WHERE a.project_id = p.id AND a.person_id = u.person_id) ORDER BY p.id LIMIT 1",
  );
  const [id, name] = project.split("|");
  const pm = await open(browser, "pm@northwind.test", `/projects/${id}`);
  const burn = pm.page.getByTestId("burn");
  await expect(burn).toBeVisible();
  const spent = () => burn.locator("div", { hasText: "Spent" }).locator("dd").textContent();
  const before = await spent();
  const logged = await pm.page.getByTestId("burn-logged").getAttribute("points");

  const team = await open(browser, "team@northwind.test", "/time");
  await expect(team.page.getByTestId("timesheet")).toBeVisible();
  const totalBefore = await team.page.getByTestId("week-total").textContent();
  await team.page.getByLabel("Project").selectOption({ label: name });
  // The day proposed is today in the workspace's time zone (the server's, not the
  // browser's): logging on it lands in the week shown.
  const today = await team.page.getByLabel("Day").inputValue();
  expect(today).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  await team.page.getByLabel("Hours").fill("4");
  await team.page.getByLabel("Note").fill("Design review");
  await team.page.getByRole("button", { name: "Log", exact: true }).click();
  await expect(team.page.getByTestId("week-total")).not.toHaveText(totalBefore ?? "");
  await expect(team.page.getByText("Design review")).toBeVisible();
  await team.page.screenshot({ path: "screenshots/time.png", fullPage: true });

  // The project manager's page follows.
  await expect.poll(spent).not.toBe(before);
  await expect.poll(() => pm.page.getByTestId("burn-logged").getAttribute("points")).not.toBe(logged);
  await pm.page.screenshot({ path: "screenshots/project-burn.png", fullPage: true });
  expect(pm.errors).toEqual([]);
  expect(team.errors).toEqual([]);
});
