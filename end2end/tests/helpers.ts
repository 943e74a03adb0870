import { expect, Page } from "@playwright/test";

export const PASSWORD = "baton-demo";

/** Collects console errors and page errors (CSP violations show up here). */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(msg.text());
  });
  page.on("pageerror", (err) => errors.push(err.message));
  return errors;
}

/** Waits until the page's WebAssembly has hydrated it: before that, controls look ready but
 * answer nothing (a select changed then is forgotten, a live stream is not yet open). */
export async function hydrated(page: Page) {
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
}

/** Signs in through the login form and waits for the board (or `landing`). */
export async function signIn(page: Page, email: string, landing = /\/pipeline$/) {
  await page.goto("/login", { waitUntil: "networkidle" });
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(landing);
  await hydrated(page);
}

/// Moves a card from its move menu with the mouse: opens the menu, picks `stage` (its
/// label as the menu shows it, e.g. "Proposal" or "Won — close…").
export async function moveWithMenu(card: import("@playwright/test").Locator, stage: string) {
  await card.getByRole("button", { name: /^Move / }).click();
  await card.getByRole("option", { name: stage, exact: true }).click();
}
