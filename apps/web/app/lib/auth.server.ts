/**
 * Auth for loaders and actions: `getAuth(args)`, `requireAuth(args, { permission, role })` and `getCaller(args)`.
 * One tRPC context per request, memoised on the load context (the guard in server.js and every loader of a request
 * share it), so the caller is resolved with one query however many loaders and procedures ask.
 */
import { redirect } from "@remix-run/node";
import { createCaller, createRequestContext, getSessionClaims, type AuthMfa, type AuthUser, type Context, type SessionClaims } from "@latchkey/api";
import { authorize, getSafeRedirect, hasAnyRole, isReverified, type AnyPermission, type ReverificationLevel, type RoleKey } from "@latchkey/auth";
import { userFieldsOf, type UserFields } from "./user-shape";
import { isDatabaseUnavailable } from "@latchkey/db";
import { getDb } from "./db.server";
import { getEnv } from "./env.server";
import { getMailer } from "./mailer.server";
import { getKeyring } from "./keyring.server";
import { getSmsSender } from "./sms.server";

export type AuthArgs = Request | { request: Request; context?: unknown };

export interface HasCheck {
  /** A permission declared in code (a typo fails `tsc`), or a run-time one through `customPermission("org:x:y")`. */
  permission?: AnyPermission;
  role?: RoleKey;
}

interface AuthBase {
  /** `has({ permission })` / `has({ role })` in the organization in scope; false when there is none. */
  has: (check: HasCheck) => boolean;
}

export interface SignedInAuth extends AuthBase {
  userId: string;
  sessionId: string;
  user: AuthUser;
  /** The organization in scope: named by the URL (`/org/:slug`), else the session's active one. */
  orgId: string | null;
  orgSlug: string | null;
  orgName: string | null;
  /** The organization's logo (`/images/:id`), if it has one. */
  orgImageUrl: string | null;
  /** The member's first role, for code written against Clerk's single `orgRole`. */
  orgRole: string | null;
  orgRoles: string[];
  orgPermissions: string[];
  /** True when the URL named an organization, whether or not the caller belongs to it. */
  orgFromUrl: boolean;
  /** When this session last confirmed the password (or a factor); sign-in counts. */
  lastReverifiedAt: Date | null;
  /** Second factor and MFA policies, from the same one-query lookup. */
  mfa: AuthMfa;
  /** impersonation: the instance admin viewing as this user, when this session is an impersonation. */
  impersonatorUserId: string | null;
  /**
   * What this session's token carries: `sub`, `sid`, the `org_*` claims and the instance's custom claims (the
   * `sessionClaims` setting), typed by your `LatchkeySessionClaims` declaration: `sessionClaims["2fa_enabled"]`.
   */
  sessionClaims: SessionClaims;
}

export interface SignedOutAuth extends AuthBase {
  userId: null;
  sessionId: null;
  user: null;
  orgId: null;
  orgSlug: null;
  orgName: null;
  orgImageUrl: null;
  orgRole: null;
  orgRoles: [];
  orgPermissions: [];
  orgFromUrl: boolean;
  lastReverifiedAt: null;
  mfa: null;
  impersonatorUserId: null;
  sessionClaims: null;
}

export type Auth = SignedInAuth | SignedOutAuth;

const contexts = new WeakMap<object, Promise<Context>>();

function requestOf(args: AuthArgs): Request {
  return args instanceof Request ? args : args.request;
}

/** The load context is shared by the guard and all loaders of one request; the Request object is not (single fetch copies it). */
function memoKey(args: AuthArgs): object {
  if (args instanceof Request) return args;
  return args.context && typeof args.context === "object" ? args.context : args.request;
}

function clientIpOf(args: AuthArgs): string | null {
  if (args instanceof Request) return null;
  const ip = (args.context as { clientIp?: unknown } | undefined)?.clientIp;
  return typeof ip === "string" ? ip : null;
}

