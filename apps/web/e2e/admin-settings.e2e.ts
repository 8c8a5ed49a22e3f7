/**
 * The instance settings page: an admin turns email-link sign-in off and raises the minimum password length; a fresh
 * visitor's /sign-in no longer offers the link at once. The e2e files share one database, so the settings are put
 * back in `finally`, by a plain form post that doesn't depend on the page having worked.
 */
import { describe, expect, test } from "vitest";
import type { Page } from "playwright-core";
import { baseURL, useBrowser } from "./browser";
import { signInAsAdmin } from "./admin";

const browser = useBrowser();

async function restore(admin: Page) {
  const post = (form: Record<string, string>) =>
    admin.request.post(`${baseURL}/admin/settings`, { form, headers: { Origin: baseURL }, maxRedirects: 0 });
  const methods = await post({
    intent: "signInMethods",
    "signInMethods.password": "on",
    "signInMethods.emailCode": "on",
    "signInMethods.emailLink": "on",
    "signInMethods.passkey": "on",
    "signInMethods.oauth": "on",
  });
  const security = await post({ intent: "security", minPasswordLength: "8" });
  expect([methods.status(), security.status()]).toEqual([302, 302]);
}

describe("admin settings (without JavaScript)", () => {
  test("an admin turns email-link sign-in off and sets the minimum password length; /sign-in stops offering the link at once", async () => {
    const visitor = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    await visitor.goto("/sign-in");
    await visitor.getByRole("button", { name: "Email me a link", exact: true }).waitFor();

    const admin = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    await signInAsAdmin(admin);
    try {
      await admin.goto("/admin");
      await Promise.all([admin.waitForURL(`${baseURL}/admin/settings`), admin.getByRole("link", { name: "Settings", exact: true }).click()]);
      await admin.getByRole("heading", { name: "Sign-in methods" }).waitFor();

      // Refused: every method off. A message next to the methods, nothing saved.
      for (const name of ["Password", "Email code", "Email link", "Passkey", "Social accounts and SSO"]) {
        await admin.getByRole("checkbox", { name, exact: true }).uncheck();
      }
      await admin.getByRole("button", { name: "Save sign-in methods", exact: true }).click();
      await admin.getByRole("alert").filter({ hasText: "at least one sign-in method" }).waitFor();

      await admin.goto("/admin/settings");
      expect(await admin.getByRole("checkbox", { name: "Email link", exact: true }).isChecked()).toBe(true);
      await admin.getByRole("checkbox", { name: "Email link", exact: true }).uncheck();
      await Promise.all([
        admin.waitForURL(`${baseURL}/admin/settings?done=signInMethods`),
        admin.getByRole("button", { name: "Save sign-in methods", exact: true }).click(),
      ]);
      await admin.getByRole("status").filter({ hasText: "Sign-in methods saved." }).waitFor();
      expect(await admin.getByRole("checkbox", { name: "Email link", exact: true }).isChecked()).toBe(false);

      // Bad input stays on the page with the message next to the field.
      await admin.getByLabel("Minimum password length").fill("7");
      await admin.getByRole("button", { name: "Save security settings", exact: true }).click();
      await admin.getByRole("alert").filter({ hasText: "from 8 to 256" }).waitFor();
      await admin.getByLabel("Minimum password length").fill("12");
      await Promise.all([
        admin.waitForURL(`${baseURL}/admin/settings?done=security`),
        admin.getByRole("button", { name: "Save security settings", exact: true }).click(),
      ]);
      await admin.getByRole("status").filter({ hasText: "Security settings saved." }).waitFor();
      expect(await admin.getByLabel("Minimum password length").inputValue()).toBe("12");

      // A fresh visitor: the link is gone, the other methods stay.
      const fresh = await browser.newPage({ javaScriptEnabled: false });
      await fresh.goto("/sign-in");
      await fresh.getByRole("button", { name: "Sign in", exact: true }).waitFor();
      await fresh.getByRole("button", { name: "Email me a code", exact: true }).waitFor();
      expect(await fresh.getByRole("button", { name: "Email me a link", exact: true }).count()).toBe(0);
      // The page the visitor loaded before the change: posting the link form is refused, with words.
      await visitor.getByLabel("Email address").fill("someone@example.test");
      await visitor.getByRole("button", { name: "Email me a link", exact: true }).click();
      await visitor.getByRole("alert").filter({ hasText: "turned off" }).waitFor();
    } finally {
      await restore(admin);
    }
    const after = await browser.newPage({ javaScriptEnabled: false });
    await after.goto("/sign-in");
    await after.getByRole("button", { name: "Email me a link", exact: true }).waitFor();
  });
});
