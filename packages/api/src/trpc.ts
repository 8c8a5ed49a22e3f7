/**
 * tRPC set-up: the procedure builders and the one middleware (`enforcePolicy`) that enforces their declarations.
 *
 * You rarely need to edit this file. To add a procedure, open a router in `./router/` and write e.g.
 *   report: orgProcedure.permission("org:reports:read").routine().input(schema).query(...)
 *
 * Everything fails closed: UNAUTHORIZED means no valid session; FORBIDDEN means a valid session without the right.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { isDatabaseUnavailable, isUniqueViolation } from "@latchkey/db";
import { authorize, hasAnyRole, isReverified, type AnyPermission, type ReverificationLevel, type RoleKey } from "@latchkey/auth";
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
 * Who may call a procedure, declared by the builder that starts its definition (section 3). The authorization matrix test
 * (authorization-matrix.test.ts) calls every procedure as every kind of caller and checks the declaration holds; a
 * procedure without one fails that test.
 */
export type AuthzPolicy =
  | { kind: "public" }
  | { kind: "authed" }
  /** Any member of the organization in scope, whatever their permissions (e.g. leaving it). */
  | { kind: "member" }
  | { kind: "permission"; permission: AnyPermission }
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
  /**
   * Refused (true) or allowed (false) while an instance admin views the app as the user; undecided is refused and
   * fails impersonation-policy.test.ts. Instance-admin procedures are always refused.
   */
  sensitive?: boolean;
}

/**
 * @deprecated The old two-step declaration (`.meta(policy.x)` plus a middleware). The builders of section 3 declare and
 * enforce in one call; `enforcePolicy` still enforces a `.meta(policy.x)` written the old way.
 */
export const policy = {
  public: { authz: { kind: "public" } },
  authed: { authz: { kind: "authed" } },
  member: { authz: { kind: "member" } },
  permission: (permission: AnyPermission): Meta => ({ authz: { kind: "permission", permission } }),
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
 * The one enforcement of every procedure's declaration: it reads `meta.authz` (set by the builder that declared the
 * procedure, section 3) and checks exactly that, in the order session → impersonation → instance MFA → organization
 * membership → organization MFA → permission, role or instance-admin flag. Because the rule is read from the meta, the
 * declaration the authorization matrix checks and the check that runs can't disagree. No declaration: refused.
 */
const enforcePolicy = t.middleware(async function enforcePolicy({ ctx, meta, path, next }) {
  const authz = meta?.authz;
  if (!authz) return deny(ctx, "PERMISSION_DENIED", "You don't have permission to do that.", { policy: "missing", path });
  if (authz.kind === "public") return next();
  const auth = await ctx.getAuth();
  if (!auth) throw sessionRequired();
  // impersonation: an admin viewing as this user may read, but not do what only the user should (impersonation-policy.ts).
  if (auth.session.impersonatorUserId && isRestrictedWhileImpersonating(meta)) {
    return deny(ctx, "IMPERSONATION_RESTRICTED", "Not while viewing as this user: only they can do that.", { path });
  }
  if (auth.mfa.instanceRequired && !auth.mfa.hasSecondFactor && !meta.allowWithoutMfa) {
    return deny(ctx, "MFA_REQUIRED", "Set up a second factor to continue.", { policy: "instance" });
  }
  if (authz.kind === "authed") return next();
  if (authz.kind === "instanceAdmin") {
    if (!auth.user.isInstanceAdmin) return deny(ctx, "INSTANCE_ADMIN_REQUIRED", "Only an instance administrator can do that.", {});
    return next();
  }
  if (!auth.organization || !auth.membership) {
    return auth.explicitOrganization
      ? deny(ctx, "NOT_A_MEMBER", "You are not a member of this organization.", { orgSlug: ctx.orgSlug })
      : deny(ctx, "ORGANIZATION_REQUIRED", "Choose an organization first.", {});
  }
  const refused = refuseWithoutMfa(ctx, auth);
  if (refused) return refused;
  if (authz.kind === "permission" && !authorize(auth.membership.permissions, authz.permission)) {
    return deny(ctx, "PERMISSION_DENIED", "You don't have permission to do that.", { required: [authz.permission] });
  }
  if (authz.kind === "role" && !hasAnyRole(auth.membership.roles, authz.role)) {
    return deny(ctx, "ROLE_REQUIRED", "You don't have the role needed to do that.", { required: [authz.role] });
  }
  return next();
});

function sessionRequired(): ApiError {
  return new ApiError({ code: "UNAUTHORIZED", reason: "SESSION_REQUIRED", message: "Sign in to continue." });
}

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

/** Puts `auth`, `user` and `session` on the context (types only: `enforcePolicy` already refused a missing session). */
const withSession = t.middleware(async function withSession({ ctx, next }) {
  const auth = await ctx.getAuth();
  if (!auth) throw sessionRequired();
  return next({ ctx: { auth, user: auth.user, session: auth.session } });
});

/** Puts the organization in scope, the membership and `has()` on the context (after `enforcePolicy` checked them). */
const withOrganization = t.middleware(async function withOrganization({ ctx, next }) {
  const auth = await ctx.getAuth();
  if (!auth) throw sessionRequired();
  const { organization, membership } = auth;
  if (!organization || !membership) throw new ApiError({ code: "FORBIDDEN", reason: "NOT_A_MEMBER", message: "You are not a member of this organization." });
  return next({
    ctx: {
      organization,
      membership,
      /** `has({ permission })` / `has({ role })` for checks inside a handler. */
      has: (check: { permission?: AnyPermission; role?: RoleKey }) =>
        (check.permission === undefined || authorize(membership.permissions, check.permission)) &&
        (check.role === undefined || hasAnyRole(membership.roles, check.role)) &&
        (check.permission !== undefined || check.role !== undefined),
    },
  });
});