/** The tRPC context of this request (created once). */
export function getRequestContext(args: AuthArgs): Promise<Context> {
  const key = memoKey(args);
  let ctx = contexts.get(key);
  if (!ctx) {
    ctx = getDb().then((handle) =>
      createRequestContext({
        db: handle.db,
        request: requestOf(args),
        appUrl: getEnv().APP_URL,
        ip: clientIpOf(args),
        mailer: getMailer(),
        keyring: getKeyring(),
        sms: getSmsSender(),
      }),
    );
    contexts.set(key, ctx);
  }
  return ctx;
}

/**
 * A server-side tRPC caller acting as this request's user: `(await getCaller(args)).project.list()`. `botCheck`: what
 * a sign-up, sign-in, waitlist or password-reset form carried for bot protection (`readBotCheck(form)`).
 */
export async function getCaller(args: AuthArgs, extra?: { botCheck: Context["botCheck"] }) {
  const ctx = await getRequestContext(args);
  return createCaller(extra ? { ...ctx, botCheck: extra.botCheck } : ctx);
}

/** Set-Cookie and other headers procedures added for this response; pass them on redirects and data responses. */
export async function getAuthHeaders(args: AuthArgs): Promise<Headers> {
  return (await getRequestContext(args)).resHeaders;
}

const signedOut = (orgFromUrl: boolean): SignedOutAuth => ({
  userId: null,
  sessionId: null,
  user: null,
  orgId: null,
  orgSlug: null,
  orgName: null,
  orgImageUrl: null,
  orgRole: null,
  orgRoles: [],
  orgPermissions: [],
  orgFromUrl,
  lastReverifiedAt: null,
  mfa: null,
  impersonatorUserId: null,
  sessionClaims: null,
  has: () => false,
});

/** A database that can't be reached gives a generic 503 (and protected pages stay closed); anything else is rethrown. */
function unavailableOr(error: unknown): unknown {
  if (!isDatabaseUnavailable(error)) return error;
  return new Response("Service unavailable", { status: 503, headers: { "Retry-After": "5", "Cache-Control": "no-store" } });
}

export async function getAuth(args: AuthArgs): Promise<Auth> {
  let resolved;
  let ctx: Context;
  let sessionClaims: SessionClaims | null = null;
  try {
    ctx = await getRequestContext(args);
    resolved = await ctx.getAuth();
    if (resolved) sessionClaims = await getSessionClaims(ctx, resolved);
  } catch (error) {
    throw unavailableOr(error);
  }
  if (!resolved || !sessionClaims) return signedOut(ctx.orgSlug !== null);
  const roles = resolved.membership?.roles ?? [];
  const permissions = resolved.membership?.permissions ?? [];
  return {
    userId: resolved.user.id,
    sessionId: resolved.session.id,
    user: resolved.user,
    orgId: resolved.organization?.id ?? null,
    orgSlug: resolved.organization?.slug ?? null,
    orgName: resolved.organization?.name ?? null,
    orgImageUrl: resolved.organization?.imageUrl ?? null,
    orgRole: roles[0] ?? null,
    orgRoles: roles,
    orgPermissions: permissions,
    orgFromUrl: resolved.explicitOrganization,
    lastReverifiedAt: resolved.session.lastReverifiedAt,
    mfa: resolved.mfa,
    impersonatorUserId: resolved.session.impersonatorUserId,
    sessionClaims,
    has: (check) =>
      resolved.membership !== null &&
      (check.permission !== undefined || check.role !== undefined) &&
      (check.permission === undefined || authorize(permissions, check.permission)) &&
      (check.role === undefined || hasAnyRole(roles, check.role)),
  };
}

export interface RequireAuthOptions extends HasCheck {
  /** Require an organization in scope (implied by `permission` and `role`). */
  organization?: boolean;
  /** Require a recent password check on this session; otherwise the user is sent to /reverify and back. */
  reverification?: ReverificationLevel;
  /** Require the instance-admin flag (the admin console); 403 otherwise. */
  instanceAdmin?: boolean;
}

/** For the sign-in and sign-up pages: the safe `redirect_url` to go to afterwards, where a signed-in visitor goes now. */
export async function redirectIfSignedIn(args: AuthArgs): Promise<string> {
  const redirectUrl = getSafeRedirect(new URL(requestOf(args).url).searchParams.get("redirect_url"), "/");
  if ((await getAuth(args)).userId) throw redirect(redirectUrl);
  return redirectUrl;
}

