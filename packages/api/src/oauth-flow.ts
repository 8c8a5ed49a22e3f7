/**
 * The OAuth / OpenID Connect flow for the web routes: `startOAuth` (the start route: state, PKCE, nonce, cookie) and
 * `finishOAuth` (the callback: checks the state, exchanges the code, verifies the ID token, then signs in, signs up,
 * links or refuses). Not tRPC procedures, because both answer with redirects and cookies of their own.
 *
 * State (SECURITY.md "OAuth"): 256 random bits, in an HttpOnly SameSite=Lax cookie AND as a row of `oauth_states`
 * keyed by its SHA-256. The callback needs the query's state to equal the cookie's (so a link planted in someone
 * else's browser does nothing) and deletes the row in the same statement that reads it (so a state works once, even
 * for two callbacks racing). The row also binds the provider, the intent (sign in or link, and for whom), the PKCE
 * verifier (encrypted), the nonce and the redirect; it is good for 10 minutes.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { and, eq, lt, sql } from "drizzle-orm";
import {
  createId,
  emailAddresses,
  isUniqueViolation,
  membershipRoles,
  memberships,
  oauthAccounts,
  oauthStates,
  organizationDomains,
  organizations,
  passkeys,
  passwordCredentials,
  samlConnections,
  ssoConnections,
  users,
  type Database,
} from "@latchkey/db";
import {
  appleNameFromForm,
  createAuthorizationUrl,
  customOAuthProvider,
  decryptSecret,
  defineRateLimit,
  discoverOpenIdConfiguration,
  encryptSecret,
  exchangeAuthorizationCode,
  generateOAuthSecret,
  getSafeRedirect,
  MINUTE,
  OAuthFlowError,
  openIdProvider,
  parseCookies,
  readProfile,
  serializeCookie,
  setActiveOrganization,
  socialProviders,
  verifyIdToken,
  type OAuthProfile,
  type OAuthProviderConfig,
  type OAuthTokenSet,
  type SocialProviderEnv,
  type CustomOAuthProviderEnv,
} from "@latchkey/auth";
import type { Context } from "./context.ts";
import { ApiError } from "./errors.ts";
import type { ErrorReason } from "./error-codes.ts";
import { recordAuditEvent } from "./audit.ts";
import { checkOAuthSignUp } from "./sign-up-admission.ts";
import { claimInstanceInvitation } from "./instance-invitations.ts";
import { completeSignIn } from "./sign-in.ts";
import { requireSignInMethod } from "./sign-in-policy.ts";
import { enforceRateLimit } from "./rate-limits.ts";
import { lockOrganization, requireRole } from "./memberships.ts";
import { requireRoomForMember } from "./membership-limit.ts";

export const OAUTH_STATE_TTL_MS = 10 * MINUTE;
/** The callback path every SSO connection shares; the connection comes from the state. */
export const SSO_CALLBACK_SEGMENT = "sso";
const startsPerIp = defineRateLimit("oauth:start:ip", 60, 15 * MINUTE);

/** A provider the operator configured; `resolve` may read a discovery document (generic OpenID provider). */
export interface ConfiguredProvider {
  id: string;
  label: string;
  /** Custom providers: an image for the button. */
  iconUrl?: string | null;
  resolve: () => Promise<OAuthProviderConfig>;
}

export interface GenericOidcEnv {
  issuer: string;
  clientId: string;
  clientSecret: string;
  label?: string;
}

/** The buttons' providers, from the operator's credentials (see apps/web env.server.ts). */
export function configuredProviders(
  env: SocialProviderEnv & { oidc?: GenericOidcEnv; custom?: CustomOAuthProviderEnv[] },
): ConfiguredProvider[] {
  const list: ConfiguredProvider[] = socialProviders(env).map((config) => ({
    id: config.id,
    label: config.label,
    resolve: async () => config,
  }));
  if (env.oidc) {
    const { issuer, clientId, clientSecret, label = "OpenID" } = env.oidc;
    list.push({
      id: "oidc",
      label,
      resolve: async () =>
        openIdProvider({ id: "oidc", kind: "oidc", label, clientId, clientSecret }, await discoverOpenIdConfiguration(issuer)),
    });
  }
  // Custom OAuth 2.0 providers (issue 18), after the built-in ones, in the operator's order.
  for (const custom of env.custom ?? []) {
    const config = customOAuthProvider(custom);
    list.push({ id: config.id, label: config.label, iconUrl: custom.iconUrl ?? null, resolve: async () => config });
  }
  return list;
}

