/**
 * Second factors (TOTP and backup codes) and the second step of sign-in.
 *
 * - `mfa.*`: what the user has, TOTP enrolment (start → confirm with a code), removal and backup codes. Changes need a
 *   strict reverification, revoke the user's other sessions, are audited and emailed (security notice).
 * - `signIn.*`: the pending challenge that `completeSignIn` created (its token in its own cookie). A code is checked
 *   by `secondFactorChecks` — the one dispatch to extend with passkeys and SMS codes.
 *
 * Single use everywhere is a conditional UPDATE … RETURNING: a TOTP step only above `last_used_step`, a backup code
 * only while `used_at` is null, a challenge only while `consumed_at` is null; a wrong code reserves one of the 5
 * attempts before it is checked, so parallel guesses can't exceed the cap.
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { and, count, eq, gt, isNotNull, isNull, lt, ne, or, sql } from "drizzle-orm";
import { z } from "zod";
import { backupCodes, organizations, passkeys, phoneNumbers, sessions, signInChallenges, totpFactors, users, type Database } from "@latchkey/db";
import {
  decryptSecret,
  encryptSecret,
  formatTotpKey,
  generateBackupCodes,
  generateTotpSecret,
  hashBackupCode,
  hashSignInChallengeToken,
  normalizeBackupCode,
  setActiveOrganization,
  SIGN_IN_CHALLENGE_MAX_ATTEMPTS,
  totpQrSvg,
  totpUri,
  verifyTotp,
  type AuthenticationResponseJSON,
} from "@latchkey/auth";
import { decodeBase64, encodeBase64 } from "@oslojs/encoding";
import { authedProcedure, orgProcedure, publicProcedure, requireReverification } from "../trpc.ts";
import { ApiError } from "../errors.ts";
import type { Context } from "../context.ts";
import { recordAuditEvent } from "../audit.ts";
import { sendSecurityNotice } from "../security-notice.ts";
import { secondFactorStrategies, startSession, type SecondFactorStrategy } from "../sign-in.ts";
import { countFailure } from "./auth.ts";
import { checkSmsSecondFactorCode, sendSmsSecondFactorCode } from "./phone.ts";
import { createPasskeyAuthenticationOptions, verifyPasskeyAuthentication } from "../passkeys.ts";

/** The issuer authenticator apps show next to the account. */
export const TOTP_ISSUER = "Latchkey";

const totpContext = (userId: string) => `totp:${userId}`;

const codeInput = z.string().trim().min(1, "Enter the code.").max(32, "That code is too long.");

const wrongCode = () =>
  new ApiError({ code: "BAD_REQUEST", reason: "INVALID_CODE", field: "code", message: "code: That code is not right." });

const challengeGone = () =>
  new ApiError({
    code: "UNAUTHORIZED",
    reason: "SIGN_IN_CHALLENGE_EXPIRED",
    message: "This sign-in has expired or had too many wrong codes. Sign in again.",
  });

function readSecret(ctx: Context, userId: string, encrypted: string): Uint8Array {
  return decodeBase64(decryptSecret(ctx.keyring, encrypted, totpContext(userId)));
}

/** Ten new codes replace the whole old set (inside the caller's transaction); the plain codes are returned once. */
async function replaceBackupCodes(tx: Database, userId: string, now: Date): Promise<string[]> {
  const codes = generateBackupCodes();
  await tx.delete(backupCodes).where(eq(backupCodes.userId, userId));
  await tx.insert(backupCodes).values(codes.map((code) => ({ userId, codeHash: hashBackupCode(code), createdAt: now })));
  return codes;
}

/** An MFA change ends the user's other sessions (SECURITY.md); this one stays. */
async function revokeOtherSessions(tx: Database, userId: string, keepSessionId: string): Promise<void> {
  await tx.delete(sessions).where(and(eq(sessions.userId, userId), ne(sessions.id, keepSessionId)));
}

