/** What most browser tests do first: make an account, an organization, sign out. Shared so every suite signs up alike. */
import type { Page } from "playwright-core";
import { baseURL } from "./browser";
import { waitForMail } from "./mail";

export const PASSWORD = "correct horse battery staple";

export function uniqueEmail(label: string): string {
  return `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 7)}@example.test`;
}

/** The newest verification code emailed to `address` that is not in `seen` (the SMTP sink keeps every message). */
export async function codeFromMail(address: string, seen: readonly string[] = []): Promise<string> {
  const mail = await waitForMail(address, (m) => /^Verify your email address|^Potwierdź adres e-mail/.test(m.subject) && !seen.includes(codeIn(m.text)));
  return codeIn(mail.text);
}

function codeIn(text: string): string {
  return /\b(\d{6})\b/.exec(text)?.[1] ?? "";
}

/** Fills the sign-up form and submits it; the browser ends on the verify page. */
export async function startSignUp(page: Page, email: string, firstName = "Ada") {
  await page.goto("/sign-up");
  await page.getByLabel("First name").fill(firstName);
  await page.getByLabel("Last name").fill("Lovelace");
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await Promise.all([page.waitForURL(/\/verify-email\?sign_up=sua_/), page.getByRole("button", { name: "Create account" }).click()]);
  await page.getByLabel("Verification code").waitFor();
}

/** Signs up through the form, types the code from the email, and lands on the home page, signed in. */
export async function signUp(page: Page, email: string, firstName = "Ada") {
  await startSignUp(page, email, firstName);
  await page.getByLabel("Verification code").fill(await codeFromMail(email));
  await Promise.all([page.waitForURL(`${baseURL}/`), page.getByRole("button", { name: "Verify", exact: true }).click()]);
  // With JavaScript, React renders the new page just after the URL changes.
  await page.getByRole("heading", { level: 1, name: /^Welcome, / }).waitFor();
}

export async function createOrganization(page: Page, name: string): Promise<string> {
  await page.goto("/orgs/new");
  await page.getByLabel("Organization name").fill(name);
  await Promise.all([page.waitForURL(/\/org\/[a-z0-9-]+$/), page.getByRole("button", { name: "Create organization" }).click()]);
  await page.getByRole("heading", { level: 2, name: "Projects" }).waitFor();
  return new URL(page.url()).pathname;
}

export async function signOut(page: Page) {
  await page.getByLabel("Account menu").click();
  await Promise.all([page.waitForURL(/\/sign-in$/), page.getByRole("button", { name: "Sign out" }).click()]);
  await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
}
