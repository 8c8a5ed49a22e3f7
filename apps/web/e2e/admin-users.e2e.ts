/**
 * The admin console's users section in a browser, without JavaScript: the instance admin finds a user by email,
 * opens their page, bans them (the user's own browser is signed out on its next navigation), unbans, and deletes.
 * Changes no instance settings.
 */
import { describe, expect, test } from "vitest";
import { baseURL, useBrowser } from "./browser";
import { signUp, uniqueEmail } from "./users";
import { signInAsAdmin } from "./admin";

const browser = useBrowser();

describe("admin users (without JavaScript)", () => {
  test("an admin finds a user by email, bans them (their session ends on the next page), unbans and deletes them", async () => {
    const email = uniqueEmail("managed");
    const user = await browser.newPage({ javaScriptEnabled: false });
    await signUp(user, email, "Managed");

    const admin = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    await signInAsAdmin(admin);

    await admin.goto("/admin");
    await Promise.all([admin.waitForURL(`${baseURL}/admin/users`), admin.getByRole("link", { name: "Users", exact: true }).click()]);
    await admin.getByLabel("Search").fill(email.slice(0, email.indexOf("@") + 1));
    await Promise.all([admin.waitForURL(/\/admin\/users\?q=/), admin.getByRole("button", { name: "Search", exact: true }).click()]);
    const rows = admin.getByRole("row");
    // The header row and exactly one user.
    await admin.getByRole("link", { name: email, exact: true }).waitFor();
    expect(await rows.count()).toBe(2);
    await Promise.all([admin.waitForURL(/\/admin\/users\/user_/), admin.getByRole("link", { name: email, exact: true }).click()]);
    await admin.getByRole("heading", { level: 2, name: email }).waitFor();
    await admin.getByRole("link", { name: "Impersonate", exact: true }).waitFor();
    expect(await admin.getByRole("link", { name: "Export JSON", exact: true }).getAttribute("href")).toMatch(/^\/admin\/users\/user_[a-z0-9]+\/export$/);

    // Ban: the user's own browser is signed out on its next navigation.
    await admin.getByRole("button", { name: "Ban user", exact: true }).click();
    await admin.getByRole("status").filter({ hasText: "User banned" }).waitFor();
    await admin.getByText(/^Banned since /).waitFor();
    await user.goto("/user");
    await user.waitForURL(/\/sign-in/);

    await admin.getByRole("button", { name: "Unban user", exact: true }).click();
    await admin.getByRole("status").filter({ hasText: "User unbanned." }).waitFor();
    expect(await admin.getByText(/^Banned since /).count()).toBe(0);

    // Delete asks for a confirmation first.
    await admin.getByRole("button", { name: "Delete user", exact: true }).click();
    await admin.getByRole("alert").filter({ hasText: "Tick the box to confirm." }).waitFor();
    await admin.getByLabel("I understand that this can't be undone").check();
    await Promise.all([admin.waitForURL(`${baseURL}/admin/users?done=deleted`), admin.getByRole("button", { name: "Delete user", exact: true }).click()]);
    await admin.getByRole("status").filter({ hasText: "User deleted." }).waitFor();
    await admin.getByLabel("Search").fill(email);
    await Promise.all([admin.waitForURL(/\/admin\/users\?q=/), admin.getByRole("button", { name: "Search", exact: true }).click()]);
    await admin.getByText("No users match.").waitFor();
  });
});
