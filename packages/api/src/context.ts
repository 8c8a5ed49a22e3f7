/**
 * Two contexts, as the tRPC docs advise: the inner one holds everything a procedure may touch and is what tests
 * build directly; the outer one reads an HTTP request (cookie, headers, URL) and builds the inner one.
 */
import type { Database } from "@latchkey/db";
import {
  readImpersonatorToken,
  readSessionToken,
  serializeClearImpersonatorCookie,
  serializeImpersonatorCookie,
  readSignInChallengeToken,
  serializeClearSessionCookie,
  serializeClearSignInChallengeCookie,
  serializeSignInChallengeCookie,
  serializeSessionCookie,
  createKeyring,
  type Keyring,
  type SessionPolicy,
} from "@latchkey/auth";
import { getInstanceSettings, sessionPolicyFromSettings } from "./instance-settings.ts";
import { lookupAuth, type AuthLookupOutcome, type ResolvedAuth } from "./auth-lookup.ts";
import { createDevOutboxTransport, createMailer, type Mailer } from "./mail/index.ts";
import { createDevOutboxSmsSender, type SmsSender } from "./sms/index.ts";
import type { BotCheck } from "./bot-protection.ts";
import { withTestModeMailer, withTestModeSms } from "./test-mode.ts";

export const ORG_HEADER = "x-latchkey-org";

export interface InnerContextOptions {
  db: Database;
  /** The raw session token from the cookie, if any. */
  sessionToken?: string | null;
  /** The pending second step of a sign-in (its own cookie), if any. */
  signInChallengeToken?: string | null;
  /** impersonation: the admin's own session token, kept in its own cookie while they view as a user. */
  impersonatorSessionToken?: string | null;
  /** An organization named explicitly by the URL (`/org/:slug`) or the `x-latchkey-org` header. */
  orgSlug?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  /** The clock; tests pass a controllable one. */
  now?: () => Date;
  /** Decides cookie names and the Secure flag. */
  appUrl?: string;
  /** Set-Cookie headers for the response land here. */
  resHeaders?: Headers;
  sessionPolicy?: SessionPolicy;
  /** Sends the app's emails; the development outbox when not given (tests, scripts). The web app passes its own. */
  mailer?: Mailer;
  /** Encrypts secrets at rest (TOTP, webhook secrets, signing keys); the public development key when not given. */
  keyring?: Keyring;
  /** Sends text messages; the development outbox when not given, null when SMS is not configured (production). */
  sms?: SmsSender | null;
  /** The request's Origin header, if any (session JWTs name it in `azp` when it is trusted). */
  origin?: string | null;
  /** Origins besides APP_URL's own that may appear in a token's `azp`. */
  trustedOrigins?: readonly string[];
  /** bot protection: what the form (or the `x-latchkey-bot-check` header) carried; see bot-protection.ts. */
  botCheck?: BotCheck;
}

export interface Context {
  db: Database;
  ip: string | null;
  userAgent: string | null;
  now: () => Date;
  appUrl: string;
  resHeaders: Headers;
  /**
   * The session lifetimes for a session created now: the instance settings' (read through `db`, which may be the
   * open transaction — never `ctx.db` inside one, PGlite has a single connection), unless the context was given one.
   */
  getSessionPolicy: (db?: Database) => Promise<SessionPolicy>;
  mailer: Mailer;
  keyring: Keyring;
  /** Sends text messages (phone verification, SMS codes); null when the instance has no SMS configured. */
  sms: SmsSender | null;
  /** The request's Origin header, if any. */
  origin: string | null;
  trustedOrigins: readonly string[];
  /** bot protection: the proof of work, the no-JavaScript form token and the honeypot, as sent (bot-protection.ts). */
  botCheck: BotCheck;
  orgSlug: string | null;
  /** Who is calling, resolved in one query on first use and memoised for the rest of the request. */
  getAuth: () => Promise<ResolvedAuth | null>;
  /** Why there is no session, after `getAuth()` returned null. */
  getSignedOutReason: () => Promise<string | null>;
  /** Starts a session on this response (sign-up, sign-in). */
  setSessionCookie: (token: string, expires: Date) => void;
  /** Ends the session cookie on this response (sign-out) and forgets the memoised caller. */
  clearSession: () => void;
  /** The token of the pending second step of a sign-in, from its cookie (null when none or malformed). */
  signInChallengeToken: string | null;
  /** Sets / clears the sign-in challenge cookie (never a session). */
  setSignInChallengeCookie: (token: string, expires: Date) => void;
  clearSignInChallengeCookie: () => void;
  /**
   * impersonation: the instance admin viewing as the caller, when this request's (already resolved) session is an
   * impersonation; null otherwise or before `getAuth()` ran. Synchronous, so `recordAuditEvent` may read it inside a
   * transaction.
   */
  impersonatorUserId: () => string | null;
  /**
   * impersonation: switches the browser to the impersonation session `token`, keeping this request's own session
   * token in the impersonator cookie until `expires` (the impersonation's end).
   */
  beginImpersonation: (token: string, expires: Date) => void;
  /**
   * impersonation: drops the impersonation from the browser and returns to the admin's kept session when it is still
   * valid and still an instance admin's (its auth), else signs out (null). Call outside any transaction.
   */
  endImpersonation: () => Promise<ResolvedAuth | null>;
}

