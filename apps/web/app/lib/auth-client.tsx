/**
 * Auth in React, from the data the root loader sends: `useAuth()` (with `has`), `useUser()`, `useOrganization()`,
 * `useOrganizationList()`, and `<SignedIn>`, `<SignedOut>`, `<Protect>`. These decide what to show; the server still
 * checks every request, so hiding a button is never the protection.
 */
import { useRouteLoaderData } from "@remix-run/react";
import type { ReactNode } from "react";
import type { AnyPermission, RoleKey } from "@latchkey/auth";
import type { HeaderSession } from "./header-session";

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
  isSignedIn: boolean;
  userId: string | null;
  orgId: string | null;
  orgSlug: string | null;
  orgRole: string | null;
  orgPermissions: string[];
  /** True when the member holds the permission (and/or role) in the organization in scope. */
  has: (check: HasCheck) => boolean;
  /** A session JWT (or a template's) for calling other services; null when signed out. */
  getToken: (options?: GetTokenOptions) => Promise<string | null>;
}

function useSessionData(): HeaderSession | null {
  return useRouteLoaderData<{ session: HeaderSession | null }>("root")?.session ?? null;
}

export function useAuth(): ClientAuth {
  const session = useSessionData();
  const roles = session?.orgRoles ?? [];
  const permissions = session?.orgPermissions ?? [];
  return {
    isSignedIn: session !== null,
    userId: session?.user.id ?? null,
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
  };
}

export function useUser(): HeaderSession["user"] | null {
  return useSessionData()?.user ?? null;
}

export function useOrganization(): HeaderSession["organization"] {
  return useSessionData()?.organization ?? null;
}

export function useOrganizationList(): HeaderSession["organizations"] {
  return useSessionData()?.organizations ?? [];
}

export function SignedIn({ children }: { children: ReactNode }) {
  return useAuth().isSignedIn ? <>{children}</> : null;
}

export function SignedOut({ children }: { children: ReactNode }) {
  return useAuth().isSignedIn ? null : <>{children}</>;
}

/** Renders its children only for members with the permission or role; otherwise `fallback`. */
export function Protect({ children, fallback = null, ...check }: HasCheck & { children: ReactNode; fallback?: ReactNode }) {
  return useAuth().has(check) ? <>{children}</> : <>{fallback}</>;
}
