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

/** Signs in through the login form and waits for the board (or `landing`). */
export async function signIn(page: Page, email: string, landing = /\/pipeline$/) {
  await page.goto("/login", { waitUntil: "networkidle" });
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(landing);
}
