import { test, expect, Browser, Page, APIRequestContext } from "@playwright/test";
import { hydrated, moveWithMenu, signIn, watchConsole } from "./helpers";

type Setup = {
  card: { id: number; title: string; version: number };
  first_week: string;
  start_week: number;
  preview: { capacity: { verdict: string }; earliest_start: number | null; needs_override: boolean };
};

async function post(api: APIRequestContext, name: string, form: Record<string, string>) {
  // Outside a page nothing sets Origin: Baton refuses a signed-in POST without it.
  const origin = process.env.BATON_URL ?? "http://127.0.0.1:3100";
  const r = await api.post(`/api/${name}`, { form, headers: { Accept: "application/json", Origin: origin } });
  expect(r.status(), `${name}: ${await r.text()}`).toBe(200);
  return r.json();
}

function addWeeks(date: string, weeks: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 7 * weeks);
  return d.toISOString().slice(0, 10);
}

type Deal = {
  card: { id: number; title: string; version: number; client_id: number; owner_user_id: number; expected_close_on: string | null };
  stage_kind: string;
  probability_override_pct: number | null;
  brief_goals: string;
  brief_priorities: string;
  brief_context: string;
  notes: string;
  estimate: { skill_id: number; minutes: number }[];
};

/** Saves `deal` as one week of `hours` of skill `skill` (every other estimate line
 * removed) starting on `start`, at a value that clears the margin floor. */
async function reshape(api: APIRequestContext, deal: Deal, start: string, skill: number, hours: number) {
  const form: Record<string, string> = {
    deal_id: String(deal.card.id),
    version: String(deal.card.version),
    title: deal.card.title,
    client_id: String(deal.card.client_id),
    value: "900,000",
    probability: deal.probability_override_pct === null ? "" : String(deal.probability_override_pct),
    owner_user_id: String(deal.card.owner_user_id),
    expected_close_on: deal.card.expected_close_on ?? "",
    planned_start_on: start,
    planned_weeks: "1",
    brief_goals: deal.brief_goals,
    brief_priorities: deal.brief_priorities,
    brief_context: deal.brief_context,
    notes: deal.notes,
  };
  for (const line of deal.estimate) form[`estimate[${line.skill_id}]`] = line.skill_id === skill ? String(hours) : "0";
  const card = await post(api, "update_deal", form);
  deal.card.version = card.version;
}

/** An open deal made short this week but able to fit, without an override, at a later
 * start: one week of one skill, an hour more than its people have free this week and no
 * more than they have in some week of the next twelve. Built through the same server
 * functions the drawer and the dialog use, from what the seed's team has free. */
async function shortDealThatFitsLater(page: Page): Promise<{ id: number; title: string; earliest: string }> {
  const api = page.request;
  const ids = await page
    .locator('section[aria-label="Negotiation"] article[data-deal-id], section[aria-label="Proposal"] article[data-deal-id]')
    .evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-deal-id"))));
  for (const id of ids) {
    const deal: Deal = await post(api, "get_deal", { deal_id: String(id) });
    if (deal.stage_kind !== "open" || deal.estimate.length === 0) continue;
    const setup: Setup = await post(api, "close_setup", { deal_id: String(id) });
    const thisWeek = setup.first_week;
    for (const line of deal.estimate) {
      await reshape(api, deal, thisWeek, line.skill_id, 1);
      const free: number[] = [];
      for (let w = 0; w <= 8; w++) {
        const p = await post(api, "preview_close", { deal_id: String(id), start_on: addWeeks(thisWeek, w), staffing: "" });
        free.push(p.capacity.cells[0].supply);
      }
      const hours = Math.floor(free[0] / 60) + 1;
      if (!free.slice(1).some((m) => m >= hours * 60 + 120)) continue;
      await reshape(api, deal, thisWeek, line.skill_id, hours);
      const now: Setup = await post(api, "close_setup", { deal_id: String(id) });
      const w = now.preview.earliest_start;
      if (now.preview.capacity.verdict !== "Short" || w === null || w === now.start_week) continue;
      const later = await post(api, "preview_close", { deal_id: String(id), start_on: addWeeks(thisWeek, w), staffing: "" });
      if (!later.needs_override) return { id, title: now.card.title, earliest: addWeeks(thisWeek, w) };
    }
  }
  throw new Error(`no deal could be made short now and fitting later among ${ids.length} candidates`);
}

async function open(browser: Browser, email: string, path = "/pipeline") {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = watchConsole(page);
  await signIn(page, email);
  if (path !== "/pipeline") await page.goto(path);
  await hydrated(page);
  return { context, page, errors };
}

