/**
 * The page-weight report (issue 20, ADR 029): first loads of five pages and client navigations between them, printed,
 * each against a budget that fails the test when exceeded. A fresh browser context per first load: nothing cached.
 */
import type { BrowserContext } from "playwright-core";
import { describe, expect, test } from "vitest";
import { signInAsAdmin } from "./admin";
import { baseURL, useBrowser } from "./browser";
import { gzippedOf, kb, pageMessages, recordTransfers, type Transfer } from "./page-weight";
import { createOrganization } from "./users";

const browser = useBrowser();

/** Gzipped bytes; the numbers measured when they were set are in ADR 029. */
const budgets = {
  firstLoad: {
    // Issue 20's target is 85 KB; the page reached 84.7 KB, then the bot check, SAML routing and appearance added
    // about 2 KB. The budget holds the line at what ships now until that is trimmed (see the issue's closing note).
    "/sign-in": { html: 8 * 1024, js: 88 * 1024 },
    "/sign-up": { html: 8 * 1024, js: 90 * 1024 },
    "/user": { html: 10 * 1024, js: 100 * 1024 },
    "/org/:slug": { html: 8 * 1024, js: 115 * 1024 },
    "/admin": { html: 10 * 1024, js: 115 * 1024 },
  },
  /** Loader data and strings of a client navigation (its route's JavaScript is reported, not budgeted). */
  navigation: {
    "/sign-in → /sign-up": 3 * 1024,
    "/user → /user/security": 5 * 1024,
    "/org/:slug → /admin": 5 * 1024,
  },
} as const;

const report: string[] = [];
function line(text: string) {
  report.push(text);
  console.log(text);
}

async function firstLoad(context: BrowserContext, path: string, label: keyof typeof budgets.firstLoad) {
  const page = await context.newPage();
  const transfers = await recordTransfers(page, () => page.goto(path));
  const html = gzippedOf(transfers, "html");
  const js = gzippedOf(transfers, "js");
  const budget = budgets.firstLoad[label];
  line(`first load ${label.padEnd(12)} HTML ${kb(html).padStart(8)} (budget ${kb(budget.html)})   JavaScript ${kb(js).padStart(8)} (budget ${kb(budget.js)})   other ${kb(gzippedOf(transfers, "data", "i18n", "other"))}`);
  expect(transfers.filter((t) => t.kind === "i18n"), `${label}: a first load has its strings in the HTML`).toEqual([]);
  expect(html, `${label} HTML`).toBeLessThanOrEqual(budget.html);
  expect(js, `${label} JavaScript`).toBeLessThanOrEqual(budget.js);
  return { page, transfers };
}

async function navigate(context: BrowserContext, from: string, linkSelector: string, to: RegExp, label: keyof typeof budgets.navigation) {
  const { page } = await firstLoad(context, from, labelOf(from));
  const before = await pageMessages(page);
  const transfers: Transfer[] = await recordTransfers(page, async () => {
    await page.locator(linkSelector).first().click();
    await page.waitForURL(to);
  });
  const strings = gzippedOf(transfers, "data", "i18n");
  line(
    `navigation ${label.padEnd(24)} data + strings ${kb(strings).padStart(8)} (budget ${kb(budgets.navigation[label])})   JavaScript ${kb(gzippedOf(transfers, "js"))}   ` +
      transfers.filter((t) => t.kind !== "js").map((t) => `${new URL(t.url).pathname}: ${t.gzipped} B`).join(", "),
  );
  // Nothing the page already had comes again: no fetched namespace holds a key of the first page's strings, and the
  // loader data holds no strings at all.
  const resent = transfers.filter((t) => t.kind === "i18n").flatMap((t) => Object.keys(JSON.parse(t.body) as object).filter((key) => key in before));
  expect(resent, `${label}: strings sent again`).toEqual([]);
  for (const data of transfers.filter((t) => t.kind === "data")) {
    expect(Object.keys(before).filter((key) => data.body.includes(`"${key}"`)), `${label}: keys in the loader data`).toEqual([]);
  }
  expect(strings, label).toBeLessThanOrEqual(budgets.navigation[label]);
  return page;
}

function labelOf(path: string): keyof typeof budgets.firstLoad {
  return (path.startsWith("/org/") ? "/org/:slug" : path) as keyof typeof budgets.firstLoad;
}

describe("page weight", () => {
  let signedIn: Awaited<ReturnType<BrowserContext["storageState"]>>;
  let orgPath = "";

  test("an administrator with an organization signs in (the pages below are measured as them)", async () => {
    const page = await browser.newPage();
    await signInAsAdmin(page);
    orgPath = await createOrganization(page, `Weight ${Date.now()}`);
    signedIn = await page.context().storageState();
  });

  test("the signed-out pages are within budget, and the sign-in page carries no admin or account strings", async () => {
    const { page, transfers } = await firstLoad(await browser.newContext(), "/sign-in", "/sign-in");
    const html = transfers.find((t) => t.kind === "html")!.body;
    for (const foreign of ["adminSettings.", "adminUsers.", "security.", "user.email", "webhooks.", "Instance settings"]) expect(html).not.toContain(foreign);
    await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
    await firstLoad(await browser.newContext(), "/sign-up", "/sign-up");
  });

  test("the signed-in pages are within budget", async () => {
    await firstLoad(await browser.newContext({ storageState: signedIn }), "/user", "/user");
    await firstLoad(await browser.newContext({ storageState: signedIn }), orgPath, "/org/:slug");
    await firstLoad(await browser.newContext({ storageState: signedIn }), "/admin", "/admin");
  });

  test("a client navigation from /sign-in to /sign-up fetches only the strings it lacks", async () => {
    const page = await navigate(await browser.newContext(), "/sign-in", 'main a[href="/sign-up"]', /\/sign-up$/, "/sign-in → /sign-up");
    await page.getByRole("heading", { level: 1, name: "Create your account" }).waitFor();
    await page.getByRole("button", { name: "Create account" }).waitFor();
  });

  test("a client navigation from /user to /user/security sends no string the page already has", async () => {
    const page = await navigate(await browser.newContext({ storageState: signedIn }), "/user", 'main a[href="/user/security"]', /\/user\/security$/, "/user → /user/security");
    await page.getByRole("heading", { level: 1, name: "Security" }).waitFor();
    expect(await page.locator("main").textContent()).not.toMatch(/\bsecurity\.[a-z]+/);
  });

  test("a client navigation from an organization to /admin, then back, fetches the admin strings once", async () => {
    const page = await navigate(await browser.newContext({ storageState: signedIn }), orgPath, 'header a[href="/admin"]', /\/admin$/, "/org/:slug → /admin");
    await page.getByRole("heading", { level: 1, name: "Admin console" }).waitFor();
    expect(await page.locator("main").textContent()).not.toMatch(/\b(admin|charts)\.[a-z]+/);
    const back = await recordTransfers(page, async () => {
      await page.goBack();
      await page.waitForURL(`${baseURL}${orgPath}`);
      await page.goForward();
      await page.waitForURL(/\/admin$/);
    });
    expect(back.filter((t) => t.kind === "i18n").map((t) => t.url)).toEqual([]);
    line(`page weight report:\n${report.map((l) => `  ${l}`).join("\n")}`);
  });
});
