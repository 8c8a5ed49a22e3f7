/**
 * Pages while the database can't be reached: a real postgres.js pool pointed at a port where nothing listens (the
 * server is gone), through the real Remix handler and the request guard. Every answer is a localized 503 with
 * Retry-After and nothing of the SQL or a stack, in development and production mode. Also: a proxy whose
 * X-Forwarded-Host differs from the Origin gets a 400 and one log line, not Remix's CSRF 500.
 */
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createDb, type DbHandle } from "@latchkey/db";
import { createRemixServer } from "~/test/remix-server";

// Importing and rendering the routes is slow on a busy machine; the outage answers themselves take milliseconds.
vi.setConfig({ testTimeout: 60_000 });

const APP_URL = "http://localhost:3000";
// Well formed, so the guard looks it up (a malformed one never reaches the database).
const SESSION = `latchkey_session=sess_${"a".repeat(24)}.${"b".repeat(39)}`;
type Globals = typeof globalThis & { __latchkeyDb?: Promise<DbHandle> };
const globals = globalThis as Globals;
let handle: DbHandle | undefined;

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  vi.stubEnv("NODE_ENV", "test");
  vi.stubEnv("APP_URL", APP_URL);
  handle = await createDb({ url: `postgres://postgres@127.0.0.1:${await closedPort()}/latchkey`, max: 2, connectTimeoutSeconds: 2, statementTimeoutMs: 2000 });
  globals.__latchkeyDb = Promise.resolve(handle);
}, 60_000);

afterAll(async () => {
  globals.__latchkeyDb = undefined;
  vi.unstubAllEnvs();
  await handle?.close();
});

const routes = async () => ({
  "routes/sign-in": { path: "sign-in", module: await import("~/routes/sign-in") },
  "routes/forgot-password": { path: "forgot-password", module: await import("~/routes/forgot-password") },
  "routes/orgs.new": { path: "orgs/new", module: await import("~/routes/orgs.new") },
});

const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { origin: APP_URL, host: "localhost:3000", "content-type": "application/x-www-form-urlencoded", ...headers },
  body: new URLSearchParams(fields),
});

function expectCleanOutage(response: Response, body: string) {
  expect(response.status).toBe(503);
  expect(response.headers.get("retry-after")).toBe("5");
  expect(body).not.toMatch(/select\s+"|instance_settings|Failed query|ECONNREFUSED|127\.0\.0\.1|\n\s+at /i);
}

describe.each(["production", "development"] as const)("while the database is unreachable (%s mode)", (mode) => {
  it("GET /sign-in is a localized 503 page with Retry-After, without SQL or a stack", async () => {
    const server = createRemixServer(await routes(), mode);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const english = await server.fetch(new Request(`${APP_URL}/sign-in`));
      const html = await english.text();
      expectCleanOutage(english, html);
      expect(html).toContain("Temporarily unavailable");
      expect(html).toContain('lang="en-US"');

      const polish = await server.fetch(new Request(`${APP_URL}/sign-in`, { headers: { "accept-language": "pl-PL,pl;q=0.9" } }));
      const polishHtml = await polish.text();
      expectCleanOutage(polish, polishHtml);
      expect(polishHtml).toContain("Chwilowo niedostępne");
      expect(polishHtml).toContain('lang="pl-PL"');
      // Nothing went to the error log: the outage is logged as one warning line per request.
      expect(error).not.toHaveBeenCalled();
      expect(warn.mock.calls.every(([line]) => typeof line === "string" && !line.includes("\n") && !/select/i.test(line))).toBe(true);
    } finally {
      warn.mockRestore();
      error.mockRestore();
    }
  });

  it("a no-JavaScript form post to /sign-in and /forgot-password is a 503 page, and so is the single-fetch data request", async () => {
    const server = createRemixServer(await routes(), mode);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      for (const path of ["/sign-in", "/forgot-password"]) {
        const response = await server.fetch(new Request(`${APP_URL}${path}`, form({ email: "a@example.test", password: "correct horse battery" })));
        expectCleanOutage(response, await response.text());
      }
      const data = await server.fetch(new Request(`${APP_URL}/sign-in.data`));
      expectCleanOutage(data, await data.text());
      const action = await server.fetch(new Request(`${APP_URL}/sign-in.data`, form({ email: "a@example.test", password: "x" })));
      expectCleanOutage(action, await action.text());
    } finally {
      warn.mockRestore();
    }
  });

  it("a protected page (/orgs/new), stopped at the request guard, is the localized 503 page too", async () => {
    const server = createRemixServer(await routes(), mode);
    const response = await server.fetch(new Request(`${APP_URL}/orgs/new`, { headers: { cookie: SESSION } }));
    const html = await response.text();
    expectCleanOutage(response, html);
    expect(html).toContain("Temporarily unavailable");
    const post = await server.fetch(new Request(`${APP_URL}/orgs/new`, form({ name: "Acme" }, { cookie: SESSION })));
    expectCleanOutage(post, await post.text());
  });
});

describe("a proxy whose X-Forwarded-Host differs from the Origin's host", () => {
  it("gets a 400 with one log line, not Remix's CSRF error as a 500 with a stack", async () => {
    const server = createRemixServer(await routes());
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      for (const path of ["/sign-in", "/forgot-password", "/orgs/new"]) {
        warn.mockClear();
        const response = await server.fetch(new Request(`${APP_URL}${path}`, form({ email: "a@example.test" }, { "x-forwarded-host": "internal:8080" })));
        expect(response.status).toBe(400);
        expect(await response.text()).not.toMatch(/\n\s+at /);
        expect(warn).toHaveBeenCalledTimes(1);
        expect(String(warn.mock.calls[0]![0])).toMatch(/X-Forwarded-Host "internal:8080" differs from the Origin's host "localhost:3000"/);
      }
      expect(error).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      error.mockRestore();
    }
  });

  it("lets a SAML IdP's post reach the ACS from the IdP's own origin (the response itself is what is checked)", async () => {
    const server = createRemixServer(await routes());
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const response = await server.fetch(
        new Request(`${APP_URL}/sign-in/saml/saml_unknownconnection/acs`, form({ SAMLResponse: "bm90IHhtbA==" }, { origin: "https://idp.example.com" })),
      );
      expect(response.status).not.toBe(400);
      expect(warn.mock.calls.some((call) => String(call[0]).startsWith("[proxy]"))).toBe(false);
    } finally {
      warn.mockRestore();
    }
  });
});
