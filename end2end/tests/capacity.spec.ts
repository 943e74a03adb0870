import { test, expect, Browser, Page } from "@playwright/test";
import { hydrated, signIn, watchConsole } from "./helpers";

async function open(browser: Browser, email: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = watchConsole(page);
  await signIn(page, email);
  await page.goto("/capacity");
  await hydrated(page);
  await expect(page.getByTestId("planner")).toBeVisible();
  await expect(page.getByTestId("live-status")).toHaveAttribute("data-status", "live");
  return { page, errors };
}

const hours = async (p: Page, selector: string) => {
  const text = (await p.locator(selector).locator(".cell-main").first().textContent()) ?? "";
  return text.trim() === "" ? 0 : Number(text.trim());
};

test("the planner shows the team; pipeline demand changes the skill totals and adds unassigned rows", async ({ browser }) => {
  const { page, errors } = await open(browser, "pm@northwind.test");
  const rows = page.locator("tr.person-row");
  expect(await rows.count()).toBeGreaterThan(20);
  await expect(page.locator("tr.skill-row").first()).toBeVisible();
  await expect(page.locator("tr.unassigned-row")).toHaveCount(0);
  await page.screenshot({ path: "screenshots/capacity.png" });
  const totals = async () =>
    page.locator("tr.skill-row td .cell-main").evaluateAll((els) => els.map((e) => Number(e.textContent)));
  const before = await totals();
  await page.getByLabel("Pipeline demand", { exact: true }).selectOption("weighted");
  await expect(page).toHaveURL(/demand=weighted/);
  await expect(page.locator("tr.unassigned-row").first()).toBeVisible();
  const weighted = await totals();
  expect(weighted.reduce((a, b) => a + b, 0)).toBeGreaterThan(before.reduce((a, b) => a + b, 0));
  await expect(page.locator("td.has-tentative").first()).toBeVisible();
  await page.screenshot({ path: "screenshots/capacity-demand.png" });
  await page.getByLabel("Pipeline demand", { exact: true }).selectOption("pessimistic");
  await expect(page).toHaveURL(/demand=pessimistic/);
  await expect.poll(async () => (await totals()).reduce((a, b) => a + b, 0)).toBeGreaterThan(weighted.reduce((a, b) => a + b, 0));
  // Narrow to one skill.
  await page.getByLabel("Skill", { exact: true }).selectOption({ label: "QA" });
  await expect(page).toHaveURL(/skill=/);
  await expect(page.locator("tr.skill-row")).toHaveCount(1);
  expect(errors).toEqual([]);
});

test("a cell edited in one browser changes in another without reload", async ({ browser }) => {
  const a = await open(browser, "pm@northwind.test");
  const b = await open(browser, "admin@northwind.test");
  const cell = a.page.locator("tr.person-row").first().locator("td.cell").nth(10);
  const person = await cell.getAttribute("data-person");
  const week = await cell.getAttribute("data-week");
  const selector = `td[data-person="${person}"][data-week="${week}"]`;
  const before = await hours(b.page, selector);
  await cell.click();
  const panel = a.page.getByRole("dialog", { name: "Week details" });
  await expect(panel).toBeVisible();
  await panel.getByLabel("Hours to add").fill("6");
  await panel.getByRole("button", { name: "Add", exact: true }).click();
  await expect(panel.getByTestId("cell-message")).toContainText("Saved");
  await expect.poll(() => hours(b.page, selector)).toBe(before + 6);
  await expect.poll(() => hours(a.page, selector)).toBe(before + 6);
  await a.page.screenshot({ path: "screenshots/capacity-cell.png" });
  expect(a.errors).toEqual([]);
  expect(b.errors).toEqual([]);
});

test("a team member sees only their own row, read-only", async ({ browser }) => {
  const { page, errors } = await open(browser, "team@northwind.test");
  await expect(page.locator("tr.person-row")).toHaveCount(1);
  await expect(page.getByText("Assign someone to a project")).toHaveCount(0);
  await page.locator("tr.person-row td.cell").first().click();
  const panel = page.getByRole("dialog", { name: "Week details" });
  await expect(panel).toBeVisible();
  await expect(panel.getByRole("button", { name: "Add", exact: true })).toHaveCount(0);
  await page.screenshot({ path: "screenshots/capacity-team.png" });
  expect(errors).toEqual([]);
});