/** Uses a TOTP code of `userId` once: the matched step must be above the last used one (atomic). */
async function useTotpCode(ctx: Context, tx: Database, userId: string, code: string, { verified }: { verified: boolean }): Promise<boolean> {
  const [factor] = await tx
    .select({ secretEncrypted: totpFactors.secretEncrypted })
    .from(totpFactors)
    .where(and(eq(totpFactors.userId, userId), verified ? isNotNull(totpFactors.verifiedAt) : isNull(totpFactors.verifiedAt)));
  if (!factor) return false;
  const step = verifyTotp(readSecret(ctx, userId, factor.secretEncrypted), code, ctx.now());
  if (step === null) return false;
  const [used] = await tx
    .update(totpFactors)
    .set({ lastUsedStep: step })
    .where(and(eq(totpFactors.userId, userId), or(isNull(totpFactors.lastUsedStep), lt(totpFactors.lastUsedStep, step))))
    .returning({ id: totpFactors.id });
  return used !== undefined;
}

/** Uses one backup code of `userId` once (atomic). */
async function useBackupCode(ctx: Context, tx: Database, userId: string, code: string): Promise<boolean> {
  const normalized = normalizeBackupCode(code);
  if (!normalized) return false;
  const [used] = await tx
    .update(backupCodes)
    .set({ usedAt: ctx.now() })
    .where(and(eq(backupCodes.userId, userId), eq(backupCodes.codeHash, hashBackupCode(normalized)), isNull(backupCodes.usedAt)))
    .returning({ id: backupCodes.id });
  return used !== undefined;
}

/** What a second-step attempt carries; extend the union (and `secondFactorChecks`) for more strategies. */
export type SecondFactorAttempt =
  | { strategy: "totp"; code: string }
  | { strategy: "backup_code"; code: string }
  | { strategy: "phone_code"; code: string }
  | { strategy: "passkey"; challengeId: string; response: unknown };

type SecondFactorCheck<S extends SecondFactorAttempt["strategy"]> = (
  ctx: Context,
  tx: Database,
  userId: string,
  attempt: Extract<SecondFactorAttempt, { strategy: S }>,
) => Promise<boolean>;

/**
 * THE dispatch of the second step: one check per strategy. Each runs inside the transaction that consumes the
 * challenge and creates the session, and must use its factor atomically (single use), returning false on a wrong
 * answer. Passkeys (`verifyPasskeyAuthentication`) and SMS (`checkSmsSecondFactorCode`) plug in here.
 */
export const secondFactorChecks: { [S in SecondFactorAttempt["strategy"]]: SecondFactorCheck<S> } = {
  totp: (ctx, tx, userId, { code }) => useTotpCode(ctx, tx, userId, code, { verified: true }),
  backup_code: (ctx, tx, userId, { code }) => useBackupCode(ctx, tx, userId, code),
  // The SMS code is consumed inside this transaction: a right code commits with the session, a wrong one rolls back
  // (the challenge's own attempt counter, reserved outside, caps the guesses).
  phone_code: (ctx, tx, userId, { code }) => checkSmsSecondFactorCode({ db: tx, now: ctx.now }, userId, code),
  // Only that user's passkeys, against a challenge made for this step (`signIn.passkeyOptions`).
  passkey: async (ctx, tx, userId, { challengeId, response }) => {
    try {
      await verifyPasskeyAuthentication({ ...ctx, db: tx }, { challengeId, response: response as AuthenticationResponseJSON, expectedUserId: userId });
      return true;
    } catch (error) {
      if (error instanceof ApiError) return false;
      throw error;
    }
  },
};

function checkSecondFactor(ctx: Context, tx: Database, userId: string, attempt: SecondFactorAttempt): Promise<boolean> {
  switch (attempt.strategy) {
    case "totp":
      return secondFactorChecks.totp(ctx, tx, userId, attempt);
    case "backup_code":
      return secondFactorChecks.backup_code(ctx, tx, userId, attempt);
    case "phone_code":
      return secondFactorChecks.phone_code(ctx, tx, userId, attempt);
    case "passkey":
      return secondFactorChecks.passkey(ctx, tx, userId, attempt);
  }
}

/** Rolls back the consuming transaction when the code was wrong. */
class WrongSecondFactor extends Error {}

