/** Signing in as the e2e instance administrator (created by e2e/webhooks-prepare.ts). */
import type { Page } from "playwright-core";
import { baseURL } from "./browser";
import { WEBHOOKS_ADMIN_EMAIL, WEBHOOKS_ADMIN_PASSWORD } from "./webhooks-admin";

/** Signs `page` in as that administrator through /sign-in; it ends on the home page. */
export async function signInAsAdmin(page: Page): Promise<void> {
  await page.goto("/sign-in");
  await page.getByLabel("Email address").fill(WEBHOOKS_ADMIN_EMAIL);
  await page.getByLabel("Password", { exact: true }).fill(WEBHOOKS_ADMIN_PASSWORD);
  await Promise.all([page.waitForURL(`${baseURL}/`), page.getByRole("button", { name: "Sign in", exact: true }).click()]);
}