export function oauthCookieName(appUrl: string): string {
  return new URL(appUrl).protocol === "https:" ? "__Host-latchkey_oauth" : "latchkey_oauth";
}

function stateCookie(appUrl: string, value: string, maxAge: number): string {
  return serializeCookie(oauthCookieName(appUrl), value, {
    maxAge,
    secure: new URL(appUrl).protocol === "https:",
  });
}

export function callbackUrl(appUrl: string, providerId: string): string {
  const segment = providerId.startsWith("sso_") ? SSO_CALLBACK_SEGMENT : providerId;
  return `${appUrl}/sign-in/oauth/${encodeURIComponent(segment)}/callback`;
}

const hashState = (state: string) => createHash("sha256").update(state).digest("hex");

function refused(
  reason: ErrorReason,
  message: string,
  code: "BAD_REQUEST" | "FORBIDDEN" | "CONFLICT" | "NOT_FOUND" = "FORBIDDEN",
): ApiError {
  return new ApiError({ code, reason, message });
}

/** An enabled SSO connection as a provider: discovery (cached) and the decrypted client secret. */
async function ssoProvider(ctx: Context, connectionId: string): Promise<{ config: OAuthProviderConfig; organizationId: string } | null> {
  const [connection] = await ctx.db.select().from(ssoConnections).where(eq(ssoConnections.id, connectionId));
  if (!connection || !connection.enabled) return null;
  const document = await discoverOpenIdConfiguration(connection.issuer).catch((error: unknown) => {
    if (error instanceof OAuthFlowError)
      throw refused("OAUTH_PROVIDER_ERROR", "Your organization's identity provider could not be reached.", "BAD_REQUEST");
    throw error;
  });
  const clientSecret = decryptSecret(ctx.keyring, connection.clientSecret, `sso:${connection.id}`);
  return {
    config: openIdProvider(
      {
        id: connection.id,
        kind: "sso",
        label: "SSO",
        clientId: connection.clientId,
        clientSecret,
      },
      document,
    ),
    organizationId: connection.organizationId,
  };
}

async function resolveProvider(ctx: Context, providers: ConfiguredProvider[], id: string) {
  if (id.startsWith("sso_")) return ssoProvider(ctx, id);
  const configured = providers.find((provider) => provider.id === id);
  if (!configured) return null;
  try {
    return { config: await configured.resolve(), organizationId: null };
  } catch (error) {
    if (error instanceof OAuthFlowError) throw refused("OAUTH_PROVIDER_ERROR", `${configured.label} could not be reached.`, "BAD_REQUEST");
    throw error;
  }
}

export interface StartOAuthInput {
  /** `google`, …, `oidc`, or an SSO connection id. */
  provider: string;
  intent: "sign_in" | "link";
  redirectUrl?: string | null;
  /** Passed to the IdP as `login_hint` (SSO: the address typed on /sign-in). */
  loginHint?: string | null;
}

/**
 * Begins an authorization: records the state, sets the state cookie on `ctx.resHeaders` and returns the provider's
 * authorization URL to redirect to. Linking needs a session (the state remembers whose).
 */
