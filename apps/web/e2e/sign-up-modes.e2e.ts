/**
 * Sign-up modes in the browser: an admin closes sign-up to invitations, a visitor is refused, the admin invites the
 * address, the visitor follows the emailed link and signs up; then waitlist mode: join, approve, sign up.
 *
 * The admin changes the mode through the settings page (a plain form post). The settings are restored in `finally`:
 * the e2e files share one server and one database.
 */
import { describe, expect, test } from "vitest";
import type { Page } from "playwright-core";
import { baseURL, useBrowser } from "./browser";
import { waitForMail } from "./mail";
import { codeFromMail, PASSWORD, uniqueEmail } from "./users";
import { signInAsAdmin } from "./admin";

const browser = useBrowser();
/**
 * Sets the sign-up mode as the signed-in admin, by a plain post of the settings page's sign-up section (the other
 * fields of that section at their defaults).
 */
async function setSignUpMode(admin: Page, mode: "public" | "invite_only" | "waitlist") {
  const response = await admin.request.post(`${baseURL}/admin/settings`, {
    form: {
      intent: "signUp",
      signUpMode: mode,
      allowlist: "",
      blocklist: "",
      "signUpFields.username": "hidden",
      "signUpFields.firstName": "optional",
      "signUpFields.lastName": "optional",
      "signUpFields.phone": "hidden",
      requireEmailVerification: "on",
    },
    headers: { Origin: baseURL },
    maxRedirects: 0,
  });
  expect(response.status(), `setting signUpMode=${mode}`).toBe(302);
}


/** The sign-up link of the newest instance invitation emailed to `email`. */
async function invitationLink(email: string): Promise<string> {
  const mail = await waitForMail(email, (m) => m.subject.startsWith("You are invited to create an account"));
  const match = /https?:\/\/\S+\/sign-up\?invitation=[A-Za-z0-9_-]+/.exec(mail.text);
  if (!match) throw new Error("no invitation link in the email");
  return match[0];
}

/** Follows the invitation link: the address is filled in and locked; then the password, the emailed code, home. */
async function signUpThroughInvitation(page: Page, email: string) {
  await page.goto(await invitationLink(email));
  const address = page.getByLabel("Email address");
  await expect(address.inputValue()).resolves.toBe(email);
  await expect(address.getAttribute("readonly")).resolves.not.toBeNull();
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await Promise.all([page.waitForURL(/\/verify-email\?sign_up=sua_/), page.getByRole("button", { name: "Create account" }).click()]);
  await page.getByLabel("Verification code").fill(await codeFromMail(email));
  await Promise.all([page.waitForURL(`${baseURL}/`), page.getByRole("button", { name: "Verify", exact: true }).click()]);
}

describe("sign-up modes (without JavaScript)", () => {
  test("invite-only refuses a visitor until the admin invites them; waitlist lets them join, be approved and sign up", async () => {
    const admin = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    const visitor = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    try {
      await signInAsAdmin(admin);
      await setSignUpMode(admin, "invite_only");

      // Refused without an invitation.
      const invitee = uniqueEmail("invitee");
      await visitor.goto("/sign-up");
      await expect(visitor.getByRole("status").first().textContent()).resolves.toContain("Sign-up is by invitation only.");
      await visitor.getByLabel("Email address").fill(invitee);
      await visitor.getByLabel("Password", { exact: true }).fill(PASSWORD);
      await visitor.getByRole("button", { name: "Create account" }).click();
      await expect(visitor.getByRole("alert").first().textContent()).resolves.toBe("Sign-up is by invitation only. Ask an administrator to invite you.");

      // The admin invites the address by email.
      await admin.goto("/admin");
      await Promise.all([admin.waitForURL(`${baseURL}/admin/waitlist`), admin.getByRole("link", { name: "Waitlist & invitations" }).click()]);
      await expect(admin.getByText("Sign-up mode: invite only").isVisible()).resolves.toBe(true);
      await admin.getByLabel("Email address").fill(invitee);
      await Promise.all([admin.waitForURL(/\/admin\/waitlist\?done=invited$/), admin.getByRole("button", { name: "Send invitation" }).click()]);
      await expect(admin.getByRole("status").textContent()).resolves.toBe("Invitation sent.");
      await expect(admin.getByRole("button", { name: `Revoke the invitation for ${invitee}`, exact: true }).isVisible()).resolves.toBe(true);

      await signUpThroughInvitation(visitor, invitee);
      await visitor.getByRole("heading", { level: 1, name: /^Welcome/ }).waitFor();
      await admin.goto("/admin/waitlist");
      await expect(admin.getByRole("row", { name: new RegExp(invitee) }).textContent()).resolves.toContain("Accepted");

      // Waitlist mode: the sign-up page offers the waitlist.
      await setSignUpMode(admin, "waitlist");
      const hopeful = uniqueEmail("hopeful");
      const guest = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
      await guest.goto("/sign-up");
      await Promise.all([guest.waitForURL(`${baseURL}/waitlist`), guest.getByRole("link", { name: "Join the waitlist" }).click()]);
      await guest.getByLabel("Email address").fill(hopeful);
      await guest.getByRole("button", { name: "Join the waitlist" }).click();
      await expect(guest.getByRole("status").textContent()).resolves.toBe(`Thank you. If ${hopeful} can join, an invitation will arrive by email.`);

      await admin.goto("/admin/waitlist");
      await Promise.all([admin.waitForURL(/\/admin\/waitlist\?done=approved$/), admin.getByRole("button", { name: `Approve ${hopeful}`, exact: true }).click()]);
      await expect(admin.getByRole("status").textContent()).resolves.toBe("Approved. The invitation was emailed.");

      await signUpThroughInvitation(guest, hopeful);
      await guest.getByRole("heading", { level: 1, name: /^Welcome/ }).waitFor();
    } finally {
      await setSignUpMode(admin, "public");
    }
  });
});
