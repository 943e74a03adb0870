import { test, expect, Browser } from "@playwright/test";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scalar } from "./db";
import { hydrated, signIn, watchConsole } from "./helpers";

async function open(browser: Browser, email: string, path: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = watchConsole(page);
  await signIn(page, email);
  await page.goto(path);
  await hydrated(page);
  return { page, errors, context };
}

/** The last active project (other specs use the first ones). */
function lastProject(): { id: string; name: string } {
  const [id, name] = scalar(
    "SELECT p.id || '|' || p.name FROM projects p JOIN workspaces w ON w.id = p.workspace_id " +
      "WHERE w.slug = 'demo' AND p.status = 'active' ORDER BY p.id DESC LIMIT 1",
  ).split("|");
  return { id, name };
}

test("a project manager approves a change request and another browser sees the revised budget", async ({ browser }) => {
  const project = lastProject();
  const pm = await open(browser, "pm@northwind.test", `/projects/${project.id}`);
  const am = await open(browser, "am@northwind.test", `/projects/${project.id}`);
  const budget = () => am.page.getByTestId("budget").textContent();
  const before = await budget();

  await pm.page.getByTestId("propose-change").locator("summary").click();
  const form = pm.page.getByTestId("propose-change");
  await form.getByLabel("What is asked for").fill("Add a careers section");
  await form.getByLabel("Extra value").fill("6000");
  await form.getByLabel("Design").fill("8");
  await form.getByLabel("Frontend").fill("12");
  await form.getByRole("button", { name: "Propose" }).click();
  const change = pm.page.getByTestId("changes").locator("li.change", { hasText: "Add a careers section" });
  await expect(change).toBeVisible();
  // The form empties and folds away once the proposal is in.
  await expect.poll(() => form.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
  await expect(form.getByLabel("What is asked for")).toHaveValue("");
  // The account manager's page shows the proposal live.
  await expect(am.page.getByTestId("changes").getByText("Add a careers section")).toBeVisible();

  await change.getByRole("button", { name: "Review" }).click();
  const review = pm.page.getByTestId("change-review");
  await expect(review).toBeVisible();
  await expect(review.getByTestId("change-capacity")).toHaveText(/Fits|Tight|Short/);
  await expect(review).toContainText("Revised budget");
  await pm.page.screenshot({ path: "screenshots/change-review.png", fullPage: true });
  const short = (await review.getByTestId("change-capacity").textContent()) === "Short";
  if (short) {
    // A project manager cannot override: the approve button is disabled.
    await expect(review.getByRole("button", { name: "Approve" })).toBeDisabled();
    test.skip(true, "the demo team is short for this change; covered by the integration tests");
  }
  await review.getByRole("button", { name: "Approve" }).click();
  await expect(pm.page.getByTestId("changes").locator("li.change-approved", { hasText: "Add a careers section" })).toBeVisible();
  await expect(pm.page.getByTestId("changes-summary")).toContainText("approved");

  // The other browser's budget moves without a reload.
  await expect.poll(budget).not.toBe(before);
  await expect(am.page.getByTestId("changes").locator("li.change-approved")).toHaveCount(1);
  await am.page.screenshot({ path: "screenshots/change-approved.png", fullPage: true });
  expect(pm.errors).toEqual([]);
  expect(am.errors).toEqual([]);
  await pm.context.close();
  await am.context.close();
});

test("an account manager posts an update and shares it; the client opens the link logged out", async ({ browser }) => {
  const project = lastProject();
  const am = await open(browser, "am@northwind.test", `/projects/${project.id}`);
  const post = am.page.getByTestId("post-update");
  await post.getByLabel("Amber").check();
  await post.getByLabel("Summary").fill("Content delivery slipped a week; launch date holds.");
  await post.getByLabel("Next steps").fill("Copy review with the client on Thursday.");
  await post.getByRole("button", { name: "Post update" }).click();
  await expect(am.page.getByTestId("timeline")).toContainText("Content delivery slipped a week");
  await expect(post.getByLabel("Summary")).toHaveValue("");

  await am.page.getByRole("button", { name: "Make a share link" }).click();
  const link = am.page.getByTestId("new-share-link").locator("a");
  await expect(link).toBeVisible();
  const href = await link.getAttribute("href");
  // The whole address, as a client would be sent it, and a button that copies it.
  const origin = new URL(am.page.url()).origin;
  expect(href).toMatch(new RegExp(`^${origin.replace(/[.]/g, "\\.")}/share/[0-9a-f]{64}$`));
  await expect(link).toHaveText(href!);
  await am.page.getByTestId("new-share-link").getByRole("button", { name: "Copy link" }).click();
  await expect(am.page.getByTestId("new-share-link").getByRole("button", { name: "Copied" })).toBeVisible();
  await am.page.screenshot({ path: "screenshots/project-updates.png", fullPage: true });

  // A visitor with no session.
  const visitor = await browser.newContext();
  const page = await visitor.newPage();
  const errors = watchConsole(page);
  await page.goto(href!);
  await expect(page.getByTestId("shared-project")).toBeVisible();
  // The logo does not send a client to a sign-in page.
  await expect(page.locator("header .brand")).toBeVisible();
  await expect(page.locator("a.brand")).toHaveCount(0);
  await expect(page.getByRole("heading", { name: project.name })).toBeVisible();
  await expect(page.getByTestId("timeline")).toContainText("Content delivery slipped a week");
  await expect(page.getByText("Copy review with the client on Thursday.")).toBeVisible();
  await expect(page.getByText("Budget")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Sign out" })).toHaveCount(0);
  await page.screenshot({ path: "screenshots/share-link.png", fullPage: true });
  expect(errors).toEqual([]);

  // Revoked: the same link no longer opens.
  await am.page.getByTestId("share-links").getByRole("button", { name: "Revoke" }).first().click();
  await expect(am.page.getByTestId("share-links")).toContainText("revoked");
  await page.goto(href!);
  await expect(page.getByText("This link is not available")).toBeVisible();
  await visitor.close();
  await am.context.close();
});

test("the dashboard draws its charts and follows permissions", async ({ browser }) => {
  const admin = await open(browser, "admin@northwind.test", "/");
  await expect(admin.page.getByRole("heading", { name: "Dashboard", exact: true })).toBeVisible();
  await expect(admin.page.getByTestId("forecast-bar")).toHaveCount(6);
  await expect(admin.page.getByTestId("utilisation-point")).toHaveCount(8);
  await expect(admin.page.getByTestId("kpi-forecast")).toContainText("€");
  await expect(admin.page.getByTestId("live-status")).toHaveAttribute("data-status", "live");
  // Bars have height; the line has points inside the chart.
  const heights = await admin.page.getByTestId("forecast-bar").evaluateAll((bars) =>
    bars.map((b) => Number(b.getAttribute("height"))),
  );
  expect(heights.some((h) => h > 10)).toBe(true);
  await admin.page.screenshot({ path: "screenshots/dashboard.png", fullPage: true });

  // Each item links to where it is acted on.
  const rotting = admin.page.getByTestId("rotting-list").locator("a").first();
  if (await rotting.count()) {
    await expect(rotting).toHaveAttribute("href", /\/pipeline\?deal=\d+/);
  }

  // A team member sees counts, not money.
  const team = await open(browser, "team@northwind.test", "/");
  await expect(team.page.getByTestId("forecast-bar")).toHaveCount(6);
  await expect(team.page.getByTestId("kpi-forecast")).toContainText("deals");
  await expect(team.page.getByTestId("kpi-forecast")).not.toContainText("€");
  await team.page.screenshot({ path: "screenshots/dashboard-team-member.png", fullPage: true });

  // Live: a deal added in another browser moves the forecast without a reload.
  const forecast = () => admin.page.getByTestId("kpi-forecast").textContent();
  const before = await forecast();
  const [stage, client] = scalar(
    "SELECT s.id || '|' || c.id FROM stages s JOIN workspaces w ON w.id = s.workspace_id JOIN clients c ON c.workspace_id = w.id " +
      "WHERE w.slug = 'demo' AND s.name = 'Qualified' ORDER BY c.id LIMIT 1",
  ).split("|");
  const am = await open(browser, "am@northwind.test", "/pipeline");
  const status = await am.page.evaluate(async ([stage_id, client_id]) => {
    const body = new URLSearchParams({ stage_id, client_id, title: "Dashboard live check", value: "80000" });
    const r = await fetch("/api/create_deal", { method: "POST", body, headers: { Accept: "application/json" } });
    return r.status;
  }, [stage, client]);
  expect(status).toBe(200);
  await expect.poll(forecast).not.toBe(before);
  expect(admin.errors).toEqual([]);
  expect(team.errors).toEqual([]);
  await admin.context.close();
  await team.context.close();
  await am.context.close();
});

test("people are imported from CSV after a check that names the bad rows", async ({ browser }) => {
  const admin = await open(browser, "admin@northwind.test", "/data");
  await expect(admin.page.getByTestId("export-deals")).toBeVisible();
  const dir = mkdtempSync(join(tmpdir(), "baton-import-"));
  const bad = join(dir, "people-bad.csv");
  const good = join(dir, "people.csv");
  const rows = Array.from({ length: 1200 }, (_, i) => `Imported Person ${i},imported${i}@example.test,${20 + (i % 20)},Design;Research,55,120`);
  writeFileSync(good, ["name,email,weekly_hours,skills,cost_rate,bill_rate", ...rows].join("\n") + "\n");
  writeFileSync(bad, ["name,email,weekly_hours,skills,cost_rate,bill_rate", rows[0], ",nobody@example.test,40,,,", "Busy Bee,busy@example.test,400,,,"].join("\n") + "\n");
  const peopleBefore = Number(scalar("SELECT COUNT(*) FROM people"));

  await admin.page.getByLabel("What").selectOption("people");
  await admin.page.getByTestId("import-file").setInputFiles(bad);
  const errors = admin.page.getByTestId("import-errors");
  await expect(errors).toBeVisible();
  await expect(errors.locator("tbody tr")).toHaveCount(2);
  await expect(errors).toContainText("weekly_hours");
  await admin.page.screenshot({ path: "screenshots/import-errors.png", fullPage: true });
  expect(Number(scalar("SELECT COUNT(*) FROM people"))).toBe(peopleBefore);

  await admin.page.getByTestId("import-file").setInputFiles(good);
  const preview = admin.page.getByTestId("import-preview");
  await expect(preview).toBeVisible();
  await expect(preview).toContainText("1200 rows are ready");
  await expect(preview.locator("tbody tr")).toHaveCount(5);
  await admin.page.screenshot({ path: "screenshots/import-preview.png", fullPage: true });
  await preview.getByRole("button", { name: "Import 1200 rows" }).click();
  await expect(admin.page.getByTestId("import-done")).toHaveText("Imported 1200 rows.");
  expect(Number(scalar("SELECT COUNT(*) FROM people"))).toBe(peopleBefore + 1200);
  expect(admin.errors).toEqual([]);
  await admin.context.close();
});
