/**
 * OAuth 2.0 / OpenID Connect clients (no HTTP routes, no database): the providers we know, the authorization URL
 * (always PKCE S256, a nonce for OpenID providers), the code exchange through Arctic's `OAuth2Client`, ID-token
 * verification with `jose` against the issuer's JWKS, OIDC discovery and reading a profile.
 *
 * Arctic's provider classes hard-code their endpoints and several of them (GitHub, Twitch, Apple) build the
 * authorization URL without PKCE, so every provider here goes through Arctic's generic `OAuth2Client` with the
 * provider's endpoints from a table; that is also what lets tests point any provider at a local IdP.
 */
import {
  OAuth2Client,
  CodeChallengeMethod,
  OAuth2RequestError,
  ArcticFetchError,
  UnexpectedResponseError,
  UnexpectedErrorResponseBodyError,
} from "arctic";
import type { OAuth2Tokens } from "arctic";
import { createRemoteJWKSet, importPKCS8, jwtVerify, SignJWT, errors as joseErrors, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { profileFromMapping, type CustomProfileMapping } from "./custom-oauth.ts";

export const socialProviderIds = ["google", "github", "apple", "microsoft", "discord", "twitch", "oidc"] as const;
export type SocialProviderId = (typeof socialProviderIds)[number];
export type OAuthProviderKind = SocialProviderId | "sso" | "custom";

/** Everything needed to run one provider's flow. Secrets live only here, in server memory. */
export interface OAuthProviderConfig {
  /** The provider key used in URLs and on `oauth_accounts.provider`: `google`, …, `oidc`, or an SSO connection id. */
  id: string;
  kind: OAuthProviderKind;
  /** Shown on buttons ("Continue with GitHub"). */
  label: string;
  clientId: string;
  /** Null for Apple, whose secret is a short-lived JWT made from `appleKey` at each exchange. */
  clientSecret: string | null;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  userinfoEndpoint?: string | null;
  scopes: string[];
  /** Set for OpenID providers: the ID token is verified against these. */
  openid?: {
    issuer: string;
    jwksUri: string;
    /** Entra's multi-tenant endpoints: the issuer holds `{tenantid}`, filled from the token's `tid`. */
    issuerHasTenantPlaceholder?: boolean;
  } | null;
  /** Extra parameters on the authorization URL (Apple's `response_mode`, Twitch's `claims`). */
  authorizationParams?: Record<string, string>;
  apple?: { teamId: string; keyId: string; privateKey: string } | null;
  /** API base for GitHub-style profile reads (tests point it at a fake). */
  apiBase?: string;
  /** PKCE S256 unless false (custom OAuth 2.0 providers that can't take it). */
  pkce?: boolean;
  /** Custom OAuth 2.0 providers: where in the userinfo JSON the id, address, verified flag and names are. */
  profileMapping?: CustomProfileMapping | null;
}

/** A readable reason the flow failed at the provider; never carries a token or a secret. */
export class OAuthFlowError extends Error {
  constructor(
    readonly reason: "token_exchange_failed" | "id_token_invalid" | "profile_unavailable" | "discovery_failed",
    message: string,
  ) {
    super(message);
    this.name = "OAuthFlowError";
  }
}

export interface OAuthProfile {
  providerUserId: string;
  /** Lower-cased. */
  email: string | null;
  emailVerified: boolean;
  firstName: string | null;
  lastName: string | null;
  username: string | null;
  imageUrl: string | null;
}

export interface OAuthTokenSet {
  accessToken: string | null;
  refreshToken: string | null;
  expiresAt: Date | null;
  scopes: string[];
  idToken: string | null;
}

/** 256 random bits, base64url: the state, the PKCE verifier and the nonce. */
export function generateOAuthSecret(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return encodeBase64urlNoPadding(bytes);
}

export function createAuthorizationUrl(
  provider: OAuthProviderConfig,
  options: {
    redirectUri: string;
    state: string;
    codeVerifier: string;
    nonce: string | null;
    loginHint?: string | null;
  },
): URL {
  const client = new OAuth2Client(provider.clientId, provider.clientSecret, options.redirectUri);
  const url =
    provider.pkce === false
      ? client.createAuthorizationURL(provider.authorizationEndpoint, options.state, provider.scopes)
      : client.createAuthorizationURLWithPKCE(
          provider.authorizationEndpoint,
          options.state,
          CodeChallengeMethod.S256,
          options.codeVerifier,
          provider.scopes,
        );
  if (options.nonce) url.searchParams.set("nonce", options.nonce);
  if (options.loginHint) url.searchParams.set("login_hint", options.loginHint);
  for (const [key, value] of Object.entries(provider.authorizationParams ?? {})) url.searchParams.set(key, value);
  return url;
}

/** Apple's client secret: an ES256 JWT signed with the developer key, valid for five minutes. */
async function appleClientSecret(provider: OAuthProviderConfig, now: Date): Promise<string> {
  const apple = provider.apple!;
  const key = await importPKCS8(apple.privateKey, "ES256");
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: "ES256", kid: apple.keyId })
    .setIssuer(apple.teamId)
    .setSubject(provider.clientId)
    .setAudience("https://appleid.apple.com")
    .setIssuedAt(iat)
    .setExpirationTime(iat + 300)
    .sign(key);
}

