import { describe, expect, test } from "vitest";
import { baseURL, useBrowser } from "./browser";
import { PASSWORD, signUp, uniqueEmail } from "./users";
import { signInAsAdmin } from "./admin";

const browser = useBrowser();

const BANNER = "Viewing as another user";

/** Signs a new user up in their own browser and returns their page and id (what the admin's users list links with). */
async function newUser(firstName: string) {
  const page = await browser.newPage();
  const email = uniqueEmail(firstName.toLowerCase());
  await signUp(page, email, firstName);
  const me = await page.request.get(`${baseURL}/api/trpc/user.me`);
  const userId = ((await me.json()) as { result: { data: { json: { id: string } } } }).result.data.json.id;
  expect(userId).toMatch(/^user_/);
  return { page, email, userId };
}

describe("impersonation", () => {
  test("an admin gives a reason, views the app as a user with the banner on every page, is refused a password change, and stops back to themself", async () => {
    const { page: userPage, email, userId } = await newUser("Vera");
    // The instance admin; the page after "Stop" is the users section's user page, 404 until that section lands.
    const admin = await browser.newPage({ allowConsoleErrors: true });
    await signInAsAdmin(admin);

    await admin.goto(`/admin/users/${userId}/impersonate`);
    await admin.getByRole("heading", { name: "View as Vera Lovelace" }).waitFor();
    await admin.getByText(email).waitFor();
    const start = admin.getByRole("button", { name: "Start viewing as Vera Lovelace", exact: true });
    // No reason: refused, next to the field.
    await start.click();
    await admin.getByRole("alert").filter({ hasText: "Give a reason of 3 to 500 characters." }).waitFor();
    await admin.getByLabel("Reason").fill("Support ticket 4521: cannot see their projects");
    await Promise.all([admin.waitForURL(`${baseURL}/`), start.click()]);

    // The banner on every page, naming the user, with a Stop button.
    for (const path of ["/", "/user", "/orgs/new", "/user/mfa", "/user/security"]) {
      if (path !== "/") await admin.goto(path);
      const banner = admin.getByRole("region", { name: BANNER, exact: true });
      await banner.getByText("Viewing as Vera Lovelace", { exact: true }).waitFor();
      await banner.getByRole("button", { name: "Stop viewing", exact: true }).waitFor();
    }

    // A sensitive action is refused, and says why.
    await admin.getByLabel("Current password").fill(PASSWORD);
    await admin.getByLabel("New password").fill("an entirely new passphrase");
    await admin.getByRole("button", { name: "Change password", exact: true }).click();
    await admin.getByRole("alert").filter({ hasText: "Not while viewing as this user: only they can do that." }).waitFor();
    // The admin console is closed to the impersonation session.
    expect((await admin.goto("/admin"))?.status()).toBe(403);

    // Stop: back to the admin's own session, on the user's admin page.
    await admin.goto("/user");
    await Promise.all([
      admin.waitForURL(`${baseURL}/admin/users/${userId}`),
      admin.getByRole("region", { name: BANNER, exact: true }).getByRole("button", { name: "Stop viewing", exact: true }).click(),
    ]);
    // With JavaScript the URL changes just before React renders the admin's page (and its root data, without the banner).
    await admin.getByRole("region", { name: BANNER, exact: true }).waitFor({ state: "detached" });
    expect((await admin.goto("/admin/webhooks"))?.status()).toBe(200);
    await admin.getByRole("heading", { name: "Webhooks" }).first().waitFor();
    expect(await admin.getByRole("region", { name: BANNER, exact: true }).count()).toBe(0);

    // The user's own session was never touched, and their password still works.
    await userPage.goto("/user/security");
    expect(await userPage.getByRole("region", { name: BANNER, exact: true }).count()).toBe(0);
    await userPage.getByRole("button", { name: "Change password", exact: true }).waitFor();
  });

  test("without JavaScript: start, the banner, and signing out ends the viewing and returns to the admin", async () => {
    const { userId } = await newUser("Nina");
    const admin = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    await signInAsAdmin(admin);
    await admin.goto(`/admin/users/${userId}/impersonate`);
    await admin.getByLabel("Reason").fill("Ticket 88, no JavaScript");
    await Promise.all([admin.waitForURL(`${baseURL}/`), admin.getByRole("button", { name: "Start viewing as Nina Lovelace", exact: true }).click()]);
    await admin.getByRole("region", { name: BANNER, exact: true }).getByText("Viewing as Nina Lovelace", { exact: true }).waitFor();
    // "Sign out" in the account menu behaves like "Stop viewing".
    await admin.getByLabel("Account menu").click();
    await Promise.all([admin.waitForURL(`${baseURL}/admin/users/${userId}`), admin.getByRole("button", { name: "Sign out", exact: true }).click()]);
    expect(await admin.getByRole("region", { name: BANNER, exact: true }).count()).toBe(0);
    expect((await admin.goto("/admin"))?.status()).toBe(200);
  });
});
