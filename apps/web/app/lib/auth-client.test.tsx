import { renderToStaticMarkup } from "react-dom/server";
import { beforeEach, describe, expect, test, vi } from "vitest";
import type { HeaderSession } from "./header-session";

let rootData: { session: HeaderSession | null } | undefined;
vi.mock("@remix-run/react", () => ({ useRouteLoaderData: () => rootData }));
const { Protect, SignedIn, SignedOut, fetchToken } = await import("./auth-client");

const member: HeaderSession = {
  user: { id: "user_1", name: "Max", email: "max@example.test", imageUrl: null, initials: "MA" },
  organization: { id: "org_1", slug: "acme", name: "Acme", imageUrl: null },
  orgRoles: ["org:member"],
  orgPermissions: ["org:projects:read", "org:sys_memberships:read"],
  organizations: [{ id: "org_1", slug: "acme", name: "Acme", imageUrl: null }],
  isInstanceAdmin: false,
};

const render = (node: React.ReactNode) => renderToStaticMarkup(<>{node}</>);

describe("client auth components", () => {
  beforeEach(() => {
    rootData = { session: member };
  });

  test("Protect shows its children only to members holding the permission or role", () => {
    expect(render(<Protect permission="org:projects:read">yes</Protect>)).toBe("yes");
    expect(render(<Protect permission="org:projects:manage" fallback="no">yes</Protect>)).toBe("no");
    expect(render(<Protect role="org:member">yes</Protect>)).toBe("yes");
    expect(render(<Protect role="org:admin">yes</Protect>)).toBe("");
  });

  test("Protect fails closed without an organization in scope or without any condition", () => {
    expect(render(<Protect>yes</Protect>)).toBe("");
    rootData = { session: { ...member, organization: null } };
    expect(render(<Protect permission="org:projects:read">yes</Protect>)).toBe("");
    rootData = { session: null };
    expect(render(<Protect permission="org:projects:read">yes</Protect>)).toBe("");
  });

  test("SignedIn and SignedOut follow the session", () => {
    expect(render(<><SignedIn>in</SignedIn><SignedOut>out</SignedOut></>)).toBe("in");
    rootData = { session: null };
    expect(render(<><SignedIn>in</SignedIn><SignedOut>out</SignedOut></>)).toBe("out");
  });
});

describe("getToken", () => {

  const tokenWith = (exp: number) => `h.${btoa(JSON.stringify({ exp })).replace(/=+$/, "")}.s`;

  test("asks token.get once and reuses the token until ten seconds before it expires", async () => {
    let now = 1_000_000_000_000;
    const calls: { url: string; org: string | null }[] = [];
    const fake = (async (url: string, init?: RequestInit) => {
      calls.push({ url, org: new Headers(init?.headers).get("x-latchkey-org") });
      return Response.json({ result: { data: { json: { jwt: tokenWith(Math.floor(now / 1000) + 60) } } } });
    }) as typeof fetch;
    const scope = { userId: "user_cache", orgSlug: "acme" };
    const first = await fetchToken(scope, {}, fake, () => now);
    now += 45_000;
    expect(await fetchToken(scope, {}, fake, () => now)).toBe(first);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toEqual({ url: "/api/trpc/token.get", org: "acme" });
    now += 6_000;
    await fetchToken(scope, {}, fake, () => now);
    expect(calls).toHaveLength(2);
    await fetchToken(scope, { template: "supabase" }, fake, () => now);
    expect(calls[2]!.url).toBe(`/api/trpc/token.get?input=${encodeURIComponent('{"json":{"template":"supabase"}}')}`);
  });

  test("gives null when signed out, and throws on a server error", async () => {
    const unauthorized = (async () => new Response("{}", { status: 401 })) as typeof fetch;
    expect(await fetchToken({ userId: null, orgSlug: null }, {}, unauthorized)).toBeNull();
    expect(await fetchToken({ userId: "user_gone", orgSlug: null }, {}, unauthorized)).toBeNull();
    const broken = (async () => new Response("{}", { status: 500 })) as typeof fetch;
    await expect(fetchToken({ userId: "user_broken", orgSlug: null }, {}, broken)).rejects.toThrow("getToken failed (500)");
  });
});