/**
 * Where a sign-in result leads: the page asked for, or — when a second factor is still needed — `/sign-in/factor-two`
 * keeping `redirect_url` (the challenge cookie is already on the response).
 */
export function afterSignIn(result: { status: "complete" | "needs_second_factor" }, redirectUrl: string): string {
  if (result.status === "complete") return redirectUrl;
  return redirectUrl === "/" ? "/sign-in/factor-two" : `/sign-in/factor-two?redirect_url=${encodeURIComponent(redirectUrl)}`;
}

/** Where to send someone who must sign in, coming back here afterwards. */
export function signInUrl(request: Request): string {
  const url = new URL(request.url);
  const path = url.pathname.replace(/\.data$/, "").replace(/^\/_root$/, "/");
  const back = `${path}${url.search}`;
  return back === "/" ? "/sign-in" : `/sign-in?redirect_url=${encodeURIComponent(back)}`;
}

/**
 * Like `getAuth`, but throws: a redirect to /sign-in without a session; 403 when the organization, permission or role
 * is missing (the route's error boundary shows it).
 */
export async function requireAuth(args: AuthArgs, options: RequireAuthOptions = {}): Promise<SignedInAuth> {
  const auth = await getAuth(args);
  if (!auth.userId) {
    throw redirect(signInUrl(requestOf(args)), { headers: await getAuthHeaders(args) });
  }
  const needsOrg = options.organization || options.permission !== undefined || options.role !== undefined;
  if (needsOrg && !auth.orgId) throw forbidden();
  if (options.permission !== undefined && !auth.has({ permission: options.permission })) throw forbidden();
  if (options.role !== undefined && !auth.has({ role: options.role })) throw forbidden();
  if (options.instanceAdmin && !auth.user.isInstanceAdmin) throw forbidden();
  if (options.reverification && !isReverified(auth.lastReverifiedAt, options.reverification, new Date())) {
    const back = signInUrl(requestOf(args)).replace(/^\/sign-in/, "");
    throw redirect(`/reverify${back ? `${back}&` : "?"}level=${options.reverification}`, { headers: await getAuthHeaders(args) });
  }
  return auth;
}

function forbidden(): Response {
  return new Response("Forbidden", { status: 403, headers: { "Cache-Control": "no-store" } });
}

// tokens ------------------------------------------------------------------------------------------------------------

/**
 * The signed-in caller's session JWT (60 s), or a template's with `{ template }`, for calling another service from a
 * loader or action; null when signed out. The organization in scope is the request's (URL, else the active one).
 */
export async function getToken(args: AuthArgs, options: { template?: string } = {}): Promise<string | null> {
  const auth = await getAuth(args);
  if (!auth.userId) return null;
  const { jwt } = await (await getCaller(args)).token.get(options.template ? { template: options.template } : undefined);
  return jwt;
}

/** The signed-in user as `currentUser(args)` gives it: Clerk's field names, with metadata (never the private one). */
export interface CurrentUser extends UserFields {
  primaryEmailAddress: { emailAddress: string; verified: boolean } | null;
  publicMetadata: Record<string, unknown>;
  unsafeMetadata: Record<string, unknown>;
  createdAt: Date;
  lastSignInAt: Date | null;
}

/** The signed-in user for a loader or action, or null when signed out (one `user.me` call). */
export async function currentUser(args: AuthArgs): Promise<CurrentUser | null> {
  const auth = await getAuth(args);
  if (!auth.userId) return null;
  const me = await (await getCaller(args)).user.me();
  return {
    ...userFieldsOf(me),
    primaryEmailAddress: me.primaryEmail ? { emailAddress: me.primaryEmail, verified: me.primaryEmailVerifiedAt !== null } : null,
    publicMetadata: (me.publicMetadata ?? {}) as Record<string, unknown>,
    unsafeMetadata: (me.unsafeMetadata ?? {}) as Record<string, unknown>,
    createdAt: me.createdAt,
    lastSignInAt: me.lastSignInAt,
  };
}
