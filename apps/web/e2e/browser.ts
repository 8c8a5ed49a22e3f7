/**
 * Chromium for browser tests: one browser per test file, a fresh context (cookies, storage) per test.
 *
 *   const browser = useBrowser();
 *   test("…", async () => {
 *     const page = await browser.newPage({ javaScriptEnabled: false });
 *     await page.goto("/");
 *   });
 *
 * A test fails when a page it opened logs a console error or throws (a CSP violation shows up that way), unless it
 * opened the page with `allowConsoleErrors: true`.
 */
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
} from "playwright-core";
import { afterAll, afterEach, beforeAll } from "vitest";

export const baseURL = readBaseUrl();

function readBaseUrl(): string {
  const url = process.env.E2E_BASE_URL;
  if (!url) throw new Error("E2E_BASE_URL is not set: run browser tests with `npm run test:e2e -w @latchkey/web`.");
  return url.replace(/\/+$/, "");
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export interface PageOptions extends BrowserContextOptions {
  /** Let this page log console errors (e.g. a test that visits a 404 on purpose). */
  allowConsoleErrors?: boolean;
}

/** An address from 198.18.0.0/15 (reserved for benchmarking), one per browser context. */
function randomVisitorIp(): string {
  return `198.18.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`;
}

export interface TestBrowser {
  /** A new context (fresh cookies) with `baseURL` set, closed after the test. */
  newContext(options?: PageOptions): Promise<BrowserContext>;
  /** A page in a new context. */
  newPage(options?: PageOptions): Promise<Page>;
}

export function useBrowser(): TestBrowser {
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
  });

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    const found = problems.splice(0);
    if (found.length > 0) throw new Error(`The page reported errors:\n${found.join("\n")}`);
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function newContext({ allowConsoleErrors = false, ...options }: PageOptions = {}) {
    if (!browser) throw new Error("useBrowser(): the browser is not running (call newContext inside a test).");
    // The e2e server trusts its loopback proxy (TRUSTED_PROXIES), so each context can stand for its own visitor: the
    // per-IP limits then count per test, as they would for real visitors, instead of all tests sharing 127.0.0.1.
    const context = await browser.newContext({
      baseURL,
      ...options,
      extraHTTPHeaders: { "X-Forwarded-For": randomVisitorIp(), ...options.extraHTTPHeaders },
    });
    contexts.push(context);
    if (!allowConsoleErrors) {
      context.on("console", (message) => {
        if (message.type() === "error") problems.push(`console.error: ${message.text()}`);
      });
      context.on("weberror", (error) => problems.push(`uncaught: ${error.error().message}`));
    }
    return context;
  }

  return {
    newContext,
    async newPage(options) {
      const context = await newContext(options);
      return context.newPage();
    },
  };
}
