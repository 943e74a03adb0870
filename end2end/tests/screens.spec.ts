import { test, expect, Browser, Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import { scalar } from "./db";
import { hydrated, signIn, watchConsole } from "./helpers";

// Every screen as each role sees it: what it shows, what it leaves out, and an automated
// accessibility audit (axe-core) with no serious or critical violation.

const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

type Violation = { id: string; impact: string; help: string; nodes: { target: string[] }[] };

/** Runs axe-core on the page as it is now; answers its serious and critical violations. */
async function violations(page: Page, what: string): Promise<string[]> {
  await page.evaluate(AXE);
  const violations: Violation[] = await page.evaluate(async () => {
    // @ts-expect-error axe is the global the script above defined
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v: Violation) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target })),
    }));
  });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${what}: ${v.impact} ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** Fails on any serious or critical violation on the page as it is now. */
async function audit(page: Page, what: string) {
  expect(await violations(page, what)).toEqual([]);
}

async function as(browser: Browser, email: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = watchConsole(page);
  await signIn(page, email);
  return { page, errors, context };
}

const ROLES = [
  { role: "admin", email: "admin@northwind.test" },
  { role: "account-manager", email: "am@northwind.test" },
  { role: "project-manager", email: "pm@northwind.test" },
  { role: "team-member", email: "team@northwind.test" },
  { role: "finance", email: "finance@northwind.test" },
];

const PAGES = [
  "/",
  "/pipeline",
  "/clients",
  "/projects",
  "/capacity",
  "/time",
  "/data",
  "/settings/users",
  "/settings/roles",
  "/settings/audit",
  "/settings/workspace",
];

/** An open deal in Negotiation and a project of the demo workspace. */
function ids() {
  const deal = scalar(
    "SELECT d.id FROM deals d JOIN stages s ON s.id = d.stage_id JOIN workspaces w ON w.id = d.workspace_id " +
      "WHERE w.slug = 'demo' AND s.name = 'Negotiation' AND d.archived_at IS NULL ORDER BY d.id LIMIT 1",
  );
  const project = scalar(
    "SELECT p.id FROM projects p JOIN workspaces w ON w.id = p.workspace_id WHERE w.slug = 'demo' AND p.status = 'active' ORDER BY p.id LIMIT 1",
  );
  const client = scalar("SELECT c.id FROM clients c JOIN workspaces w ON w.id = c.workspace_id WHERE w.slug = 'demo' ORDER BY c.id LIMIT 1");
  return { deal, project, client };
}

for (const { role, email } of ROLES) {
  test(`every page passes the accessibility audit for the ${role}`, async ({ browser }) => {
    test.setTimeout(120_000);
    const { page, errors, context } = await as(browser, email);
    const { deal, project, client } = ids();
    const found: string[] = [];
    const audit = async (p: Page, what: string) => found.push(...(await violations(p, what)));
    for (const path of [...PAGES, `/projects/${project}`, `/clients/${client}`]) {
      await page.goto(path);
      await hydrated(page);
      await audit(page, `${role} ${path}`);
    }
    // The board with the drawer open, and (for those who may) the close dialog.
    await page.goto(`/pipeline?deal=${deal}`);
    await hydrated(page);
    await expect(page.getByRole("dialog", { name: /^Deal: / })).toBeVisible();
    await audit(page, `${role} drawer`);
    await page.screenshot({ path: `screenshots/role-${role}-drawer.png` });
    await page.goto(`/pipeline?close=${deal}`);
    await hydrated(page);
    await expect(page.getByRole("dialog").first()).toBeVisible();
    await audit(page, `${role} close dialog`);
    await page.screenshot({ path: `screenshots/role-${role}-close.png`, fullPage: false });
    // The planner with a side panel open, from the keyboard.
    await page.goto("/capacity?demand=weighted");
    await hydrated(page);
    const cell = page.locator("table.planner .cell-button").first();
    await cell.focus();
    await page.keyboard.press("Enter");
    await expect(page.getByRole("dialog").first()).toBeVisible();
    await audit(page, `${role} planner panel`);
    await page.screenshot({ path: `screenshots/role-${role}-planner.png` });
    await page.goto("/pipeline");
    await hydrated(page);
    await page.screenshot({ path: `screenshots/role-${role}-board.png` });
    expect(found).toEqual([]);
    expect(errors.filter((e) => !/403|Forbidden|Failed to load resource/.test(e))).toEqual([]);
    await context.close();
  });
}