const cardIn = (p: Page, stage: string, id: number) =>
  p.getByRole("region", { name: stage, exact: true }).locator(`article[data-deal-id="${id}"]`);

test("dragging a deal to Won opens the close dialog; at the earliest start it fits and becomes a project everyone sees", async ({ browser }) => {
  // The admin may see cost rates: the dialog runs the engine in this browser.
  const a = await open(browser, "admin@northwind.test");
  await expect(a.page.getByTestId("live-status")).toHaveAttribute("data-status", "live");
  const b = await open(browser, "am@northwind.test");
  await expect(b.page.getByTestId("live-status")).toHaveAttribute("data-status", "live");
  const list = await b.context.newPage();
  await list.goto("/projects");
  await expect(list.getByRole("heading", { name: "Projects" })).toBeVisible();

  const deal = await shortDealThatFitsLater(a.page);
  const card = a.page.locator(`article[data-deal-id="${deal.id}"]`);
  await card.dragTo(a.page.getByRole("region", { name: "Won", exact: true }));
  const dialog = a.page.getByRole("dialog", { name: `Close ${deal.title}` });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId("capacity-verdict")).toHaveText("Short");
  await expect(dialog.getByTestId("margin")).toContainText("%");
  await expect(dialog.getByTestId("margin")).toContainText("cost");
  await expect(dialog.getByTestId("heatmap").locator("td.heat-short").first()).toBeVisible();
  await expect(dialog.getByTestId("earliest-start")).toHaveText(deal.earliest);
  await a.page.screenshot({ path: "screenshots/close-dialog-short.png" });

  await dialog.getByRole("button", { name: "Start then" }).click();
  await expect(dialog.getByTestId("capacity-verdict")).not.toHaveText("Short");
  await expect(dialog.getByLabel("Start")).toHaveValue(deal.earliest);
  await expect(dialog.getByTestId("heatmap").locator("td.heat-short")).toHaveCount(0);
  await a.page.screenshot({ path: "screenshots/close-dialog-fits.png" });

  await dialog.getByRole("button", { name: "Close deal and create the project" }).click();
  await expect(a.page).toHaveURL(/\/projects\/\d+$/);
  await expect(a.page.getByRole("heading", { name: new RegExp(deal.title) })).toBeVisible();
  await expect(a.page.getByTestId("check-report")).toContainText("Checks at close");
  await expect(a.page.getByTestId("project-staffing").locator("tbody tr").first()).toBeVisible();
  await a.page.screenshot({ path: "screenshots/project.png", fullPage: true });

  // The other browser: the card is in Won, and the project is listed — no reload.
  await expect(cardIn(b.page, "Won", deal.id)).toBeVisible();
  const projectId = a.page.url().split("/").pop();
  await expect(list.locator(`tr[data-project-id="${projectId}"]`)).toContainText(deal.title);
  await list.screenshot({ path: "screenshots/projects.png", fullPage: true });
  expect(a.errors).toEqual([]);
  expect(b.errors).toEqual([]);
});

test("an account manager closes from the card's menu; the preview comes from the server without cost", async ({ browser }) => {
  const a = await open(browser, "am@northwind.test");
  await expect(a.page.getByTestId("live-status")).toHaveAttribute("data-status", "live");
  const deal = await shortDealThatFitsLater(a.page);
  await moveWithMenu(a.page.locator(`article[data-deal-id="${deal.id}"]`), "Won — close…");
  const dialog = a.page.getByRole("dialog", { name: `Close ${deal.title}` });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId("capacity-verdict")).toHaveText("Short");
  await expect(dialog.getByTestId("margin")).not.toContainText("cost");
  // Blocked, and an account manager may not override: the button stays disabled.
  await expect(dialog.getByText(/Only someone allowed to override/)).toBeVisible();
  await expect(dialog.getByRole("button", { name: "Close deal and create the project" })).toBeDisabled();
  // Typing a start: the server re-checks after a pause.
  await dialog.getByLabel("Start").fill(deal.earliest);
  await dialog.getByLabel("Start").dispatchEvent("change");
  await expect(dialog.getByTestId("capacity-verdict")).not.toHaveText("Short");
  await expect(dialog.getByRole("button", { name: "Close deal and create the project" })).toBeEnabled();
  await a.page.screenshot({ path: "screenshots/close-dialog-am.png" });
  await dialog.getByRole("button", { name: "Close deal and create the project" }).click();
  await expect(a.page).toHaveURL(/\/projects\/\d+$/);
  await expect(a.page.getByTestId("check-report")).not.toContainText("cost");
  expect(a.errors).toEqual([]);
});