async function findChallenge(ctx: Context) {
  if (!ctx.signInChallengeToken) return null;
  const now = ctx.now();
  const [challenge] = await ctx.db
    .select({ id: signInChallenges.id, userId: signInChallenges.userId, expiresAt: signInChallenges.expiresAt, firstFactor: signInChallenges.firstFactor })
    .from(signInChallenges)
    .where(
      and(
        eq(signInChallenges.tokenHash, hashSignInChallengeToken(ctx.signInChallengeToken)),
        isNull(signInChallenges.consumedAt),
        lt(signInChallenges.attempts, SIGN_IN_CHALLENGE_MAX_ATTEMPTS),
        gt(signInChallenges.expiresAt, now),
      ),
    );
  return challenge ?? null;
}

export const signInRouter = {
  /** The pending second step of this browser, or null: which strategies to offer. */
  challenge: publicProcedure.query(async ({ ctx }) => {
    const challenge = await findChallenge(ctx);
    if (!challenge) return null;
    return { strategies: await secondFactorStrategies(ctx.db, challenge.userId), expiresAt: challenge.expiresAt };
  }),

  /** WebAuthn options for finishing this browser's pending sign-in with one of that user's passkeys. */
  passkeyOptions: publicProcedure.mutation(async ({ ctx }) => {
    const challenge = await findChallenge(ctx);
    if (!challenge) throw challengeGone();
    return createPasskeyAuthenticationOptions(ctx, { userId: challenge.userId, purpose: "second_factor" });
  }),

  /** Texts a sign-in code to the pending user's MFA phone (cooldown and hourly limit as for every SMS code). */
  sendSmsCode: publicProcedure.mutation(async ({ ctx }) => {
    const challenge = await findChallenge(ctx);
    if (!challenge) throw challengeGone();
    const sent = await sendSmsSecondFactorCode(ctx, challenge.userId);
    return { phone: sent.phone, resendInSeconds: sent.resendInSeconds };
  }),

  /** Finishes the second step: a right code gives the session (once), a wrong one uses one of 5 attempts. */
  secondFactor: publicProcedure
    .input(
      z.discriminatedUnion("strategy", [
        z.strictObject({ strategy: z.literal("totp"), code: codeInput }),
        z.strictObject({ strategy: z.literal("backup_code"), code: codeInput }),
        z.strictObject({ strategy: z.literal("phone_code"), code: codeInput }),
        z.strictObject({ strategy: z.literal("passkey"), challengeId: z.string().min(1).max(64), response: z.record(z.string(), z.unknown()) }),
      ]),
    )
    .mutation(async ({ ctx, input }) => {
      const token = ctx.signInChallengeToken;
      if (!token) throw challengeGone();
      const now = ctx.now();
      const tokenHash = hashSignInChallengeToken(token);
      // Reserve an attempt first (atomic): at most 5 codes are ever checked, however many arrive at once.
      const [reserved] = await ctx.db
        .update(signInChallenges)
        .set({ attempts: sql`${signInChallenges.attempts} + 1` })
        .where(
          and(
            eq(signInChallenges.tokenHash, tokenHash),
            isNull(signInChallenges.consumedAt),
            lt(signInChallenges.attempts, SIGN_IN_CHALLENGE_MAX_ATTEMPTS),
            gt(signInChallenges.expiresAt, now),
          ),
        )
        .returning({
          id: signInChallenges.id,
          userId: signInChallenges.userId,
          firstFactor: signInChallenges.firstFactor,
          organizationId: signInChallenges.organizationId,
          attempts: signInChallenges.attempts,
        });
      if (!reserved) {
        ctx.clearSignInChallengeCookie();
        throw challengeGone();
      }
      const [account] = await ctx.db
        .select({ bannedAt: users.bannedAt, deletedAt: users.deletedAt, lockedUntil: users.lockedUntil })
        .from(users)
        .where(eq(users.id, reserved.userId));
      if (!account || account.bannedAt || account.deletedAt || (account.lockedUntil && account.lockedUntil > now)) {
        await ctx.db.update(signInChallenges).set({ consumedAt: now }).where(eq(signInChallenges.id, reserved.id));
        await recordAuditEvent(ctx, { action: "session.second_factor", outcome: "failure", actorUserId: reserved.userId, targetType: "sign_in_challenge", targetId: reserved.id, details: { strategy: input.strategy, reason: "account_unusable" } });
        ctx.clearSignInChallengeCookie();
        throw challengeGone();
      }

      // Resolved before the transaction: the lookup runs on ctx.db (see startSession).
      const previous = await ctx.getAuth();
      let created;
      try {
        created = await ctx.db.transaction(async (tx) => {
          const [consumed] = await tx
            .update(signInChallenges)
            .set({ consumedAt: now })
            .where(and(eq(signInChallenges.id, reserved.id), isNull(signInChallenges.consumedAt), gt(signInChallenges.expiresAt, now)))
            .returning({ id: signInChallenges.id });
          if (!consumed) return null;
          if (!(await checkSecondFactor(ctx, tx, reserved.userId, input))) throw new WrongSecondFactor();
          await recordAuditEvent(ctx, { action: "session.second_factor", outcome: "success", actorUserId: reserved.userId, targetType: "sign_in_challenge", targetId: reserved.id, details: { strategy: input.strategy } }, tx);
          const started = await startSession(ctx, tx, {
            userId: reserved.userId,
            method: reserved.firstFactor,
            secondFactor: input.strategy as SecondFactorStrategy,
            previousSessionId: previous?.session.id ?? null,
          });
          // An SSO sign-in ends in its organization, as it does without a second factor (oauth-flow.ts).
          if (reserved.organizationId) await setActiveOrganization(tx, started.session.id, reserved.organizationId);
          return started;
        });
      } catch (error) {
        if (!(error instanceof WrongSecondFactor)) throw error;
        await recordAuditEvent(ctx, { action: "session.second_factor", outcome: "failure", actorUserId: reserved.userId, targetType: "sign_in_challenge", targetId: reserved.id, details: { strategy: input.strategy, attempt: reserved.attempts } });
        await countFailure(ctx, reserved.userId, now);
        if (reserved.attempts >= SIGN_IN_CHALLENGE_MAX_ATTEMPTS) {
          ctx.clearSignInChallengeCookie();
          throw challengeGone();
        }
        throw wrongCode();
      }
      if (!created) {
        ctx.clearSignInChallengeCookie();
        throw challengeGone();
      }
      ctx.clearSignInChallengeCookie();
      ctx.setSessionCookie(created.token, created.session.expiresAt);
      return { status: "complete" as const, userId: reserved.userId, sessionId: created.session.id };
    }),
} satisfies TRPCRouterRecord;