/** Exchanges the code with the PKCE verifier. Provider refusals become `token_exchange_failed` with the OAuth error code only. */
export async function exchangeAuthorizationCode(
  provider: OAuthProviderConfig,
  options: {
    redirectUri: string;
    code: string;
    codeVerifier: string;
    now: Date;
  },
): Promise<OAuthTokenSet> {
  const secret = provider.apple ? await appleClientSecret(provider, options.now) : provider.clientSecret;
  const client = new OAuth2Client(provider.clientId, secret, options.redirectUri);
  let tokens: OAuth2Tokens;
  try {
    tokens = await client.validateAuthorizationCode(provider.tokenEndpoint, options.code, provider.pkce === false ? null : options.codeVerifier);
  } catch (error) {
    if (error instanceof OAuth2RequestError)
      throw new OAuthFlowError("token_exchange_failed", `The provider refused the code (${error.code}).`);
    if (
      error instanceof ArcticFetchError ||
      error instanceof UnexpectedResponseError ||
      error instanceof UnexpectedErrorResponseBodyError
    ) {
      throw new OAuthFlowError("token_exchange_failed", "The provider could not be reached or answered unexpectedly.");
    }
    throw new OAuthFlowError("token_exchange_failed", "The provider's token answer was not understood.");
  }
  return tokenSetFrom(tokens, options.now);
}

function tokenSetFrom(tokens: OAuth2Tokens, now: Date): OAuthTokenSet {
  const data = tokens.data as Record<string, unknown>;
  const str = (key: string) => (typeof data[key] === "string" ? (data[key] as string) : null);
  const expiresIn = typeof data.expires_in === "number" ? data.expires_in : null;
  return {
    accessToken: str("access_token"),
    refreshToken: str("refresh_token"),
    expiresAt: expiresIn === null ? null : new Date(now.getTime() + expiresIn * 1000),
    scopes: str("scope")?.split(/[ ,]+/).filter(Boolean) ?? [],
    idToken: str("id_token"),
  };
}

/**
 * Apple sends the person's name only on the first authorization, as a `user` JSON field of its form post (not in the
 * ID token). Names only; never an address (the verified one comes from the ID token).
 */
export function appleNameFromForm(value: string | null | undefined): { firstName: string | null; lastName: string | null } | null {
  if (!value || value.length > 2048) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return null;
  }
  const name = parsed && typeof parsed === "object" && Object.hasOwn(parsed, "name") ? (parsed as { name: unknown }).name : null;
  if (!name || typeof name !== "object") return null;
  const pick = (key: string) => (Object.hasOwn(name, key) ? text((name as Record<string, unknown>)[key], 100) : null);
  const result = { firstName: pick("firstName"), lastName: pick("lastName") };
  return result.firstName || result.lastName ? result : null;
}

