/**
 * The account page's action against a real (in-memory) database: the parts a browser test can't reach, like a
 * session whose last password check is too old (a fresh browser session always counts as just checked).
 */
import type { ActionFunctionArgs } from "@remix-run/node";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { createCaller, createInnerContext, createMailer, type Mailer, type OutgoingMail } from "@latchkey/api";
import { createDb, migrate, type DbHandle } from "@latchkey/db";

const APP_URL = "http://localhost:3000";
const PASSWORD = "correct horse battery staple";
const sent: OutgoingMail[] = [];
const globals = globalThis as typeof globalThis & { __latchkeyDb?: Promise<DbHandle>; __latchkeyMailer?: Mailer };
let handle: DbHandle;

beforeAll(async () => {
  vi.stubEnv("NODE_ENV", "test");
  vi.stubEnv("APP_URL", APP_URL);
  handle = await createDb({ dataDir: "memory://" });
  await migrate(handle);
  globals.__latchkeyDb = Promise.resolve(handle);
  globals.__latchkeyMailer = createMailer({ transport: { send: async (mail) => void sent.push(mail) } });
  // Migrating a fresh in-memory database takes a while on a busy machine.
}, 120_000);

afterAll(async () => {
  globals.__latchkeyDb = undefined;
  globals.__latchkeyMailer = undefined;
  vi.unstubAllEnvs();
  await handle.close();
});

function api(token: string | null = null) {
  const resHeaders = new Headers();
  const ctx = createInnerContext({ db: handle.db, appUrl: APP_URL, resHeaders, sessionToken: token, mailer: globals.__latchkeyMailer! });
  return { caller: createCaller(ctx), resHeaders };
}

/** A user with a verified second address; returns their session token and that address's id. */
async function userWithSecondAddress() {
  const email = `ada-${Math.random().toString(36).slice(2, 8)}@example.test`;
  const second = `ada-work-${Math.random().toString(36).slice(2, 8)}@example.test`;
  // Sign-up waits for the emailed code (ADR 005); the verify step sets the session cookie.
  const started = await api().caller.auth.signUp({ email, password: PASSWORD });
  const code = sent.findLast((m) => m.to === email);
  if (started.status !== "needs_verification" || code?.kind !== "verification-code") throw new Error("no sign-up code mailed");
  const verify = api();
  await verify.caller.signUp.verify({ signUpId: started.signUpId, code: code.values.code });
  const token = /latchkey_session=([^;]+)/.exec(verify.resHeaders.getSetCookie().join("\n"))![1]!;
  await api(token).caller.emailAddress.add({ email: second });
  const mail = sent.findLast((m) => m.to === second);
  if (mail?.kind !== "verification-code") throw new Error("no code mailed");
  const added = await api(token).caller.emailAddress.verify({ email: second, code: mail.values.code });
  return { token, email, secondId: added.id };
}

async function post(token: string, fields: Record<string, string>): Promise<Response> {
  const { action } = await import("./user");
  const request = new Request(`${APP_URL}/user`, {
    method: "POST",
    headers: { cookie: `latchkey_session=${token}`, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields),
  });
  try {
    const result = await action({ request, context: {}, params: {} } as ActionFunctionArgs);
    return new Response(JSON.stringify((result as { data?: unknown }).data ?? result), { status: (result as { init?: { status?: number } }).init?.status ?? 200 });
  } catch (thrown) {
    if (thrown instanceof Response) return thrown;
    throw thrown;
  }
}

describe("the account page's actions", { timeout: 60_000 }, () => {
  test("sends a session without a recent password check to /reverify and back to /user, then succeeds after it", async () => {
    const { token, secondId } = await userWithSecondAddress();
    await handle.query(`update sessions set last_reverified_at = now() - interval '1 hour'`);

    const asked = await post(token, { intent: "makePrimary", emailAddressId: secondId });
    expect(asked.status).toBe(302);
    expect(asked.headers.get("Location")).toBe("/reverify?redirect_url=%2Fuser&level=strict");

    await api(token).caller.auth.reverify({ password: PASSWORD });
    const done = await post(token, { intent: "makePrimary", emailAddressId: secondId });
    expect(done.headers.get("Location")).toBe("/user?done=primary");
    expect((await api(token).caller.user.me()).primaryEmail).toMatch(/^ada-work-/);
  });

  test("answers another user's address id with a not-found message and changes nothing", async () => {
    const mine = await userWithSecondAddress();
    const theirs = await userWithSecondAddress();
    const answer = await post(mine.token, { intent: "remove", emailAddressId: theirs.secondId });
    expect(answer.status).toBe(404);
    expect(await answer.json()).toMatchObject({ formError: { key: "user.errors.notFound" }, intent: "remove" });
    expect((await api(theirs.token).caller.emailAddress.list()).addresses).toHaveLength(2);
  });
});
