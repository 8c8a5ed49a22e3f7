/**
 * Bot protection in the browser: an admin turns it on in /admin/settings; a visitor with JavaScript signs up and the
 * proof of work is solved invisibly; a visitor without JavaScript signs up through the fallback (a form posted faster
 * than a person types comes back once, then goes through). The setting is put back in `finally`: the e2e files share
 * one server and one database.
 */
import { describe, expect, test } from "vitest";
import type { Page } from "playwright-core";
import { baseURL, useBrowser } from "./browser";
import { signInAsAdmin } from "./admin";
import { PASSWORD, uniqueEmail } from "./users";

const browser = useBrowser();

async function setBotProtection(admin: Page, mode: "off" | "always") {
  const response = await admin.request.post(`${baseURL}/admin/settings`, {
    form: { intent: "botProtection", "botProtection.mode": mode },
    headers: { Origin: baseURL },
    maxRedirects: 0,
  });
  expect(response.status(), `setting botProtection.mode=${mode}`).toBe(302);
}

async function fillSignUp(page: Page, email: string) {
  await page.getByLabel("First name").fill("Ada");
  await page.getByLabel("Last name").fill("Lovelace");
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
}

describe("bot protection on sign-up", () => {
  test("with it on, a visitor signs up with JavaScript (solved invisibly) and without (the fallback)", async () => {
    const admin = await browser.newPage({ javaScriptEnabled: false });
    await signInAsAdmin(admin);
    try {
      // The admin turns it on through the settings page.
      await admin.goto("/admin/settings");
      await admin.getByLabel("Ask for proof of work").selectOption("always");
      await Promise.all([admin.waitForURL(/\/admin\/settings\?done=botProtection/), admin.getByRole("button", { name: "Save bot protection" }).click()]);
      await expect(admin.getByRole("status").first().textContent()).resolves.toContain("Bot protection saved.");

      // With JavaScript: nothing to see or do; the page solves the challenge in the background.
      const withJs = await browser.newPage({ javaScriptEnabled: true });
      await withJs.goto("/sign-up");
      await withJs.locator('[data-bot-check="solved"]').waitFor({ state: "attached", timeout: 30_000 });
      await expect(withJs.locator('input[name="altcha"]').count()).resolves.toBe(1);
      await fillSignUp(withJs, uniqueEmail("bot-js"));
      await Promise.all([withJs.waitForURL(/\/verify-email\?sign_up=sua_/), withJs.getByRole("button", { name: "Create account" }).click()]);
      await withJs.getByLabel("Verification code").waitFor();

      // Without JavaScript: a form token goes with the form; posted at once, it comes back with a message.
      const noJs = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
      await noJs.goto("/sign-up");
      await expect(noJs.locator('input[name="altcha"]').count()).resolves.toBe(0);
      await expect(noJs.locator('input[name="bot_token"]').count()).resolves.toBe(1);
      const email = uniqueEmail("bot-nojs");
      await fillSignUp(noJs, email);
      await noJs.getByRole("button", { name: "Create account" }).click();
      await expect(noJs.getByRole("alert").first().textContent()).resolves.toBe("That was quicker than a person types. Check the form and submit it again.");
      // A person reads the message and submits again: by then the new token is old enough.
      await noJs.waitForTimeout(3_500);
      await fillSignUp(noJs, email);
      await Promise.all([noJs.waitForURL(/\/verify-email\?sign_up=sua_/), noJs.getByRole("button", { name: "Create account" }).click()]);
      await noJs.getByLabel("Verification code").waitFor();
    } finally {
      await setBotProtection(admin, "off");
    }
  });
});