/** A refresh-token grant at the provider's token endpoint (getProviderToken); errors as OAuthFlowError. */
export async function refreshProviderTokens(provider: OAuthProviderConfig, refreshToken: string, now: Date): Promise<OAuthTokenSet> {
  const secret = provider.apple ? await appleClientSecret(provider, now) : provider.clientSecret;
  const client = new OAuth2Client(provider.clientId, secret, null);
  try {
    return tokenSetFrom(await client.refreshAccessToken(provider.tokenEndpoint, refreshToken, []), now);
  } catch (error) {
    if (error instanceof OAuth2RequestError) throw new OAuthFlowError("token_exchange_failed", `The provider refused the refresh token (${error.code}).`);
    throw new OAuthFlowError("token_exchange_failed", "The provider could not refresh the token.");
  }
}

const jwksCache = new Map<string, JWTVerifyGetKey>();
function remoteJwks(uri: string): JWTVerifyGetKey {
  let set = jwksCache.get(uri);
  if (!set) {
    set = createRemoteJWKSet(new URL(uri), {
      timeoutDuration: 5000,
      cooldownDuration: 30_000,
    });
    jwksCache.set(uri, set);
  }
  return set;
}

export interface IdTokenCheck {
  issuer: string;
  audience: string;
  nonce: string;
  now: Date;
  /** The issuer's keys; the provider's JWKS URI when not given. */
  keys?: JWTVerifyGetKey;
  jwksUri?: string;
  issuerHasTenantPlaceholder?: boolean;
}

/**
 * Verifies an ID token: signature against the issuer's keys (asymmetric algorithms only), `iss`, `aud`, `exp` (with 60
 * seconds of clock tolerance), `iat` present, and the nonce we sent. Any failure is `id_token_invalid`.
 */
export async function verifyIdToken(token: string, check: IdTokenCheck): Promise<JWTPayload> {
  const keys = check.keys ?? remoteJwks(check.jwksUri!);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      audience: check.audience,
      algorithms: ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"],
      currentDate: check.now,
      clockTolerance: 60,
      requiredClaims: ["iss", "sub", "aud", "exp", "iat"],
    }));
  } catch (error) {
    const what =
      error instanceof joseErrors.JWTExpired
        ? "it has expired"
        : error instanceof joseErrors.JWTClaimValidationFailed
          ? `its ${error.claim} claim is wrong`
          : error instanceof joseErrors.JWSSignatureVerificationFailed || error instanceof joseErrors.JWKSNoMatchingKey
            ? "its signature does not match the issuer's keys"
            : "it could not be verified";
    throw new OAuthFlowError("id_token_invalid", `The provider's ID token was refused: ${what}.`);
  }
  const expectedIssuer =
    check.issuerHasTenantPlaceholder && typeof payload.tid === "string" ? check.issuer.replace("{tenantid}", payload.tid) : check.issuer;
  if (payload.iss !== expectedIssuer)
    throw new OAuthFlowError("id_token_invalid", "The provider's ID token was refused: its iss claim is wrong.");
  if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== check.audience) {
    throw new OAuthFlowError("id_token_invalid", "The provider's ID token was refused: its azp claim is wrong.");
  }
  if (payload.nonce !== check.nonce)
    throw new OAuthFlowError("id_token_invalid", "The provider's ID token was refused: its nonce is wrong.");
  return payload;
}

function text(value: unknown, max = 256): string | null {
  return typeof value === "string" && value.trim() !== "" ? value.trim().slice(0, max) : null;
}

/** `email_verified` arrives as a boolean, or (Apple) as the string "true". */
function truthy(value: unknown): boolean {
  return value === true || value === "true";
}

async function getJson(url: string, accessToken: string, headers: Record<string, string> = {}): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: {
        Authorization: `Bearer ${accessToken}`,
        Accept: "application/json",
        "User-Agent": "latchkey",
        ...headers,
      },
      signal: AbortSignal.timeout(10_000),
    });
  } catch {
    throw new OAuthFlowError("profile_unavailable", "The provider's profile could not be read.");
  }
  if (!response.ok) throw new OAuthFlowError("profile_unavailable", `The provider's profile could not be read (HTTP ${response.status}).`);
  return response.json().catch(() => {
    throw new OAuthFlowError("profile_unavailable", "The provider's profile was not JSON.");
  });
}

