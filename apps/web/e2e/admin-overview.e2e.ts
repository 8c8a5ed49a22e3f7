import { describe, expect, test } from "vitest";
import { baseURL, useBrowser } from "./browser";
import { signInAsAdmin } from "./admin";

const browser = useBrowser();

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

describe("admin overview", () => {
  test("an instance admin opens /admin and reads the numbers and the charts by their accessible names", async () => {
    // With JavaScript: the server-rendered charts must hydrate without a mismatch (a console error fails the test).
    const page = await browser.newPage();
    await signInAsAdmin(page);

    await page.goto("/admin");
    const signUps = page.getByRole("img", { name: "Sign-ups per day", exact: true });
    const active = page.getByRole("img", { name: "Daily active users", exact: true });
    await signUps.waitFor();
    await active.waitFor();
    expect(await signUps.getAttribute("aria-describedby")).toBe("chart-sign-ups-desc");
    expect(await page.locator("#chart-sign-ups-desc").textContent()).toMatch(/^Sign-ups from \w+ \d+ to \w+ \d+: \d+ in total;/);
    expect(await signUps.locator("rect").count()).toBe(30);
    // The admin signed up and signed in today: at least one sign-up and one active user on the last bar.
    expect(Number(await signUps.locator("rect").last().getAttribute("data-value"))).toBeGreaterThanOrEqual(1);
    expect(Number(await active.locator("rect").last().getAttribute("data-value"))).toBeGreaterThanOrEqual(1);

    for (const label of ["Users", "Organizations", "Active sessions", "Monthly active users"]) {
      const value = page.locator("dt", { hasText: new RegExp(`^${label}$`) }).locator("xpath=following-sibling::dd[1]");
      expect(Number((await value.textContent())!.replace(/\D/g, "")), label).toBeGreaterThanOrEqual(label === "Organizations" ? 0 : 1);
    }

    // The numbers as a table, behind a disclosure.
    await page.getByText("Show the numbers").first().click();
    const table = page.getByRole("table", { name: "Sign-ups per day" });
    await table.waitFor();
    expect(await table.getByRole("row").count()).toBe(31);
    expect(await table.locator(`time[datetime="${today()}"]`).count()).toBe(1);
  });

  test("the period picker works without JavaScript", async () => {
    const page = await browser.newPage({ javaScriptEnabled: false });
    await signInAsAdmin(page);
    await page.goto("/admin");
    await page.getByLabel("Period").selectOption("7");
    await Promise.all([page.waitForURL(`${baseURL}/admin?days=7`), page.getByRole("button", { name: "Show", exact: true }).click()]);
    expect(await page.getByRole("img", { name: "Daily active users", exact: true }).locator("rect").count()).toBe(7);
  });
});