export async function startOAuth(ctx: Context, providers: ConfiguredProvider[], input: StartOAuthInput): Promise<{ url: string }> {
  if (ctx.ip) await enforceRateLimit(ctx, startsPerIp, `ip:${ctx.ip}`);
  // Social and SSO sign-in is one switch in the instance settings; linking an account to a signed-in user is not a
  // sign-in and stays available.
  if (input.intent === "sign_in") await requireSignInMethod(ctx, "oauth");
  // SSO identities come only from signing in through the organization's IdP (with its domain check), never linked.
  const linkingSso = input.intent === "link" && input.provider.startsWith("sso_");
  const resolved = linkingSso ? null : await resolveProvider(ctx, providers, input.provider);
  if (!resolved) throw refused("OAUTH_UNKNOWN_PROVIDER", "That sign-in provider is not available.", "NOT_FOUND");
  let userId: string | null = null;
  if (input.intent === "link") {
    const auth = await ctx.getAuth();
    if (!auth)
      throw new ApiError({
        code: "UNAUTHORIZED",
        reason: "SESSION_REQUIRED",
        message: "Sign in to continue.",
      });
    userId = auth.user.id;
  }
  const now = ctx.now();
  const state = generateOAuthSecret();
  const codeVerifier = generateOAuthSecret();
  const nonce = resolved.config.openid ? generateOAuthSecret() : null;
  const stateHash = hashState(state);
  const fallback = input.intent === "link" ? "/user/connected-accounts" : "/";
  await ctx.db.transaction(async (tx) => {
    await tx.delete(oauthStates).where(lt(oauthStates.expiresAt, now));
    await tx.insert(oauthStates).values({
      stateHash,
      provider: resolved.config.id,
      intent: input.intent,
      userId,
      codeVerifier: encryptSecret(ctx.keyring, codeVerifier, `oauth-state:${stateHash}`),
      nonce,
      redirectUrl: getSafeRedirect(input.redirectUrl ?? null, fallback),
      expiresAt: new Date(now.getTime() + OAUTH_STATE_TTL_MS),
      createdAt: now,
    });
  });
  ctx.resHeaders.append("Set-Cookie", stateCookie(ctx.appUrl, state, OAUTH_STATE_TTL_MS / 1000));
  const url = createAuthorizationUrl(resolved.config, {
    redirectUri: callbackUrl(ctx.appUrl, resolved.config.id),
    state,
    codeVerifier,
    nonce,
    loginHint: input.loginHint ?? null,
  });
  return { url: url.toString() };
}

export type OAuthOutcome =
  | {
      status: "signed_in";
      userId: string;
      redirectUrl: string;
      created: boolean;
    }
  | { status: "needs_second_factor"; userId: string; redirectUrl: string }
  | { status: "linked"; userId: string; redirectUrl: string };

export interface FinishOAuthInput {
  /** The provider segment of the callback URL (`github`, `oidc`, `sso`, …). */
  provider: string;
  /** The callback's query (Apple's form post is turned into a query by the route). */
  params: URLSearchParams;
  cookieHeader: string | null;
}

function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The callback. Always clears the state cookie. Refusals are ApiErrors (reason `OAUTH_…`), audited as
 * `oauth.callback` failures with the reason, never with a code, token or secret.
 */
