/**
 * Every page action (and the tRPC endpoint) with malformed bodies: random and hostile form fields, the route's own
 * `intent` values with nonsense beside them, duplicated keys, JSON or plain text under a form content type, a body
 * that is not valid percent-encoding, none at all — posted anonymously, as a signed-in user and as an organization
 * admin. No answer may be a 5xx or carry a stack or SQL. Fixed seed; FUZZ_RUNS bodies per route and caller (4 by
 * default).
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import fc from "fast-check";
import type { ActionFunctionArgs } from "@remix-run/node";
import { APP_URL, createRouteHarness } from "~/test/route-harness";

const harness = createRouteHarness();
const RUNS = Number(process.env.FUZZ_RUNS ?? 4);
const SEED = Number(process.env.FUZZ_SEED ?? 20261208);

const routesDir = path.dirname(fileURLToPath(import.meta.url));
const routeFiles = readdirSync(routesDir)
  .filter((f) => /\.tsx?$/.test(f) && !f.includes(".test."))
  .filter((f) => /export (async function|const) action\b/.test(readFileSync(path.join(routesDir, f), "utf8")));

/** The intents a route's action switches on, read from its source, so bodies reach past the first `switch`. */
function intentsOf(source: string): string[] {
  const found = new Set<string>();
  for (const match of source.matchAll(/(?:intent|strategy|channel)\s*===?\s*"([\w-]+)"|case "([\w-]+)":/g)) found.add(match[1] ?? match[2]!);
  return [...found];
}

const hostileValues = [
  "",
  "a".repeat(200_000),
  "\u0000",
  "__proto__",
  "constructor",
  "'; drop table users; --",
  "<script>alert(1)</script>",
  "аdmin@еxample.test",
  "\u202e",
  "https://evil.example/",
  "//evil.example",
  "{\"__proto__\":{\"x\":1}}",
  "[1,2",
  "NaN",
  "-1",
  "99999999999999999999",
];
const fieldNames = ["intent", "email", "password", "code", "name", "slug", "redirect_url", "token", "id", "userId", "role", "roleKey", "__proto__", "constructor", "response", "challengeId", "confirmation", "settings"];

type Body = { contentType: string | null; body: string | null };

function formBodies(intents: string[]): fc.Arbitrary<Body> {
  const value = fc.oneof(fc.constantFrom(...hostileValues, ...intents), fc.string({ maxLength: 30 }), fc.string({ unit: "binary", maxLength: 10 }));
  const field = fc.tuple(fc.oneof(fc.constantFrom(...fieldNames), fc.string({ maxLength: 8 })), value);
  const form = fc
    .tuple(fc.constantFrom(...(intents.length ? intents : ["none"])), fc.array(field, { maxLength: 8 }))
    .map(([intent, fields]) => {
      const params = new URLSearchParams([["intent", intent], ...fields]);
      return { contentType: "application/x-www-form-urlencoded", body: params.toString() };
    });
  return fc.oneof(
    { weight: 5, arbitrary: form },
    {
      weight: 1,
      arbitrary: fc.constantFrom<Body>(
        { contentType: "application/x-www-form-urlencoded", body: "%E0%A4%A&intent=%%%" },
        { contentType: "application/x-www-form-urlencoded", body: '{"intent":"x","__proto__":{"admin":true}}' },
        { contentType: "application/x-www-form-urlencoded", body: "" },
        { contentType: "application/x-www-form-urlencoded", body: null },
        { contentType: "text/plain", body: "intent=delete" },
        { contentType: "application/json", body: '{"intent": ["a", {"b": null}]}' },
        { contentType: "multipart/form-data; boundary=x", body: "--x\r\nContent-Disposition: form-data; name=\"intent\"\r\n\r\n" },
        { contentType: null, body: "intent=x" },
      ),
    },
  );
}

const counts = { posts: 0, fiveHundreds: 0 };
const leaks = [/\n\s+at /, /\bselect\b.+\bfrom\b/i, /\binsert into\b/i, /\.tsx?:\d+/, /node_modules/, /\$argon2/];

afterAll(() => {
  console.info(`[fuzz] ${routeFiles.length} page actions × 3 callers × ${RUNS} bodies (seed ${SEED}): ${counts.posts} posts, ${counts.fiveHundreds} × 5xx`);
});

describe("fuzzing every page action", { timeout: 120_000 }, () => {
  let world: { user: string; admin: string; slug: string } | undefined;

  async function setUp() {
    if (world) return world;
    const { token: user } = await harness.signUp("fuzz-user");
    const { token: admin } = await harness.signUp("fuzz-admin");
    const slug = `fuzz-${Math.random().toString(36).slice(2, 8)}`;
    await harness.api(admin).caller.organization.create({ name: "Fuzz pages", slug });
    world = { user, admin, slug };
    return world;
  }

  for (const [index, file] of routeFiles.entries()) {
    test(`${file} answers malformed bodies without a 5xx or a leak`, async () => {
      const w = await setUp();
      const source = readFileSync(path.join(routesDir, file), "utf8");
      const { action } = (await import(`./${file.replace(/\.tsx?$/, "")}`)) as { action: (args: ActionFunctionArgs) => Promise<unknown> };
      const params: Record<string, string> = {
        slug: w.slug,
        userId: "user_fuzz",
        organizationId: "org_fuzz",
        roleKey: "org:fuzz",
        endpointId: "ep_fuzz",
        deliveryId: "msg_fuzz",
        provider: "github",
        "*": "auth.signIn",
      };
      const pathname = `/${file.replace(/\.tsx?$/, "").replace(/_\./g, ".").replace(/\$(\w+)/g, (_m, name: string) => params[name] ?? name).replace(/\./g, "/")}`;
      const bodies = fc.sample(formBodies(intentsOf(source)), { seed: SEED + index, numRuns: RUNS * 3 });
      const problems: string[] = [];
      for (const [i, { contentType, body }] of bodies.entries()) {
        const token = [null, w.user, w.admin][i % 3];
        const headers = new Headers({ origin: APP_URL });
        if (contentType) headers.set("content-type", contentType);
        if (token) headers.set("cookie", `latchkey_session=${token}`);
        const request = new Request(`${APP_URL}${pathname}`, { method: "POST", headers, body });
        counts.posts += 1;
        let status: number;
        let text: string;
        try {
          const result = await action({ request, context: {}, params } as unknown as ActionFunctionArgs);
          if (result instanceof Response) {
            status = result.status;
            text = await result.text();
          } else {
            const init = (result as { init?: { status?: number } } | null)?.init;
            status = init?.status ?? 200;
            text = JSON.stringify((result as { data?: unknown } | null)?.data ?? result);
          }
        } catch (thrown) {
          if (thrown instanceof Response) {
            status = thrown.status;
            text = await thrown.text();
          } else {
            // What Remix would answer for an action that throws: a 500.
            status = 500;
            text = thrown instanceof Error ? `${thrown.message}\n${thrown.stack}` : String(thrown);
          }
        }
        const where = `${file} (${token === w.admin ? "admin" : token ? "user" : "anonymous"}, ${contentType}, ${String(body).slice(0, 120)})`;
        if (status >= 500) {
          counts.fiveHundreds += 1;
          problems.push(`${where}: ${status} ${text.slice(0, 400)}`);
        } else {
          for (const leak of leaks) if (leak.test(text)) problems.push(`${where}: the answer leaks ${leak}: ${text.slice(0, 300)}`);
        }
      }
      expect(problems, problems.join("\n")).toEqual([]);
    });
  }
});
