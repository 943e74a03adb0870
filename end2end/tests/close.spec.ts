import { test, expect, Browser, Page, APIRequestContext } from "@playwright/test";
import { hydrated, signIn, watchConsole } from "./helpers";

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

/** An open deal that is short at its planned start but fits, without an override, at the
 * earliest start the engine suggests — found through the same server functions the
 * dialog uses, so the test follows the seed rather than hard-coding it. */
async function shortDealThatFitsLater(page: Page): Promise<{ id: number; title: string; earliest: string }> {
  const ids = await page
    .locator('article[data-deal-id]:has([data-testid="fit"]:text-is("Short"))')
    .evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-deal-id"))));
  for (const id of ids) {
    const setup: Setup = await post(page.request, "close_setup", { deal_id: String(id) });
    const w = setup.preview.earliest_start;
    if (setup.preview.capacity.verdict !== "Short" || w === null || w === setup.start_week) continue;
    const later = await post(page.request, "preview_close", {
      deal_id: String(id),
      start_on: addWeeks(setup.first_week, w),
      staffing: "",
    });
    if (!later.needs_override) return { id, title: setup.card.title, earliest: addWeeks(setup.first_week, w) };
  }
  throw new Error(`no short deal that fits later among ${ids.length} candidates`);
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
  const menu = a.page.locator(`article[data-deal-id="${deal.id}"]`).getByRole("combobox");
  await menu.selectOption({ label: "Won — close…" });
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