export async function finishOAuth(ctx: Context, providers: ConfiguredProvider[], input: FinishOAuthInput): Promise<OAuthOutcome> {
  ctx.resHeaders.append("Set-Cookie", stateCookie(ctx.appUrl, "", 0));
  const fail = async (reason: ErrorReason, why: string, message: string, extra: Record<string, unknown> = {}): Promise<never> => {
    await recordAuditEvent(ctx, {
      action: "oauth.callback",
      outcome: "failure",
      details: { provider: input.provider.slice(0, 64), why, ...extra },
    });
    throw refused(reason, message, reason === "OAUTH_STATE_INVALID" ? "BAD_REQUEST" : "FORBIDDEN");
  };
  const badState = "This sign-in link is not valid any more. Start again.";
  const state = input.params.get("state") ?? "";
  const cookieState = parseCookies(input.cookieHeader ?? "")[oauthCookieName(ctx.appUrl)] ?? "";
  if (!state || state.length > 200) return fail("OAUTH_STATE_INVALID", "state_missing", badState);
  if (!cookieState || !sameString(state, cookieState)) return fail("OAUTH_STATE_INVALID", "state_mismatch", badState);
  const stateHash = hashState(state);
  const [row] = await ctx.db.delete(oauthStates).where(eq(oauthStates.stateHash, stateHash)).returning();
  if (!row) return fail("OAUTH_STATE_INVALID", "state_unknown_or_used", badState);
  const now = ctx.now();
  if (row.expiresAt.getTime() <= now.getTime()) return fail("OAUTH_STATE_INVALID", "state_expired", badState);
  const providerMatches = input.provider === SSO_CALLBACK_SEGMENT ? row.provider.startsWith("sso_") : row.provider === input.provider;
  if (!providerMatches)
    return fail("OAUTH_STATE_INVALID", "state_other_provider", badState, {
      stateProvider: row.provider.slice(0, 64),
    });

  // Turned off since the start: refused before the code is exchanged (and before any account is made from it).
  if (row.intent === "sign_in") await requireSignInMethod(ctx, "oauth");

  const providerError = input.params.get("error");
  if (providerError) {
    return fail("OAUTH_PROVIDER_ERROR", "provider_error", "The provider did not sign you in.", { error: providerError.slice(0, 64) });
  }
  const code = input.params.get("code");
  if (!code || code.length > 4096) return fail("OAUTH_PROVIDER_ERROR", "code_missing", "The provider did not send a code.");

  const resolved = await resolveProvider(ctx, providers, row.provider);
  if (!resolved) return fail("OAUTH_UNKNOWN_PROVIDER", "provider_not_configured", "That sign-in provider is not available.");
  const provider = resolved.config;
  const codeVerifier = decryptSecret(ctx.keyring, row.codeVerifier, `oauth-state:${stateHash}`);
  let tokens: OAuthTokenSet;
  let profile: OAuthProfile;
  try {
    tokens = await exchangeAuthorizationCode(provider, {
      redirectUri: callbackUrl(ctx.appUrl, provider.id),
      code,
      codeVerifier,
      now,
    });
    let claims: Record<string, unknown> | null = null;
    if (provider.openid) {
      if (!tokens.idToken) throw new OAuthFlowError("id_token_invalid", "The provider sent no ID token.");
      claims = await verifyIdToken(tokens.idToken, {
        issuer: provider.openid.issuer,
        audience: provider.clientId,
        nonce: row.nonce ?? "",
        now,
        jwksUri: provider.openid.jwksUri,
        ...(provider.openid.issuerHasTenantPlaceholder ? { issuerHasTenantPlaceholder: true } : {}),
      });
    }
    profile = await readProfile(provider, tokens, claims);
    // Apple: the name comes once, with the first sign-in's form post (the route passes its `user` field on).
    if (provider.kind === "apple") {
      const name = appleNameFromForm(input.params.get("user"));
      if (name) profile = { ...profile, firstName: profile.firstName ?? name.firstName, lastName: profile.lastName ?? name.lastName };
    }
  } catch (error) {
    if (error instanceof OAuthFlowError) return fail("OAUTH_PROVIDER_ERROR", error.reason, error.message);
    throw error;
  }

  const redirectUrl = getSafeRedirect(row.redirectUrl, "/");
  if (row.intent === "link")
    return linkIdentity(ctx, {
      provider: provider.id,
      profile,
      tokens,
      userId: row.userId,
      redirectUrl,
      fail,
    });
  return signInWithIdentity(ctx, {
    provider: provider.id,
    profile,
    tokens,
    ssoOrganizationId: resolved.organizationId,
    redirectUrl,
    fail,
  });
}

export type Fail = (reason: ErrorReason, why: string, message: string, extra?: Record<string, unknown>) => Promise<never>;

function tokenColumns(ctx: Context, accountId: string, tokens: OAuthTokenSet) {
  const seal = (value: string | null) => (value === null ? null : encryptSecret(ctx.keyring, value, `oauth:${accountId}`));
  return {
    accessToken: seal(tokens.accessToken),
    refreshToken: seal(tokens.refreshToken),
    expiresAt: tokens.expiresAt,
    scopes: tokens.scopes.slice(0, 50),
  };
}

function profileColumns(profile: OAuthProfile) {
  return {
    email: profile.email,
    emailVerified: profile.emailVerified,
    firstName: profile.firstName,
    lastName: profile.lastName,
    username: profile.username,
    imageUrl: profile.imageUrl,
  };
}

async function findIdentity(db: Database, provider: string, providerUserId: string) {
  const [row] = await db
    .select({ id: oauthAccounts.id, userId: oauthAccounts.userId })
    .from(oauthAccounts)
    .where(and(eq(oauthAccounts.provider, provider), eq(oauthAccounts.providerUserId, providerUserId)));
  return row ?? null;
}

async function accountUnavailable(db: Database, userId: string, now: Date): Promise<boolean> {
  const [user] = await db
    .select({
      bannedAt: users.bannedAt,
      deletedAt: users.deletedAt,
      lockedUntil: users.lockedUntil,
    })
    .from(users)
    .where(eq(users.id, userId));
  return (
    !user || user.bannedAt !== null || user.deletedAt !== null || (user.lockedUntil !== null && user.lockedUntil.getTime() > now.getTime())
  );
}

