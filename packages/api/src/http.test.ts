import { describe, expect, it } from "vitest";
import type { DbHandle } from "@latchkey/db";
import { createTestDb, useTestDb } from "@latchkey/db/testing";
import { handleTrpcRequest } from "./http.ts";
import { createMemoryMailer } from "./mail/index.ts";
import { APP_URL, createOrgWithMember, PASSWORD, uniqueEmail } from "../test/helpers.ts";

const db = useTestDb();

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return new Request(`${APP_URL}/api/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: APP_URL, ...headers },
    // tRPC with superjson takes `{ json: input }`.
    body: JSON.stringify({ json: body }),
  });
}
function get(path: string, headers: Record<string, string> = {}) {
  return new Request(`${APP_URL}/api/trpc/${path}`, { headers });
}
const logs: string[] = [];
const { mailer, sent } = createMemoryMailer();
const call = (request: Request, handle: DbHandle = db()) =>
  handleTrpcRequest(request, { db: handle.db, appUrl: APP_URL, ip: "198.51.100.1", mailer, log: (l) => logs.push(l) });

/** Signs up over HTTP the way the browser does: start, then the emailed code; returns the verify response. */
async function signUpOverHttp(email: string): Promise<{ started: Response; verified: Response }> {
  const started = await call(post("auth.signUp", { email, password: PASSWORD }));
  const body = (await started.clone().json()) as { result: { data: { json: { signUpId: string } } } };
  const json = body.result.data.json;
  const mail = sent.findLast((m) => m.to === email);
  if (mail?.kind !== "verification-code") throw new Error("no code was emailed");
  const verified = await call(post("signUp.verify", { signUpId: json.signUpId, code: mail.values.code }));
  return { started, verified };
}

describe("the tRPC HTTP endpoint", () => {
  it("signs up over HTTP, sets the session cookie only once the code is confirmed, and forbids caching", async () => {
    const { started, verified } = await signUpOverHttp(uniqueEmail("http"));
    expect(started.status).toBe(200);
    expect(started.headers.get("cache-control")).toBe("no-store");
    expect(started.headers.getSetCookie()).toEqual([]);
    expect(verified.status).toBe(200);
    expect(verified.headers.getSetCookie().some((c) => c.startsWith("latchkey_session=sess_"))).toBe(true);
  });

  it("ends the session on sign-out so the old cookie gets 401 when replayed", async () => {
    const email = uniqueEmail("replay");
    const { verified } = await signUpOverHttp(email);
    const cookie = verified.headers.getSetCookie()[0]!.split(";")[0]!;
    expect((await call(get("user.me", { cookie }))).status).toBe(200);
    const signOut = await call(post("auth.signOut", {}, { cookie }));
    expect(signOut.status).toBe(200);
    expect(signOut.headers.getSetCookie().some((c) => /Max-Age=0/.test(c))).toBe(true);
    expect((await call(get("user.me", { cookie }))).status).toBe(401);
    expect((await call(post("project.create", { name: "x" }, { cookie }))).status).toBe(401);
  });

  it("answers too many sign-in attempts with 429 and Retry-After", async () => {
    const email = uniqueEmail("limited");
    let last: Response | undefined;
    for (let i = 0; i < 21; i++) last = await call(post("auth.signIn", { email, password: `wrong-${i}-password` }));
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("refuses a cross-origin POST before running anything", async () => {
    const res = await call(post("auth.signUp", { email: uniqueEmail(), password: PASSWORD }, { origin: "https://evil.example" }));
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it("answers bad input with 400 and the fields by name", async () => {
    const res = await call(post("auth.signUp", { email: "nope", password: "x" }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { json: { message: string; data: { fieldErrors: Record<string, string[]>; reason: string } } } };
    expect(Object.keys(body.error.json.data.fieldErrors)).toContain("email");
    expect(body.error.json.data.reason).toBe("INVALID_INPUT");
    expect(JSON.stringify(body)).not.toMatch(/stack|at .*\.ts/);
  });

  it("answers 401 without a session and 403 with a session but without the right", async () => {
    expect((await call(get("project.list"))).status).toBe(401);
    const { member, org } = await createOrgWithMember(db(), "Http");
    const cookie = `latchkey_session=${member.token}`;
    const list = await call(get("project.list", { cookie, "x-latchkey-org": org.slug }));
    expect(list.status).toBe(200);
    const create = await call(post("project.create", { name: "x" }, { cookie, "x-latchkey-org": org.slug }));
    expect(create.status).toBe(403);
  });

  it("answers garbage bodies with a 400, not a 500", async () => {
    const req = new Request(`${APP_URL}/api/trpc/auth.signIn`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: APP_URL },
      body: "{not json",
    });
    const res = await call(req);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it("answers a generic 503 when Postgres can't be reached, for public and protected procedures alike", async () => {
    const { createDb } = await import("@latchkey/db");
    // Nothing listens on port 1: every query fails to connect.
    const down = await createDb({ url: "postgres://postgres@127.0.0.1:1/none", max: 1 });
    try {
      const protectedCall = await call(get("project.list", { cookie: `latchkey_session=sess_${"a".repeat(24)}.${"b".repeat(39)}` }), down);
      expect(protectedCall.status).toBe(503);
      const publicCall = await call(post("auth.signIn", { email: uniqueEmail("down"), password: PASSWORD }), down);
      expect(publicCall.status).toBe(503);
      const text = await publicCall.text();
      expect(text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres:/);
    } finally {
      await down.close();
    }
  });

  it("hides what went wrong inside when the database fails, and logs no SQL", async () => {
    const broken = await createTestDb();
    const { admin } = await createOrgWithMember(broken, "Broken");
    await broken.close();
    logs.length = 0;
    const res = await call(get("user.me", { cookie: `latchkey_session=${admin.token}` }), broken);
    expect(res.status).toBeGreaterThanOrEqual(500);
    const text = await res.text();
    expect(text).not.toMatch(/select|from "|sessions|stack|PGlite|closed/i);
    expect(logs.join("\n")).not.toMatch(/select|secret_hash/i);
  });
});