test("the sign-in page and a client's share page pass the audit", async ({ browser }) => {
  const visitor = await browser.newContext();
  const page = await visitor.newPage();
  await page.goto("/login");
  await hydrated(page);
  await audit(page, "sign-in");
  // A share link made by an account manager, opened with no session.
  const am = await as(browser, "am@northwind.test");
  await am.page.goto(`/projects/${ids().project}`);
  await hydrated(am.page);
  await am.page.getByRole("button", { name: "Make a share link" }).click();
  const href = await am.page.getByTestId("new-share-link").locator("a").getAttribute("href");
  await page.goto(href!);
  await hydrated(page);
  await expect(page.getByTestId("shared-project")).toBeVisible();
  await audit(page, "share page");
  await page.setViewportSize({ width: 1100, height: 800 });
  await page.screenshot({ path: "screenshots/share-narrow.png" });
  // The title keeps its width: at most two lines beside or above the tiles.
  const title = page.getByRole("heading", { level: 1 });
  const box = await title.boundingBox();
  const lineHeight = await title.evaluate((el) => parseFloat(getComputedStyle(el).lineHeight) || 32);
  expect(box!.height).toBeLessThanOrEqual(lineHeight * 2 + 2);
  await visitor.close();
});

test("finance approves a blocked close from the same dialog; nothing else closes for it", async ({ browser }) => {
  const { page, errors } = await as(browser, "finance@northwind.test");
  // A deal made short: 2,000 h of QA in two weeks (through the API, as an account manager would).
  const am = await as(browser, "am@northwind.test");
  const deal = ids().deal;
  const version = scalar(`SELECT version FROM deals WHERE id = ${deal}`);
  const qa = scalar("SELECT s.id FROM skills s JOIN workspaces w ON w.id = s.workspace_id WHERE w.slug = 'demo' AND s.name = 'QA'");
  const origin = new URL(am.page.url()).origin;
  const title = scalar(`SELECT title FROM deals WHERE id = ${deal}`);
  const client = scalar(`SELECT client_id FROM deals WHERE id = ${deal}`);
  const owner = scalar(`SELECT owner_user_id FROM deals WHERE id = ${deal}`);
  const updated = await am.page.request.post("/api/update_deal", {
    form: {
      deal_id: deal,
      version,
      title,
      client_id: client,
      owner_user_id: owner,
      value: "90000",
      planned_weeks: "2",
      probability: "",
      expected_close_on: "",
      planned_start_on: "",
      brief_goals: "",
      brief_priorities: "",
      brief_context: "",
      notes: "",
      [`estimate[${qa}]`]: "2000",
    },
    headers: { Accept: "application/json", Origin: origin },
  });
  expect(updated.status(), await updated.text()).toBe(200);

  // The account manager's dialog: blocked, and says who can approve it.
  await am.page.goto(`/pipeline?close=${deal}`);
  await hydrated(am.page);
  const amDialog = am.page.getByRole("dialog", { name: `Close ${title}` });
  await expect(amDialog.getByTestId("close-summary")).toContainText("Finance");
  await expect(amDialog.getByRole("button", { name: "Close deal and create the project" })).toBeDisabled();
  await am.page.screenshot({ path: "screenshots/close-blocked-account-manager.png" });

  // Finance opens the drawer: no edit controls, but "Review the close…".
  await page.goto(`/pipeline?deal=${deal}`);
  await hydrated(page);
  const drawer = page.getByRole("dialog", { name: `Deal: ${title}` });
  await expect(drawer.getByTestId("read-only")).toBeVisible();
  await drawer.getByRole("link", { name: "Review the close…" }).click();
  const dialog = page.getByRole("dialog", { name: `Close ${title}` });
  await expect(dialog.getByTestId("capacity-verdict")).toHaveText("Short");
  const approve = dialog.getByRole("button", { name: "Approve, close and create the project" });
  await expect(approve).toBeDisabled();
  await dialog.getByTestId("close-summary").locator("textarea").fill("Approved: the client pays for two QA contractors");
  await expect(approve).toBeEnabled();
  await page.screenshot({ path: "screenshots/close-finance-approves.png" });
  await approve.click();
  await expect(page).toHaveURL(/\/projects\/\d+$/);
  await expect(page.getByText("Approved: the client pays for two QA contractors")).toBeVisible();
  expect(errors).toEqual([]);
  expect(am.errors).toEqual([]);
});