/** An SSO user joins the connection's organization with the default role, once, within the membership limit. */
async function joinSsoOrganization(ctx: Context, tx: Database, organizationId: string, userId: string): Promise<void> {
  const [existing] = await tx
    .select({ id: memberships.id })
    .from(memberships)
    .where(and(eq(memberships.organizationId, organizationId), eq(memberships.userId, userId)));
  if (existing) return;
  await lockOrganization(tx, organizationId);
  await requireRoomForMember(tx, organizationId);
  const role = await requireRole(tx, "org:member");
  const now = ctx.now();
  const [membership] = await tx
    .insert(memberships)
    .values({ organizationId, userId, createdAt: now, updatedAt: now })
    .onConflictDoNothing({
      target: [memberships.organizationId, memberships.userId],
    })
    .returning({ id: memberships.id });
  if (!membership) return;
  await tx.insert(membershipRoles).values({ membershipId: membership.id, roleId: role.id });
  await recordAuditEvent(
    ctx,
    {
      action: "member.joined",
      outcome: "success",
      actorUserId: userId,
      organizationId,
      targetType: "membership",
      targetId: membership.id,
      details: { via: "sso", roleKey: role.key },
    },
    tx,
  );
}

/** The verified domains of an organization (SSO accepts only addresses there). */
async function organizationVerifiedDomains(db: Database, organizationId: string): Promise<string[]> {
  const rows = await db
    .select({ domain: organizationDomains.domain })
    .from(organizationDomains)
    .where(and(eq(organizationDomains.organizationId, organizationId), sql`${organizationDomains.verifiedAt} is not null`));
  return rows.map((row) => row.domain);
}

async function finishSignIn(
  ctx: Context,
  userId: string,
  redirectUrl: string,
  ssoOrganizationId: string | null,
  created: boolean,
): Promise<OAuthOutcome> {
  // A user with a second factor finishes at /sign-in/factor-two; the provider counts as the first factor only.
  const result = await completeSignIn(ctx, { userId, method: "oauth", organizationId: ssoOrganizationId });
  if (result.status === "needs_second_factor") return { status: "needs_second_factor", userId, redirectUrl };
  if (ssoOrganizationId) await setActiveOrganization(ctx.db, result.sessionId, ssoOrganizationId);
  return { status: "signed_in", userId, redirectUrl, created };
}

