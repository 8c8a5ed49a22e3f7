/**
 * How every sign-in ends, whatever proved who the user is (password, emailed code, magic link): one place that starts
 * the session, so the methods can't drift apart on what a successful sign-in does.
 */
import { eq } from "drizzle-orm";
import { users } from "@latchkey/db";
import { createSession, defineRateLimit, HOUR, invalidateSession, resetRateLimit } from "@latchkey/auth";
import type { Context } from "./context.ts";
import { recordAuditEvent } from "./audit.ts";

/** How the user proved who they are; written to the audit log as `details.method`. */
export type SignInMethod = "password" | "email_code" | "magic_link" | "passkey" | "oauth";

/**
 * Failed sign-ins per account (SECURITY.md: 10 failures within an hour lock sign-in for 15 minutes). Counted by
 * `auth.signIn`; cleared here, because any successful sign-in shows the owner is back.
 */
export const signInFailures = defineRateLimit("sign-in:failures", 10, HOUR);

export interface SignInResult {
  userId: string;
  sessionId: string;
}

/**
 * Called once the first factor is proven and the account is known to be usable (not banned, deleted or locked).
 *
 * SECOND-FACTOR HOOK (MFA is a later issue): this is where a user with a verified second factor will get a
 * "needs second factor" answer — a pending sign-in to finish with TOTP, a backup code or a passkey — instead of a
 * session. Until second factors exist, every sign-in goes straight on to `startSession`.
 */
export async function completeSignIn(ctx: Context, input: { userId: string; method: SignInMethod }): Promise<SignInResult> {
  return startSession(ctx, input);
}

/**
 * The success tail: ends the caller's previous session (no session fixation, no stale identity), starts a new one,
 * records it and sets the cookie. The writes commit together; the cookie is set only after they did.
 */
async function startSession(ctx: Context, { userId, method }: { userId: string; method: SignInMethod }): Promise<SignInResult> {
  const now = ctx.now();
  const previous = await ctx.getAuth();
  const { session, token } = await ctx.db.transaction(async (tx) => {
    await resetRateLimit(tx, signInFailures, `user:${userId}`);
    if (previous) await invalidateSession(tx, previous.session.id);
    const created = await createSession(tx, { userId, ip: ctx.ip, userAgent: ctx.userAgent, now, policy: ctx.sessionPolicy });
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
        details: { method },
      },
      tx,
    );
    return created;
  });
  ctx.setSessionCookie(token, session.expiresAt);
  return { userId, sessionId: session.id };
}
