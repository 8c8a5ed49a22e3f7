/**
 * Passkeys in real Chromium, with a virtual authenticator from the DevTools protocol (a platform authenticator with
 * resident keys and user verification, as a phone or laptop has): register after confirming the password, sign out,
 * sign in with the passkey alone. The server runs at http://localhost:<port> (e2e/run.js), because WebAuthn refuses
 * IP addresses as relying-party ids.
 */
import { describe, expect, test } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { baseURL, useBrowser } from "./browser";
import { PASSWORD, signOut, signUp, uniqueEmail } from "./users";

const browser = useBrowser();

async function addVirtualAuthenticator(context: BrowserContext, page: Page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable", { enableUI: false });
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    credentials: async () => (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials,
  };
}

describe("passkeys", () => {
  test("a user adds a passkey after confirming the password, signs out, and signs in with the passkey alone", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const authenticator = await addVirtualAuthenticator(context, page);
    const email = uniqueEmail("passkey");
    await signUp(page, email);

    // The account page links to the passkeys page.
    await page.goto("/user");
    await Promise.all([page.waitForURL(`${baseURL}/user/passkeys`), page.getByRole("link", { name: "Manage passkeys" }).click()]);
    await page.getByRole("heading", { level: 1, name: "Passkeys" }).waitFor();
    await page.getByText("You have no passkeys yet.").waitFor();

    // Step-up first: confirm the password, come back here.
    await page.goto(`/reverify?redirect_url=${encodeURIComponent("/user/passkeys")}&level=strict`);
    await page.getByLabel("Password").fill(PASSWORD);
    await Promise.all([page.waitForURL(`${baseURL}/user/passkeys`), page.getByRole("button", { name: "Continue" }).click()]);
    await page.getByRole("heading", { level: 1, name: "Passkeys" }).waitFor();

    // Add: the browser creates a discoverable credential on the virtual authenticator; the server stores it.
    await page.getByLabel("Name (optional)").fill("E2E laptop");
    await Promise.all([page.waitForURL(/\/user\/passkeys\?done=added$/), page.getByRole("button", { name: "Add a passkey" }).click()]);
    await page.getByRole("status").filter({ hasText: "The passkey was added" }).waitFor();
    const row = page.getByRole("list", { name: "Your passkeys" }).getByRole("listitem");
    await expect(row.count()).resolves.toBe(1);
    await expect(row.textContent()).resolves.toMatch(/E2E laptop.*never used/);
    const stored = await authenticator.credentials();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.isResidentCredential).toBe(true);
    expect(stored[0]!.rpId).toBe("localhost");

    // Sign out; the passkey alone signs back in (no email, no password).
    await signOut(page);
    await Promise.all([page.waitForURL(`${baseURL}/`), page.getByRole("button", { name: "Sign in with a passkey" }).click()]);
    await page.getByRole("heading", { level: 1, name: /^Welcome, / }).waitFor();

    // The list now shows when it was last used; rename works too.
    await page.goto("/user/passkeys");
    await expect(row.textContent()).resolves.toMatch(/last used/);
    await page.getByLabel("Name of E2E laptop").fill("Work laptop");
    await Promise.all([page.waitForURL(/\/user\/passkeys\?done=renamed$/), page.getByRole("button", { name: "Rename passkey E2E laptop" }).click()]);
    // With JavaScript the URL changes just before React renders the revalidated list: wait for the new name.
    await page.getByLabel("Name of Work laptop").waitFor();
    await expect(row.textContent()).resolves.toMatch(/^Work laptop/);
  });

  test("without JavaScript the sign-in page shows no passkey button, and the email field offers passkeys to autofill", async () => {
    const page = await browser.newPage({ javaScriptEnabled: false });
    await page.goto("/sign-in");
    await expect(page.getByLabel("Email address").getAttribute("autocomplete")).resolves.toBe("username webauthn");
    await expect(page.getByRole("button", { name: "Sign in with a passkey" }).count()).resolves.toBe(0);
  });
});