export function createInnerContext(options: InnerContextOptions): Context {
  const now = options.now ?? (() => new Date());
  const appUrl = options.appUrl ?? "http://localhost:3000";
  const resHeaders = options.resHeaders ?? new Headers();
  const sessionPolicy = options.sessionPolicy;
  let token = options.sessionToken ?? null;
  let pending: Promise<AuthLookupOutcome> | null = null;
  let resolvedImpersonator: string | null = null;
  let impersonatorCleared = false;

  const resolve = () => {
    pending ??= lookupAuth(options.db, {
      token,
      orgSlug: options.orgSlug ?? null,
      now: now(),
      ...(sessionPolicy ? { policy: sessionPolicy } : {}),
    }).then((outcome) => {
      // A cookie that names no live session is cleared so the browser stops sending it.
      if (outcome.status === "signed_out" && outcome.reason !== "no_token") {
        resHeaders.append("Set-Cookie", serializeClearSessionCookie(appUrl));
        // impersonation: an impersonation that ended on its own (expired, revoked, user banned) leaves no admin token
        // behind in the browser; the request is NOT carried on as the admin (a form meant for the user must not run
        // as them). The admin signs in again.
        if (options.impersonatorSessionToken && !impersonatorCleared) {
          resHeaders.append("Set-Cookie", serializeClearImpersonatorCookie(appUrl));
          impersonatorCleared = true;
        }
      }
      resolvedImpersonator = outcome.status === "signed_in" ? outcome.auth.session.impersonatorUserId : null;
      return outcome;
    });
    return pending;
  };

  return {
    db: options.db,
    ip: options.ip ?? null,
    userAgent: options.userAgent ?? null,
    now,
    appUrl,
    resHeaders,
    getSessionPolicy: async (db = options.db) => sessionPolicy ?? sessionPolicyFromSettings(await getInstanceSettings(db)),
    // Test mode (test-mode.ts): nothing leaves for `+latchkey_test` addresses and 555-0100…0199 numbers.
    mailer: withTestModeMailer(options.mailer ?? defaultMailer(), options.db),
    keyring: options.keyring ?? defaultKeyring(),
    sms: withTestModeSmsOrNull(options.sms === undefined ? defaultSms() : options.sms, options.db),
    origin: options.origin ?? null,
    trustedOrigins: options.trustedOrigins ?? [],
    botCheck: options.botCheck ?? {},
    orgSlug: options.orgSlug ?? null,
    getAuth: async () => {
      const outcome = await resolve();
      return outcome.status === "signed_in" ? outcome.auth : null;
    },
    getSignedOutReason: async () => {
      const outcome = await resolve();
      return outcome.status === "signed_out" ? outcome.reason : null;
    },
    setSessionCookie: (newToken, expires) => {
      resHeaders.append("Set-Cookie", serializeSessionCookie(newToken, { appUrl, expires }));
      token = newToken;
      pending = null;
    },
    clearSession: () => {
      resHeaders.append("Set-Cookie", serializeClearSessionCookie(appUrl));
      token = null;
      pending = null;
      resolvedImpersonator = null;
    },
    signInChallengeToken: options.signInChallengeToken ?? null,
    setSignInChallengeCookie: (challengeToken, expires) => {
      resHeaders.append("Set-Cookie", serializeSignInChallengeCookie(challengeToken, { appUrl, expires }));
    },
    clearSignInChallengeCookie: () => {
      resHeaders.append("Set-Cookie", serializeClearSignInChallengeCookie(appUrl));
    },
    impersonatorUserId: () => resolvedImpersonator,
    beginImpersonation: (newToken, expires) => {
      if (token) resHeaders.append("Set-Cookie", serializeImpersonatorCookie(token, { appUrl, expires }));
      resHeaders.append("Set-Cookie", serializeSessionCookie(newToken, { appUrl, expires }));
      token = newToken;
      pending = null;
      resolvedImpersonator = null;
    },
    endImpersonation: async () => {
      resHeaders.append("Set-Cookie", serializeClearImpersonatorCookie(appUrl));
      impersonatorCleared = true;
      const kept = options.impersonatorSessionToken ?? null;
      token = kept;
      pending = null;
      resolvedImpersonator = null;
      if (!kept) {
        resHeaders.append("Set-Cookie", serializeClearSessionCookie(appUrl));
        return null;
      }
      // The kept token goes through the same lookup as any request: expired, revoked or banned sessions are refused
      // (and the cookie cleared by resolve); a session whose user lost the admin flag meanwhile is not restored.
      const outcome = await resolve();
      if (outcome.status === "signed_in" && outcome.auth.user.isInstanceAdmin && !outcome.auth.session.impersonatorUserId) {
        resHeaders.append("Set-Cookie", serializeSessionCookie(kept, { appUrl, expires: outcome.auth.session.expiresAt }));
        return outcome.auth;
      }
      if (outcome.status === "signed_in") resHeaders.append("Set-Cookie", serializeClearSessionCookie(appUrl));
      token = null;
      pending = null;
      return null;
    },
  };
}