/** Also the end of a SAML sign-in (saml/flow.ts): the same domain check, linking rules and just-in-time membership. */
export async function signInWithIdentity(
  ctx: Context,
  input: {
    provider: string;
    profile: OAuthProfile;
    tokens: OAuthTokenSet;
    ssoOrganizationId: string | null;
    redirectUrl: string;
    fail: Fail;
  },
): Promise<OAuthOutcome> {
  const { provider, profile, tokens, ssoOrganizationId, fail } = input;
  const now = ctx.now();
  const audit = { provider, method: "oauth" };

  // An SSO connection vouches only for its organization's verified domains: an IdP asserting any other address (a
  // malicious or misconfigured one) must not reach accounts outside the organization.
  if (ssoOrganizationId) {
    const domain = profile.email?.split("@")[1] ?? "";
    if (!profile.email || !(await organizationVerifiedDomains(ctx.db, ssoOrganizationId)).includes(domain)) {
      return fail(
        "OAUTH_EMAIL_DOMAIN_MISMATCH",
        "sso_email_outside_domains",
        "Your identity provider signed you in with an address outside your organization's domains.",
      );
    }
  }

  const identity = await findIdentity(ctx.db, provider, profile.providerUserId);
  if (identity) {
    if (await accountUnavailable(ctx.db, identity.userId, now)) {
      await recordAuditEvent(ctx, {
        action: "session.sign_in",
        outcome: "failure",
        actorUserId: identity.userId,
        details: { ...audit, reason: "account_unavailable" },
      });
      throw refused("OAUTH_ACCOUNT_UNAVAILABLE", "This account can't sign in right now.");
    }
    await ctx.db.transaction(async (tx) => {
      await tx
        .update(oauthAccounts)
        .set({
          ...profileColumns(profile),
          ...tokenColumns(ctx, identity.id, tokens),
          lastSignInAt: now,
          updatedAt: now,
        })
        .where(eq(oauthAccounts.id, identity.id));
      if (ssoOrganizationId) await joinSsoOrganization(ctx, tx, ssoOrganizationId, identity.userId);
    });
    return finishSignIn(ctx, identity.userId, input.redirectUrl, ssoOrganizationId, false);
  }

  const unverified = () =>
    fail(
      "OAUTH_EMAIL_UNVERIFIED",
      "email_unverified",
      "The provider did not share a verified email address, so no account can be made or found from it.",
    );
  if (!profile.email) return unverified();

  const [address] = await ctx.db
    .select({
      userId: emailAddresses.userId,
      verifiedAt: emailAddresses.verifiedAt,
    })
    .from(emailAddresses)
    .where(eq(emailAddresses.email, profile.email));

  const accountId = createId("oauthAccount");
  const identityRow = {
    id: accountId,
    provider,
    providerUserId: profile.providerUserId,
    ...profileColumns(profile),
    ...tokenColumns(ctx, accountId, tokens),
    lastSignInAt: now,
    createdAt: now,
    updatedAt: now,
  };

  try {
    if (address) {
      // Automatic linking only when both sides proved the address: otherwise whoever registered it first (perhaps an
      // attacker who never confirmed it) would receive this identity, or the identity would take over an account.
      if (!profile.emailVerified || !address.verifiedAt) {
        return await fail(
          "OAUTH_SIGN_IN_FIRST",
          profile.emailVerified ? "local_email_unverified" : "provider_email_unverified",
          "An account already uses this email address. Sign in to it first, then connect this provider from your account.",
          { userId: address.userId },
        );
      }
      if (await accountUnavailable(ctx.db, address.userId, now)) {
        await recordAuditEvent(ctx, {
          action: "session.sign_in",
          outcome: "failure",
          actorUserId: address.userId,
          details: { ...audit, reason: "account_unavailable" },
        });
        throw refused("OAUTH_ACCOUNT_UNAVAILABLE", "This account can't sign in right now.");
      }
      await ctx.db.transaction(async (tx) => {
        await tx.insert(oauthAccounts).values({ ...identityRow, userId: address.userId });
        await recordAuditEvent(
          ctx,
          {
            action: "oauth.account_linked",
            outcome: "success",
            actorUserId: address.userId,
            targetType: "oauth_account",
            targetId: accountId,
            details: { provider, automatic: true },
          },
          tx,
        );
        if (ssoOrganizationId) await joinSsoOrganization(ctx, tx, ssoOrganizationId, address.userId);
      });
      return finishSignIn(ctx, address.userId, input.redirectUrl, ssoOrganizationId, false);
    }

    if (!profile.emailVerified) return await unverified();
    // signup: a new account only where the instance's sign-up mode and allow-/blocklists let this address in.
    const admission = await checkOAuthSignUp(ctx, profile.email, ssoOrganizationId !== null);
    if (!admission.ok) return await fail(admission.error.reason, "sign_up_not_allowed", admission.error.message);
    const userId = await ctx.db.transaction(async (tx) => {
      if (admission.instanceInvitationId && !(await claimInstanceInvitation(tx, admission.instanceInvitationId, profile.email!, now))) {
        throw refused("INVITATION_ALREADY_USED", "This invitation was already used. Sign in instead.");
      }
      const [user] = await tx
        .insert(users)
        .values({
          firstName: profile.firstName,
          lastName: profile.lastName,
          imageUrl: profile.imageUrl,
          createdAt: now,
          updatedAt: now,
        })
        .returning({ id: users.id });
      const id = user!.id;
      await tx.insert(emailAddresses).values({
        userId: id,
        email: profile.email!,
        isPrimary: true,
        verifiedAt: now,
        createdAt: now,
      });
      await tx.insert(oauthAccounts).values({ ...identityRow, userId: id });
      await recordAuditEvent(
        ctx,
        {
          action: "user.signed_up",
          outcome: "success",
          actorUserId: id,
          targetType: "user",
          targetId: id,
          details: { method: "oauth", provider, emailVerified: true },
        },
        tx,
      );
      if (ssoOrganizationId) await joinSsoOrganization(ctx, tx, ssoOrganizationId, id);
      return id;
    });
    return finishSignIn(ctx, userId, input.redirectUrl, ssoOrganizationId, true);
  } catch (error) {
    // Two callbacks for the same identity or address at once: the loser is told to try again, nothing half-written.
    if (isUniqueViolation(error)) throw refused("ALREADY_EXISTS", "That sign-in happened twice at once. Try again.", "CONFLICT");
    throw error;
  }
}

