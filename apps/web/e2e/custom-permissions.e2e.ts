/**
 * The seed's custom-permission scenario in a browser (ADR 022): an instance admin creates `org:reports:read` and a
 * role holding it; an organization's admin (who doesn't hold it) invites someone with that role; once they join, their
 * next page shows the Reports link (`<Protect>`) and the reports page opens (`requireAuth` in its loader), while the
 * admin, without the permission, is refused it.
 */
import { describe, expect, test } from "vitest";
import { baseURL, useBrowser } from "./browser";
import { waitForMail } from "./mail";
import { createOrganization, signUp, uniqueEmail } from "./users";
import { signInAsAdmin } from "./admin";

const browser = useBrowser();

describe("a permission created at run time (without JavaScript)", () => {
  test("an invitee with a custom role holding org:reports:read sees and opens the reports page on their next request", async () => {
    const tag = Math.random().toString(36).slice(2, 7);
    const roleKey = `org:analyst_${tag}`;

    const root = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    await signInAsAdmin(root);
    await root.goto("/admin/roles");
    await root.getByLabel("Permission key").fill("org:reports:read");
    await root.getByLabel("Permission name").fill("Read reports");
    await Promise.all([root.waitForURL(/done=permissionCreated/), root.getByRole("button", { name: "Create permission", exact: true }).click()]);
    await root.getByLabel("Role key").fill(roleKey);
    await root.getByLabel("Role name").fill(`Analyst ${tag}`);
    await root.getByRole("checkbox", { name: "org:reports:read" }).check();
    await root.getByRole("checkbox", { name: "org:projects:read", exact: true }).check();
    await Promise.all([root.waitForURL(/\/admin\/roles\/org%3Aanalyst_/), root.getByRole("button", { name: "Create role", exact: true }).click()]);
    await root.getByRole("status").filter({ hasText: "Role created." }).waitFor();

    // An organization's admin hands the role out; they don't hold org:reports:read themselves.
    const owner = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    await signUp(owner, uniqueEmail("reports-owner"), "Olga");
    const orgPath = await createOrganization(owner, `Reports ${tag}`);
    await expect(owner.getByRole("link", { name: "Reports", exact: true }).count()).resolves.toBe(0);
    expect((await owner.goto(`${orgPath}/reports`))?.status()).toBe(403);

    const inviteeEmail = uniqueEmail("reports-analyst");
    const invitee = await browser.newPage({ javaScriptEnabled: false });
    await signUp(invitee, inviteeEmail, "Ana");

    await owner.goto(`${orgPath}/members`);
    await owner.getByLabel("Email addresses").fill(inviteeEmail);
    await owner.getByLabel("Role", { exact: true }).selectOption(roleKey);
    await owner.getByRole("button", { name: "Send invitations" }).click();
    await owner.getByText("Invitations sent: 1.").waitFor();

    const mail = await waitForMail(inviteeEmail, (m) => m.subject.startsWith("You have been invited"));
    const link = /https?:\/\/\S+\/invitations\/accept\?token=[A-Za-z0-9._%-]+/.exec(mail.text)![0];
    await invitee.goto(link);
    await Promise.all([invitee.waitForURL(`${baseURL}${orgPath}`), invitee.getByRole("button", { name: `Join Reports ${tag}` }).click()]);

    // Their very next page: the component shows the link, the loader lets them in.
    await Promise.all([invitee.waitForURL(`${baseURL}${orgPath}/reports`), invitee.getByRole("link", { name: "Reports", exact: true }).click()]);
    await invitee.getByRole("heading", { level: 2, name: "Reports" }).waitFor();
    await invitee.getByText(`Your roles here: ${roleKey}.`).waitFor();
  });
});
