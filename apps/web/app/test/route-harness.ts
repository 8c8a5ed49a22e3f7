/**
 * For tests that run a route's action or loader against a real (in-memory PGlite) database, the way the server would:
 * the app's database and mailer are swapped through the globals `db.server.ts` and `mailer.server.ts` read.
 *
 *   const harness = createRouteHarness(); // at the top of the test file: it adds beforeAll/afterAll
 *   const token = await harness.signUp();
 *   const response = await harness.run(action, harness.formPost("/user", token, { intent: "…" }));
 */
import type { ActionFunctionArgs } from "@remix-run/node";
import { afterAll, beforeAll, vi } from "vitest";
import { createCaller, createInnerContext, createMemoryMailer } from "@latchkey/api";
import { signUpConfirmed } from "@latchkey/api/testing";
import type { DbHandle } from "@latchkey/db";
import { createTestDb } from "@latchkey/db/testing";

export const APP_URL = "http://localhost:3000";
export const PASSWORD = "correct horse battery staple";

type Globals = typeof globalThis & { __latchkeyDb?: Promise<DbHandle>; __latchkeyMailer?: unknown };

export function createRouteHarness() {
  const { mailer, sent } = createMemoryMailer();
  const globals = globalThis as Globals;
  let handle: DbHandle | undefined;

  beforeAll(async () => {
    vi.stubEnv("NODE_ENV", "test");
    vi.stubEnv("APP_URL", APP_URL);
    // A copy of the migrated template the global setup (test/global-setup.ts) built once for the whole run.
    handle = await createTestDb({ embedded: true });
    globals.__latchkeyDb = Promise.resolve(handle);
    globals.__latchkeyMailer = mailer;
    // Migrating a fresh in-memory database takes a while on a busy machine.
  }, 120_000);

  afterAll(async () => {
    globals.__latchkeyDb = undefined;
    globals.__latchkeyMailer = undefined;
    vi.unstubAllEnvs();
    await handle?.close();
  });

  const db = (): DbHandle => {
    if (!handle) throw new Error("createRouteHarness(): the database is not ready (use it inside a test).");
    return handle;
  };

  return {
    /** What the app emailed, oldest first. */
    sent,
    db,
    /** A tRPC caller as one request would be, with its response headers. */
    api(token: string | null = null) {
      const resHeaders = new Headers();
      const ctx = createInnerContext({ db: db().db, appUrl: APP_URL, resHeaders, sessionToken: token, mailer });
      return { caller: createCaller(ctx), resHeaders };
    },
    /** A new user who confirmed the emailed code; returns their session token and address. */
    async signUp(label = "user") {
      const email = `${label}-${Math.random().toString(36).slice(2, 8)}@example.test`;
      const { token } = await signUpConfirmed(db().db, { email, password: PASSWORD }, { appUrl: APP_URL });
      return { token, email };
    },
    /** A form post to `path` with the session cookie. */
    formPost(path: string, token: string, fields: Record<string, string>): Request {
      return new Request(`${APP_URL}${path}`, {
        method: "POST",
        headers: { cookie: `latchkey_session=${token}`, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(fields),
      });
    },
    /** Runs an action; a returned `data(…)` or a thrown redirect both come back as a Response. */
    async run(action: (args: ActionFunctionArgs) => Promise<unknown>, request: Request, params: Record<string, string> = {}): Promise<Response> {
      try {
        const result = await action({ request, context: {}, params } as unknown as ActionFunctionArgs);
        const init = (result as { init?: { status?: number } }).init;
        return new Response(JSON.stringify((result as { data?: unknown }).data ?? result), { status: init?.status ?? 200 });
      } catch (thrown) {
        if (thrown instanceof Response) return thrown;
        throw thrown;
      }
    },
  };
}
