import { describe, expect, test } from "vitest";
import type { Page } from "playwright-core";
import { baseURL, useBrowser } from "./browser";
import { waitForMail } from "./mail";
import { PASSWORD, signUp, uniqueEmail } from "./users";

const browser = useBrowser();

function addressRow(page: Page, email: string) {
  return page.getByRole("list", { name: "Your email addresses" }).getByRole("listitem").filter({ hasText: email });
}

/** Presses a button that posts and waits for the page it leads to. */
async function press(page: Page, name: string, url: RegExp) {
  await Promise.all([page.waitForURL(url), page.getByRole("button", { name, exact: true }).click()]);
}

for (const javaScriptEnabled of [false, true]) {
  describe(`email addresses with JavaScript ${javaScriptEnabled ? "enabled" : "disabled"}`, () => {
    test("a user adds a second address by emailed code, makes it primary after confirming the password, and removes the old one", async () => {
      const page = await browser.newPage({ javaScriptEnabled, allowConsoleErrors: true });
      const first = uniqueEmail("first");
      const second = uniqueEmail("second");
      await signUp(page, first);

      // The account menu leads to the account page.
      await page.getByLabel("Account menu").click();
      await Promise.all([page.waitForURL(`${baseURL}/user`), page.getByRole("link", { name: "Manage account" }).click()]);
      // With JavaScript, React renders the new page just after the URL changes.
      await page.getByRole("heading", { level: 1, name: "Account" }).waitFor();
      await page.getByRole("heading", { level: 2, name: "Email addresses" }).waitFor();
      await expect(page.getByRole("definition").first().textContent()).resolves.toBe("Ada Lovelace");
      // Sign-up confirmed the first address by its code.
      await expect(addressRow(page, first).textContent()).resolves.toMatch(/Primary.*Verified/);

      // Add: a code goes to the new address; nothing is listed until it comes back.
      await page.getByLabel("Email address", { exact: true }).fill(second);
      await press(page, "Add email address", /\/user\?done=sent$/);
      await page.getByLabel("Verification code").waitFor();
      await expect(addressRow(page, second).count()).resolves.toBe(0);
      const mail = await waitForMail(second, (m) => /Verify your email address/.test(m.subject));
      const code = /\b(\d{6})\b/.exec(mail.text)![1]!;
      expect(mail.subject).not.toContain(code);

      // A wrong code is announced on the field; the right one adds the address, verified.
      await page.getByLabel("Verification code").fill(code === "000000" ? "111111" : "000000");
      await page.getByRole("button", { name: "Verify", exact: true }).click();
      await expect(page.getByRole("alert").first().textContent()).resolves.toMatch(/code is not right/);
      await page.getByLabel("Verification code").fill(code);
      await press(page, "Verify", /\/user\?done=added$/);
      await page.getByRole("status").filter({ hasText: "was added" }).waitFor();
      await expect(addressRow(page, second).textContent()).resolves.toMatch(/Verified/);
      await expect(addressRow(page, second).textContent()).resolves.not.toMatch(/Primary/);

      // Make primary: a session not recently confirmed goes through /reverify and comes back here to press again.
      // (A session fresh from sign-up counts as confirmed for 10 minutes, so then the first press already works.)
      await page.getByRole("button", { name: `Make primary: ${second}` }).click();
      await page.waitForURL(/\/(user\?done=primary|reverify\?)/);
      if (new URL(page.url()).pathname === "/reverify") {
        const asked = new URL(page.url()).searchParams;
        expect([asked.get("redirect_url"), asked.get("level")]).toEqual(["/user", "strict"]);
        await page.getByLabel("Password").fill(PASSWORD);
        await Promise.all([page.waitForURL(`${baseURL}/user`), page.getByRole("button", { name: "Continue" }).click()]);
        await Promise.all([
          page.waitForURL(/\/user\?done=primary$/),
          page.getByRole("button", { name: `Make primary: ${second}` }).click(),
        ]);
      }
      await page.getByRole("status").filter({ hasText: "primary email address was changed" }).waitFor();
      await expect(addressRow(page, second).textContent()).resolves.toMatch(/Primary/);
      const notice = await waitForMail(first, (m) => /primary email address/i.test(m.subject));
      expect(notice.text).toContain(second);

      // The old address can go now; the new primary offers no Remove.
      await expect(addressRow(page, second).getByRole("button", { name: `Remove ${second}` }).count()).resolves.toBe(0);
      await press(page, `Remove ${first}`, /\/user\?done=removed$/);
      await page.getByRole("status").filter({ hasText: "was removed" }).waitFor();
      await expect(addressRow(page, first).count()).resolves.toBe(0);
      await expect(page.getByRole("list", { name: "Your email addresses" }).getByRole("listitem").count()).resolves.toBe(1);
    });
  });
}

describe("the account page", () => {
  test("sends a visitor without a session to sign in and back", async () => {
    const page = await browser.newPage({ javaScriptEnabled: false });
    await page.goto("/user");
    expect(new URL(page.url()).pathname).toBe("/sign-in");
    expect(new URL(page.url()).searchParams.get("redirect_url")).toBe("/user");
  });
});
