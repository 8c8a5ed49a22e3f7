/** The webhooks admin page's action and loader against a real (in-memory) database, as the server runs them. */
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { describe, expect, test } from "vitest";
import { createRouteHarness } from "~/test/route-harness";

const harness = createRouteHarness();

async function instanceAdmin() {
  const { token } = await harness.signUp("hooks-root");
  const [me] = await harness.db().query<{ user_id: string }>(
    `select user_id from sessions order by created_at desc limit 1`,
  );
  await harness.db().query(`update users set is_instance_admin = true where id = '${me!.user_id}'`);
  return token;
}

async function post(token: string, fields: [string, string][]) {
  const { action } = await import("./admin.webhooks");
  const request = new Request("http://localhost:3000/admin/webhooks", {
    method: "POST",
    headers: { cookie: `latchkey_session=${token}`, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields),
  });
  try {
    return { result: (await action({ request, context: {}, params: {} } as unknown as ActionFunctionArgs)) as { data: Record<string, unknown>; init: { status?: number; headers?: Headers } } };
  } catch (thrown) {
    if (thrown instanceof Response) return { thrown };
    throw thrown;
  }
}

// Each test signs up (argon2 hashing), slow on a busy machine.
describe("/admin/webhooks", { timeout: 60_000 }, () => {
  test("creates an endpoint and shows its secret in that answer only, never cached", async () => {
    const token = await instanceAdmin();
    const { result } = await post(token, [
      ["url", "https://hooks.example.com/in"],
      ["eventTypes", "user.created"],
      ["eventTypes", "organization.created"],
    ]);
    const created = result!.data.created as { secret: string; url: string };
    expect(created.secret).toMatch(/^whsec_/);
    expect(new Headers(result!.init.headers).get("Cache-Control")).toBe("no-store");
    const { loader } = await import("./admin.webhooks");
    const request = new Request("http://localhost:3000/admin/webhooks", { headers: { cookie: `latchkey_session=${token}` } });
    const page = await loader({ request, context: {}, params: {} } as unknown as LoaderFunctionArgs);
    expect(page.endpoints.map((e) => e.url)).toContain("https://hooks.example.com/in");
    expect(JSON.stringify(page)).not.toContain(created.secret);
  });

  test("answers bad input with 400 and a message for the URL field, adding nothing", async () => {
    const token = await instanceAdmin();
    const before = (await harness.db().query<{ n: number }>("select count(*)::int as n from webhook_endpoints"))[0]!.n;
    for (const [url, key] of [
      ["ftp://hooks.example.com", "webhooks.errors.insecure"],
      ["https://192.168.1.10/in", "webhooks.errors.private"],
      ["not a url", "webhooks.errors.url"],
    ] as const) {
      const { result } = await post(token, [["url", url]]);
      expect(result!.init.status).toBe(400);
      expect(result!.data.fieldErrors).toEqual({ url: { key } });
    }
    const { result } = await post(token, [["url", "https://hooks.example.com"], ["eventTypes", "user.exploded"]]);
    expect(result!.init.status).toBe(400);
    expect(Object.keys(result!.data.fieldErrors as object)[0]).toMatch(/^eventTypes/);
    expect((await harness.db().query<{ n: number }>("select count(*)::int as n from webhook_endpoints"))[0]!.n).toBe(before);
  });

  test("is refused to a signed-in user who is not an instance admin", async () => {
    const { token } = await harness.signUp("plain");
    const { thrown } = await post(token, [["url", "https://hooks.example.com/x"]]);
    expect(thrown?.status).toBe(403);
  });
});
