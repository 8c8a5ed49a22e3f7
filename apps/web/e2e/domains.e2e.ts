import { describe, expect, test } from "vitest";
import { baseURL, useBrowser } from "./browser";
import { codeFromMail, createOrganization, signUp, uniqueEmail } from "./users";

const browser = useBrowser();

function randomDomain(): string {
  return `d${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}.example.test`;
}

describe("verified domains (without JavaScript)", () => {
  test("an admin verifies a domain in suggestion mode; a new user at that domain sees the org on /orgs, joins, and lands in it", async () => {
    const domain = randomDomain();
    // Refused input answers 400, which the browser logs as a failed resource.
    const admin = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    await signUp(admin, uniqueEmail("dom-admin"));
    const orgPath = await createOrganization(admin, "Domain Co");

    // The org layout links to its domains.
    await Promise.all([admin.waitForURL(`${baseURL}${orgPath}/domains`), admin.getByRole("link", { name: "Domains" }).click()]);
    await admin.getByText("No domains yet.").waitFor();

    // A public provider is refused with a message next to the field.
    await admin.getByLabel("Domain", { exact: true }).fill("gmail.com");
    await admin.getByRole("button", { name: "Add domain" }).click();
    await admin.getByRole("alert").filter({ hasText: "public email provider" }).waitFor();

    await admin.getByLabel("Domain", { exact: true }).fill(` ${domain.toUpperCase()}. `);
    await admin.getByRole("button", { name: "Add domain" }).click();
    await admin.getByText(domain, { exact: true }).waitFor();
    await admin.getByText("Unverified", { exact: false }).waitFor();

    // An address elsewhere is refused; one at the domain gets a code.
    await admin.getByLabel(`Email address at ${domain}`).fill(uniqueEmail("elsewhere"));
    await admin.getByRole("button", { name: "Send code" }).click();
    await admin.getByRole("alert").filter({ hasText: "at the domain you are verifying" }).waitFor();
    await admin.getByLabel(`Email address at ${domain}`).fill(`admin@${domain}`);
    await admin.getByRole("button", { name: "Send code" }).click();
    await admin.getByText(`A code was sent to admin@${domain}.`, { exact: false }).waitFor();

    // A wrong code first, then the right one.
    const code = await codeFromMail(`admin@${domain}`);
    await admin.getByLabel("Verification code").fill(code === "000000" ? "111111" : "000000");
    await admin.getByRole("button", { name: "Verify", exact: true }).click();
    await admin.getByRole("alert").first().waitFor();
    await admin.getByLabel("Verification code").fill(code);
    await admin.getByRole("button", { name: "Verify", exact: true }).click();
    await admin.getByLabel("Enrollment mode", { exact: true }).waitFor();
    await admin.getByText("Verified", { exact: false }).first().waitFor();

    await admin.getByLabel("Enrollment mode", { exact: true }).selectOption({ label: "Automatic suggestion" });
    await admin.getByRole("button", { name: "Save" }).click();
    await admin.getByText("Enrollment mode: Automatic suggestion").waitFor();

    // A new user at the domain: the org is suggested as soon as they have signed up.
    const email = `someone@${domain}`;
    const user = await browser.newPage({ javaScriptEnabled: false });
    await signUp(user, email, "Sam");
    await user.goto("/orgs");
    await user.getByRole("heading", { level: 2, name: "Suggested for you" }).waitFor();
    await user.getByText("You are not in any organization yet.").waitFor();
    const suggestions = user.getByRole("list", { name: "Suggested for you" });
    await suggestions.getByText("Domain Co").waitFor();
    await Promise.all([user.waitForURL(`${baseURL}${orgPath}`), suggestions.getByRole("button", { name: "Join Domain Co" }).click()]);
    await user.getByRole("heading", { level: 1, name: "Domain Co" }).waitFor();

    // Back on /orgs: a member now, no longer suggested.
    await user.goto("/orgs");
    await user.getByRole("list", { name: "Your organizations" }).getByRole("link", { name: "Domain Co" }).waitFor();
    await user.getByText("No suggestions.").waitFor();
    await expect(user.getByRole("list", { name: "Your organizations" }).getByText("Member").count()).resolves.toBe(1);

    // The admin removes the domain.
    await admin.getByRole("button", { name: `Remove ${domain}` }).click();
    await admin.getByText("No domains yet.").waitFor();
  });
});

describe("/orgs with JavaScript", () => {
  test("a pending invitation shows under Invitations and Join opens the organization", async () => {
    const admin = await browser.newPage({ javaScriptEnabled: true });
    await signUp(admin, uniqueEmail("orgs-admin"));
    const orgPath = await createOrganization(admin, "Listed Co");
    const inviteeEmail = uniqueEmail("orgs-invitee");
    await admin.goto(`${orgPath}/members`);
    await admin.getByLabel("Email addresses").fill(inviteeEmail);
    await admin.getByRole("button", { name: "Send invitations" }).click();
    await admin.getByText("Invitations sent: 1.").waitFor();

    const invitee = await browser.newPage({ javaScriptEnabled: true });
    await signUp(invitee, inviteeEmail, "Ivy");
    // From the organization switcher.
    await invitee.getByLabel("Switch organization").click();
    await Promise.all([invitee.waitForURL(`${baseURL}/orgs`), invitee.getByRole("link", { name: "All organizations" }).click()]);
    const invitations = invitee.getByRole("list", { name: "Invitations" });
    await invitations.getByText("Listed Co").waitFor();
    await Promise.all([invitee.waitForURL(`${baseURL}${orgPath}`), invitations.getByRole("button", { name: "Join Listed Co" }).click()]);
    await invitee.getByRole("heading", { level: 1, name: "Listed Co" }).waitFor();
  });
});
