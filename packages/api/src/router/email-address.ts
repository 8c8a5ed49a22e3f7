/**
 * The caller's email addresses (SECURITY.md: a new address is used only after it is confirmed, changing the primary
 * one needs reverification and the old one is told; an address that belongs to someone answers exactly as a new one).
 *
 * Adding is two steps: `add` mails a 6-digit code to the new address (a verification with purpose `add_email`, target
 * `<userId>:<address>`, userId the caller) and stores nothing else, so nobody can squat an address they don't control; `verify`
 * with the right code inserts it, verified and secondary. An address that already belongs to another account gets
 * the same answer and the same pending entry, but no email: its code exists only as a hash and can never be typed.
 *
 * Limits: `add` sends email, so it is limited per user, per IP and per receiving address; `verify` per user and per IP
 * on top of the 5 attempts each code allows.
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { and, asc, desc, eq, gt, isNull } from "drizzle-orm";
import { z } from "zod";
import { emailAddresses, isUniqueViolation, users, verifications } from "@latchkey/db";
import { createVerification, defineRateLimit, HOUR, MINUTE, verifyCode } from "@latchkey/auth";
import type { Context } from "../context.ts";
import { ApiError, fieldError } from "../errors.ts";
import { logMailFailure } from "../mail/index.ts";
import { codeError } from "../verification-errors.ts";
import { enforceRateLimit } from "../rate-limits.ts";
import { recordAuditEvent, type AuditInput } from "../audit.ts";
import { authedProcedure, requireReverification } from "../trpc.ts";
import { emailSchema, idSchema } from "../validation.ts";
import { testModeCode } from "../test-mode.ts";

/** At most this many addresses per account, the primary included. */
export const MAX_EMAIL_ADDRESSES = 10;
/** SECURITY.md: email codes live at most 10 minutes. */
const ADD_EMAIL_TTL_MS = 10 * MINUTE;

const addsPerUser = defineRateLimit("email-add:user", 10, HOUR);
const addsPerIp = defineRateLimit("email-add:ip", 30, HOUR);
/** One address receives at most this many codes, whoever asks: no mail-bombing a stranger through many accounts. */
const addsPerAddress = defineRateLimit("email-add:email", 5, HOUR);
const verifiesPerUser = defineRateLimit("email-verify:user", 20, 15 * MINUTE);
const verifiesPerIp = defineRateLimit("email-verify:ip", 60, 15 * MINUTE);

const emailAddressIdSchema = idSchema("idn");
const codeSchema = z
  .string()
  .trim()
  .min(1, "Enter the code from the email.")
  .max(16, "Enter the 6-digit code from the email.")
  .regex(/^\d{6}$/, "Enter the 6-digit code from the email.");

type Actor = Pick<Context, "db" | "ip" | "userAgent" | "now"> & { user: { id: string }; session: { id: string } };

/** An audit event about the caller's own account. */
function audit(ctx: Actor, event: Omit<AuditInput, "actorUserId" | "actorSessionId" | "targetType" | "targetId">, db: Context["db"] = ctx.db) {
  return recordAuditEvent(
    ctx,
    { ...event, actorUserId: ctx.user.id, actorSessionId: ctx.session.id, targetType: "user", targetId: ctx.user.id },
    db,
  );
}

const notFound = () => new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "That email address was not found on your account." });

/** Serialises changes to one user's addresses (cap, primary, last verified), so two requests can't both pass a check. */
async function lockUser(tx: Context["db"], userId: string): Promise<void> {
  await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for("update");
}

/** Locks the user's addresses against concurrent changes (see `lockUser`) and reads them. */
async function lockedAddresses(tx: Context["db"], userId: string) {
  await lockUser(tx, userId);
  return tx
    .select({ id: emailAddresses.id, email: emailAddresses.email, isPrimary: emailAddresses.isPrimary, verifiedAt: emailAddresses.verifiedAt })
    .from(emailAddresses)
    .where(eq(emailAddresses.userId, userId));
}

async function countAddresses(db: Context["db"], userId: string): Promise<number> {
  const rows = await db.select({ id: emailAddresses.id }).from(emailAddresses).where(eq(emailAddresses.userId, userId));
  return rows.length;
}

const limitReached = () =>
  fieldError("email", `You can have at most ${MAX_EMAIL_ADDRESSES} email addresses. Remove one first.`, "EMAIL_LIMIT_REACHED");

/**
 * An `add_email` verification belongs to one user and one address: someone else starting to add the same address gets
 * a row of their own and cancels nothing, and nobody can spend another account's attempts.
 */
function addEmailTarget(userId: string, email: string): string {
  return `${userId}:${email}`;
}

