import { describe, expect, test } from "vitest";
import { baseURL, useBrowser } from "./browser";
import { createOrganization, signUp, uniqueEmail } from "./users";
import { signInAsAdmin } from "./admin";

const browser = useBrowser();

describe("admin organizations and roles (without JavaScript)", () => {
  test("an admin finds an organization, sets its membership limit, creates a custom role with a custom permission, and deletes the organization", async () => {
    const tag = Math.random().toString(36).slice(2, 7);
    const owner = await browser.newPage({ javaScriptEnabled: false });
    await signUp(owner, uniqueEmail("org-owner"), "Olga");
    const orgName = `Wombat ${tag}`;
    const orgPath = await createOrganization(owner, orgName);
    const slug = orgPath.split("/").at(-1)!;

    const admin = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    await signInAsAdmin(admin);

    // Find it: a GET search form, the address bar holds the search.
    await admin.goto("/admin");
    await Promise.all([admin.waitForURL(`${baseURL}/admin/organizations`), admin.getByRole("navigation", { name: "Sections of the admin console" }).getByRole("link", { name: "Organizations", exact: true }).click()]);
    await admin.getByLabel("Search organizations").fill(`wombat ${tag}`);
    await Promise.all([admin.waitForURL(/\/admin\/organizations\?q=/), admin.getByRole("button", { name: "Search", exact: true }).click()]);
    await Promise.all([admin.waitForURL(/\/admin\/organizations\/org_/), admin.getByRole("link", { name: orgName, exact: true }).click()]);
    await admin.getByRole("heading", { level: 2, name: orgName }).waitFor();
    await admin.getByRole("heading", { level: 3, name: "Members (1)" }).waitFor();
    const detailUrl = admin.url().split("?")[0]!;

    // A refused limit is explained next to its field; a good one is saved.
    await admin.getByLabel("Maximum members").fill("zero");
    await admin.getByRole("button", { name: "Save membership limit", exact: true }).click();
    await admin.getByRole("alert").filter({ hasText: "whole number" }).waitFor();
    await admin.getByLabel("Maximum members").fill("1");
    await Promise.all([admin.waitForURL(/done=limitSaved/), admin.getByRole("button", { name: "Save membership limit", exact: true }).click()]);
    await admin.getByRole("status").filter({ hasText: "Membership limit saved." }).waitFor();
    await admin.getByText("Limit in force: 1.").waitFor();

    // A custom permission, then a custom role holding it.
    const permission = `org:reports_${tag}:read`;
    const roleKey = `org:analyst_${tag}`;
    await admin.goto("/admin/roles");
    await admin.getByRole("heading", { level: 3, name: "System roles" }).waitFor();
    await admin.getByLabel("Permission key").fill(permission);
    await admin.getByLabel("Permission name").fill("Read reports");
    await Promise.all([admin.waitForURL(/done=permissionCreated/), admin.getByRole("button", { name: "Create permission", exact: true }).click()]);
    await admin.getByRole("status").filter({ hasText: "Permission created." }).waitFor();

    await admin.getByLabel("Role key").fill(roleKey);
    await admin.getByLabel("Role name").fill("Analyst");
    await admin.getByRole("checkbox", { name: permission }).check();
    await admin.getByRole("checkbox", { name: "org:sys_memberships:read", exact: true }).check();
    await Promise.all([admin.waitForURL(/\/admin\/roles\/org%3Aanalyst_/), admin.getByRole("button", { name: "Create role", exact: true }).click()]);
    await admin.getByRole("status").filter({ hasText: "Role created." }).waitFor();
    expect(await admin.getByRole("checkbox", { name: permission }).isChecked()).toBe(true);

    await admin.goto("/admin/roles");
    await admin.getByRole("link", { name: "Analyst", exact: true }).waitFor();

    // Delete the organization: the slug must be typed.
    await admin.goto(detailUrl);
    await admin.getByLabel(`Type the slug ${slug} to confirm`).fill(orgName);
    await admin.getByRole("button", { name: "Delete organization", exact: true }).click();
    await admin.getByRole("alert").filter({ hasText: "slug exactly" }).waitFor();
    await admin.getByLabel(`Type the slug ${slug} to confirm`).fill(slug);
    await Promise.all([admin.waitForURL(/\/admin\/organizations\?done=deleted/), admin.getByRole("button", { name: "Delete organization", exact: true }).click()]);
    await admin.getByRole("status").filter({ hasText: "Organization deleted." }).waitFor();
    await admin.getByLabel("Search organizations").fill(`wombat ${tag}`);
    await Promise.all([admin.waitForURL(/\/admin\/organizations\?q=/), admin.getByRole("button", { name: "Search", exact: true }).click()]);
    await admin.getByText("No organization matches that search.").waitFor();
    expect((await admin.goto(detailUrl))?.status()).toBe(404);

    // Leave the instance as it was: the role and the permission go too.
    await admin.goto(`/admin/roles/${encodeURIComponent(roleKey)}`);
    await Promise.all([admin.waitForURL(/done=roleDeleted/), admin.getByRole("button", { name: "Delete role", exact: true }).click()]);
    await admin.getByRole("button", { name: `Delete permission ${permission}`, exact: true }).click();
    await admin.getByRole("status").filter({ hasText: "Permission deleted." }).waitFor();
  });

  test("a signed-in user who is not an instance admin is refused", async () => {
    const page = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    await signUp(page, uniqueEmail("not-org-admin"));
    expect((await page.goto("/admin/organizations"))?.status()).toBe(403);
    expect((await page.goto("/admin/roles"))?.status()).toBe(403);
  });
});
