import { describe, expect, test } from "vitest";
import { baseURL, useBrowser } from "./browser";
import { waitForMail } from "./mail";
import { codeFromMail, PASSWORD, signUp, startSignUp, uniqueEmail } from "./users";

const browser = useBrowser();

function linkIn(text: string): string {
  const match = /https?:\/\/\S+\/verify-email\?token=\S+/.exec(text);
  if (!match) throw new Error("no verify link in the email");
  return match[0];
}

describe("verifying the email address at sign-up", () => {
  test("without JavaScript: a wrong code is announced, resending waits a minute, and the right code signs the user in", async () => {
    const email = uniqueEmail("verify");
    // The 400 and 429 answers are logged by Chromium as failed loads; they are what this test checks.
    const page = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    await startSignUp(page, email);
    await expect(page.getByText(`We sent a 6-digit code to ${email}`).isVisible()).resolves.toBe(true);
    // No account and no session yet: the home page still offers sign-in.
    expect((await page.context().cookies()).some((c) => c.name === "latchkey_session")).toBe(false);

    const code = await codeFromMail(email);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
    await page.getByLabel("Verification code").fill(wrong);
    await page.getByRole("button", { name: "Verify", exact: true }).click();
    await page.locator('input[name="code"][aria-invalid="true"]').waitFor();
    await expect(page.getByRole("alert").first().textContent()).resolves.toBe("That code is not right.");

    await page.getByRole("button", { name: "Send a new code" }).click();
    await expect(page.getByRole("alert").first().textContent()).resolves.toMatch(/^A code was just sent\. You can ask for a new one in \d+ s\.$/);

    await page.getByLabel("Verification code").fill(code);
    await Promise.all([page.waitForURL(`${baseURL}/`), page.getByRole("button", { name: "Verify", exact: true }).click()]);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Welcome, Ada Lovelace");
  });

  test("the emailed link, opened in another browser, asks for a click, signs in once, and is spent afterwards", async () => {
    const email = uniqueEmail("link");
    const first = await browser.newPage({ javaScriptEnabled: false });
    await startSignUp(first, email);
    const mail = await waitForMail(email, (m) => m.subject.startsWith("Verify your email address"));
    const link = linkIn(mail.text);

    const page = await browser.newPage({ allowConsoleErrors: true });
    await page.goto(link);
    // Opening the link (as a mail scanner would) spends nothing.
    await page.goto(link);
    await Promise.all([page.waitForURL(`${baseURL}/`), page.getByRole("button", { name: "Verify email address" }).click()]);
    await page.getByRole("heading", { level: 1, name: "Welcome, Ada Lovelace" }).waitFor();

    const again = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    await again.goto(link);
    await again.getByRole("button", { name: "Verify email address" }).click();
    // A spent link answers "already verified" (issue 21: verifyCode tells a proven code from a wrong one).
    await expect(again.getByRole("alert").first().textContent()).resolves.toBe("This email address is already verified. You can sign in.");
    // The first browser's code is spent too: the page says the address is verified already.
    await first.goto(first.url());
    await expect(first.getByRole("status").textContent()).resolves.toBe("This email address is already verified. You can sign in.");
  });

  test("signing up with an address that has an account looks the same, and only its owner is emailed", async () => {
    const email = uniqueEmail("taken");
    await signUp(await browser.newPage(), email);

    const page = await browser.newPage({ javaScriptEnabled: false });
    await page.goto("/sign-up");
    await page.getByLabel("First name").fill("Eve");
    await page.getByLabel("Email address").fill(email);
    await page.getByLabel("Password", { exact: true }).fill("a different long passphrase");
    await Promise.all([page.waitForURL(/\/verify-email\?sign_up=sua_/), page.getByRole("button", { name: "Create account" }).click()]);
    await expect(page.getByText(`We sent a 6-digit code to ${email}`).isVisible()).resolves.toBe(true);
    expect((await page.context().cookies()).some((c) => c.name === "latchkey_session")).toBe(false);

    const notice = await waitForMail(email, (m) => m.subject.startsWith("Someone tried to create"));
    expect(notice.text).toContain("/sign-in");
    // The owner's password still works.
    const owner = await browser.newPage({ javaScriptEnabled: false });
    await owner.goto("/sign-in");
    await owner.getByLabel("Email address").fill(email);
    await owner.getByLabel("Password").fill(PASSWORD);
    await Promise.all([owner.waitForURL(`${baseURL}/`), owner.getByRole("button", { name: "Sign in", exact: true }).click()]);
  });
});
