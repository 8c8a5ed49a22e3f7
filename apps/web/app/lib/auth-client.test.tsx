import { renderToStaticMarkup } from "react-dom/server";
import { beforeEach, describe, expect, test, vi } from "vitest";
import type { HeaderSession } from "./header-session";

let rootData: { session: HeaderSession | null } | undefined;
const submitted: { target: unknown; options: unknown }[] = [];
let revalidations = 0;
vi.mock("@remix-run/react", () => ({
  useRouteLoaderData: () => rootData,
  useSubmit: () => (target: unknown, options: unknown) => submitted.push({ target, options }),
  useRevalidator: () => ({ revalidate: () => (revalidations += 1), state: "idle" }),
}));
const { Protect, SignedIn, SignedOut, callMutation, fetchToken, useAuth, useOrganization, useOrganizationList, useSession, useUser } = await import("./auth-client");

const member: HeaderSession = {
  sessionId: "sess_1",
  user: { id: "user_1", name: "Max Mustermann", firstName: "Max", lastName: "Mustermann", username: "max", email: "max@example.test", imageUrl: null, initials: "MM" },
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

  test("Protect with no condition shows its children to anyone signed in, as Clerk's does", () => {
    expect(render(<Protect>yes</Protect>)).toBe("yes");
    rootData = { session: { ...member, organization: null } };
    expect(render(<Protect>yes</Protect>)).toBe("yes");
    rootData = { session: null };
    expect(render(<Protect fallback="sign in">yes</Protect>)).toBe("sign in");
  });

  test("Protect fails closed without an organization in scope", () => {
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

/** Runs a hook during a server render and hands back what it returned. */
function runHook<T>(hook: () => T): T {
  let value: T | undefined;
  function Probe() {
    value = hook();
    return null;
  }
  renderToStaticMarkup(<Probe />);
  return value as T;
}

describe("hooks with Clerk's shapes", () => {
  beforeEach(() => {
    rootData = { session: member };
    submitted.length = 0;
    revalidations = 0;
  });

  test("useAuth is loaded at once and names the user, session and organization", () => {
    const auth = runHook(useAuth);
    expect(auth).toMatchObject({ isLoaded: true, isSignedIn: true, userId: "user_1", sessionId: "sess_1", orgId: "org_1", orgSlug: "acme", orgRole: "org:member" });
    rootData = { session: null };
    expect(runHook(useAuth)).toMatchObject({ isLoaded: true, isSignedIn: false, userId: null, sessionId: null, orgId: null });
  });

  test("signOut posts to /sign-out, as the account menu does", async () => {
    await runHook(useAuth).signOut();
    expect(submitted).toEqual([{ target: null, options: { method: "post", action: "/sign-out" } }]);
  });

  test("useUser gives the user's names, username, image and primary address, or null when signed out", () => {
    const { isLoaded, isSignedIn, user } = runHook(useUser);
    expect({ isLoaded, isSignedIn }).toEqual({ isLoaded: true, isSignedIn: true });
    expect(user).toMatchObject({
      id: "user_1",
      firstName: "Max",
      lastName: "Mustermann",
      fullName: "Max Mustermann",
      username: "max",
      imageUrl: null,
      hasImage: false,
      primaryEmailAddress: { emailAddress: "max@example.test" },
    });
    rootData = { session: null };
    expect(runHook(useUser)).toEqual({ isLoaded: true, isSignedIn: false, user: null });
  });

  test("user.update saves through user.updateProfile and then reloads the page's data", async () => {
    const calls: { url: string; body: string }[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (url: string, init?: RequestInit) => {
      calls.push({ url, body: String(init?.body) });
      return Response.json({ result: { data: { json: { ok: true } } } });
    }) as typeof fetch;
    try {
      await runHook(useUser).user!.update({ firstName: "Maxi" });
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(calls).toEqual([{ url: "/api/trpc/user.updateProfile", body: JSON.stringify({ json: { firstName: "Maxi" } }) }]);
    expect(revalidations).toBe(1);
  });

  test("a refused mutation throws with the server's message", async () => {
    const refuse = (async () => Response.json({ error: { json: { message: "That username is taken." } } }, { status: 409 })) as unknown as typeof fetch;
    await expect(callMutation("user.updateProfile", { username: "taken" }, refuse)).rejects.toThrow("That username is taken.");
  });

  test("useSession and useOrganization give the session and the membership in scope", () => {
    expect(runHook(useSession)).toEqual({ isLoaded: true, isSignedIn: true, session: { id: "sess_1", userId: "user_1" } });
    expect(runHook(useOrganization)).toEqual({
      isLoaded: true,
      organization: member.organization,
      membership: { role: "org:member", roles: ["org:member"], permissions: ["org:projects:read", "org:sys_memberships:read"] },
    });
    rootData = { session: { ...member, organization: null, orgRoles: [] } };
    expect(runHook(useOrganization)).toEqual({ isLoaded: true, organization: null, membership: null });
  });

  test("useOrganizationList lists the memberships and setActive switches through /orgs/switch", async () => {
    const list = runHook(useOrganizationList);
    expect(list.userMemberships).toEqual({ data: [{ organization: member.organizations[0] }], count: 1 });
    await list.setActive({ organization: "org_1" });
    await list.setActive({ organization: null });
    expect(submitted).toEqual([
      { target: { organizationId: "org_1" }, options: { method: "post", action: "/orgs/switch" } },
      { target: { organizationId: "" }, options: { method: "post", action: "/orgs/switch" } },
    ]);
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