export const mfaRouter = {
  /** Which second factors the caller has, and whether a policy waits for one. */
  status: authedProcedure.allowWithoutMfa().routine().query(async ({ ctx }) => {
    const userId = ctx.user.id;
    const [[totp], [backup], [passkeyCount], [phoneCount]] = await Promise.all([
      ctx.db.select({ verifiedAt: totpFactors.verifiedAt }).from(totpFactors).where(eq(totpFactors.userId, userId)),
      ctx.db.select({ n: count() }).from(backupCodes).where(and(eq(backupCodes.userId, userId), isNull(backupCodes.usedAt))),
      ctx.db.select({ n: count() }).from(passkeys).where(eq(passkeys.userId, userId)),
      ctx.db
        .select({ n: count() })
        .from(phoneNumbers)
        .where(and(eq(phoneNumbers.userId, userId), eq(phoneNumbers.usedForMfa, true), isNotNull(phoneNumbers.verifiedAt))),
    ]);
    return {
      totp: { enabled: totp?.verifiedAt != null, enabledAt: totp?.verifiedAt ?? null, pending: totp !== undefined && totp.verifiedAt === null },
      backupCodesRemaining: backup?.n ?? 0,
      passkeys: passkeyCount?.n ?? 0,
      mfaPhones: phoneCount?.n ?? 0,
      setupRequired: ctx.auth.mfa.setupRequired,
      instanceRequired: ctx.auth.mfa.instanceRequired,
      organizationRequired: ctx.auth.mfa.organizationRequired,
    };
  }),

  totp: {
    /**
     * Starts (or restarts) enrolment: a new secret, encrypted at rest, not a factor until `confirm`. Refused while a
     * verified TOTP exists (remove it first). Returns the key as text, the otpauth URI and the QR code as SVG.
     */
    start: authedProcedure
      .allowWithoutMfa().sensitive()
      .use(requireReverification("strict"))
      .mutation(async ({ ctx }) => {
        const userId = ctx.user.id;
        const now = ctx.now();
        const secret = generateTotpSecret();
        const secretEncrypted = encryptSecret(ctx.keyring, encodeBase64(secret), totpContext(userId));
        await ctx.db.transaction(async (tx) => {
          const [existing] = await tx.select({ verifiedAt: totpFactors.verifiedAt }).from(totpFactors).where(eq(totpFactors.userId, userId)).for("update");
          if (existing?.verifiedAt) {
            throw new ApiError({ code: "CONFLICT", reason: "ALREADY_EXISTS", message: "Authenticator app is already on. Remove it first to set up another." });
          }
          await tx
            .insert(totpFactors)
            .values({ userId, secretEncrypted, createdAt: now })
            .onConflictDoUpdate({ target: totpFactors.userId, set: { secretEncrypted, lastUsedStep: null, verifiedAt: null, createdAt: now } });
          await recordAuditEvent(ctx, { action: "mfa.totp.started", outcome: "success", actorUserId: userId, actorSessionId: ctx.session.id, targetType: "user", targetId: userId }, tx);
        });
        const accountName = ctx.user.primaryEmail ?? ctx.user.username ?? userId;
        const uri = totpUri(secret, { issuer: TOTP_ISSUER, accountName });
        return { key: formatTotpKey(secret), uri, svg: await totpQrSvg(uri) };
      }),

    /**
     * The enrolment in progress (started, not yet confirmed), shown again to its owner — so a page without
     * JavaScript can re-display the QR code after a mistyped code. null when nothing is pending.
     */
    pending: authedProcedure.allowWithoutMfa().sensitive().query(async ({ ctx }) => {
      const userId = ctx.user.id;
      const [row] = await ctx.db
        .select({ secretEncrypted: totpFactors.secretEncrypted })
        .from(totpFactors)
        .where(and(eq(totpFactors.userId, userId), isNull(totpFactors.verifiedAt)));
      if (!row) return null;
      const secret = readSecret(ctx, userId, row.secretEncrypted);
      const uri = totpUri(secret, { issuer: TOTP_ISSUER, accountName: ctx.user.primaryEmail ?? ctx.user.username ?? userId });
      return { key: formatTotpKey(secret), uri, svg: await totpQrSvg(uri) };
    }),

    /** Turns the started TOTP on with a right code; the first factor also brings ten backup codes, shown once. */
    confirm: authedProcedure
      .allowWithoutMfa().sensitive()
      .input(z.strictObject({ code: codeInput }))
      .mutation(async ({ ctx, input }) => {
        const userId = ctx.user.id;
        const now = ctx.now();
        const [pending] = await ctx.db.select({ id: totpFactors.id }).from(totpFactors).where(and(eq(totpFactors.userId, userId), isNull(totpFactors.verifiedAt)));
        if (!pending) throw new ApiError({ code: "BAD_REQUEST", reason: "TOTP_NOT_STARTED", message: "Start setting up the authenticator app first." });
        const result = await ctx.db.transaction(async (tx) => {
          if (!(await useTotpCode(ctx, tx, userId, input.code, { verified: false }))) return null;
          await tx.update(totpFactors).set({ verifiedAt: now }).where(eq(totpFactors.userId, userId));
          const [existingBackup] = await tx.select({ n: count() }).from(backupCodes).where(and(eq(backupCodes.userId, userId), isNull(backupCodes.usedAt)));
          const codes = (existingBackup?.n ?? 0) === 0 ? await replaceBackupCodes(tx, userId, now) : null;
          await revokeOtherSessions(tx, userId, ctx.session.id);
          await recordAuditEvent(ctx, { action: "mfa.totp.enabled", outcome: "success", actorUserId: userId, actorSessionId: ctx.session.id, targetType: "user", targetId: userId, details: { backupCodesGenerated: codes !== null } }, tx);
          return { codes };
        });
        if (!result) {
          await recordAuditEvent(ctx, { action: "mfa.totp.enabled", outcome: "failure", actorUserId: userId, actorSessionId: ctx.session.id, targetType: "user", targetId: userId, details: { reason: "wrong_code" } });
          throw wrongCode();
        }
        await sendSecurityNotice(ctx, userId, "totp_added");
        if (result.codes) await sendSecurityNotice(ctx, userId, "backup_codes_generated");
        return { enabled: true as const, backupCodes: result.codes };
      }),

    /** Turns TOTP off. Backup codes go too when no other factor is left (they only count beside one). */
    remove: authedProcedure
      .allowWithoutMfa().sensitive()
      .use(requireReverification("strict"))
      .mutation(async ({ ctx }) => {
        const userId = ctx.user.id;
        const removed = await ctx.db.transaction(async (tx) => {
          const [row] = await tx.delete(totpFactors).where(eq(totpFactors.userId, userId)).returning({ verifiedAt: totpFactors.verifiedAt });
          if (!row) return null;
          const remaining = await secondFactorStrategies(tx, userId);
          if (remaining.length === 0) await tx.delete(backupCodes).where(eq(backupCodes.userId, userId));
          if (row.verifiedAt) await revokeOtherSessions(tx, userId, ctx.session.id);
          await recordAuditEvent(ctx, { action: "mfa.totp.removed", outcome: "success", actorUserId: userId, actorSessionId: ctx.session.id, targetType: "user", targetId: userId, details: { wasEnabled: row.verifiedAt !== null } }, tx);
          return row;
        });
        if (!removed) throw new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "There is no authenticator app to remove." });
        if (removed.verifiedAt) await sendSecurityNotice(ctx, userId, "totp_removed");
        return { removed: true as const };
      }),
  },

  backupCodes: {
    /** Ten new codes, shown once; the old set stops working at once. Needs another factor to exist. */
    regenerate: authedProcedure
      .allowWithoutMfa().sensitive()
      .use(requireReverification("strict"))
      .mutation(async ({ ctx }) => {
        const userId = ctx.user.id;
        const codes = await ctx.db.transaction(async (tx) => {
          const strategies = await secondFactorStrategies(tx, userId);
          if (!strategies.some((s) => s !== "backup_code")) return null;
          const fresh = await replaceBackupCodes(tx, userId, ctx.now());
          await recordAuditEvent(ctx, { action: "mfa.backup_codes.regenerated", outcome: "success", actorUserId: userId, actorSessionId: ctx.session.id, targetType: "user", targetId: userId }, tx);
          return fresh;
        });
        if (!codes) {
          throw new ApiError({ code: "BAD_REQUEST", reason: "SECOND_FACTOR_UNAVAILABLE", message: "Turn on a second factor first; backup codes only work beside one." });
        }
        await sendSecurityNotice(ctx, userId, "backup_codes_generated");
        return { backupCodes: codes };
      }),
  },

  /** The organization in scope: must its members use a second factor? */
  organizationPolicy: {
    get: orgProcedure.routine().query(({ ctx }) => ({ requireMfa: ctx.auth.mfa.organizationRequired })),

    /**
     * Turns "members must use MFA" on or off. An admin without a second factor can't turn it on (they would lock
     * themselves out of the organization's settings).
     */
    set: orgProcedure
      .permission("org:sys_profile:manage").sensitive()
      .input(z.strictObject({ requireMfa: z.boolean() }))
      .mutation(async ({ ctx, input }) => {
        if (input.requireMfa && !ctx.auth.mfa.hasSecondFactor) {
          throw new ApiError({ code: "FORBIDDEN", reason: "MFA_REQUIRED", field: "requireMfa", message: "requireMfa: Set up a second factor for yourself first." });
        }
        await ctx.db.transaction(async (tx) => {
          await tx.update(organizations).set({ requireMfa: input.requireMfa, updatedAt: ctx.now() }).where(eq(organizations.id, ctx.organization.id));
          await recordAuditEvent(
            ctx,
            { action: "organization.mfa_policy.updated", outcome: "success", actorUserId: ctx.user.id, actorSessionId: ctx.session.id, organizationId: ctx.organization.id, targetType: "organization", targetId: ctx.organization.id, details: { requireMfa: input.requireMfa } },
            tx,
          );
        });
        return { requireMfa: input.requireMfa };
      }),
  },
} satisfies TRPCRouterRecord;