test("a team member's planner shows only their own skills, in plain numbers", async ({ browser }) => {
  const { page } = await as(browser, "team@northwind.test");
  await page.goto("/capacity");
  await hydrated(page);
  const groups = page.locator("tr.skill-row");
  expect(await groups.count()).toBeGreaterThan(0);
  expect(await groups.count()).toBeLessThanOrEqual(2);
  await expect(page.locator("tr.person-row")).toHaveCount(1);
  await expect(page.getByTestId("planner")).not.toContainText("0 people");
  await expect(page.getByTestId("planner")).not.toContainText("1 people");
  // No cell is a bare "/40": an empty week reads 0 of its hours.
  const mains = await page.locator("tr.person-row .cell-main").allTextContents();
  expect(mains.every((t) => t.trim() !== "")).toBe(true);
  await page.screenshot({ path: "screenshots/capacity-team-member.png" });
});

test("reopening a deal asks first and says what it deletes; ids are not given out again", async ({ browser }) => {
  const { page, errors } = await as(browser, "admin@northwind.test");
  const project = scalar(
    "SELECT p.id FROM projects p JOIN workspaces w ON w.id = p.workspace_id WHERE w.slug = 'demo' AND p.deal_id IS NOT NULL " +
      "AND NOT EXISTS (SELECT 1 FROM time_entries t WHERE t.project_id = p.id) AND NOT EXISTS (SELECT 1 FROM change_requests c WHERE c.project_id = p.id) " +
      "AND NOT EXISTS (SELECT 1 FROM status_updates u WHERE u.project_id = p.id) AND NOT EXISTS (SELECT 1 FROM share_links l WHERE l.project_id = p.id) ORDER BY p.id DESC LIMIT 1",
  );
  test.skip(project === "", "every demo project has time or updates");
  await page.goto(`/projects/${project}`);
  await hydrated(page);
  await page.getByText("Reopen the deal…").click();
  const confirm = page.getByRole("group", { name: "Reopen the deal?" });
  await expect(confirm).toContainText("deletes the project");
  await page.screenshot({ path: "screenshots/reopen-confirm.png" });
  await confirm.getByRole("button", { name: "Reopen and delete the project" }).click();
  await expect(page).toHaveURL(/\/pipeline\?deal=\d+/);
  expect(scalar(`SELECT COUNT(*) FROM projects WHERE id = ${project}`)).toBe("0");
  // The project page, told of the change as it leaves, asks for a project that is gone.
  expect(errors.filter((e) => !/status of 404/.test(e))).toEqual([]);
});

test("deactivating someone asks first", async ({ browser }) => {
  const { page, errors } = await as(browser, "admin@northwind.test");
  await page.goto("/settings/users");
  await hydrated(page);
  const row = page.locator("tr", { hasText: "daniel@northwind.test" });
  await row.getByRole("button", { name: "Deactivate…" }).click();
  const confirm = row.getByRole("group", { name: /^Deactivate .+\?$/ });
  await expect(confirm).toContainText("signed out everywhere");
  await page.screenshot({ path: "screenshots/deactivate-confirm.png" });
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await expect(row.getByRole("button", { name: "Deactivate…" })).toBeVisible();
  expect(scalar("SELECT active FROM users WHERE email = 'daniel@northwind.test'")).toBe("1");
  expect(errors).toEqual([]);
});

test("without JavaScript the board says it is not live instead of connecting forever", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Email").fill("am@northwind.test");
  await page.getByLabel("Password").fill("baton-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/pipeline$/);
  await expect(page.getByTestId("live-static")).toBeVisible();
  await expect(page.getByTestId("live-status")).toBeHidden();
  await page.screenshot({ path: "screenshots/board-no-js.png" });
  await context.close();
});