/**
 * @deprecated Declare the permission with `orgProcedure.permission(…)`, which also enforces it. Kept so procedures
 * written in the old style (`.meta(policy.permission(p)).use(hasPermission(p))`) still work until converted.
 */
export function hasPermission(...required: [AnyPermission, ...AnyPermission[]]) {
  return t.middleware(async function hasPermission({ ctx, next }) {
    const auth = await ctx.getAuth();
    if (!auth) throw sessionRequired();
    if (!auth.membership || !authorize(auth.membership.permissions, required)) {
      return deny(ctx, "PERMISSION_DENIED", "You don't have permission to do that.", { required });
    }
    const refused = refuseWithoutMfa(ctx, auth);
    if (refused) return refused;
    return next();
  });
}

/** @deprecated Declare the role with `orgProcedure.role(…)`, which also enforces it. */
export function hasRole(...required: [RoleKey, ...RoleKey[]]) {
  return t.middleware(async function hasRole({ ctx, next }) {
    const auth = await ctx.getAuth();
    if (!auth) throw sessionRequired();
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
    if (!auth) throw sessionRequired();
    if (!isReverified(auth.session.lastReverifiedAt, level, ctx.now())) {
      throw new ApiError({ code: "FORBIDDEN", reason: "REVERIFICATION_REQUIRED", message: "Confirm your password to continue." });
    }
    return next();
  });
}

// 3. Procedure builders: the only ones routers may use ------------------------------------------------------------
//
// Each procedure is declared in ONE call that both states its rule (in `meta`, read by the authorization matrix) and
// enforces it (`enforcePolicy` reads the same meta):
//   publicProcedure                                     anyone
//   authedProcedure.routine() / .sensitive()            a valid session
//   orgProcedure.routine() / .sensitive()               any member of the organization in scope
//   orgProcedure.permission("org:x:y").routine()        a member holding that permission
//   orgProcedure.role("org:admin").routine()            a member holding that role (prefer permissions)
//   instanceAdminProcedure                              an instance administrator (always refused while impersonating)
// `.sensitive()` refuses the procedure while an instance admin impersonates the user, `.routine()` allows it; one of
// the two is required (impersonation-policy.test.ts fails without it, and an undecided procedure is refused).
// `.allowWithoutMfa()` lets a user whom an MFA policy holds back call it (the setup itself). Routers never call
// `.meta()` themselves (lint refuses it).

/** Methods that complete a declaration; each returns the builder with the same methods, so they chain in any order. */
export interface DeclarationMethods<B> {
  /** Refused while an instance admin views the app as this user: credentials, consent, irreversible or security actions. */
  sensitive(): Declared<B>;
  /** Allowed while an instance admin views the app as this user: reads and ordinary, reversible, audited actions. */
  routine(): Declared<B>;
  /** Callable by a signed-in user whom an MFA policy holds back until they set up a second factor. */
  allowWithoutMfa(): Declared<B>;
}
export type Declared<B> = B & DeclarationMethods<B>;

function declarable<B extends { meta(meta: Meta): B }>(builder: B): Declared<B> {
  return {
    ...builder,
    sensitive: () => declarable(builder.meta({ sensitive: true })),
    routine: () => declarable(builder.meta({ sensitive: false })),
    allowWithoutMfa: () => declarable(builder.meta({ allowWithoutMfa: true })),
  };
}

/** After a mutation (failed ones too: they may have committed), this instance's auth cache has applied its own changes. */
const syncAuthCacheAfterMutation = t.middleware(async ({ type, ctx, next }) => {
  const result = await next();
  if (type === "mutation") await syncAuthCache(ctx.db);
  return result;
});

const baseProcedure = t.procedure.use(syncAuthCacheAfterMutation).use(mapErrors).use(enforcePolicy);
const sessionProcedure = baseProcedure.meta({ authz: { kind: "authed" } }).use(withSession);
const memberProcedure = sessionProcedure.meta({ authz: { kind: "member" } }).use(withOrganization);

/** Anyone may call it. */
export const publicProcedure = baseProcedure.meta({ authz: { kind: "public" } });
/** Needs a valid session. Complete it with `.routine()` or `.sensitive()`. */
export const authedProcedure = declarable(sessionProcedure);
/**
 * Needs a valid session and membership of the organization in scope; `.permission(p)` or `.role(r)` narrow it.
 * Complete it with `.routine()` or `.sensitive()`.
 */
export const orgProcedure = {
  ...declarable(memberProcedure),
  /** A member holding `permission` (declared in code; a custom one goes through `customPermission(…)`). */
  permission: (permission: AnyPermission) => declarable(memberProcedure.meta({ authz: { kind: "permission", permission } })),
  /** A member holding `role`. Prefer permissions; roles are for coarse gates. */
  role: (role: RoleKey) => declarable(memberProcedure.meta({ authz: { kind: "role", role } })),
};
/** Needs a valid session of an instance administrator; not tied to any organization; never while impersonating. */
export const instanceAdminProcedure = sessionProcedure.meta({ authz: { kind: "instanceAdmin" }, sensitive: true });

export { TRPCError };
