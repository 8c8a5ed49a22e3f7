/**
 * saml: enterprise SSO over SAML 2.0 with the development SAML IdP (`npm run dev:idp`, started by run.js): an org admin
 * connects it from its metadata URL; an address at the verified domain typed on /sign-in goes to the IdP's login
 * screen and comes back signed in as a member; a second sign-in lands on the same user.
 */
import { beforeAll, describe, expect, test } from "vitest";
import type { Page } from "playwright-core";
import { baseURL, useBrowser } from "./browser";
import { codeFromMail, createOrganization, signUp, uniqueEmail } from "./users";

const browser = useBrowser();
const metadataUrl = process.env.E2E_SAML_METADATA_URL ?? "";
const idpOrigin = new URL(metadataUrl || "http://127.0.0.1").origin;

let orgPath = "";
let domain = "";
let adminState: Awaited<ReturnType<ReturnType<Page["context"]>["storageState"]>>;

/** At the IdP: the address comes prefilled from our login hint; without JavaScript its answer needs a click. */
async function signInAtIdp(page: Page, email: string, javaScriptEnabled: boolean) {
  await page.waitForURL(`${idpOrigin}/**`);
  await expect(page.getByLabel("Email").inputValue()).resolves.toBe(email);
  await page.getByRole("button", { name: "Sign in" }).click();
  if (!javaScriptEnabled) await page.getByRole("button", { name: "Continue" }).click();
}

async function signInWithSaml(email: string, javaScriptEnabled: boolean): Promise<Page> {
  const page = await browser.newPage({ javaScriptEnabled, allowConsoleErrors: true });
  await page.goto("/sign-in");
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await signInAtIdp(page, email, javaScriptEnabled);
  await page.waitForURL(`${baseURL}/`);
  return page;
}

describe("enterprise SSO over SAML", () => {
  beforeAll(async () => {
    domain = `saml${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.example.test`;
    const admin = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    await signUp(admin, uniqueEmail("saml-admin"));
    orgPath = await createOrganization(admin, "Saml Corp");
    await admin.goto(`${orgPath}/domains`);
    await admin.getByLabel("Domain", { exact: true }).fill(domain);
    await admin.getByRole("button", { name: "Add domain" }).click();
    await admin.getByLabel(`Email address at ${domain}`).fill(`admin@${domain}`);
    await admin.getByRole("button", { name: "Send code" }).click();
    await admin.getByLabel("Verification code").fill(await codeFromMail(`admin@${domain}`));
    await admin.getByRole("button", { name: "Verify", exact: true }).click();
    await admin.getByLabel("Enrollment mode", { exact: true }).waitFor();

    await Promise.all([admin.waitForURL(`${baseURL}${orgPath}/sso`), admin.getByRole("link", { name: "SSO", exact: true }).click()]);
    await admin.getByText("No SAML connection yet.").waitFor();
    // A URL that is not metadata is refused next to the field, nothing saved.
    await admin.getByLabel("Identity provider metadata URL").fill(`${idpOrigin}/nowhere`);
    await admin.getByRole("button", { name: "Save SAML connection" }).click();
    await admin.getByText("The metadata could not be read").waitFor();
    await admin.getByLabel("Identity provider metadata URL").fill(metadataUrl);
    await admin.getByRole("button", { name: "Save SAML connection" }).click();
    await admin.getByRole("status").filter({ hasText: "The SAML connection was saved." }).waitFor();
    await admin.getByText("SAML: enabled").waitFor();
    // Our side, to register at a real IdP: entity id and ACS URL, and the metadata as a link and a download.
    await admin.getByText(new RegExp(`^${baseURL}/sign-in/saml/saml_[a-z0-9]+/acs$`)).waitFor();
    const metadataLink = admin.getByRole("link", { name: "Metadata URL" });
    const spMetadata = await (await fetch(new URL((await metadataLink.getAttribute("href"))!, baseURL))).text();
    expect(spMetadata).toContain("AssertionConsumerService");
    await expect(admin.getByRole("link", { name: "Download metadata" }).getAttribute("href")).resolves.toMatch(/\?download=1$/);
    // IdP-initiated sign-in is off unless switched on.
    await expect(admin.getByLabel(/Allow sign-in started at the identity provider/).isChecked()).resolves.toBe(false);
    adminState = await admin.context().storageState();
  });

  for (const javaScriptEnabled of [true, false]) {
    test(`an address at the verified domain signs in at the IdP, joins as a member, and signs in again as the same user (JavaScript ${javaScriptEnabled ? "on" : "off"})`, async () => {
      const email = `${javaScriptEnabled ? "js" : "nojs"}-${Math.random().toString(36).slice(2, 7)}@${domain}`;
      const first = await signInWithSaml(email, javaScriptEnabled);
      await first.goto(orgPath);
      await first.getByRole("heading", { level: 1, name: "Saml Corp" }).waitFor();
      await first.goto("/user");
      await first.locator("dd", { hasText: email }).waitFor();
      await first.close();

      const second = await signInWithSaml(email, javaScriptEnabled);
      await second.goto("/user");
      await second.locator("dd", { hasText: email }).waitFor();
      await second.close();
      // One member for the address: the second sign-in found the identity instead of making another user.
      const admin = await browser.newPage({ javaScriptEnabled: false, storageState: adminState });
      await admin.goto(`${orgPath}/members`);
      const removeButtons = admin.getByRole("button", { name: `Remove ${email}` });
      await removeButtons.first().waitFor();
      await expect(removeButtons.count()).resolves.toBe(1);
    });
  }
});
