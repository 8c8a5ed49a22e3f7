import { describe, expect, test } from "vitest";
import type { Page } from "playwright-core";
import { baseURL, useBrowser } from "./browser";
import { waitForMail } from "./mail";
import { codeFromMail, createOrganization, PASSWORD, signUp, uniqueEmail } from "./users";

const browser = useBrowser();

function acceptLinkIn(text: string): string {
  const match = /https?:\/\/\S+\/invitations\/accept\?token=[A-Za-z0-9._%-]+/.exec(text);
  if (!match) throw new Error("no accept link in the email");
  return match[0];
}

async function openMembers(page: Page, orgPath: string) {
  await page.goto(`${orgPath}/members`);
  await page.getByRole("heading", { level: 2, name: "Members", exact: true }).waitFor();
}

describe("inviting a member (without JavaScript)", () => {
  test("an admin invites an address, the invitee signs up through the emailed link and joins, then is promoted and removed", async () => {
    const adminEmail = uniqueEmail("inv-admin");
    const invitee = uniqueEmail("inv-new");
    const admin = await browser.newPage({ javaScriptEnabled: false });
    await signUp(admin, adminEmail);
    const orgPath = await createOrganization(admin, "Invite Co");

    // The org page links to its members.
    await Promise.all([admin.waitForURL(`${baseURL}${orgPath}/members`), admin.getByRole("link", { name: "Members" }).click()]);
    await admin.getByLabel("Email addresses").fill(`${invitee.toUpperCase()}, ${invitee}`);
    await admin.getByLabel("Role", { exact: true }).selectOption("org:member");
    await admin.getByRole("button", { name: "Send invitations" }).click();
    await admin.getByText("Invitations sent: 1.").waitFor();
    await admin.getByRole("button", { name: `Revoke invitation to ${invitee}` }).waitFor();

    const mail = await waitForMail(invitee, (m) => m.subject.startsWith("You have been invited"));
    expect(mail.subject).not.toContain("http");
    expect(mail.text).toContain("Invite Co");
    const link = acceptLinkIn(mail.text);

    // Not signed in: the page says what the invitation is and offers sign-up with the address locked.
    const page = await browser.newPage({ javaScriptEnabled: false });
    await page.goto(link);
    await page.getByText("You're invited to join Invite Co as Member.").waitFor();
    await Promise.all([page.waitForURL(/\/sign-up\?/), page.locator("main").getByRole("link", { name: "Sign up" }).click()]);
    const email = page.getByLabel("Email address");
    await expect(email.inputValue()).resolves.toBe(invitee);
    await expect(email.getAttribute("readonly")).resolves.not.toBeNull();
    await page.getByLabel("First name").fill("Grace");
    await page.getByLabel("Last name").fill("Hopper");
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await Promise.all([page.waitForURL(/\/verify-email\?sign_up=sua_/), page.getByRole("button", { name: "Create account" }).click()]);
    await page.getByLabel("Verification code").fill(await codeFromMail(invitee));
    // Verified, the invitee lands back on the invitation.
    await Promise.all([page.waitForURL(/\/invitations\/accept\?token=/), page.getByRole("button", { name: "Verify", exact: true }).click()]);
    await Promise.all([page.waitForURL(`${baseURL}${orgPath}`), page.getByRole("button", { name: "Join Invite Co" }).click()]);
    await page.getByRole("heading", { level: 1, name: "Invite Co" }).waitFor();

    // A member can read the member list but gets no management controls.
    await openMembers(page, orgPath);
    await expect(page.getByRole("button", { name: "Send invitations" }).count()).resolves.toBe(0);

    // The admin sees them as a member, makes them an admin: it applies on their next page load.
    await openMembers(admin, orgPath);
    await admin.getByLabel(`Role for ${invitee}`).selectOption("org:admin");
    await admin.getByRole("button", { name: `Change role of ${invitee}` }).click();
    await admin.getByRole("button", { name: `Change role of ${invitee}` }).waitFor();
    await expect(admin.getByLabel(`Role for ${invitee}`).inputValue()).resolves.toBe("org:admin");
    await openMembers(page, orgPath);
    await page.getByRole("button", { name: "Send invitations" }).waitFor();

    // Then removes them: the very next load of the org page is refused.
    await admin.getByRole("button", { name: `Remove ${invitee}` }).click();
    await admin.getByLabel(`Role for ${adminEmail}`).waitFor();
    await expect(admin.getByText(invitee).count()).resolves.toBe(0);
    const refused = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    await refused.context().addCookies(await page.context().cookies());
    const response = await refused.goto(orgPath);
    expect(response?.status()).toBe(403);
    await expect(refused.content()).resolves.not.toContain("Invite Co");
  });

  test("a signed-in user with another address is told whom the invitation is for, and can decline", async () => {
    const admin = await browser.newPage({ javaScriptEnabled: false });
    await signUp(admin, uniqueEmail("inv-admin2"));
    const orgPath = await createOrganization(admin, "Decline Co");
    const invitee = uniqueEmail("inv-decline");
    await openMembers(admin, orgPath);
    await admin.getByLabel("Email addresses").fill(invitee);
    await admin.getByRole("button", { name: "Send invitations" }).click();
    await admin.getByText("Invitations sent: 1.").waitFor();
    const link = acceptLinkIn((await waitForMail(invitee, (m) => m.subject.startsWith("You have been invited"))).text);

    const other = await browser.newPage({ javaScriptEnabled: false });
    await signUp(other, uniqueEmail("inv-other"));
    await other.goto(link);
    await other.getByText(`This invitation is for ${invitee}.`, { exact: false }).waitFor();
    await expect(other.getByRole("button", { name: "Join Decline Co" }).count()).resolves.toBe(0);
    await other.locator("main").getByRole("button", { name: "Sign out" }).waitFor();
    await other.getByRole("button", { name: "Decline" }).click();
    await other.getByText("You declined the invitation.").waitFor();

    await openMembers(admin, orgPath);
    await admin.getByText("No pending invitations.").waitFor();
  });
});
