import type { Response as PageResponse } from "playwright-core";
import { describe, expect, test } from "vitest";
import { baseURL, useBrowser } from "./browser";
import { measureJavaScript } from "./js-size";
import { codeFromMail } from "./users";

const browser = useBrowser();

function expectSecurityHeaders(url: string, headers: Record<string, string>) {
  const csp = headers["content-security-policy"] ?? "";
  expect(csp, `CSP of ${url}`).toContain("object-src 'none'");
  expect(csp, `CSP of ${url}`).toContain("frame-ancestors 'none'");
  expect(csp, `CSP of ${url}`).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+'/);
  expect(headers["x-content-type-options"], `nosniff on ${url}`).toBe("nosniff");
  expect(headers["x-frame-options"], `X-Frame-Options on ${url}`).toBe("DENY");
  expect(headers["referrer-policy"], `Referrer-Policy on ${url}`).toBe("strict-origin-when-cross-origin");
  expect(headers["x-powered-by"], `X-Powered-By on ${url}`).toBeUndefined();
}

describe("the app shell", () => {
  test("the landing page shows its heading and links to sign in and sign up", async () => {
    const page = await browser.newPage();
    await page.goto("/");
    await expect(page.getByRole("heading", { level: 1, name: "Latchkey" }).isVisible()).resolves.toBe(true);
    const main = page.getByRole("main");
    await expect(main.getByRole("link", { name: "Sign in", exact: true }).getAttribute("href")).resolves.toBe("/sign-in");
    await expect(main.getByRole("link", { name: "Sign up" }).getAttribute("href")).resolves.toBe("/sign-up");
    await expect(page.locator("html").getAttribute("lang")).resolves.toBe("en-US");
    await expect(page.title()).resolves.toBe("Latchkey");
  });

  test("the health endpoint answers 200 with JSON when the database is up", async () => {
    const response = await fetch(`${baseURL}/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(response.headers.get("cache-control")).toBe("no-store");
    await expect(response.json()).resolves.toMatchObject({ status: "ok", details: { authCache: { state: "up" } } });
  });

  test("every response the landing page loads carries the security headers", async () => {
    const page = await browser.newPage();
    const responses: PageResponse[] = [];
    page.on("response", (response) => {
      if (response.url().startsWith(baseURL)) responses.push(response);
    });
    await page.goto("/", { waitUntil: "networkidle" });
    const kinds = new Set(responses.map((r) => r.request().resourceType()));
    expect(kinds).toContain("document");
    expect(kinds).toContain("stylesheet");
    expect(kinds).toContain("script");
    for (const response of responses) expectSecurityHeaders(response.url(), await response.allHeaders());

    for (const path of ["/health", "/favicon.svg", "/no-such-page"]) {
      const response = await fetch(`${baseURL}${path}`);
      expectSecurityHeaders(path, Object.fromEntries(response.headers));
    }
    const redirect = await fetch(`${baseURL}/locale`, {
      method: "POST",
      headers: { origin: baseURL },
      body: new URLSearchParams({ locale: "pl-PL", redirectTo: "/" }),
      redirect: "manual",
    });
    expect(redirect.status).toBe(302);
    expectSecurityHeaders("POST /locale", Object.fromEntries(redirect.headers));
  });

  test("each response gets its own nonce, and every script in the page carries it", async () => {
    const first = await fetch(`${baseURL}/`);
    const second = await fetch(`${baseURL}/`);
    const nonceOf = (response: Response) =>
      /'nonce-([^']+)'/.exec(response.headers.get("content-security-policy") ?? "")?.[1];
    const nonce = nonceOf(first);
    expect(nonce).toBeTruthy();
    expect(nonceOf(second)).not.toBe(nonce);
    const html = await first.text();
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
  });

  test("switching the language to Polish works without JavaScript", async () => {
    const page = await browser.newPage({ javaScriptEnabled: false });
    await page.goto("/");
    await page.getByLabel("Language").selectOption("pl-PL");
    await page.getByRole("button", { name: "Change language" }).click();
    await page.waitForURL(`${baseURL}/`);
    await expect(page.locator("html").getAttribute("lang")).resolves.toBe("pl-PL");
    await expect(page.getByRole("main").getByRole("link", { name: "Zaloguj się" }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole("button", { name: "Zmień język" }).isVisible()).resolves.toBe(true);

    // The choice is remembered.
    await page.reload();
    await expect(page.getByLabel("Język").inputValue()).resolves.toBe("pl-PL");
  });

  test("switching the language with JavaScript updates the page without a full reload", async () => {
    const page = await browser.newPage();
    await page.goto("/", { waitUntil: "networkidle" });
    await page.evaluate(() => Object.assign(window, { sameDocument: true }));
    await page.getByLabel("Language").selectOption("pl-PL");
    await page.getByRole("button", { name: "Change language" }).click();
    await page.getByRole("button", { name: "Zmień język" }).waitFor();
    await expect(page.locator("html").getAttribute("lang")).resolves.toBe("pl-PL");
    await expect(page.evaluate(() => "sameDocument" in window)).resolves.toBe(true);
  });

  test("a browser that prefers Polish gets Polish, honouring q-values", async () => {
    const polish = await browser.newPage({ extraHTTPHeaders: { "Accept-Language": "pl" } });
    await polish.goto("/");
    await expect(polish.locator("html").getAttribute("lang")).resolves.toBe("pl-PL");
    await expect(polish.getByRole("main").getByRole("link", { name: "Zarejestruj się" }).isVisible()).resolves.toBe(
      true,
    );

    const english = await browser.newPage({ extraHTTPHeaders: { "Accept-Language": "pl;q=0.2, en-GB;q=0.8" } });
    await english.goto("/");
    await expect(english.locator("html").getAttribute("lang")).resolves.toBe("en-US");
  });

  test("an unknown page sends a visitor to sign in, revealing nothing about which pages exist", async () => {
    const response = await fetch(`${baseURL}/no-such-page`, { redirect: "manual" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/sign-in?redirect_url=%2Fno-such-page");
  });

  test("an unknown page shows a signed-in user a friendly 404 in their language and no stack trace", async () => {
    const page = await browser.newPage({ allowConsoleErrors: true, extraHTTPHeaders: { "Accept-Language": "pl-PL" } });
    await page.goto("/sign-up");
    const email = `notfound-${Date.now()}@example.test`;
    await page.locator('input[name="email"]').fill(email);
    await page.locator('input[name="password"]').fill("correct horse battery staple");
    await Promise.all([page.waitForURL(/\/verify-email/), page.locator('main button[type="submit"]').first().click()]);
    // The code arrives in Polish too, and the verify page asks for it in Polish.
    await page.getByLabel("Kod weryfikacyjny").fill(await codeFromMail(email));
    await Promise.all([page.waitForURL(`${baseURL}/`), page.getByRole("button", { name: "Potwierdź", exact: true }).click()]);
    const response = await page.goto("/no-such-page");
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Nie znaleziono strony");
    await expect(page.locator("pre").count()).resolves.toBe(0);
    await expect(page.content()).resolves.not.toMatch(/at .*\.js:\d+/);
  });

  test("the colours follow the system's light or dark preference", async () => {
    const background = async (colorScheme: "light" | "dark") => {
      const page = await browser.newPage({ colorScheme });
      await page.goto("/");
      return page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    };
    expect(await background("light")).toBe("rgb(255, 255, 255)");
    expect(await background("dark")).toBe("rgb(11, 17, 32)");
  });

  test("the landing page ships less than 100 KB of gzipped JavaScript", async () => {
    const page = await browser.newPage();
    const { scripts, gzipped } = await measureJavaScript(page, "/");
    console.log(
      `landing page JavaScript: ${(gzipped / 1024).toFixed(1)} KB gzipped in ${scripts.length} files\n` +
        scripts.map((s) => `  ${(s.gzipped / 1024).toFixed(1)} KB  ${new URL(s.url).pathname}`).join("\n"),
    );
    expect(scripts.length).toBeGreaterThan(0);
    expect(gzipped).toBeLessThan(100 * 1024);
  });
});
