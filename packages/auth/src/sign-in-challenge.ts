/**
 * The pending second step of a sign-in (SECURITY.md: a challenge, not a session). Its token is 160 random bits in
 * base32; only the SHA-256 is stored. It travels in its own cookie — HttpOnly, SameSite=Lax, Path=/, `__Host-` on
 * https, like the session cookie — so it can't be read by scripts and can't be mistaken for a session.
 */
import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from "@oslojs/encoding";
import { parseCookies, serializeCookie } from "./cookies.ts";

/** How long the second step may take (SECURITY.md). */
export const SIGN_IN_CHALLENGE_TTL_MS = 10 * 60 * 1000;
/** Wrong codes before the challenge is cancelled. */
export const SIGN_IN_CHALLENGE_MAX_ATTEMPTS = 5;

const tokenShape = /^[a-z2-7]{32}$/;

const isHttps = (appUrl: string) => new URL(appUrl).protocol === "https:";

export function signInChallengeCookieName(appUrl: string): string {
  return isHttps(appUrl) ? "__Host-latchkey_sign_in" : "latchkey_sign_in";
}

export function generateSignInChallengeToken(): { token: string; tokenHash: string } {
  const bytes = new Uint8Array(20);
  crypto.getRandomValues(bytes);
  const token = encodeBase32LowerCaseNoPadding(bytes);
  return { token, tokenHash: hashSignInChallengeToken(token) };
}

export function hashSignInChallengeToken(token: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(token)));
}

export function serializeSignInChallengeCookie(token: string, opts: { appUrl: string; expires: Date }): string {
  return serializeCookie(signInChallengeCookieName(opts.appUrl), token, { expires: opts.expires, secure: isHttps(opts.appUrl) });
}

export function serializeClearSignInChallengeCookie(appUrl: string): string {
  return serializeCookie(signInChallengeCookieName(appUrl), "", { maxAge: 0, expires: new Date(0), secure: isHttps(appUrl) });
}

/** The challenge token from the request when it is well formed; anything else never reaches the database. */
export function readSignInChallengeToken(cookieHeader: string | null | undefined, appUrl: string): string | null {
  const token = parseCookies(cookieHeader)[signInChallengeCookieName(appUrl)];
  return token && tokenShape.test(token) ? token : null;
}
