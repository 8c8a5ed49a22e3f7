/**
 * tRPC set-up: the procedure builders and the middleware chain `authed → orgMember → hasPermission`.
 *
 * You rarely need to edit this file. To add a procedure, open a router in `./router/` and write e.g.
 *   report: orgProcedure.use(hasPermission("org:reports:read")).input(schema).query(...)
 *
 * Everything fails closed: UNAUTHORIZED means no valid session; FORBIDDEN means a valid session without the right.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { isDatabaseUnavailable, isUniqueViolation } from "@latchkey/db";
import { authorize, hasAnyRole, isReverified, type Permission, type ReverificationLevel, type RoleKey } from "@latchkey/auth";
import type { Context } from "./context.ts";
import type { ErrorReason } from "./error-codes.ts";
import { ApiError, describeFieldErrors, getFieldErrors } from "./errors.ts";
import { recordAuditEvent } from "./audit.ts";
import { isRestrictedWhileImpersonating } from "./impersonation-policy.ts";
import { syncAuthCache } from "./auth-cache.ts";

// 1. Initialisation and the error shape -------------------------------------------------------------------------

const defaultReasons: Partial<Record<TRPCError["code"], ErrorReason>> = {
  UNAUTHORIZED: "SESSION_REQUIRED",
  FORBIDDEN: "PERMISSION_DENIED",
  BAD_REQUEST: "INVALID_INPUT",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "ALREADY_EXISTS",
  SERVICE_UNAVAILABLE: "SERVICE_UNAVAILABLE",
  TOO_MANY_REQUESTS: "RATE_LIMITED",
  INTERNAL_SERVER_ERROR: "INTERNAL",
};

/**
 * Who may call a procedure, declared next to its definition with `.meta({ authz })`. The authorization matrix test
 * (authorization-matrix.test.ts) calls every procedure as every kind of caller and checks the declaration holds; a
 * procedure without one fails that test.
 */
export type AuthzPolicy =
  | { kind: "public" }
  | { kind: "authed" }
  /** Any member of the organization in scope, whatever their permissions (e.g. leaving it). */
  | { kind: "member" }
  | { kind: "permission"; permission: Permission }
  | { kind: "role"; role: RoleKey }
  /** Instance administrators only (`users.is_instance_admin`): instance-wide definitions such as roles. */
  | { kind: "instanceAdmin" };

export interface Meta {
  authz?: AuthzPolicy;
  /**
   * Callable by a signed-in user whom an MFA policy (instance `requireMfa`, or the organization's `require_mfa`)
   * holds back until they set up a second factor: the setup itself, reverification, signing out.
   */
  allowWithoutMfa?: boolean;
}

export const policy = {
  public: { authz: { kind: "public" } },
  authed: { authz: { kind: "authed" } },
  member: { authz: { kind: "member" } },
  permission: (permission: Permission): Meta => ({ authz: { kind: "permission", permission } }),
  role: (role: RoleKey): Meta => ({ authz: { kind: "role", role } }),
  instanceAdmin: { authz: { kind: "instanceAdmin" } },
  /** Signed in, and allowed while an MFA policy waits for a second factor (see `Meta.allowWithoutMfa`). */
  mfaSetup: { authz: { kind: "authed" }, allowWithoutMfa: true },
} satisfies Record<string, Meta | ((arg: never) => Meta)>;

