/**
 * Passkeys (WebAuthn) shared by the `passkey` router and the second step of sign-in.
 *
 * Every ceremony starts with a challenge row in `webauthn_challenges` (5 minutes, single use). Finishing one consumes
 * the row first, in one atomic UPDATE, whether or not the response then verifies, so a challenge can never be
 * answered twice. The relying party comes from the app URL: RP id = its hostname, origin = its origin.
 *
 * Responses from the browser are untrusted input: their shape is checked by the schemas below (a bad shape is a 400
 * naming the field) and anything `@simplewebauthn/server` refuses is a 400 on `response`, never a 500.
 */
import { and, asc, eq, gt, isNull } from "drizzle-orm";
import { z } from "zod";
import { passkeys, users, webauthnChallenges, type Passkey } from "@latchkey/db";
import {
  generateAuthenticationOptions,
  relyingPartyFor,
  verifyAuthenticationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  type PublicKeyCredentialRequestOptionsJSON,
} from "@latchkey/auth";
import type { Context } from "./context.ts";
import { ApiError, fieldError } from "./errors.ts";
import { idSchema } from "./validation.ts";

/** How long a WebAuthn challenge may be answered. */
export const WEBAUTHN_CHALLENGE_TTL_MS = 5 * 60_000;
/** The browser's own timeout for the prompt, a little shorter than the challenge. */
export const WEBAUTHN_TIMEOUT_MS = 4 * 60_000;

export const RP_NAME = "Latchkey";

export function relyingParty(ctx: Pick<Context, "appUrl">) {
  return relyingPartyFor(ctx.appUrl, RP_NAME);
}

const transportValues = ["ble", "cable", "hybrid", "internal", "nfc", "smart-card", "usb"] as const;
const base64url = (max: number) =>
  z
    .string()
    .min(1, "Missing value.")
    .max(max, "Too long.")
    .regex(/^[A-Za-z0-9_-]+={0,2}$/, "Not base64url.");

const clientExtensionResultsSchema = z
  .object({ credProps: z.object({ rk: z.boolean().optional() }).optional() })
  .optional()
  .default({});

export const registrationResponseSchema = z.object({
  id: base64url(1400),
  rawId: base64url(1400),
  type: z.literal("public-key", "Must be public-key."),
  response: z.object({
    clientDataJSON: base64url(8192),
    attestationObject: base64url(32768),
    authenticatorData: base64url(32768).optional(),
    transports: z.array(z.enum(transportValues)).max(8).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: base64url(4096).optional(),
  }),
  authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
  clientExtensionResults: clientExtensionResultsSchema,
});

export const authenticationResponseSchema = z.object({
  id: base64url(1400),
  rawId: base64url(1400),
  type: z.literal("public-key", "Must be public-key."),
  response: z.object({
    clientDataJSON: base64url(8192),
    authenticatorData: base64url(8192),
    signature: base64url(2048),
    userHandle: base64url(512).optional(),
  }),
  authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
  clientExtensionResults: clientExtensionResultsSchema,
});

export const challengeIdSchema = idSchema("wac");

export type WebAuthnPurpose = "registration" | "authentication" | "second_factor";

/** Stores a new challenge for this ceremony and returns its id. */
export async function storeChallenge(
  ctx: Pick<Context, "db" | "now">,
  input: { purpose: WebAuthnPurpose; challenge: string; userId: string | null },
): Promise<string> {
  const now = ctx.now();
  const [row] = await ctx.db
    .insert(webauthnChallenges)
    .values({
      purpose: input.purpose,
      challenge: input.challenge,
      userId: input.userId,
      expiresAt: new Date(now.getTime() + WEBAUTHN_CHALLENGE_TTL_MS),
      createdAt: now,
    })
    .returning({ id: webauthnChallenges.id });
  return row!.id;
}

export const challengeError = () =>
  fieldError("challengeId", "This passkey request has expired or was already used. Try again.", "PASSKEY_CHALLENGE_INVALID");

export const responseError = () => fieldError("response", "The passkey's answer could not be verified. Try again.", "PASSKEY_INVALID_RESPONSE");

/**
 * Consumes a live challenge of this purpose (and user, when one is given) exactly once; concurrent answers to the
 * same challenge get one row between them. Throws `challengeError()` when there is none.
 */
export async function consumeChallenge(
  ctx: Pick<Context, "db" | "now">,
  input: { challengeId: string; purpose: WebAuthnPurpose; userId: string | null },
): Promise<string> {
  const now = ctx.now();
  const [row] = await ctx.db
    .update(webauthnChallenges)
    .set({ consumedAt: now })
    .where(
      and(
        eq(webauthnChallenges.id, input.challengeId),
        eq(webauthnChallenges.purpose, input.purpose),
        input.userId === null ? isNull(webauthnChallenges.userId) : eq(webauthnChallenges.userId, input.userId),
        isNull(webauthnChallenges.consumedAt),
        gt(webauthnChallenges.expiresAt, now),
      ),
    )
    .returning({ challenge: webauthnChallenges.challenge });
  if (!row) throw challengeError();
  return row.challenge;
}

export function toTransports(values: readonly string[]): AuthenticatorTransportFuture[] {
  return values.filter((v): v is AuthenticatorTransportFuture => (transportValues as readonly string[]).includes(v));
}

/** The user's passkeys, oldest first. */
export function passkeysOf(db: Context["db"], userId: string): Promise<Passkey[]> {
  return db.select().from(passkeys).where(eq(passkeys.userId, userId)).orderBy(asc(passkeys.createdAt), asc(passkeys.id));
}

