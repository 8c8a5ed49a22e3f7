/**
 * Which pages need what — the one place to read it, like Clerk's middleware. Patterns use Clerk's syntax:
 * `(.*)` matches any rest, `:name` one path segment. Everything not public needs a session; rules can ask more.
 * Loaders still call `requireAuth` for what they rely on; this guard makes a forgotten check fail closed.
 */
import type { Permission, RoleKey } from "@latchkey/auth";

export const publicRoutes = [
  "/",
  "/sign-in(.*)",
  "/sign-up(.*)",
  "/sign-out",
  "/forgot-password",
  "/reset-password",
  "/verify-email",
  // signup: joining the waitlist (the procedure refuses unless the sign-up mode is "waitlist").
  "/waitlist",
  // The invitation link: anyone may see whom it invites and decline; joining needs a session (the procedure checks).
  "/invitations/accept",
  "/api/webhooks(.*)",
  // tRPC decides per procedure (publicProcedure, authedProcedure, orgProcedure).
  "/api/trpc(.*)",
  "/health",
  // Uploaded logos: public like any logo, under random ids that change on every upload.
  "/images/:id",
  // The development outbox; its loader and action answer 404 in production.
  "/dev/outbox",
  // The component gallery; 404 in production unless LATCHKEY_COMPONENT_GALLERY=1.
  "/dev/components",
  // The theme switch remembers the choice for signed-out visitors too.
  "/theme",
  // Remix's route discovery (lazy route manifest); it reveals only which routes exist, which the client bundle does too.
  "/__manifest",
  "/locale",
  // Dictionary namespaces (ADR 029): the same strings every page shows, signed in or not.
  "/i18n/:locale/:namespace",
  "/.well-known(.*)",
  "/favicon.svg",
  "/favicon.ico",
  "/robots.txt",
] as const;

export interface RouteRule {
  pattern: string;
  /** Require membership of the organization in scope (the `/org/:slug` in the URL). */
  organization?: boolean;
  permission?: Permission;
  role?: RoleKey;
  /** Require the instance-admin flag (the admin console). */
  instanceAdmin?: boolean;
}

/** Checked in order; the first match applies on top of "needs a session". */
export const protectedRoutes: readonly RouteRule[] = [
  // The audit log page and its export (audit helper).
  { pattern: "/org/:slug/audit(.*)", permission: "org:sys_audit:read" },
  { pattern: "/org/:slug/audit.jsonl", permission: "org:sys_audit:read" },
  { pattern: "/org/:slug(.*)", organization: true },
  { pattern: "/admin(.*)", instanceAdmin: true },
];

/**
 * mfa: pages a signed-in user may still open while an MFA policy (instance `requireMfa` or the organization's
 * "members must use MFA") waits for a second factor; every other protected page sends them to /user/mfa.
 */
export const mfaSetupRoutes = [
  "/user/mfa",
  "/user/passkeys",
  "/user/phones",
  "/reverify",
  "/sign-out",
  // impersonation: an admin viewing as a user held by an MFA policy can still stop.
  "/impersonation/stop",
] as const;

/** Turns `/sign-in(.*)` and `/org/:slug(.*)` into an anchored regular expression. */
export function compileRoutePattern(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    if (pattern.startsWith("(.*)", i)) {
      source += i > 0 && pattern[i - 1] !== "/" ? "(?:/.*)?" : ".*";
      i += 3;
    } else if (pattern[i] === ":") {
      const name = /^:[A-Za-z_][A-Za-z0-9_]*/.exec(pattern.slice(i))![0];
      source += "[^/]+";
      i += name.length - 1;
    } else {
      source += pattern[i]!.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`);
}

export function createRouteMatcher(patterns: readonly string[]): (pathname: string) => boolean {
  const compiled = patterns.map(compileRoutePattern);
  return (pathname) => compiled.some((re) => re.test(pathname));
}

/** The page path a request is for: Remix data requests (`/org/acme.data`, `/_root.data`) count as their page. */
export function pagePathOf(url: URL): string {
  const path = url.pathname.replace(/\.data$/, "");
  return path === "/_root" ? "/" : path;
}