const t = initTRPC.context<Context>().meta<Meta>().create({
  /** Dates and other non-JSON values arrive as themselves in the browser, so the types tRPC infers are true. */
  transformer: superjson,
  /** Internal errors never carry SQL, parameters or stacks to the client; bad input names its fields. */
  errorFormatter({ shape, error }) {
    const internal = error.code === "INTERNAL_SERVER_ERROR";
    const fieldErrors = error.code === "BAD_REQUEST" || error instanceof ApiError ? getFieldErrors(error) : null;
    return {
      message: internal ? "Something went wrong." : shape.message,
      code: shape.code,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        reason: error instanceof ApiError ? error.reason : (defaultReasons[error.code] ?? "INTERNAL"),
        fieldErrors,
        retryAfterSeconds: error instanceof ApiError ? (error.retryAfterSeconds ?? null) : null,
      },
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
export const mergeRouters = t.mergeRouters;

// 2. Middleware ---------------------------------------------------------------------------------------------------

/** Turns driver errors into API errors: duplicates → CONFLICT, database down → SERVICE_UNAVAILABLE, schema failures → a message naming the fields. */
const mapErrors = t.middleware(async function mapErrors({ next }) {
  const result = await next();
  if (result.ok) return result;
  const { error } = result;
  if (error.code === "BAD_REQUEST" && !(error instanceof ApiError)) {
    const fields = getFieldErrors(error);
    if (fields) {
      throw new ApiError({ code: "BAD_REQUEST", reason: "INVALID_INPUT", message: describeFieldErrors(fields), cause: error.cause });
    }
  }
  if (error.code === "INTERNAL_SERVER_ERROR") {
    if (isUniqueViolation(error.cause)) {
      throw new ApiError({ code: "CONFLICT", reason: "ALREADY_EXISTS", message: "That already exists." });
    }
    if (isDatabaseUnavailable(error.cause)) {
      throw new ApiError({ code: "SERVICE_UNAVAILABLE", reason: "SERVICE_UNAVAILABLE", message: "The service is temporarily unavailable." });
    }
  }
  return result;
});

/**
 * Requires a valid session; puts `auth`, `user` and `session` on the context. When the instance requires MFA and
 * the user has no second factor, only `allowWithoutMfa` procedures (the setup) are let through. In an impersonation
 * session the procedures of impersonation-policy.ts are refused.
 */
const authed = t.middleware(async function authed({ ctx, meta, path, next }) {
  const auth = await ctx.getAuth();
  if (!auth) {
    throw new ApiError({ code: "UNAUTHORIZED", reason: "SESSION_REQUIRED", message: "Sign in to continue." });
  }
  // impersonation: an admin viewing as this user may read, but not do what only the user should (impersonation-policy.ts).
  if (auth.session.impersonatorUserId && isRestrictedWhileImpersonating(path, meta?.authz)) {
    return deny(ctx, "IMPERSONATION_RESTRICTED", "Not while viewing as this user: only they can do that.", { path });
  }
  if (auth.mfa.instanceRequired && !auth.mfa.hasSecondFactor && !meta?.allowWithoutMfa) {
    return deny(ctx, "MFA_REQUIRED", "Set up a second factor to continue.", { policy: "instance" });
  }
  return next({ ctx: { auth, user: auth.user, session: auth.session } });
});

/** An organization that requires MFA refuses a member without a second factor (checked after membership). */
function refuseWithoutMfa(ctx: Context, auth: { mfa: { organizationRequired: boolean; hasSecondFactor: boolean } }): Promise<never> | null {
  if (auth.mfa.organizationRequired && !auth.mfa.hasSecondFactor) {
    return deny(ctx, "MFA_REQUIRED", "This organization requires a second factor. Set one up to continue.", { policy: "organization" });
  }
  return null;
}

async function deny(ctx: Context, reason: ErrorReason, message: string, details: Record<string, unknown>): Promise<never> {
  const auth = await ctx.getAuth();
  await recordAuditEvent(ctx, {
    action: "authorization.denied",
    outcome: "denied",
    actorUserId: auth?.user.id ?? null,
    actorSessionId: auth?.session.id ?? null,
    organizationId: auth?.organization?.id ?? null,
    details: { reason, ...details },
  }).catch(() => undefined);
  throw new ApiError({ code: "FORBIDDEN", reason, message });
}

/** Requires membership of the organization in scope (named by the URL, else the session's active one). */
const orgMember = t.middleware(async function orgMember({ ctx, next }) {
  const auth = await ctx.getAuth();
  if (!auth) throw new ApiError({ code: "UNAUTHORIZED", reason: "SESSION_REQUIRED", message: "Sign in to continue." });
  if (!auth.organization || !auth.membership) {
    return auth.explicitOrganization
      ? deny(ctx, "NOT_A_MEMBER", "You are not a member of this organization.", { orgSlug: ctx.orgSlug })
      : deny(ctx, "ORGANIZATION_REQUIRED", "Choose an organization first.", {});
  }
  const refused = refuseWithoutMfa(ctx, auth);
  if (refused) return refused;
  const { organization, membership } = auth;
  return next({
    ctx: {
      organization,
      membership,
      /** `has({ permission })` / `has({ role })` for checks inside a handler. */
      has: (check: { permission?: Permission; role?: RoleKey }) =>
        (check.permission === undefined || authorize(membership.permissions, check.permission)) &&
        (check.role === undefined || hasAnyRole(membership.roles, check.role)) &&
        (check.permission !== undefined || check.role !== undefined),
    },
  });
});

/** Requires an instance administrator; the flag comes from the same one-query auth lookup as everything else. */
const instanceAdmin = t.middleware(async function instanceAdmin({ ctx, next }) {
  const auth = await ctx.getAuth();
  if (!auth) throw new ApiError({ code: "UNAUTHORIZED", reason: "SESSION_REQUIRED", message: "Sign in to continue." });
  if (!auth.user.isInstanceAdmin) {
    return deny(ctx, "INSTANCE_ADMIN_REQUIRED", "Only an instance administrator can do that.", {});
  }
  return next();
});

/** Requires every listed permission in the organization in scope. Safe on any procedure: it checks the session and membership itself. */
export function hasPermission(...required: [Permission, ...Permission[]]) {
  return t.middleware(async function hasPermission({ ctx, next }) {
    const auth = await ctx.getAuth();
    if (!auth) throw new ApiError({ code: "UNAUTHORIZED", reason: "SESSION_REQUIRED", message: "Sign in to continue." });
    if (!auth.membership || !authorize(auth.membership.permissions, required)) {
      return deny(ctx, "PERMISSION_DENIED", "You don't have permission to do that.", { required });
    }
    const refused = refuseWithoutMfa(ctx, auth);
    if (refused) return refused;
    return next();
  });
}

/** Requires one of the listed roles in the organization in scope. Prefer permissions; roles are for coarse gates. */
export function hasRole(...required: [RoleKey, ...RoleKey[]]) {
  return t.middleware(async function hasRole({ ctx, next }) {
    const auth = await ctx.getAuth();
    if (!auth) throw new ApiError({ code: "UNAUTHORIZED", reason: "SESSION_REQUIRED", message: "Sign in to continue." });
    if (!auth.membership || !hasAnyRole(auth.membership.roles, required)) {
      return deny(ctx, "ROLE_REQUIRED", "You don't have the role needed to do that.", { required });
    }
    const refused = refuseWithoutMfa(ctx, auth);
    if (refused) return refused;
    return next();
  });
}

/**
 * Requires a recent password (or factor) check on this session, for sensitive actions. Refused with FORBIDDEN and
 * reason REVERIFICATION_REQUIRED; the client asks for the password (`auth.reverify`) and retries.
 */
export function requireReverification(level: ReverificationLevel) {
  return t.middleware(async function requireReverification({ ctx, next }) {
    const auth = await ctx.getAuth();
    if (!auth) throw new ApiError({ code: "UNAUTHORIZED", reason: "SESSION_REQUIRED", message: "Sign in to continue." });
    if (!isReverified(auth.session.lastReverifiedAt, level, ctx.now())) {
      throw new ApiError({ code: "FORBIDDEN", reason: "REVERIFICATION_REQUIRED", message: "Confirm your password to continue." });
    }
    return next();
  });
}

// 3. Procedure builders: the only ones routers may use ------------------------------------------------------------

/** After a mutation (failed ones too: they may have committed), this instance's auth cache has applied its own changes. */
const syncAuthCacheAfterMutation = t.middleware(async ({ type, ctx, next }) => {
  const result = await next();
  if (type === "mutation") await syncAuthCache(ctx.db);
  return result;
});

/** Anyone may call it. */
export const publicProcedure = t.procedure.use(syncAuthCacheAfterMutation).use(mapErrors);
/** Needs a valid session. */
export const authedProcedure = publicProcedure.use(authed);
/** Needs a valid session and membership of the organization in scope; add `.use(hasPermission(…))`. */
export const orgProcedure = authedProcedure.use(orgMember);
/** Needs a valid session of an instance administrator; not tied to any organization. */
export const instanceAdminProcedure = authedProcedure.use(instanceAdmin);

export { TRPCError };