let devKeyring: Keyring | undefined;
function defaultKeyring(): Keyring {
  devKeyring ??= createKeyring();
  return devKeyring;
}

let devSms: SmsSender | undefined;
function defaultSms(): SmsSender {
  devSms ??= createDevOutboxSmsSender();
  return devSms;
}

function withTestModeSmsOrNull(sms: SmsSender | null, db: InnerContextOptions["db"]): SmsSender | null {
  return sms ? withTestModeSms(sms, db) : null;
}

let devMailer: Mailer | undefined;
function defaultMailer(): Mailer {
  devMailer ??= createMailer({ transport: createDevOutboxTransport() });
  return devMailer;
}

const slugInPath = /^\/org\/([^/?#]+?)(?:\.data)?(?:\/|$)/;

/**
 * The organization a request names: the `x-latchkey-org` header (tRPC calls) or the `/org/:slug` page path.
 * Remix's single-fetch data URLs end in `.data` (`/org/acme.data`); slugs never contain a dot.
 */
export function readOrgSlug(request: Request): string | null {
  const header = request.headers.get(ORG_HEADER);
  if (header) return header.slice(0, 128);
  const match = slugInPath.exec(new URL(request.url).pathname);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]!).slice(0, 128);
  } catch {
    return match[1]!.slice(0, 128);
  }
}

export interface RequestContextOptions {
  db: Database;
  request: Request;
  resHeaders?: Headers;
  appUrl: string;
  /** The client address as the server decided it (trusted-proxy rules live in the HTTP layer). */
  ip?: string | null;
  now?: () => Date;
  sessionPolicy?: SessionPolicy;
  mailer?: Mailer;
  keyring?: Keyring;
  sms?: SmsSender | null;
  trustedOrigins?: readonly string[];
}

export function createRequestContext(options: RequestContextOptions): Context {
  const { request } = options;
  return createInnerContext({
    db: options.db,
    sessionToken: readSessionToken(request.headers.get("cookie"), options.appUrl),
    signInChallengeToken: readSignInChallengeToken(request.headers.get("cookie"), options.appUrl),
    impersonatorSessionToken: readImpersonatorToken(request.headers.get("cookie"), options.appUrl),
    orgSlug: readOrgSlug(request),
    ip: options.ip ?? null,
    userAgent: request.headers.get("user-agent")?.slice(0, 512) ?? null,
    appUrl: options.appUrl,
    resHeaders: options.resHeaders ?? new Headers(),
    ...(options.now ? { now: options.now } : {}),
    ...(options.sessionPolicy ? { sessionPolicy: options.sessionPolicy } : {}),
    ...(options.mailer ? { mailer: options.mailer } : {}),
    ...(options.keyring ? { keyring: options.keyring } : {}),
    ...(options.sms !== undefined ? { sms: options.sms } : {}),
    origin: request.headers.get("origin")?.slice(0, 512) ?? null,
    ...(options.trustedOrigins ? { trustedOrigins: options.trustedOrigins } : {}),
    // bot protection for API clients: the solved challenge in a header (forms send it as a field instead).
    botCheck: { solution: request.headers.get("x-latchkey-bot-check")?.slice(0, 8192) ?? null },
  });
}
