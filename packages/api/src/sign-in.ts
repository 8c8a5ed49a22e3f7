/**
 * How every sign-in ends, whatever proved who the user is (password, emailed code, magic link, passkey): one place
 * that decides between a session and the second step, so the methods can't drift apart on what success does.
 */
import { and, eq, isNull, sql } from "drizzle-orm";
import { signInChallenges, users, type Database } from "@latchkey/db";
import {
  createSession,
  defineRateLimit,
  generateSignInChallengeToken,
  hashSignInChallengeToken,
  HOUR,
  invalidateSession,
  resetRateLimit,
  SIGN_IN_CHALLENGE_TTL_MS,
} from "@latchkey/auth";
import type { Context } from "./context.ts";
import { recordAuditEvent } from "./audit.ts";
import { requireSignInAllowedForUser } from "./sign-in-policy.ts";

/** How the user proved who they are; written to the audit log as `details.method`. */
export type SignInMethod = "password" | "email_code" | "magic_link" | "passkey" | "oauth";

/** Ways to finish the second step. Dispatched in one place: `secondFactorChecks` in router/mfa.ts. */
export type SecondFactorStrategy = "totp" | "backup_code" | "passkey" | "phone_code";

/**
 * Failed sign-ins per account (SECURITY.md: 10 failures within an hour lock sign-in for 15 minutes). Counted by
 * `auth.signIn` and by wrong second-factor codes; cleared only when a session starts, because a right password
 * alone must not reset what wrong TOTP guesses counted.
 */
export const signInFailures = defineRateLimit("sign-in:failures", 10, HOUR);

export type SignInResult =
  | { status: "complete"; userId: string; sessionId: string }
  | { status: "needs_second_factor"; userId: string; strategies: SecondFactorStrategy[] };

/**
 * The second factors a user can finish a sign-in with. Backup codes count only next to another factor (they are the
 * fallback for a lost device, not a factor of their own).
 */
export async function secondFactorStrategies(db: Database, userId: string): Promise<SecondFactorStrategy[]> {
  const [row] = await db
    .select({
      // Written out with aliases: drizzle leaves columns inside sql`` unqualified, which would bind to the subquery's table.
      totp: sql<boolean>`exists (select 1 from totp_factors f where f.user_id = "users"."id" and f.verified_at is not null)`.mapWith(Boolean),
      passkey: sql<boolean>`exists (select 1 from passkeys p where p.user_id = "users"."id")`.mapWith(Boolean),
      phone: sql<boolean>`exists (select 1 from phone_numbers n where n.user_id = "users"."id" and n.used_for_mfa and n.verified_at is not null)`.mapWith(Boolean),
      backup: sql<boolean>`exists (select 1 from backup_codes b where b.user_id = "users"."id" and b.used_at is null)`.mapWith(Boolean),
    })
    .from(users)
    .where(eq(users.id, userId));
  if (!row) return [];
  const strategies: SecondFactorStrategy[] = [];
  if (row.totp) strategies.push("totp");
  if (row.passkey) strategies.push("passkey");
  if (row.phone) strategies.push("phone_code");
  if (strategies.length > 0 && row.backup) strategies.push("backup_code");
  return strategies;
}

/**
 * Called once the first factor is proven and the account is known to be usable (not banned, deleted or locked).
 * Refuses when the instance settings turned the method off or keep the account's primary address out (sign-in-policy.ts).
 *
 * A user with a second factor gets no session: a pending `sign_in_challenges` row (10 minutes, 5 wrong codes) whose
 * token goes into its own cookie, and `needs_second_factor` with the strategies to offer. A passkey sign-in skips
 * this: the passkey is something you have, unlocked by something you know or are — two factors already (ADR).
 */
export async function completeSignIn(ctx: Context, input: { userId: string; method: SignInMethod; organizationId?: string | null }): Promise<SignInResult> {
  // The instance settings, read now: the method may have been turned off, or the address listed, since the start.
  await requireSignInAllowedForUser(ctx, ctx.db, input.userId, input.method);
  if (input.method !== "passkey") {
    const strategies = await secondFactorStrategies(ctx.db, input.userId);
    if (strategies.length > 0) return startSecondStep(ctx, input, strategies);
  }
  const previous = await ctx.getAuth();
  const { session, token } = await ctx.db.transaction((tx) => startSession(ctx, tx, { ...input, previousSessionId: previous?.session.id ?? null }));
  ctx.setSessionCookie(token, session.expiresAt);
  return { status: "complete", userId: input.userId, sessionId: session.id };
}

async function startSecondStep(
  ctx: Context,
  { userId, method, organizationId }: { userId: string; method: SignInMethod; organizationId?: string | null },
  strategies: SecondFactorStrategy[],
): Promise<SignInResult> {
  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + SIGN_IN_CHALLENGE_TTL_MS);
  const { token, tokenHash } = generateSignInChallengeToken();
  await ctx.db.transaction(async (tx) => {
    // One pending second step per browser: an older challenge of this caller's cookie dies with the new one.
    if (ctx.signInChallengeToken) {
      await tx
        .update(signInChallenges)
        .set({ consumedAt: now })
        .where(and(eq(signInChallenges.tokenHash, hashSignInChallengeToken(ctx.signInChallengeToken)), isNull(signInChallenges.consumedAt)));
    }
    const [challenge] = await tx
      .insert(signInChallenges)
      .values({ tokenHash, userId, firstFactor: method, organizationId: organizationId ?? null, ip: ctx.ip, userAgent: ctx.userAgent, expiresAt, createdAt: now })
      .returning({ id: signInChallenges.id });
    await recordAuditEvent(
      ctx,
      {
        action: "session.second_factor_required",
        outcome: "success",
        actorUserId: userId,
        targetType: "sign_in_challenge",
        targetId: challenge!.id,
        details: { method, strategies },
      },
      tx,
    );
  });
  ctx.setSignInChallengeCookie(token, expiresAt);
  return { status: "needs_second_factor", userId, strategies };
}

/**
 * The success tail, inside the caller's transaction: ends the caller's previous session (no session fixation, no
 * stale identity), starts a new one and records it. The caller sets the cookie only after the transaction committed.
 * The caller resolves `ctx.getAuth()` BEFORE opening the transaction: that lookup runs on `ctx.db`, and inside an open
 * transaction it would wait forever for PGlite's single connection.
 */
export async function startSession(
  ctx: Context,
  tx: Database,
  {
    userId,
    method,
    secondFactor,
    previousSessionId,
  }: { userId: string; method: SignInMethod | string; secondFactor?: SecondFactorStrategy; previousSessionId: string | null },
) {
  const now = ctx.now();
  await resetRateLimit(tx, signInFailures, `user:${userId}`);
  if (previousSessionId) await invalidateSession(tx, previousSessionId);
  const created = await createSession(tx, { userId, ip: ctx.ip, userAgent: ctx.userAgent, now, policy: await ctx.getSessionPolicy(tx) });
  await tx.update(users).set({ lastSignInAt: now }).where(eq(users.id, userId));
  await recordAuditEvent(
    ctx,
    {
      action: "session.sign_in",
      outcome: "success",
      actorUserId: userId,
      actorSessionId: created.session.id,
      targetType: "session",
      targetId: created.session.id,
      details: secondFactor ? { method, secondFactor } : { method },
    },
    tx,
  );
  return created;
}
