/**
 * Auth in React, from the data the root loader sends: `useAuth()` (with `has`), `useUser()`, `useOrganization()`,
 * `useOrganizationList()`, and `<SignedIn>`, `<SignedOut>`, `<Protect>`. These decide what to show; the server still
 * checks every request, so hiding a button is never the protection.
 */
import { useRouteLoaderData } from "@remix-run/react";
import type { ReactNode } from "react";
import type { HeaderSession } from "./header-session";

export interface HasCheck {
  permission?: string;
  role?: string;
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
