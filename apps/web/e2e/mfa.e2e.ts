import { createHmac } from "node:crypto";
import { describe, expect, test } from "vitest";
import type { Page } from "playwright-core";
import { baseURL, useBrowser } from "./browser";
import { waitForMail } from "./mail";
import { createOrganization, PASSWORD, signOut, signUp, uniqueEmail } from "./users";

const browser = useBrowser();

/** RFC 4648 base32 (the key as the page shows it, spaces allowed). */
function base32Decode(text: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const char of text.replace(/[\s=]/g, "").toUpperCase()) bits += alphabet.indexOf(char).toString(2).padStart(5, "0");
  const bytes = bits.match(/.{8}/g) ?? [];
  return Buffer.from(bytes.map((b) => parseInt(b, 2)));
}

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s), computed here as an authenticator app would. */
function totp(key: string, time = Date.now()): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(time / 1000 / 30)));
  const mac = createHmac("sha1", base32Decode(key)).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0xf;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(value).padStart(6, "0");
}

/** On /user/mfa: sets up the authenticator app from the key shown on the page; returns the key. */
async function enableTotp(page: Page): Promise<string> {
  await page.goto("/user/mfa");
  await page.getByRole("button", { name: "Set up an authenticator app" }).click();
  const qr = page.getByRole("img", { name: "QR code for your authenticator app" });
  await qr.waitFor();
  expect(await qr.locator("svg").count()).toBe(1);
  const key = (await page.getByTestId("totp-key").textContent())!.trim();
  expect(key.replace(/ /g, "")).toMatch(/^[A-Z2-7]{32}$/);
  await page.getByLabel("Code from the app").fill("000000" === totp(key) ? "111111" : "000000");
  await page.getByRole("button", { name: "Turn on" }).click();
  await page.getByText("That code is not right.").first().waitFor();
  await page.getByLabel("Code from the app").fill(totp(key));
  await page.getByRole("button", { name: "Turn on" }).click();
  await page.getByText("Authenticator app turned on.").waitFor();
  await expect(page.getByTestId("backup-codes").locator("li").count()).resolves.toBe(10);
  return key;
}

describe("two-step verification (without JavaScript)", () => {
  test("a user turns on TOTP from the shown key, and the next sign-in asks for a code before any session exists", async () => {
    // The wrong code answers 400, which the browser logs as a failed load.
    const page = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    const email = uniqueEmail("mfa");
    await signUp(page, email);
    const key = await enableTotp(page);
    await waitForMail(email, (m) => /authenticator|factor|two-step/i.test(m.subject + m.text));

    await signOut(page);
    await page.goto("/sign-in?redirect_url=%2Fuser");
    await page.getByLabel("Email address").fill(email);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await Promise.all([page.waitForURL(/\/sign-in\/factor-two\?redirect_url=%2Fuser$/), page.getByRole("button", { name: "Sign in", exact: true }).click()]);
    const cookies = await page.context().cookies();
    expect(cookies.map((c) => c.name)).toContain("latchkey_sign_in");
    expect(cookies.map((c) => c.name)).not.toContain("latchkey_session");
    expect(cookies.find((c) => c.name === "latchkey_sign_in")!.httpOnly).toBe(true);

    // A wrong code is announced; the next step's code (inside the ±1 window, never used before) signs in.
    await page.getByLabel("Code", { exact: true }).fill(totp(key, Date.now() - 5 * 60_000));
    await page.getByRole("button", { name: "Verify" }).click();
    await page.getByRole("alert").filter({ hasText: "That code is not right." }).first().waitFor();
    await page.getByLabel("Code", { exact: true }).fill(totp(key, Date.now() + 30_000));
    await Promise.all([page.waitForURL(`${baseURL}/user`), page.getByRole("button", { name: "Verify" }).click()]);
    const after = await page.context().cookies();
    expect(after.map((c) => c.name)).toContain("latchkey_session");
    expect(after.map((c) => c.name)).not.toContain("latchkey_sign_in");
  });

  test("an organization that requires MFA sends a member without it to /user/mfa", async () => {
    const suffix = Math.random().toString(36).slice(2, 6);
    const admin = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    await signUp(admin, uniqueEmail("mfa-admin"));
    const orgPath = await createOrganization(admin, `Strict ${suffix}`);
    await enableTotp(admin);
    await admin.goto(`${orgPath}/settings`);
    await admin.getByLabel("Members must use two-step verification").check();
    await admin.getByRole("button", { name: "Update security settings" }).click();
    await admin.getByText("Security settings saved.").waitFor();
    expect(await admin.getByLabel("Members must use two-step verification").isChecked()).toBe(true);

    const memberEmail = uniqueEmail("mfa-member");
    const member = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    await signUp(member, memberEmail, "Max");
    await admin.goto(`${orgPath}/members`);
    await admin.getByLabel("Email addresses").fill(memberEmail);
    await admin.getByLabel("Role", { exact: true }).selectOption("org:member");
    await admin.getByRole("button", { name: "Send invitations" }).click();
    await admin.getByText("Invitations sent: 1.").waitFor();
    const mail = await waitForMail(memberEmail, (m) => m.subject.startsWith("You have been invited"));
    await member.goto(/https?:\/\/\S+\/invitations\/accept\?token=[A-Za-z0-9._%-]+/.exec(mail.text)![0]);
    await Promise.all([member.waitForURL(/\/user\/mfa\?redirect_url=/), member.getByRole("button", { name: `Join Strict ${suffix}` }).click()]);
    await member.getByRole("alert").filter({ hasText: "Two-step verification is required here." }).waitFor();
    await member.goto(orgPath);
    expect(new URL(member.url()).pathname).toBe("/user/mfa");

    // Once the member has a second factor, the organization opens.
    await enableTotp(member);
    await member.goto(orgPath);
    await member.getByRole("heading", { level: 2, name: "Projects" }).waitFor();
  });
});