function profileFromClaims(claims: Record<string, unknown>, kind: OAuthProviderKind): OAuthProfile {
  const sub = text(claims.sub, 512);
  if (!sub) throw new OAuthFlowError("profile_unavailable", "The provider gave no subject.");
  const email = text(claims.email, 320)?.toLowerCase() ?? null;
  // Entra ID does not vouch for `email` unless the optional `xms_edov` claim says the domain owner verified it.
  const emailVerified = kind === "microsoft" ? truthy(claims.xms_edov) : truthy(claims.email_verified);
  return {
    providerUserId: sub,
    email,
    emailVerified: email !== null && emailVerified,
    firstName: text(claims.given_name),
    lastName: text(claims.family_name),
    username: text(claims.preferred_username) ?? text(claims.nickname),
    imageUrl: text(claims.picture, 2048),
  };
}

/**
 * Who signed in. OpenID providers: the verified ID token's claims, completed by the userinfo endpoint when the token
 * lacks an email (the userinfo `sub` must match). GitHub: `/user` and `/user/emails` (the verified primary address).
 * Discord: `/users/@me`.
 */
export async function readProfile(
  provider: OAuthProviderConfig,
  tokens: OAuthTokenSet,
  claims: Record<string, unknown> | null,
): Promise<OAuthProfile> {
  if (claims) {
    let merged = claims;
    if (!text(claims.email) && provider.userinfoEndpoint && tokens.accessToken) {
      const info = (await getJson(provider.userinfoEndpoint, tokens.accessToken)) as Record<string, unknown>;
      if (info && info.sub === claims.sub) merged = { ...info, ...claims };
    }
    return profileFromClaims(merged, provider.kind);
  }
  if (!tokens.accessToken) throw new OAuthFlowError("profile_unavailable", "The provider gave no access token.");
  if (provider.profileMapping && provider.userinfoEndpoint) {
    const profile = profileFromMapping(await getJson(provider.userinfoEndpoint, tokens.accessToken), provider.profileMapping);
    if (!profile) throw new OAuthFlowError("profile_unavailable", "The provider gave no user id.");
    return profile;
  }
  if (provider.kind === "github") {
    const base = provider.apiBase ?? "https://api.github.com";
    const user = (await getJson(`${base}/user`, tokens.accessToken)) as Record<string, unknown>;
    const emails = (await getJson(`${base}/user/emails`, tokens.accessToken)) as Array<Record<string, unknown>>;
    const primary = Array.isArray(emails) ? emails.find((entry) => entry.primary === true && entry.verified === true) : undefined;
    const id = typeof user.id === "number" || typeof user.id === "string" ? String(user.id) : null;
    if (!id) throw new OAuthFlowError("profile_unavailable", "The provider gave no user id.");
    const [firstName, ...rest] = (text(user.name) ?? "").split(" ");
    return {
      providerUserId: id,
      email: text(primary?.email, 320)?.toLowerCase() ?? null,
      emailVerified: primary !== undefined,
      firstName: firstName || null,
      lastName: rest.join(" ") || null,
      username: text(user.login),
      imageUrl: text(user.avatar_url, 2048),
    };
  }
  if (provider.kind === "discord") {
    const base = provider.apiBase ?? "https://discord.com/api";
    const user = (await getJson(`${base}/users/@me`, tokens.accessToken)) as Record<string, unknown>;
    const id = text(user.id);
    if (!id) throw new OAuthFlowError("profile_unavailable", "The provider gave no user id.");
    const email = text(user.email, 320)?.toLowerCase() ?? null;
    const avatar = text(user.avatar);
    return {
      providerUserId: id,
      email,
      emailVerified: email !== null && user.verified === true,
      firstName: text(user.global_name),
      lastName: null,
      username: text(user.username),
      imageUrl: avatar ? `https://cdn.discordapp.com/avatars/${id}/${avatar}.png` : null,
    };
  }
  if (provider.userinfoEndpoint) {
    return profileFromClaims((await getJson(provider.userinfoEndpoint, tokens.accessToken)) as Record<string, unknown>, provider.kind);
  }
  throw new OAuthFlowError("profile_unavailable", "This provider has no way to read a profile.");
}

