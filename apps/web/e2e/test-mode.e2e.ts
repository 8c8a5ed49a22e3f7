/**
 * Test mode in a real browser: the e2e server runs as production, so an instance admin allows test mode there first
 * (and /admin warns while it is); then `+latchkey_test` addresses confirm with 424242 and get no email, and
 * `signInBrowserContext` (`@latchkey/api/testing`) starts a browser signed in without the sign-up pages.
 */
import type { Page } from "playwright-core";
import { afterAll, describe, expect, test } from "vitest";
import { signInBrowserContext, testEmail, TEST_MODE_CODE } from "@latchkey/api/testing";
import { signInAsAdmin } from "./admin";
import { baseURL, launchBrowser, useBrowser } from "./browser";
import { readMail } from "./mail";
import { startSignUp } from "./users";

const browser = useBrowser();

/** Changes the setting through the API, as the signed-in admin on `page`. */
async function allowTestModeInProduction(page: Page, on: boolean) {
  const response = await page.request.post(`${baseURL}/api/trpc/instanceSettings.update`, {
    data: { json: { testModeInProduction: on } },
    headers: { origin: baseURL },
  });
  expect(response.status()).toBe(200);
}

afterAll(async () => {
  // Leave the shared e2e instance as it was, whatever happened above.
  const own = await launchBrowser();
  try {
    const page = await own.newPage({ baseURL });
    await signInAsAdmin(page);
    await allowTestModeInProduction(page, false);
  } finally {
    await own.close();
  }
});

describe("test mode", () => {
  test("warns on /admin while it is allowed in production, and not before", async () => {
    const page = await browser.newPage();
    await signInAsAdmin(page);
    await page.goto("/admin");
    await expect(page.getByRole("alert").filter({ hasText: "424242" }).count()).resolves.toBe(0);
    await allowTestModeInProduction(page, true);
    await page.goto("/admin");
    await expect(page.getByRole("alert").filter({ hasText: "Test mode is allowed in production" }).isVisible()).resolves.toBe(true);
  });

  test("signs a +latchkey_test address up with 424242 through the pages, emailing nothing", async () => {
    const page = await browser.newPage({ javaScriptEnabled: false });
    const email = testEmail("e2e-signup");
    await startSignUp(page, email);
    await page.getByLabel("Verification code").fill(TEST_MODE_CODE);
    await Promise.all([page.waitForURL(`${baseURL}/`), page.getByRole("button", { name: "Verify", exact: true }).click()]);
    await page.getByRole("heading", { level: 1, name: /^Welcome, / }).waitFor();
    expect((await readMail()).filter((mail) => mail.to.includes(email))).toEqual([]);
  });

  test("signInBrowserContext starts a browser signed in, without the sign-up pages", async () => {
    const context = await browser.newContext();
    const user = await signInBrowserContext(context, baseURL, { firstName: "Tess" });
    const page = await context.newPage();
    await page.goto("/");
    await page.getByRole("heading", { level: 1, name: /^Welcome, Tess/ }).waitFor();
    expect((await readMail()).filter((mail) => mail.to.includes(user.email))).toEqual([]);
  });
});
