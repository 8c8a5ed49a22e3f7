import { describe, expect, test } from "vitest";
import { baseURL, useBrowser } from "./browser";
import { waitForMail } from "./mail";
import { signUp, uniqueEmail } from "./users";

const browser = useBrowser();

for (const javaScriptEnabled of [false, true]) {
  describe(`step-up with an emailed code, JavaScript ${javaScriptEnabled ? "enabled" : "disabled"}`, () => {
    test("a user switches from the password to a code emailed to them, a wrong code is announced, the right one goes back", async () => {
      // The 400 answer to the wrong code is logged by Chromium as a failed resource load.
      const page = await browser.newPage({ javaScriptEnabled, allowConsoleErrors: true });
      const email = uniqueEmail("stepup-email");
      await signUp(page, email);
      await page.goto("/reverify?redirect_url=/user/security");
      await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Confirm it's you");
      await page.getByRole("link", { name: "Get a code by email" }).click();
      await page.getByRole("button", { name: "Email me a code" }).click();
      await expect(page.getByRole("status").textContent()).resolves.toBe(`We emailed a code to ${email}.`);

      const mail = await waitForMail(email, (m) => /confirmation code/.test(m.subject));
      const sent = /\b(\d{6})\b/.exec(mail.text)![1]!;
      const code = page.getByLabel("Code", { exact: true });
      await expect(code.getAttribute("autocomplete")).resolves.toBe("one-time-code");
      await code.fill(sent === "000000" ? "111111" : "000000");
      await page.getByRole("button", { name: "Continue" }).click();
      await expect(page.getByRole("alert").first().textContent()).resolves.toBe("That code is not right.");

      await page.getByLabel("Code", { exact: true }).fill(sent);
      await Promise.all([page.waitForURL(`${baseURL}/user/security`), page.getByRole("button", { name: "Continue" }).click()]);
    });
  });
}