export interface DiscoveryDocument {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint?: string;
}

/**
 * An issuer URL we are willing to fetch: https, or http on a loopback host (the development IdP, tests). No
 * credentials, query or fragment.
 */
export function isAcceptableIssuer(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username || url.password || url.search || url.hash) return false;
  if (url.protocol === "https:") return true;
  return url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
}

const discoveryCache = new Map<string, { document: DiscoveryDocument; until: number }>();

/**
 * Reads `${issuer}/.well-known/openid-configuration` and checks it: the document names the same issuer, its endpoints
 * are acceptable URLs and it supports the code flow with S256. Cached for an hour (pass `fresh` to re-read).
 */
export async function discoverOpenIdConfiguration(
  issuer: string,
  options: { fresh?: boolean; now?: number } = {},
): Promise<DiscoveryDocument> {
  const normalized = issuer.replace(/\/+$/, "");
  const now = options.now ?? Date.now();
  const cached = discoveryCache.get(normalized);
  if (cached && !options.fresh && cached.until > now) return cached.document;
  if (!isAcceptableIssuer(normalized)) throw new OAuthFlowError("discovery_failed", "The issuer must be an https:// URL.");
  let body: Record<string, unknown>;
  try {
    const response = await fetch(`${normalized}/.well-known/openid-configuration`, {
      headers: { Accept: "application/json" },
      redirect: "error",
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const raw = await response.text();
    if (raw.length > 100_000) throw new Error("too large");
    body = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    throw new OAuthFlowError("discovery_failed", "The issuer's discovery document (/.well-known/openid-configuration) could not be read.");
  }
  const endpoints = ["authorization_endpoint", "token_endpoint", "jwks_uri"] as const;
  if (typeof body.issuer !== "string" || body.issuer.replace(/\/+$/, "") !== normalized) {
    throw new OAuthFlowError("discovery_failed", "The discovery document names a different issuer.");
  }
  for (const key of endpoints) {
    if (typeof body[key] !== "string" || !isAcceptableIssuer(String(body[key]).split("?")[0]!)) {
      throw new OAuthFlowError("discovery_failed", `The discovery document's ${key} is missing or not an https:// URL.`);
    }
  }
  const methods = body.code_challenge_methods_supported;
  if (Array.isArray(methods) && !methods.includes("S256")) {
    throw new OAuthFlowError("discovery_failed", "The issuer does not support PKCE with S256.");
  }
  const document: DiscoveryDocument = {
    issuer: body.issuer,
    authorization_endpoint: String(body.authorization_endpoint),
    token_endpoint: String(body.token_endpoint),
    jwks_uri: String(body.jwks_uri),
    ...(typeof body.userinfo_endpoint === "string" ? { userinfo_endpoint: body.userinfo_endpoint } : {}),
  };
  discoveryCache.set(normalized, { document, until: now + 3_600_000 });
  return document;
}

/** A provider built from a discovery document (the generic `oidc` provider and enterprise SSO connections). */
export function openIdProvider(
  options: {
    id: string;
    kind: "oidc" | "sso";
    label: string;
    clientId: string;
    clientSecret: string;
  },
  document: DiscoveryDocument,
): OAuthProviderConfig {
  return {
    ...options,
    authorizationEndpoint: document.authorization_endpoint,
    tokenEndpoint: document.token_endpoint,
    userinfoEndpoint: document.userinfo_endpoint ?? null,
    scopes: ["openid", "email", "profile"],
    openid: { issuer: document.issuer, jwksUri: document.jwks_uri },
  };
}

export interface SocialProviderEnv {
  google?: { clientId: string; clientSecret: string };
  github?: { clientId: string; clientSecret: string };
  apple?: {
    clientId: string;
    teamId: string;
    keyId: string;
    privateKey: string;
  };
  microsoft?: { clientId: string; clientSecret: string; tenant: string };
  discord?: { clientId: string; clientSecret: string };
  twitch?: { clientId: string; clientSecret: string };
}

/** The fixed-endpoint providers, from their credentials. Order is the order of the buttons. */
export function socialProviders(env: SocialProviderEnv): OAuthProviderConfig[] {
  const list: OAuthProviderConfig[] = [];
  if (env.google) {
    list.push({
      id: "google",
      kind: "google",
      label: "Google",
      ...env.google,
      authorizationEndpoint: "https://accounts.google.com/o/oauth2/v2/auth",
      tokenEndpoint: "https://oauth2.googleapis.com/token",
      userinfoEndpoint: "https://openidconnect.googleapis.com/v1/userinfo",
      scopes: ["openid", "email", "profile"],
      openid: {
        issuer: "https://accounts.google.com",
        jwksUri: "https://www.googleapis.com/oauth2/v3/certs",
      },
    });
  }
  if (env.github) {
    list.push({
      id: "github",
      kind: "github",
      label: "GitHub",
      ...env.github,
      authorizationEndpoint: "https://github.com/login/oauth/authorize",
      tokenEndpoint: "https://github.com/login/oauth/access_token",
      scopes: ["read:user", "user:email"],
    });
  }
  if (env.microsoft) {
    const tenant = encodeURIComponent(env.microsoft.tenant);
    const multiTenant = ["common", "organizations", "consumers"].includes(env.microsoft.tenant);
    list.push({
      id: "microsoft",
      kind: "microsoft",
      label: "Microsoft",
      clientId: env.microsoft.clientId,
      clientSecret: env.microsoft.clientSecret,
      authorizationEndpoint: `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/authorize`,
      tokenEndpoint: `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/token`,
      userinfoEndpoint: "https://graph.microsoft.com/oidc/userinfo",
      scopes: ["openid", "email", "profile"],
      openid: {
        issuer: `https://login.microsoftonline.com/${multiTenant ? "{tenantid}" : tenant}/v2.0`,
        jwksUri: `https://login.microsoftonline.com/${tenant}/discovery/v2.0/keys`,
        issuerHasTenantPlaceholder: multiTenant,
      },
    });
  }
  if (env.apple) {
    list.push({
      id: "apple",
      kind: "apple",
      label: "Apple",
      clientId: env.apple.clientId,
      clientSecret: null,
      apple: {
        teamId: env.apple.teamId,
        keyId: env.apple.keyId,
        privateKey: env.apple.privateKey,
      },
      authorizationEndpoint: "https://appleid.apple.com/auth/authorize",
      tokenEndpoint: "https://appleid.apple.com/auth/token",
      scopes: ["openid", "email", "name"],
      // Apple posts the answer when name or email are asked for; the callback turns the POST into a GET.
      authorizationParams: { response_mode: "form_post" },
      openid: {
        issuer: "https://appleid.apple.com",
        jwksUri: "https://appleid.apple.com/auth/keys",
      },
    });
  }
  if (env.discord) {
    list.push({
      id: "discord",
      kind: "discord",
      label: "Discord",
      ...env.discord,
      authorizationEndpoint: "https://discord.com/oauth2/authorize",
      tokenEndpoint: "https://discord.com/api/oauth2/token",
      scopes: ["identify", "email"],
    });
  }
  if (env.twitch) {
    list.push({
      id: "twitch",
      kind: "twitch",
      label: "Twitch",
      ...env.twitch,
      authorizationEndpoint: "https://id.twitch.tv/oauth2/authorize",
      tokenEndpoint: "https://id.twitch.tv/oauth2/token",
      userinfoEndpoint: "https://id.twitch.tv/oauth2/userinfo",
      scopes: ["openid", "user:read:email"],
      authorizationParams: {
        claims: JSON.stringify({
          id_token: {
            email: null,
            email_verified: null,
            preferred_username: null,
            picture: null,
          },
        }),
      },
      openid: {
        issuer: "https://id.twitch.tv/oauth2",
        jwksUri: "https://id.twitch.tv/oauth2/keys",
      },
    });
  }
  return list;
}