/**
 * Options for `startAuthentication` in the browser. Without a user (passkey sign-in) the browser offers every
 * discoverable passkey it holds for this site and user verification is required, because a passkey sign-in is
 * complete without a second factor; with one (a second factor) only that user's passkeys are allowed.
 */
export async function createPasskeyAuthenticationOptions(
  ctx: Pick<Context, "db" | "now" | "appUrl">,
  input: { userId: string | null; purpose: "authentication" | "second_factor" },
): Promise<{ challengeId: string; options: PublicKeyCredentialRequestOptionsJSON }> {
  const rp = relyingParty(ctx);
  const allowCredentials = input.userId
    ? (await passkeysOf(ctx.db, input.userId)).map((p) => ({ id: p.credentialId, transports: toTransports(p.transports) }))
    : undefined;
  const options = await generateAuthenticationOptions({
    rpID: rp.id,
    timeout: WEBAUTHN_TIMEOUT_MS,
    userVerification: input.purpose === "authentication" ? "required" : "preferred",
    ...(allowCredentials ? { allowCredentials } : {}),
  });
  const challengeId = await storeChallenge(ctx, { purpose: input.purpose, challenge: options.challenge, userId: input.userId });
  return { challengeId, options };
}

export class PasskeyAuthenticationError extends ApiError {}

/** The one answer to a passkey that can't be used, whatever the cause: it says nothing about accounts or credentials. */
export const passkeyRefused = () =>
  new PasskeyAuthenticationError({ code: "UNAUTHORIZED", reason: "PASSKEY_NOT_ACCEPTED", message: "That passkey can't be used to sign in here." });

/**
 * Checks an assertion against a challenge made by `createPasskeyAuthenticationOptions`: consumes the challenge, finds
 * the credential (it must belong to `expectedUserId` when given), verifies the signature, user presence (and user
 * verification for a passkey sign-in) and that the signature counter moved forward, then stores the new counter and
 * the time of use. Throws `challengeError()` (400), `responseError()` (400, a malformed answer) or `passkeyRefused()`
 * (401, unknown credential, wrong user, bad signature, cloned authenticator).
 */
export async function verifyPasskeyAuthentication(
  ctx: Pick<Context, "db" | "now" | "appUrl">,
  input: { challengeId: string; response: AuthenticationResponseJSON; expectedUserId?: string },
): Promise<{ userId: string; passkeyId: string }> {
  const secondFactor = input.expectedUserId !== undefined;
  const parsed = authenticationResponseSchema.safeParse(input.response);
  if (!parsed.success) throw responseError();
  const response = parsed.data as AuthenticationResponseJSON;
  const expectedChallenge = await consumeChallenge(ctx, {
    challengeId: input.challengeId,
    purpose: secondFactor ? "second_factor" : "authentication",
    userId: secondFactor ? input.expectedUserId! : null,
  });
  const [credential] = await ctx.db.select().from(passkeys).where(eq(passkeys.credentialId, response.id)).limit(1);
  if (!credential || (secondFactor && credential.userId !== input.expectedUserId)) throw passkeyRefused();
  const rp = relyingParty(ctx);
  let verification;
  try {
    verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      credential: {
        id: credential.credentialId,
        publicKey: new Uint8Array(credential.publicKey),
        counter: credential.counter,
        transports: toTransports(credential.transports),
      },
      requireUserVerification: !secondFactor,
    });
  } catch {
    // A wrong signature, origin, challenge or counter, or bytes that don't decode: refused without saying which.
    throw passkeyRefused();
  }
  if (!verification.verified) throw passkeyRefused();
  const { newCounter, credentialBackedUp, credentialDeviceType } = verification.authenticationInfo;
  // The counter only moves forward: of two concurrent uses of one signature only one passes this UPDATE.
  const updated = await ctx.db
    .update(passkeys)
    .set({ counter: newCounter, lastUsedAt: ctx.now(), backedUp: credentialBackedUp, deviceType: credentialDeviceType })
    .where(and(eq(passkeys.id, credential.id), eq(passkeys.counter, credential.counter)))
    .returning({ id: passkeys.id });
  if (updated.length === 0) throw passkeyRefused();
  return { userId: credential.userId, passkeyId: credential.id };
}

/** A default name for a new passkey from the browser that made it, e.g. "Chrome on macOS". */
export function defaultPasskeyName(userAgent: string | null): string {
  const ua = userAgent ?? "";
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /Firefox\//.test(ua)
      ? "Firefox"
      : /Chrom(e|ium)\//.test(ua)
        ? "Chrome"
        : /Safari\//.test(ua)
          ? "Safari"
          : null;
  const os = /iPhone|iPad/.test(ua)
    ? "iOS"
    : /Android/.test(ua)
      ? "Android"
      : /Mac OS X/.test(ua)
        ? "macOS"
        : /Windows/.test(ua)
          ? "Windows"
          : /CrOS/.test(ua)
            ? "ChromeOS"
            : /Linux/.test(ua)
              ? "Linux"
              : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? "Passkey";
}

/** Whether the account may sign in now: not deleted, banned or locked (as for a password). */
export async function accountRefusal(ctx: Pick<Context, "db" | "now">, userId: string): Promise<"deleted" | "banned" | "locked" | null> {
  const [user] = await ctx.db
    .select({ bannedAt: users.bannedAt, deletedAt: users.deletedAt, lockedUntil: users.lockedUntil })
    .from(users)
    .where(eq(users.id, userId));
  if (!user || user.deletedAt) return "deleted";
  if (user.bannedAt) return "banned";
  if (user.lockedUntil && user.lockedUntil.getTime() > ctx.now().getTime()) return "locked";
  return null;
}
