/**
 * Auth in React with Clerk's shapes, from the data the root loader sends: `useAuth()` (with `has`, `getToken`,
 * `signOut`), `useUser()` (with `user.update()`), `useSession()`, `useOrganization()`, `useOrganizationList()` (with
 * `setActive`), and `<SignedIn>`, `<SignedOut>`, `<Protect>`. These decide what to show; the server still
 * checks every request, so hiding a button is never the protection.
 */
import { useRevalidator, useRouteLoaderData, useSubmit } from "@remix-run/react";
import type { ReactNode } from "react";
import type { AnyPermission, RoleKey } from "@latchkey/auth";
import type { HeaderSession } from "./header-session";
import { userFieldsOf, type UserFields } from "./user-shape";

export interface HasCheck {
  /** A permission declared in code (a typo fails `tsc`), or a run-time one through `customPermission("org:x:y")`. */
  permission?: AnyPermission;
  role?: RoleKey;
}

export interface GetTokenOptions {
  /** A JWT template's name (`getToken({ template: "supabase" })`); the 60-second session token when omitted. */
  template?: string;
  /** Fetch a new token even when the remembered one is still fresh. */
  skipCache?: boolean;
}

/** Tokens are reused until this close to expiry, so a caller never sends one that dies in flight. */
export const TOKEN_REFRESH_MARGIN_MS = 10_000;

const tokenCache = new Map<string, { jwt: string; expiresAt: number }>();
const tokenRequests = new Map<string, Promise<string | null>>();

function expiryOf(jwt: string): number {
  try {
    const payload = JSON.parse(atob(jwt.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))) as { exp?: unknown };
    return typeof payload.exp === "number" ? payload.exp * 1000 : 0;
  } catch {
    return 0;
  }
}

/**
 * Calls `token.get` on the tRPC endpoint (a plain GET, so pages don't need the React Query client) for the
 * organization in scope; null when signed out. Remembers each token until TOKEN_REFRESH_MARGIN_MS before it expires.
 */
export async function fetchToken(
  scope: { userId: string | null; orgSlug: string | null },
  options: GetTokenOptions = {},
  fetchImpl: typeof fetch = fetch,
  now: () => number = Date.now,
): Promise<string | null> {
  if (!scope.userId) return null;
  const key = `${scope.userId}|${scope.orgSlug ?? ""}|${options.template ?? ""}`;
  const cached = tokenCache.get(key);
  if (!options.skipCache && cached && cached.expiresAt - TOKEN_REFRESH_MARGIN_MS > now()) return cached.jwt;
  const pending = tokenRequests.get(key);
  if (pending) return pending;
  const request = (async () => {
    const input = options.template ? `?input=${encodeURIComponent(JSON.stringify({ json: { template: options.template } }))}` : "";
    const response = await fetchImpl(`/api/trpc/token.get${input}`, {
      credentials: "same-origin",
      headers: scope.orgSlug ? { "x-latchkey-org": scope.orgSlug } : {},
    });
    if (response.status === 401) {
      tokenCache.delete(key);
      return null;
    }
    const body = (await response.json().catch(() => null)) as { result?: { data?: { json?: { jwt?: unknown } } } } | null;
    const jwt = body?.result?.data?.json?.jwt;
    if (!response.ok || typeof jwt !== "string") throw new Error(`getToken failed (${response.status})`);
    tokenCache.set(key, { jwt, expiresAt: expiryOf(jwt) });
    return jwt;
  })().finally(() => tokenRequests.delete(key));
  tokenRequests.set(key, request);
  return request;
}

export interface ClientAuth {
  /** Always true: the root loader renders with the session on the server, so there is no loading state. */
  isLoaded: true;
  isSignedIn: boolean;
  userId: string | null;
  sessionId: string | null;
  orgId: string | null;
  orgSlug: string | null;
  orgRole: string | null;
  orgPermissions: string[];
  /** True when the member holds the permission (and/or role) in the organization in scope. */
  has: (check: HasCheck) => boolean;
  /** A session JWT (or a template's) for calling other services; null when signed out. */
  getToken: (options?: GetTokenOptions) => Promise<string | null>;
  /** Signs out (a POST to /sign-out, as the account menu does) and goes to the sign-in page. */
  signOut: () => Promise<void>;
}

function useSessionData(): HeaderSession | null {
  return useRouteLoaderData<{ session: HeaderSession | null }>("root")?.session ?? null;
}

