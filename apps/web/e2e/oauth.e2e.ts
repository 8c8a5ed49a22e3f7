/**
 * oauth: sign-in through a real OpenID provider's login screen (the development IdP that run.js starts, configured as
 * the generic "Dev IdP" provider), connected accounts, and enterprise SSO routed by the email address's domain.
 */
import { describe, expect, test } from "vitest";
import type { Page } from "playwright-core";
import { baseURL, useBrowser } from "./browser";
import { codeFromMail, createOrganization, signUp, uniqueEmail } from "./users";

const browser = useBrowser();
const issuer = process.env.E2E_IDP_ISSUER ?? "";

/** The IdP's own screens: type the login, then allow the app. */
async function loginAtIdp(page: Page, login: string) {
  await page.waitForURL(`${issuer}/**`);
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill("anything");
  await page.getByRole("button", { name: "Sign-in" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
}

describe("OAuth with the development OpenID provider", () => {
  for (const javaScriptEnabled of [false, true]) {
    test(`a new user signs up on the provider's login screen, lands signed in, and sees the connected account (JavaScript ${javaScriptEnabled ? "on" : "off"})`, async () => {
      // The IdP's pages are not ours: their missing favicon is logged as a failed resource.
      const page = await browser.newPage({ javaScriptEnabled, allowConsoleErrors: true });
      const email = uniqueEmail("oauth");
      await page.goto("/sign-in?redirect_url=%2Fuser%2Fconnected-accounts");
      await page.getByRole("button", { name: "Continue with Dev IdP" }).click();
      await loginAtIdp(page, email);
      await page.waitForURL(`${baseURL}/user/connected-accounts`);
      await page.getByRole("heading", { level: 1, name: "Connected accounts" }).waitFor();
      await page.getByRole("list", { name: "Connected accounts" }).getByText(email).waitFor();
      // The only way this user can sign in: disconnecting is refused with a reason.
      await page.getByRole("button", { name: `Disconnect Dev IdP account ${email}` }).click();
      await page.getByRole("alert").filter({ hasText: "only way to sign in" }).waitFor();
      await page.goto("/user");
      // The provider's verified address became the account's primary one.
      await page.locator("dd", { hasText: email }).waitFor();
    });
  }

  test("a signed-in user with a password connects the provider and disconnects it again", async () => {
    const page = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    await signUp(page, uniqueEmail("linker"));
    await page.goto("/user");
    await Promise.all([page.waitForURL(`${baseURL}/user/connected-accounts`), page.getByRole("link", { name: "Connected accounts" }).click()]);
    await page.getByText("No connected accounts yet.").waitFor();
    const other = uniqueEmail("elsewhere");
    await page.getByRole("button", { name: "Connect Dev IdP" }).click();
    await loginAtIdp(page, other);
    await page.getByRole("status").filter({ hasText: "The account was connected." }).waitFor();
    await page.getByRole("button", { name: `Disconnect Dev IdP account ${other}` }).click();
    await page.getByRole("status").filter({ hasText: "The account was disconnected." }).waitFor();
    await page.getByText("No connected accounts yet.").waitFor();
  });
});

describe("enterprise SSO", () => {
  test("an admin connects the organization's IdP; an address at its verified domain is routed there and joins the organization", async () => {
    const domain = `sso${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.example.test`;
    const admin = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    await signUp(admin, uniqueEmail("sso-admin"));
    const orgPath = await createOrganization(admin, "Sso Corp");

    await admin.goto(`${orgPath}/domains`);
    await admin.getByLabel("Domain", { exact: true }).fill(domain);
    await admin.getByRole("button", { name: "Add domain" }).click();
    await admin.getByLabel(`Email address at ${domain}`).fill(`admin@${domain}`);
    await admin.getByRole("button", { name: "Send code" }).click();
    await admin.getByLabel("Verification code").fill(await codeFromMail(`admin@${domain}`));
    await admin.getByRole("button", { name: "Verify", exact: true }).click();
    await admin.getByLabel("Enrollment mode", { exact: true }).waitFor();

    await Promise.all([admin.waitForURL(`${baseURL}${orgPath}/sso`), admin.getByRole("link", { name: "SSO", exact: true }).click()]);
    await admin.getByText(`${baseURL}/sign-in/oauth/sso/callback`).waitFor();
    // A wrong issuer is refused next to the field, nothing saved.
    await admin.getByLabel("Issuer URL").fill(`${issuer}/nowhere`);
    await admin.getByLabel("Client ID").fill("latchkey-e2e");
    await admin.getByLabel("Client secret").fill("latchkey-e2e-secret");
    await admin.getByRole("button", { name: "Save connection" }).click();
    await admin.getByRole("alert").filter({ hasText: "discovery document" }).waitFor();
    await admin.getByLabel("Issuer URL").fill(issuer);
    await admin.getByLabel("Client secret").fill("latchkey-e2e-secret");
    await admin.getByRole("button", { name: "Save connection" }).click();
    await admin.getByRole("status").filter({ hasText: "The connection was saved." }).waitFor();
    await admin.getByText("Status: enabled").waitFor();
    // The secret is never shown again.
    await expect(admin.content()).resolves.not.toContain("latchkey-e2e-secret");

    const user = await browser.newPage({ javaScriptEnabled: true, allowConsoleErrors: true });
    const email = `jane@${domain}`;
    await user.goto("/sign-in");
    await user.getByLabel("Email address").fill(email);
    await user.getByRole("button", { name: "Sign in", exact: true }).click();
    await loginAtIdp(user, email);
    await user.waitForURL(`${baseURL}/`);
    await user.goto(orgPath);
    await user.getByRole("heading", { level: 1, name: "Sso Corp" }).waitFor();
  });
});
