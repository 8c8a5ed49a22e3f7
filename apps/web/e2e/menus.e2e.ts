import type { Page } from "playwright-core";
import { describe, expect, test } from "vitest";
import { useBrowser } from "./browser";
import { createOrganization, signUp, uniqueEmail } from "./users";

const browser = useBrowser();

function accountMenu(page: Page) {
  return page.getByLabel("Account menu");
}
function switcher(page: Page) {
  return page.getByLabel("Switch organization");
}
async function isOpen(page: Page, name: string): Promise<boolean> {
  return page.locator(`details:has(> summary[aria-label="${name}"])`).evaluate((el) => (el as HTMLDetailsElement).open);
}

describe("the header menus", () => {
  test("with JavaScript, the account menu reports aria-expanded and Escape closes it, returning focus to its button", async () => {
    const page = await browser.newPage();
    await signUp(page, uniqueEmail("menus-escape"));
    await expect.poll(() => accountMenu(page).getAttribute("aria-expanded")).toBe("false");
    await accountMenu(page).click();
    await expect.poll(() => accountMenu(page).getAttribute("aria-expanded")).toBe("true");
    await expect(page.getByRole("link", { name: "Manage account" }).isVisible()).resolves.toBe(true);
    await page.keyboard.press("Escape");
    await expect.poll(() => accountMenu(page).getAttribute("aria-expanded")).toBe("false");
    await expect(isOpen(page, "Account menu")).resolves.toBe(false);
    await expect(accountMenu(page).evaluate((el) => el === document.activeElement)).resolves.toBe(true);
  });

  test("with JavaScript, a click outside closes a menu and opening one menu closes the other", async () => {
    const page = await browser.newPage();
    await signUp(page, uniqueEmail("menus-outside"));
    await createOrganization(page, "Menu Test Co");
    await accountMenu(page).click();
    await expect(isOpen(page, "Account menu")).resolves.toBe(true);
    await page.getByRole("heading", { level: 2, name: "Projects" }).click();
    await expect(isOpen(page, "Account menu")).resolves.toBe(false);

    await accountMenu(page).click();
    await switcher(page).click();
    await expect(isOpen(page, "Switch organization")).resolves.toBe(true);
    await expect(isOpen(page, "Account menu")).resolves.toBe(false);
    await expect.poll(() => switcher(page).getAttribute("aria-expanded")).toBe("true");
    await expect.poll(() => accountMenu(page).getAttribute("aria-expanded")).toBe("false");
  });

  test("with JavaScript, following a link in a menu closes it", async () => {
    const page = await browser.newPage();
    await signUp(page, uniqueEmail("menus-nav"));
    await accountMenu(page).click();
    await Promise.all([page.waitForURL(/\/user$/), page.getByRole("link", { name: "Manage account" }).click()]);
    await page.getByRole("heading", { level: 1 }).first().waitFor();
    await expect(isOpen(page, "Account menu")).resolves.toBe(false);
    await expect.poll(() => accountMenu(page).getAttribute("aria-expanded")).toBe("false");
  });

  test("without JavaScript, the menus still open and the account menu signs out", async () => {
    const withJs = await browser.newContext();
    const setup = await withJs.newPage();
    const email = uniqueEmail("menus-nojs");
    await signUp(setup, email);
    const cookies = await withJs.cookies();
    const context = await browser.newContext({ javaScriptEnabled: false });
    await context.addCookies(cookies);
    const page = await context.newPage();
    await page.goto("/");
    // No aria-expanded without JavaScript: nothing would keep it true while the native disclosure is open.
    await expect(accountMenu(page).getAttribute("aria-expanded")).resolves.toBeNull();
    await accountMenu(page).click();
    await expect(isOpen(page, "Account menu")).resolves.toBe(true);
    await Promise.all([page.waitForURL(/\/sign-in$/), page.getByRole("button", { name: "Sign out" }).click()]);
  });
});

describe("the theme switch in the account menu", () => {
  for (const javaScriptEnabled of [true, false]) {
    test(`${javaScriptEnabled ? "with" : "without"} JavaScript, choosing Dark pins the dark theme across pages and System follows the device again`, async () => {
      const setupContext = await browser.newContext();
      const setup = await setupContext.newPage();
      await signUp(setup, uniqueEmail(`theme-${javaScriptEnabled ? "js" : "nojs"}`));
      const context = javaScriptEnabled ? setupContext : await browser.newContext({ javaScriptEnabled: false });
      if (!javaScriptEnabled) await context.addCookies(await setupContext.cookies());
      const page = javaScriptEnabled ? setup : await context.newPage();
      await page.goto("/");
      const html = page.locator("html");
      await expect(html.getAttribute("data-theme")).resolves.toBeNull();

      await accountMenu(page).click();
      await expect(page.getByRole("button", { name: "System" }).getAttribute("aria-pressed")).resolves.toBe("true");
      await page.getByRole("button", { name: "Dark" }).click();
      await page.waitForFunction(() => document.documentElement.dataset.theme === "dark");
      const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(background).toBe("rgb(11, 17, 32)");

      await page.goto("/user");
      await expect(html.getAttribute("data-theme")).resolves.toBe("dark");
      await accountMenu(page).click();
      await expect(page.getByRole("button", { name: "Dark" }).getAttribute("aria-pressed")).resolves.toBe("true");
      await page.getByRole("button", { name: "System" }).click();
      await page.waitForFunction(() => document.documentElement.dataset.theme === undefined);
      await expect(page.url()).toMatch(/\/user$/);
    });
  }
});

describe("the header on the sign-in and sign-up pages", () => {
  test("offers no Sign in / Sign up links on the pages that are themselves the way in, but does elsewhere", async () => {
    const page = await browser.newPage({ javaScriptEnabled: false });
    for (const path of ["/sign-in", "/sign-up", "/forgot-password"]) {
      await page.goto(path);
      await expect(page.locator("header").getByRole("link", { name: /^Sign (in|up)$/ }).count(), path).resolves.toBe(0);
    }
    await page.goto("/");
    await expect(page.locator("header").getByRole("link", { name: /^Sign (in|up)$/ }).count()).resolves.toBe(2);
  });
});
