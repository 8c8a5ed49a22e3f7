/**
 * Pages with the auth cache (ADR 023): a signed-in page load pays nothing for who is calling once warm — the root
 * loader's session and organization list come from the cache — and a change is seen by the next load.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAuthCache, stopAuthCache } from "@latchkey/api";
import { createRouteHarness } from "~/test/route-harness";

const harness = createRouteHarness();

beforeAll(async () => {
  await startAuthCache(harness.db(), { heartbeatMs: 0, log: () => {} });
});
afterAll(async () => {
  await stopAuthCache(harness.db());
});

const rootArgs = (token: string) =>
  ({ request: new Request("http://localhost:3000/", { headers: { cookie: `latchkey_session=${token}` } }), context: {}, params: {} }) as unknown as LoaderFunctionArgs;

describe("the root loader with the auth cache", () => {
  it("reads no SQL for the session and the organization list once warm, and sees a new organization on the next load", async () => {
    const { loader } = await import("~/root");
    const { token } = await harness.signUp("cached-root");
    const { caller } = harness.api(token);
    await caller.organization.create({ name: "Cached Co", slug: `cached-${Math.random().toString(36).slice(2, 7)}` });

    const first = await loader(rootArgs(token));
    expect(first.session?.organizations.map((o) => o.name)).toEqual(["Cached Co"]);
    const before = harness.db().queryCount();
    const again = await loader(rootArgs(token));
    expect(harness.db().queryCount() - before).toBe(0);
    expect(again.session?.organizations).toEqual(first.session?.organizations);

    await caller.organization.create({ name: "Second Co", slug: `second-${Math.random().toString(36).slice(2, 7)}` });
    const after = await loader(rootArgs(token));
    expect(after.session?.organizations.map((o) => o.name)).toEqual(["Cached Co", "Second Co"]);
  }, 60_000);
});