async function linkIdentity(
  ctx: Context,
  input: {
    provider: string;
    profile: OAuthProfile;
    tokens: OAuthTokenSet;
    userId: string | null;
    redirectUrl: string;
    fail: Fail;
  },
): Promise<OAuthOutcome> {
  const { provider, profile, tokens, fail } = input;
  const auth = await ctx.getAuth();
  // The session that finishes the link must be the one that started it.
  if (!auth || !input.userId || auth.user.id !== input.userId) {
    return fail("OAUTH_STATE_INVALID", "link_session_changed", "Sign in again, then connect the account from your profile.");
  }
  const now = ctx.now();
  const identity = await findIdentity(ctx.db, provider, profile.providerUserId);
  if (identity && identity.userId !== auth.user.id) {
    return fail("OAUTH_ACCOUNT_LINKED_ELSEWHERE", "identity_linked_elsewhere", "That account is already connected to another user.", {
      userId: auth.user.id,
    });
  }
  if (identity) {
    await ctx.db
      .update(oauthAccounts)
      .set({
        ...profileColumns(profile),
        ...tokenColumns(ctx, identity.id, tokens),
        updatedAt: now,
      })
      .where(eq(oauthAccounts.id, identity.id));
    return {
      status: "linked",
      userId: auth.user.id,
      redirectUrl: input.redirectUrl,
    };
  }
  const accountId = createId("oauthAccount");
  try {
    await ctx.db.transaction(async (tx) => {
      await tx.insert(oauthAccounts).values({
        id: accountId,
        userId: auth.user.id,
        provider,
        providerUserId: profile.providerUserId,
        ...profileColumns(profile),
        ...tokenColumns(ctx, accountId, tokens),
        createdAt: now,
        updatedAt: now,
      });
      await recordAuditEvent(
        ctx,
        {
          action: "oauth.account_linked",
          outcome: "success",
          actorUserId: auth.user.id,
          actorSessionId: auth.session.id,
          targetType: "oauth_account",
          targetId: accountId,
          details: { provider, automatic: false },
        },
        tx,
      );
    });
  } catch (error) {
    if (isUniqueViolation(error))
      return fail("OAUTH_ACCOUNT_LINKED_ELSEWHERE", "identity_linked_elsewhere", "That account is already connected to another user.");
    throw error;
  }
  return {
    status: "linked",
    userId: auth.user.id,
    redirectUrl: input.redirectUrl,
  };
}

/** The enabled SSO connection routing this address (its domain is a verified domain of the connection's organization), if any. */
export async function findSsoConnectionForEmail(
  db: Database,
  email: string,
): Promise<{ connectionId: string; organizationId: string } | null> {
  const domain = email.trim().toLowerCase().split("@")[1];
  if (!domain) return null;
  const [row] = await db
    .select({
      connectionId: ssoConnections.id,
      organizationId: ssoConnections.organizationId,
    })
    .from(ssoConnections)
    .innerJoin(organizationDomains, eq(organizationDomains.organizationId, ssoConnections.organizationId))
    .innerJoin(organizations, eq(organizations.id, ssoConnections.organizationId))
    .where(
      and(eq(ssoConnections.enabled, true), eq(organizationDomains.domain, domain), sql`${organizationDomains.verifiedAt} is not null`),
    )
    .limit(1);
  if (row) return row;
  // saml: an organization's SAML connection routes the same way (its id starts with `saml_`); OpenID wins when an
  // organization has both enabled.
  const [saml] = await db
    .select({
      connectionId: samlConnections.id,
      organizationId: samlConnections.organizationId,
    })
    .from(samlConnections)
    .innerJoin(organizationDomains, eq(organizationDomains.organizationId, samlConnections.organizationId))
    .where(
      and(eq(samlConnections.enabled, true), eq(organizationDomains.domain, domain), sql`${organizationDomains.verifiedAt} is not null`),
    )
    .limit(1);
  return saml ?? null;
}

/** How many ways a user can sign in: a password, OAuth identities, passkeys. */
export async function countSignInMethods(
  db: Database,
  userId: string,
): Promise<{ password: boolean; identities: number; passkeys: number }> {
  const [password] = await db
    .select({ userId: passwordCredentials.userId })
    .from(passwordCredentials)
    .where(eq(passwordCredentials.userId, userId));
  const [identities] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(oauthAccounts)
    .where(eq(oauthAccounts.userId, userId));
  const [keys] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(passkeys)
    .where(eq(passkeys.userId, userId));
  return {
    password: password !== undefined,
    identities: Number(identities?.n ?? 0),
    passkeys: Number(keys?.n ?? 0),
  };
}
