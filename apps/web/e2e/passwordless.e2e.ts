import { describe, expect, test } from "vitest";
import type { Page } from "playwright-core";
import { baseURL, useBrowser } from "./browser";
import { waitForMail } from "./mail";
import { signOut, signUp, uniqueEmail } from "./users";

const browser = useBrowser();

/** An account made through the sign-up form, signed out again, on a page left at /sign-in. */
async function signedOutUser(page: Page, label: string): Promise<string> {
  const email = uniqueEmail(label);
  await signUp(page, email);
  await signOut(page);
  return email;
}

async function expectSignedIn(page: Page) {
  await page.getByRole("heading", { level: 1, name: /^Welcome, / }).waitFor();
}

for (const javaScriptEnabled of [false, true]) {
  describe(`passwordless sign-in with JavaScript ${javaScriptEnabled ? "enabled" : "disabled"}`, () => {
    test("a user signs in with the code emailed to them, after a wrong code is announced", async () => {
      // The 400 answer to the wrong code is logged by Chromium as a failed resource load.
      const page = await browser.newPage({ javaScriptEnabled, allowConsoleErrors: true });
      const email = await signedOutUser(page, "code");

      await page.getByLabel("Email address").fill(email);
      await Promise.all([page.waitForURL(/\/sign-in\/code\?/), page.getByRole("button", { name: "Email me a code" }).click()]);
      await expect(page.getByRole("status").textContent()).resolves.toContain(email);
      const code = page.getByLabel("Code", { exact: true });
      await expect(code.getAttribute("autocomplete")).resolves.toBe("one-time-code");
      await expect(code.getAttribute("inputmode")).resolves.toBe("numeric");

      const mail = await waitForMail(email, (m) => /sign-in code/i.test(m.subject));
      const sent = /\b(\d{6})\b/.exec(mail.text)![1]!;
      await code.fill(sent === "000000" ? "111111" : "000000");
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await expect(page.getByRole("alert").first().textContent()).resolves.toBe("That code is not right.");

      await page.getByLabel("Code", { exact: true }).fill(sent);
      await Promise.all([page.waitForURL(`${baseURL}/`), page.getByRole("button", { name: "Sign in", exact: true }).click()]);
      await expectSignedIn(page);
    });

    test("a user signs in with the emailed link, which opening does not use up, and lands where they were going", async () => {
      const page = await browser.newPage({ javaScriptEnabled });
      const email = await signedOutUser(page, "link");

      await page.goto("/sign-in?redirect_url=/orgs/new");
      await page.getByLabel("Email address").fill(email);
      await page.getByRole("button", { name: "Email me a link" }).click();
      await page.getByRole("heading", { level: 1, name: "Check your email" }).waitFor();
      await expect(page.getByRole("status").textContent()).resolves.toContain(email);

      const mail = await waitForMail(email, (m) => m.text.includes("/sign-in/link?token="));
      const link = /(http\S+\/sign-in\/link\?token=\S+)/.exec(mail.text)![1]!;
      expect(new URL(link).searchParams.get("redirect_url")).toBe("/orgs/new");
      // A mail scanner fetching the link first must not spend it.
      expect((await fetch(link)).status).toBe(200);

      await page.goto(link);
      await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Sign in with your link");
      await Promise.all([page.waitForURL(`${baseURL}/orgs/new`), page.getByRole("button", { name: "Sign in", exact: true }).click()]);
      await page.getByLabel("Organization name").waitFor();

      // The link works once.
      const again = await browser.newPage({ javaScriptEnabled, allowConsoleErrors: true });
      await again.goto(link);
      await again.getByRole("button", { name: "Sign in", exact: true }).click();
      await expect(again.getByRole("alert").first().textContent()).resolves.toBe("This sign-in link is not valid any more. It may have been used already.");
      await again.getByRole("link", { name: "Go back to sign in and ask for a new one." }).click();
      await again.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
    });
  });
}

describe("passwordless requests", () => {
  test("an address without an account gets the same pages as one with an account", async () => {
    const page = await browser.newPage({ javaScriptEnabled: false });
    const nobody = uniqueEmail("nobody");
    await page.goto("/sign-in");
    await page.getByLabel("Email address").fill(nobody);
    await Promise.all([page.waitForURL(/\/sign-in\/code\?/), page.getByRole("button", { name: "Email me a code" }).click()]);
    await expect(page.getByRole("status").textContent()).resolves.toBe(
      `We sent a 6-digit code to ${nobody} if it belongs to an account. It works for 10 minutes.`,
    );
    await page.getByRole("button", { name: "Send a new code" }).click();
    await expect(page.getByRole("status").textContent()).resolves.toContain("We sent a new code");
  });
});
