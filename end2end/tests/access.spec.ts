import { test, expect } from "@playwright/test";
import { scalar } from "./db";
import { signIn, watchConsole } from "./helpers";

const baseURL = process.env.BATON_URL ?? "http://127.0.0.1:3100";

test("a deactivated user's open board goes to sign-in at once", async ({ browser }) => {
  // The admin adds someone, who opens the board.
  const admin = await browser.newContext();
  const adminPage = await admin.newPage();
  await signIn(adminPage, "admin@northwind.test");
  const role = scalar(
    "SELECT r.id FROM roles r JOIN workspaces w ON w.id = r.workspace_id WHERE w.slug = 'demo' AND r.preset = 'account_manager'",
  );
  const email = `leaving-${Date.now()}@northwind.test`;
  const created = await adminPage.request.post("/api/create_user", {
    form: { name: "Lee Leaving", email, role_id: role, password: "baton-demo" },
    headers: { Accept: "application/json", Origin: baseURL },
  });
  expect(created.status(), await created.text()).toBe(200);

  const user = await browser.newContext();
  const page = await user.newPage();
  const errors = watchConsole(page);
  await signIn(page, email);
  await expect(page.getByTestId("live-status")).toHaveAttribute("data-status", "live");

  // Deactivated: the tab leaves the board for sign-in, without anyone touching it.
  const [id, version] = scalar(`SELECT id || '|' || version FROM users WHERE email = '${email}'`).split("|");
  const answer = await adminPage.request.post("/api/set_user_active", {
    form: { user_id: id, active: "false", version },
    headers: { Accept: "application/json", Origin: baseURL },
  });
  expect(answer.status(), await answer.text()).toBe(200);
  await expect(page).toHaveURL(/\/login\?next=%2Fpipeline$/, { timeout: 5_000 });
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  await page.screenshot({ path: "screenshots/deactivated-to-sign-in.png" });
  // And cannot come back.
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("baton-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText(/email or password/i);
  expect(errors.filter((e) => !/401|403|Failed to load resource/.test(e))).toEqual([]);
  await admin.close();
  await user.close();
});
