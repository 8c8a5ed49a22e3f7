/**
 * Session claims: custom claims that every session token carries and `getAuth(args).sessionClaims` shows, defined
 * once for the instance — the setting `sessionClaims`, like Clerk's "customize session token" — with the placeholders
 * of JWT templates: `{"2fa_enabled": "{{user.two_factor_enabled}}", "plan": "{{user.public_metadata.plan}}"}`.
 *
 * Saving checks them as a template's claims are checked, refuses every claim Latchkey sets itself (`sub`, `sid`, the
 * `org_*` claims…) and keeps them within 1,200 bytes of JSON: they ride in every session token, which often travels
 * in a header or a cookie.
 *
 * Types: declare your claims once, anywhere in the app, and `sessionClaims["plan"]` is typed everywhere:
 *   declare global { interface LatchkeySessionClaims { "2fa_enabled"?: boolean; plan?: string } }
 * The declaration is your promise about what the setting renders, as with Clerk's `CustomJwtSessionClaims`.
 */
import { eq } from "drizzle-orm";
import { users } from "@latchkey/db";
import type { ResolvedAuth } from "./auth-lookup.ts";
import type { Context } from "./context.ts";
import { fieldError } from "./errors.ts";
import { RESERVED_CLAIMS, renderTemplateClaims, validateTemplateClaims, type Json, type TemplateData } from "./jwt-template-claims.ts";

declare global {
  /** The instance's custom session claims, declared by the app (declaration merging); empty until it does. */
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by the app, see the file comment
  interface LatchkeySessionClaims {}
}

/** What Latchkey itself puts in a session token (and so what `sessionClaims` holds whatever the setting says). */
export interface RegisteredSessionClaims {
  sub: string;
  sid: string;
  org_id?: string;
  org_role?: string;
  org_permissions?: string[];
  /** The instance admin behind an impersonation session (RFC 8693). */
  act?: { sub: string };
}

export type SessionClaims = RegisteredSessionClaims & LatchkeySessionClaims & { readonly [claim: string]: unknown };

/** Every claim a session token sets itself: a custom claim may not shadow any of them, not even with the same value. */
export const SESSION_CLAIMS_RESERVED: readonly string[] = [...RESERVED_CLAIMS, "org_id", "org_role", "org_permissions", "org_slug"];
export const MAX_SESSION_CLAIMS_BYTES = 1200;
const FIELD = "sessionClaims";

/** Checks the setting's value; throws a 400 on `sessionClaims` naming the claim. Returns the claims unchanged. */
export function validateSessionClaims(claims: unknown): Record<string, Json> {
  if (typeof claims === "object" && claims !== null && !Array.isArray(claims)) {
    const reserved = Object.keys(claims).find((key) => SESSION_CLAIMS_RESERVED.includes(key));
    if (reserved) throw fieldError(FIELD, `The claim "${reserved}" is set by Latchkey and can't be customized.`, "JWT_CLAIM_RESERVED");
    if (new TextEncoder().encode(JSON.stringify(claims)).length > MAX_SESSION_CLAIMS_BYTES) {
      throw fieldError(FIELD, `Session claims must be at most ${MAX_SESSION_CLAIMS_BYTES} bytes of JSON.`, "JWT_CLAIMS_INVALID");
    }
  }
  return validateTemplateClaims(claims, FIELD);
}

/** The setting as stored, or `{}` when it no longer passes (a stored value never breaks sign-in). */
export function parseStoredSessionClaims(stored: unknown): Record<string, Json> {
  try {
    return validateSessionClaims(stored ?? {});
  } catch {
    return {};
  }
}

type ClaimsContext = Pick<Context, "db">;

/** The data placeholders read: the auth lookup's, plus the user's metadata (one query, only when a claim needs it). */
export async function loadTemplateData(ctx: ClaimsContext, auth: ResolvedAuth): Promise<TemplateData> {
  const [row] = await ctx.db
    .select({ publicMetadata: users.publicMetadata, unsafeMetadata: users.unsafeMetadata })
    .from(users)
    .where(eq(users.id, auth.user.id));
  return {
    user: {
      id: auth.user.id,
      firstName: auth.user.firstName,
      lastName: auth.user.lastName,
      primaryEmail: auth.user.primaryEmail,
      publicMetadata: row?.publicMetadata ?? {},
      unsafeMetadata: row?.unsafeMetadata ?? {},
      twoFactorEnabled: auth.mfa.hasSecondFactor,
    },
    org:
      auth.organization && auth.membership
        ? {
            id: auth.organization.id,
            slug: auth.organization.slug,
            name: auth.organization.name,
            role: auth.membership.roles[0] ?? null,
            permissions: auth.membership.permissions,
          }
        : null,
    session: { id: auth.session.id },
  };
}

/** The instance's custom claims rendered for this caller; `{}` (and no query) when the setting is empty. */
export async function renderCustomSessionClaims(ctx: ClaimsContext, auth: ResolvedAuth): Promise<Record<string, Json>> {
  const template = auth.settings.sessionClaims;
  if (Object.keys(template).length === 0) return {};
  return renderTemplateClaims(template, await loadTemplateData(ctx, auth));
}

/** The claims Latchkey sets on a session token for this caller (the organization in scope, impersonation). */
export function registeredSessionClaims(auth: ResolvedAuth): RegisteredSessionClaims {
  return {
    sub: auth.user.id,
    sid: auth.session.id,
    ...(auth.organization && auth.membership
      ? {
          org_id: auth.organization.id,
          ...(auth.membership.roles[0] ? { org_role: auth.membership.roles[0] } : {}),
          org_permissions: auth.membership.permissions,
        }
      : {}),
    ...(auth.session.impersonatorUserId ? { act: { sub: auth.session.impersonatorUserId } } : {}),
  };
}

const memo = new WeakMap<ResolvedAuth, Promise<SessionClaims>>();

/**
 * `sessionClaims` for loaders, actions and route rules: the custom claims, then the registered ones (which always
 * win). Token-only claims (`iat`, `exp`, `iss`, `azp`, `jti`) are not here: no token was issued. Once per request.
 */
export function getSessionClaims(ctx: ClaimsContext, auth: ResolvedAuth): Promise<SessionClaims> {
  let claims = memo.get(auth);
  if (!claims) {
    claims = renderCustomSessionClaims(ctx, auth).then((custom) => ({ ...custom, ...registeredSessionClaims(auth) }) as SessionClaims);
    memo.set(auth, claims);
  }
  return claims;
}