export function useAuth(): ClientAuth {
  const session = useSessionData();
  const submit = useSubmit();
  const roles = session?.orgRoles ?? [];
  const permissions = session?.orgPermissions ?? [];
  return {
    isLoaded: true,
    isSignedIn: session !== null,
    userId: session?.user.id ?? null,
    sessionId: session?.sessionId ?? null,
    orgId: session?.organization?.id ?? null,
    orgSlug: session?.organization?.slug ?? null,
    orgRole: roles[0] ?? null,
    orgPermissions: permissions,
    has: ({ permission, role }) =>
      session?.organization != null &&
      (permission !== undefined || role !== undefined) &&
      (permission === undefined || permissions.includes(permission)) &&
      (role === undefined || roles.includes(role)),
    getToken: (options) => fetchToken({ userId: session?.user.id ?? null, orgSlug: session?.organization?.slug ?? null }, options),
    signOut: async () => submit(null, { method: "post", action: "/sign-out" }),
  };
}

/** What `user.update()` may change, as the account page does (`user.updateProfile`). */
export interface UserUpdate {
  firstName?: string | null;
  lastName?: string | null;
  username?: string | null;
}

export interface ClientUser extends UserFields {
  primaryEmailAddress: { emailAddress: string } | null;
  /** Saves the changes on the server, then reloads the page's data so every component shows them. */
  update: (changes: UserUpdate) => Promise<void>;
}

/**
 * Calls a tRPC mutation with a plain POST (superjson's wire format), so pages don't need the React Query client.
 * Throws with the server's message when it refuses.
 */
export async function callMutation(path: string, input: unknown, fetchImpl: typeof fetch = fetch): Promise<unknown> {
  const response = await fetchImpl(`/api/trpc/${path}`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ json: input }),
  });
  const body = (await response.json().catch(() => null)) as { result?: { data?: { json?: unknown } }; error?: { json?: { message?: unknown } } } | null;
  if (!response.ok) {
    const message = body?.error?.json?.message;
    throw new Error(typeof message === "string" ? message : `${path} failed (${response.status})`);
  }
  return body?.result?.data?.json;
}

export function useUser(): { isLoaded: true; isSignedIn: boolean; user: ClientUser | null } {
  const session = useSessionData();
  const revalidator = useRevalidator();
  const user = session?.user;
  return {
    isLoaded: true,
    isSignedIn: session !== null,
    user: user
      ? {
          ...userFieldsOf(user),
          primaryEmailAddress: user.email ? { emailAddress: user.email } : null,
          update: async (changes) => {
            await callMutation("user.updateProfile", changes);
            revalidator.revalidate();
          },
        }
      : null,
  };
}

export function useSession(): { isLoaded: true; isSignedIn: boolean; session: { id: string; userId: string } | null } {
  const session = useSessionData();
  return {
    isLoaded: true,
    isSignedIn: session !== null,
    session: session ? { id: session.sessionId, userId: session.user.id } : null,
  };
}

export interface ClientMembership {
  /** The first of the member's roles (Clerk has one role per membership). */
  role: string;
  roles: string[];
  permissions: string[];
}

export function useOrganization(): { isLoaded: true; organization: HeaderSession["organization"]; membership: ClientMembership | null } {
  const session = useSessionData();
  const organization = session?.organization ?? null;
  const roles = session?.orgRoles ?? [];
  return {
    isLoaded: true,
    organization,
    membership: organization && roles.length > 0 ? { role: roles[0]!, roles, permissions: session?.orgPermissions ?? [] } : null,
  };
}

export function useOrganizationList(): {
  isLoaded: true;
  userMemberships: { data: { organization: HeaderSession["organizations"][number] }[]; count: number };
  /** Makes an organization active (null: the personal account) and opens it, as the switcher does. */
  setActive: (params: { organization: string | null }) => Promise<void>;
} {
  const session = useSessionData();
  const submit = useSubmit();
  const organizations = session?.organizations ?? [];
  return {
    isLoaded: true,
    userMemberships: { data: organizations.map((organization) => ({ organization })), count: organizations.length },
    setActive: async ({ organization }) => submit({ organizationId: organization ?? "" }, { method: "post", action: "/orgs/switch" }),
  };
}

export function SignedIn({ children }: { children: ReactNode }) {
  return useAuth().isSignedIn ? <>{children}</> : null;
}

export function SignedOut({ children }: { children: ReactNode }) {
  return useAuth().isSignedIn ? null : <>{children}</>;
}

/**
 * Renders its children only for members with the permission or role; otherwise `fallback`. With neither, as in
 * Clerk, it shows them to anyone signed in.
 */
export function Protect({ children, fallback = null, ...check }: HasCheck & { children: ReactNode; fallback?: ReactNode }) {
  const auth = useAuth();
  const allowed = check.permission === undefined && check.role === undefined ? auth.isSignedIn : auth.has(check);
  return allowed ? <>{children}</> : <>{fallback}</>;
}
