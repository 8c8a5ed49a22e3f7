/** The instance administrator e2e/webhooks-prepare.ts creates, which every admin console test signs in as. */
import type { Page } from "playwright-core";
import { baseURL } from "./browser";

export const WEBHOOKS_ADMIN_EMAIL = "webhooks-admin@example.test";
export const WEBHOOKS_ADMIN_PASSWORD = "correct horse battery staple";

/** Signs `page` in as that administrator through /sign-in; it ends on the home page. */
export async function signInAsAdmin(page: Page): Promise<void> {
  await page.goto("/sign-in");
  await page.getByLabel("Email address").fill(WEBHOOKS_ADMIN_EMAIL);
  await page.getByLabel("Password", { exact: true }).fill(WEBHOOKS_ADMIN_PASSWORD);
  await Promise.all([page.waitForURL(`${baseURL}/`), page.getByRole("button", { name: "Sign in", exact: true }).click()]);
}
