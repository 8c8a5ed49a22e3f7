/**
 * Custom OAuth 2.0 providers (issue 18): an operator-configured provider that is plain OAuth 2.0 — an authorize, a
 * token and a userinfo URL, scopes, PKCE (on unless turned off for a provider that can't take it) and a mapping of
 * the userinfo JSON to who signed in. Same flow and linking rules as the built-in providers (oauth-flow.ts): an
 * address counts as verified only when the mapped verified flag is `true` (or the string "true").
 */
import type { OAuthProfile, OAuthProviderConfig } from "./oauth.ts";

/** Dotted paths into the userinfo JSON (`id`, `data.email`, `emails.0.value`). */
export interface CustomProfileMapping {
  id: string;
  email: string;
  emailVerified?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  username?: string | null;
  imageUrl?: string | null;
}

export interface CustomOAuthProviderEnv {
  /** Lower-case key used in URLs and on `oauth_accounts.provider`; must not be a built-in provider's. */
  id: string;
  name: string;
  /** An https (or same-origin path) image shown on the button. */
  iconUrl?: string | null;
  authorizeUrl: string;
  tokenUrl: string;
  userinfoUrl: string;
  clientId: string;
  clientSecret: string;
  scopes: string[];
  pkce: boolean;
  mapping: CustomProfileMapping;
}

export const customProviderIdPattern = /^[a-z][a-z0-9-]{1,31}$/;
/** Ids a custom provider may not take: the built-in providers and the SSO callback segment. */
export const reservedProviderIds = ["google", "github", "apple", "microsoft", "discord", "twitch", "oidc", "sso", "saml", "error"];

export function customOAuthProvider(env: CustomOAuthProviderEnv): OAuthProviderConfig {
  return {
    id: env.id,
    kind: "custom",
    label: env.name,
    clientId: env.clientId,
    clientSecret: env.clientSecret,
    authorizationEndpoint: env.authorizeUrl,
    tokenEndpoint: env.tokenUrl,
    userinfoEndpoint: env.userinfoUrl,
    scopes: env.scopes,
    pkce: env.pkce,
    profileMapping: env.mapping,
  };
}

/** The value at a dotted path; own properties only (no `__proto__`, no prototype walk). */
export function valueAtPath(root: unknown, path: string): unknown {
  let current: unknown = root;
  for (const segment of path.split(".")) {
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function stringAt(root: unknown, path: string | null | undefined, max = 256): string | null {
  if (!path) return null;
  const value = valueAtPath(root, path);
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return typeof value === "string" && value.trim() !== "" ? value.trim().slice(0, max) : null;
}

/** Who signed in, read through the provider's mapping. Null id: the caller refuses the sign-in. */
export function profileFromMapping(userinfo: unknown, mapping: CustomProfileMapping): (OAuthProfile & { providerUserId: string }) | null {
  const id = stringAt(userinfo, mapping.id, 512);
  if (!id) return null;
  const email = stringAt(userinfo, mapping.email, 320)?.toLowerCase() ?? null;
  const verified = mapping.emailVerified ? valueAtPath(userinfo, mapping.emailVerified) : undefined;
  return {
    providerUserId: id,
    email,
    emailVerified: email !== null && (verified === true || verified === "true"),
    firstName: stringAt(userinfo, mapping.firstName),
    lastName: stringAt(userinfo, mapping.lastName),
    username: stringAt(userinfo, mapping.username),
    imageUrl: stringAt(userinfo, mapping.imageUrl, 2048),
  };
}