/** Runs a change; a refusal is audited as a failure (outside the rolled-back transaction) and passed on. */
async function auditedRefusal<T>(ctx: Actor, action: string, run: () => Promise<T>, details: Record<string, unknown>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ApiError) await audit(ctx, { action, outcome: "failure", details: { ...details, reason: error.reason } });
    throw error;
  }
}

export const emailAddressRouter = {
  /** The caller's addresses, primary first, and the additions waiting for their code. */
  list: authedProcedure.routine().query(async ({ ctx }) => {
    const addresses = await ctx.db
      .select({ id: emailAddresses.id, email: emailAddresses.email, isPrimary: emailAddresses.isPrimary, verifiedAt: emailAddresses.verifiedAt })
      .from(emailAddresses)
      .where(eq(emailAddresses.userId, ctx.user.id))
      .orderBy(desc(emailAddresses.isPrimary), asc(emailAddresses.createdAt), asc(emailAddresses.email));
    const live = await ctx.db
      .select({ target: verifications.target, expiresAt: verifications.expiresAt })
      .from(verifications)
      .where(
        and(
          eq(verifications.purpose, "add_email"),
          eq(verifications.userId, ctx.user.id),
          isNull(verifications.consumedAt),
          gt(verifications.expiresAt, ctx.now()),
        ),
      )
      .orderBy(asc(verifications.createdAt));
    const own = new Set(addresses.map((a) => a.email));
    const prefix = addEmailTarget(ctx.user.id, "");
    const pending = live.map((p) => ({ email: p.target.slice(prefix.length), expiresAt: p.expiresAt }));
    return { addresses, pending: pending.filter((p) => !own.has(p.email)) };
  }),

  /** Mails a code to the new address; an address with an account answers the same and gets nothing. */
  add: authedProcedure
    .sensitive()
    .input(z.object({ email: emailSchema }))
    .mutation(async ({ ctx, input }) => {
      await enforceRateLimit(ctx, addsPerUser, `user:${ctx.user.id}`);
      if (ctx.ip) await enforceRateLimit(ctx, addsPerIp, `ip:${ctx.ip}`);
      await enforceRateLimit(ctx, addsPerAddress, `email:${input.email}`);
      const [owner] = await ctx.db
        .select({ userId: emailAddresses.userId })
        .from(emailAddresses)
        .where(eq(emailAddresses.email, input.email))
        .limit(1);
      // Telling the caller about their own address reveals nothing they don't know.
      if (owner?.userId === ctx.user.id) {
        throw fieldError("email", "This email address is already on your account.", "EMAIL_ALREADY_YOURS");
      }
      if ((await countAddresses(ctx.db, ctx.user.id)) >= MAX_EMAIL_ADDRESSES) throw limitReached();
      const { code, expiresAt } = await createVerification(ctx.db, {
        purpose: "add_email",
        target: addEmailTarget(ctx.user.id, input.email),
        userId: ctx.user.id,
        ttlMs: ADD_EMAIL_TTL_MS,
        code: true,
        ...(await testModeCode(ctx.db, input.email)),
        now: ctx.now(),
      });
      if (owner) {
        await audit(ctx, { action: "user.email_add_requested", outcome: "failure", details: { email: input.email, reason: "address_in_use" } });
      } else {
        // Not awaited: waiting for the mail server would make a free address answer slower than a taken one.
        void ctx.mailer
          .sendVerificationCode({ to: input.email, locale: ctx.user.locale, code: code! })
          .catch(logMailFailure("add-email code"));
        await audit(ctx, { action: "user.email_add_requested", outcome: "success", details: { email: input.email } });
      }
      return { email: input.email, expiresAt };
    }),

  /** The emailed code adds the address, verified and secondary. */
  verify: authedProcedure
    .sensitive()
    .input(z.object({ email: emailSchema, code: codeSchema }))
    .mutation(async ({ ctx, input }) => {
      await enforceRateLimit(ctx, verifiesPerUser, `user:${ctx.user.id}`);
      if (ctx.ip) await enforceRateLimit(ctx, verifiesPerIp, `ip:${ctx.ip}`);
      return auditedRefusal(
        ctx,
        "user.email_add_failed",
        async () => {
          if ((await countAddresses(ctx.db, ctx.user.id)) >= MAX_EMAIL_ADDRESSES) throw limitReached();
          const now = ctx.now();
          try {
            // The address is added in the code check's transaction: a limit refusal or a taken address rolls the check
            // back with it, and a double submission adds it once and tells the other "already used".
            const result = await verifyCode(ctx.db, { purpose: "add_email", target: addEmailTarget(ctx.user.id, input.email), code: input.code, now }, async (tx) => {
              await lockUser(tx, ctx.user.id);
              if ((await countAddresses(tx, ctx.user.id)) >= MAX_EMAIL_ADDRESSES) throw limitReached();
              const [added] = await tx
                .insert(emailAddresses)
                .values({ userId: ctx.user.id, email: input.email, isPrimary: false, verifiedAt: now, createdAt: now })
                .returning({ id: emailAddresses.id, email: emailAddresses.email, isPrimary: emailAddresses.isPrimary, verifiedAt: emailAddresses.verifiedAt });
              await audit(ctx, { action: "user.email_added", outcome: "success", details: { emailAddressId: added!.id, email: added!.email } }, tx);
              return added!;
            });
            if (!result.ok && result.reason === "already_verified") {
              throw fieldError("code", "This email address is already on your account.", "EMAIL_ALREADY_YOURS");
            }
            if (!result.ok) throw codeError(result.reason);
            return result.value;
          } catch (error) {
            // Taken by someone else meanwhile: answered like a wrong code, so it tells nothing about that account.
            if (isUniqueViolation(error)) throw codeError("invalid");
            throw error;
          }
        },
        { email: input.email },
      );
    }),

  /** Makes a verified address of the caller's primary, in one transaction, and tells the old primary address. */
  setPrimary: authedProcedure
    .sensitive()
    .use(requireReverification("strict"))
    .input(z.object({ emailAddressId: emailAddressIdSchema }))
    .mutation(async ({ ctx, input }) => {
      const change = await auditedRefusal(
        ctx,
        "user.primary_email_changed",
        () =>
          ctx.db.transaction(async (tx) => {
            const mine = await lockedAddresses(tx, ctx.user.id);
            const next = mine.find((a) => a.id === input.emailAddressId);
            if (!next) throw notFound();
            const previous = mine.find((a) => a.isPrimary) ?? null;
            if (previous?.id === next.id) return null;
            if (!next.verifiedAt) {
              throw new ApiError({ code: "CONFLICT", reason: "EMAIL_NOT_VERIFIED", message: "Only a verified email address can be primary." });
            }
            // Old one off first: the one-primary-per-user index holds at every statement.
            if (previous) await tx.update(emailAddresses).set({ isPrimary: false }).where(eq(emailAddresses.id, previous.id));
            await tx.update(emailAddresses).set({ isPrimary: true }).where(eq(emailAddresses.id, next.id));
            await tx.update(users).set({ updatedAt: ctx.now() }).where(eq(users.id, ctx.user.id));
            await audit(
              ctx,
              { action: "user.primary_email_changed", outcome: "success", details: { from: previous?.email ?? null, to: next.email, emailAddressId: next.id } },
              tx,
            );
            return { previous: previous?.email ?? null, next: next.email };
          }),
        { emailAddressId: input.emailAddressId },
      );
      if (change?.previous) {
        await ctx.mailer
          .sendPrimaryEmailChanged({ to: change.previous, locale: ctx.user.locale, newEmail: change.next })
          .catch(logMailFailure("primary-email notice"));
      }
      return { emailAddressId: input.emailAddressId, changed: change !== null };
    }),

  /** Removes one of the caller's addresses: never the primary one, never the last verified one. */
  remove: authedProcedure
    .sensitive()
    .input(z.object({ emailAddressId: emailAddressIdSchema }))
    .mutation(async ({ ctx, input }) => {
      return auditedRefusal(
        ctx,
        "user.email_removed",
        () =>
          ctx.db.transaction(async (tx) => {
            const mine = await lockedAddresses(tx, ctx.user.id);
            const target = mine.find((a) => a.id === input.emailAddressId);
            if (!target) throw notFound();
            if (target.isPrimary) {
              throw new ApiError({ code: "CONFLICT", reason: "CANNOT_REMOVE_PRIMARY_EMAIL", message: "The primary email address can't be removed. Make another one primary first." });
            }
            if (target.verifiedAt && mine.filter((a) => a.verifiedAt).length <= 1) {
              throw new ApiError({ code: "CONFLICT", reason: "CANNOT_REMOVE_LAST_VERIFIED_EMAIL", message: "Your only verified email address can't be removed." });
            }
            await tx.delete(emailAddresses).where(and(eq(emailAddresses.id, target.id), eq(emailAddresses.userId, ctx.user.id)));
            await audit(ctx, { action: "user.email_removed", outcome: "success", details: { emailAddressId: target.id, email: target.email } }, tx);
            return { emailAddressId: target.id, removed: true as const };
          }),
        { emailAddressId: input.emailAddressId },
      );
    }),
} satisfies TRPCRouterRecord;
