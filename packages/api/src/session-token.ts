/**
 * Session JWTs (`getToken()`): a 60-second token saying who is calling, for other services to verify against the JWKS
 * with `verifyToken` — or, with a named template, that template's claims and lifetime.
 *
 * Session token claims: `sub` (user), `sid` (session), `org_id`/`org_role`/`org_permissions` (the organization in
 * scope, else the session's active one; omitted when there is none), `iat`, `nbf` (iat − 5 s for clock skew), `exp`,
 * `iss` (APP_URL), `azp` (the request's Origin when it is APP_URL's or a trusted one, else APP_URL), `jti`; and
 * `act: { sub: <admin user id> }` (RFC 8693) when an instance admin is viewing as the user (impersonation); and the
 * instance's custom claims (the `sessionClaims` setting, `session-claims.ts`), which can't override any of these.
 */
import { eq } from "drizzle-orm";
import { SignJWT } from "jose";
import { jwtTemplates } from "@latchkey/db";
import type { ResolvedAuth } from "./auth-lookup.ts";
import type { Context } from "./context.ts";
import { ApiError } from "./errors.ts";
import { renderTemplateClaims } from "./jwt-template-claims.ts";
import { loadTemplateData, registeredSessionClaims, renderCustomSessionClaims } from "./session-claims.ts";
import { getActiveSigningKey, SESSION_TOKEN_LIFETIME_SECONDS } from "./signing-keys.ts";

/** Backdating of `nbf` for session tokens, so a verifier whose clock is a little behind accepts a fresh token. */
export const SESSION_TOKEN_NBF_SKEW_SECONDS = 5;

type TokenContext = Pick<Context, "db" | "keyring" | "now" | "ip" | "userAgent" | "appUrl" | "origin" | "trustedOrigins">;

function originOf(value: string): string | null {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.origin : null;
  } catch {
    return null;
  }
}

/** `iss`: APP_URL without a trailing slash. */
export function issuerOf(appUrl: string): string {
  return appUrl.replace(/\/+$/, "");
}

/** `azp`: the calling page's origin when we trust it; otherwise the app's own. */
export function authorizedPartyOf(ctx: Pick<Context, "appUrl" | "origin" | "trustedOrigins">): string {
  const own = originOf(ctx.appUrl) ?? issuerOf(ctx.appUrl);
  const claimed = ctx.origin ? originOf(ctx.origin) : null;
  if (!claimed) return own;
  const trusted = new Set([own, ...ctx.trustedOrigins.map(originOf).filter((o): o is string => o !== null)]);
  return trusted.has(claimed) ? claimed : own;
}

export interface TokenPayload {
  header: { alg: string; kid: string; typ: "JWT" };
  claims: Record<string, unknown>;
}

export interface TemplateInput {
  name: string;
  claims: Record<string, unknown>;
  lifetimeSeconds: number;
  allowedClockSkewSeconds: number;
}

export async function findTemplate(db: Context["db"], name: string): Promise<TemplateInput> {
  const [template] = await db
    .select({ name: jwtTemplates.name, claims: jwtTemplates.claims, lifetimeSeconds: jwtTemplates.lifetimeSeconds, allowedClockSkewSeconds: jwtTemplates.allowedClockSkewSeconds })
    .from(jwtTemplates)
    .where(eq(jwtTemplates.name, name));
  if (!template) throw new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", field: "template", message: "template: No JWT template has that name." });
  return template;
}

/** The claims a token for this caller would carry (unsigned): what `getToken` signs and what the admin preview shows. */
export async function buildTokenClaims(ctx: TokenContext, auth: ResolvedAuth, template: TemplateInput | null): Promise<Record<string, unknown>> {
  const iat = Math.floor(ctx.now().getTime() / 1000);
  const registered = {
    sub: auth.user.id,
    sid: auth.session.id,
    iss: issuerOf(ctx.appUrl),
    azp: authorizedPartyOf(ctx),
    iat,
    nbf: iat - (template ? template.allowedClockSkewSeconds : SESSION_TOKEN_NBF_SKEW_SECONDS),
    exp: iat + (template ? template.lifetimeSeconds : SESSION_TOKEN_LIFETIME_SECONDS),
    jti: crypto.randomUUID(),
    // impersonation: the acting admin (RFC 8693 `act`), only on tokens of an impersonation session.
    ...(auth.session.impersonatorUserId ? { act: { sub: auth.session.impersonatorUserId } } : {}),
  };
  if (template) {
    const rendered = renderTemplateClaims(template.claims as Parameters<typeof renderTemplateClaims>[0], await loadTemplateData(ctx, auth));
    // Registered claims last: a stored template can never override them, whatever it holds.
    return { ...rendered, ...registered };
  }
  // The instance's custom claims (the `sessionClaims` setting) first: the registered and org claims always win.
  const { sub: _sub, sid: _sid, act: _act, ...org } = registeredSessionClaims(auth);
  return { ...(await renderCustomSessionClaims(ctx, auth)), ...registered, ...org };
}

/** Signs the caller's session token, or a template token with `templateName`. */
export async function issueToken(ctx: TokenContext, auth: ResolvedAuth, templateName?: string): Promise<{ jwt: string; expiresAt: Date }> {
  const template = templateName ? await findTemplate(ctx.db, templateName) : null;
  const claims = await buildTokenClaims(ctx, auth, template);
  const key = await getActiveSigningKey(ctx);
  const jwt = await new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT" }).sign(key.privateKey);
  return { jwt, expiresAt: new Date(Number(claims.exp) * 1000) };
}
