// oauth: the start and callback routes, run as the server would against an in-memory database.
import { describe, expect, test } from "vitest";
import type { ActionFunctionArgs } from "@remix-run/node";
import { createRouteHarness, APP_URL } from "~/test/route-harness";
import { action as start } from "./sign-in_.oauth.$provider";
import { action as applePost, loader as callback } from "./sign-in_.oauth.$provider_.callback";

const harness = createRouteHarness();

describe("OAuth routes", () => {
  test("starting with a provider that is not configured goes to the error page, with no state cookie", async () => {
    const request = new Request(`${APP_URL}/sign-in/oauth/myspace`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ redirect_url: "/" }),
    });
    const response = await harness.run(start, request, { provider: "myspace" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/sign-in/oauth/error?reason=OAUTH_UNKNOWN_PROVIDER&back=%2Fsign-in");
    expect(response.headers.getSetCookie().some((c) => c.startsWith("latchkey_oauth=") && !c.includes("Max-Age=0"))).toBe(false);
  });

  test("a callback without state is refused on the error page and clears the state cookie", async () => {
    const request = new Request(`${APP_URL}/sign-in/oauth/oidc/callback?code=abc`);
    const response = await harness.run(callback as unknown as (args: ActionFunctionArgs) => Promise<unknown>, request, { provider: "oidc" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/sign-in/oauth/error?reason=OAUTH_STATE_INVALID&back=%2Fsign-in");
    expect(response.headers.getSetCookie().some((c) => c.startsWith("latchkey_oauth=;") && c.includes("Max-Age=0"))).toBe(true);
  });

  test("Apple's form post becomes a GET of the same callback carrying only code, state, error and the first sign-in's name", async () => {
    const request = new Request(`${APP_URL}/sign-in/oauth/apple/callback`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ code: "c1", state: "s1", user: '{"name":{"firstName":"A"}}' }),
    });
    const response = await harness.run(applePost, request, { provider: "apple" });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get("location")!, APP_URL);
    expect(location.pathname).toBe("/sign-in/oauth/apple/callback");
    expect(Object.fromEntries(location.searchParams)).toEqual({ code: "c1", state: "s1", user: '{"name":{"firstName":"A"}}' });
  });
});
