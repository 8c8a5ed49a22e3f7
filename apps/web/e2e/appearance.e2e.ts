import { describe, expect, test } from "vitest";
import { useBrowser } from "./browser";

const browser = useBrowser();

describe("appearance", () => {
  for (const javaScriptEnabled of [false, true]) {
    test(`${javaScriptEnabled ? "with" : "without"} JavaScript, a component's own appearance shows in its markup and computed styles`, async () => {
      const page = await browser.newPage({ javaScriptEnabled });
      const response = await page.goto("/dev/components");
      expect(response?.status()).toBe(200);
      const light = page.locator('[data-scheme="light"]');
      const custom = light.locator('[data-specimen="custom-appearance"]');

      // elements.card: the developer's class on the card, beside the component's own.
      await expect(custom.locator("section.gallery-custom-card").count()).resolves.toBe(1);
      // variables.colorPrimary: the primary button takes it; the default card next to it keeps the app's colour.
      const customButton = custom.getByRole("button", { name: "Sign in" });
      await expect(customButton.evaluate((el) => getComputedStyle(el).backgroundColor)).resolves.toBe("rgb(225, 29, 72)");
      await expect(customButton.evaluate((el) => getComputedStyle(el).textTransform)).resolves.toBe("uppercase");
      const defaultButton = light.locator("section").filter({ has: page.getByRole("heading", { name: "Sign-in card", exact: true }) }).getByRole("button", { name: "Sign in" });
      await expect(defaultButton.evaluate((el) => getComputedStyle(el).backgroundColor)).resolves.toBe("rgb(67, 56, 202)");
      // layout.socialButtonsPlacement: "top": the social buttons come before the form, with the divider after them.
      const order = await custom.evaluate((root) => {
        const social = root.querySelector('[data-placement]');
        const email = root.querySelector('input[name="email"]');
        return {
          placement: social?.getAttribute("data-placement"),
          socialFirst: !!social && !!email && (social.compareDocumentPosition(email) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0,
        };
      });
      expect(order).toEqual({ placement: "top", socialFirst: true });
    });
  }

  test("the dark column of the gallery renders the same components with the dark palette", async () => {
    const page = await browser.newPage({ javaScriptEnabled: false });
    await page.goto("/dev/components");
    const dark = page.locator('[data-scheme="dark"]');
    await expect(dark.evaluate((el) => getComputedStyle(el).backgroundColor)).resolves.toBe("rgb(11, 17, 32)");
  });

  test("the sign-in page is a card with the app's name, a subtitle and the title", async () => {
    const page = await browser.newPage({ javaScriptEnabled: false });
    await page.goto("/sign-in");
    const card = page.locator("main section").first();
    await expect(card.getByRole("heading", { level: 1, name: "Sign in" }).isVisible()).resolves.toBe(true);
    await expect(card.getByText("to continue to Latchkey").isVisible()).resolves.toBe(true);
    await expect(card.evaluate((el) => getComputedStyle(el).borderTopStyle)).resolves.toBe("solid");
  });
});

describe("UserButton.MenuItems", () => {
  test("with JavaScript, custom links and actions appear in the developer's order and an action runs", async () => {
    const page = await browser.newPage();
    await page.goto("/dev/components");
    const specimen = page.locator('[data-scheme="light"] [data-specimen="custom-menu"]');
    await specimen.getByLabel("Account menu").click();
    const entries = await specimen.locator("details > div").first().locator(":scope > a, :scope > button").allTextContents();
    expect(entries).toEqual(["Help center", "Say hello", "Manage account"]);
    await specimen.getByRole("button", { name: "Say hello" }).click();
    await expect(specimen.getByRole("status").textContent()).resolves.toBe("Hello from a custom action.");
  });

  test("without JavaScript, a custom link still works and Sign out stays last", async () => {
    const page = await browser.newPage({ javaScriptEnabled: false });
    await page.goto("/dev/components");
    const specimen = page.locator('[data-scheme="light"] [data-specimen="custom-menu"]');
    await specimen.getByLabel("Account menu").click();
    await expect(specimen.getByRole("button", { name: "Sign out" }).isVisible()).resolves.toBe(true);
    await Promise.all([page.waitForURL(/\/dev\/components#help$/), specimen.getByRole("link", { name: "Help center" }).click()]);
  });
});
