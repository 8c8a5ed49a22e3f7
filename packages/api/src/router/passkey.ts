/**
 * Passkeys: register (after reverification), list, rename, remove (after reverification), and sign in with one.
 *
 * Registration is two calls: `registrationOptions` stores a challenge bound to the caller and returns the options for
 * `startRegistration` in the browser; `register` consumes that challenge and stores the verified credential. Sign-in
 * is the same with `authenticationOptions` (public, discoverable credentials, no allow list) and `signIn`, which ends
 * in `completeSignIn(…, method "passkey")`. Helpers shared with the second step of sign-in live in ../passkeys.ts.
 *
 * Limits: options and sign-in per IP (they create rows and cost a signature check); registration per user.
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { and, asc, eq, isNotNull } from "drizzle-orm";
import { z } from "zod";
import { emailAddresses, isUniqueViolation, passkeys, users } from "@latchkey/db";
import { defineRateLimit, generateRegistrationOptions, invalidateUserSessions, MINUTE, verifyRegistrationResponse, type RegistrationResponseJSON } from "@latchkey/auth";
import { ApiError } from "../errors.ts";
import { recordAuditEvent } from "../audit.ts";
import { enforceRateLimit } from "../rate-limits.ts";
import { completeSignIn } from "../sign-in.ts";
import { requireSignInMethod } from "../sign-in-policy.ts";
import { sendSecurityNotice } from "../security-notice.ts";
import { getInstanceSettings } from "../instance-settings.ts";
import { authedProcedure, publicProcedure, requireReverification } from "../trpc.ts";
import { idSchema } from "../validation.ts";
import type { Context } from "../context.ts";
import {
  accountRefusal,
  authenticationResponseSchema,
  challengeIdSchema,
  consumeChallenge,
  createPasskeyAuthenticationOptions,
  defaultPasskeyName,
  PasskeyAuthenticationError,
  passkeyRefused,
  passkeysOf,
  registrationResponseSchema,
  relyingParty,
  responseError,
  storeChallenge,
  toTransports,
  verifyPasskeyAuthentication,
  WEBAUTHN_TIMEOUT_MS,
} from "../passkeys.ts";

/** At most this many passkeys per account. */
export const MAX_PASSKEYS = 20;

const optionsPerIp = defineRateLimit("passkey-options:ip", 100, 15 * MINUTE);
const signInsPerIp = defineRateLimit("passkey-sign-in:ip", 50, 15 * MINUTE);
const registrationsPerUser = defineRateLimit("passkey-register:user", 20, 15 * MINUTE);

const passkeyIdSchema = idSchema("pk");
const passkeyNameSchema = z.string().trim().min(1, "Enter a name.").max(64, "At most 64 characters.");

const notFound = () => new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "That passkey was not found on your account." });

type Actor = Pick<Context, "db" | "ip" | "userAgent" | "now"> & { user: { id: string }; session: { id: string } };

function audit(ctx: Actor, action: string, outcome: "success" | "failure", passkeyId: string | null, details: Record<string, unknown>, db: Context["db"] = ctx.db) {
  return recordAuditEvent(
    ctx,
    {
      action,
      outcome,
      actorUserId: ctx.user.id,
      actorSessionId: ctx.session.id,
      targetType: passkeyId ? "passkey" : "user",
      targetId: passkeyId ?? ctx.user.id,
      details,
    },
    db,
  );
}

const listedColumns = {
  id: passkeys.id,
  name: passkeys.name,
  createdAt: passkeys.createdAt,
  lastUsedAt: passkeys.lastUsedAt,
  deviceType: passkeys.deviceType,
  backedUp: passkeys.backedUp,
  transports: passkeys.transports,
};

/** The WebAuthn user handle: the user id's bytes (random, not personal), stable so one authenticator keeps one passkey per account. */
function userHandle(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(new TextEncoder().encode(userId));
}

/** With email verification required, an account without a verified address signs in with nothing (as for a password). */
async function lacksVerifiedAddress(ctx: Context, userId: string): Promise<boolean> {
  if (!(await getInstanceSettings(ctx.db)).requireEmailVerification) return false;
  const [row] = await ctx.db
    .select({ id: emailAddresses.id })
    .from(emailAddresses)
    .where(and(eq(emailAddresses.userId, userId), isNotNull(emailAddresses.verifiedAt)))
    .limit(1);
  return !row;
}

export const passkeyRouter = {
  /** The caller's passkeys (never the key material or credential id). */
  list: authedProcedure.allowWithoutMfa().routine().query(async ({ ctx }) => {
    return ctx.db.select(listedColumns).from(passkeys).where(eq(passkeys.userId, ctx.user.id)).orderBy(asc(passkeys.createdAt), asc(passkeys.id));
  }),

  /** Options for `startRegistration`; the caller's passkeys are excluded so an authenticator isn't registered twice. */
  registrationOptions: authedProcedure
    .allowWithoutMfa().sensitive()
    .use(requireReverification("strict"))
    .mutation(async ({ ctx }) => {
      await enforceRateLimit(ctx, registrationsPerUser, `user:${ctx.user.id}`);
      const mine = await passkeysOf(ctx.db, ctx.user.id);
      if (mine.length >= MAX_PASSKEYS) {
        throw new ApiError({ code: "BAD_REQUEST", reason: "PASSKEY_LIMIT_REACHED", message: `You can have at most ${MAX_PASSKEYS} passkeys. Remove one first.` });
      }
      const [primary] = await ctx.db
        .select({ email: emailAddresses.email })
        .from(emailAddresses)
        .where(and(eq(emailAddresses.userId, ctx.user.id), eq(emailAddresses.isPrimary, true)));
      const [user] = await ctx.db.select({ firstName: users.firstName, lastName: users.lastName, username: users.username }).from(users).where(eq(users.id, ctx.user.id));
      const userName = primary?.email ?? user?.username ?? ctx.user.id;
      const displayName = [user?.firstName, user?.lastName].filter(Boolean).join(" ") || userName;
      const rp = relyingParty(ctx);
      const options = await generateRegistrationOptions({
        rpName: rp.name,
        rpID: rp.id,
        userName,
        userDisplayName: displayName,
        userID: userHandle(ctx.user.id),
        timeout: WEBAUTHN_TIMEOUT_MS,
        attestationType: "none",
        excludeCredentials: mine.map((p) => ({ id: p.credentialId, transports: toTransports(p.transports) })),
        authenticatorSelection: { residentKey: "required", userVerification: "preferred" },
      });
      const challengeId = await storeChallenge(ctx, { purpose: "registration", challenge: options.challenge, userId: ctx.user.id });
      return { challengeId, options };
    }),

  /** Verifies the new credential against the caller's challenge and stores it. */
  register: authedProcedure
    .allowWithoutMfa().sensitive()
    .use(requireReverification("strict"))
    .input(z.object({ challengeId: challengeIdSchema, response: registrationResponseSchema, name: passkeyNameSchema.optional() }))
    .mutation(async ({ ctx, input }) => {
      const expectedChallenge = await consumeChallenge(ctx, { challengeId: input.challengeId, purpose: "registration", userId: ctx.user.id });
      const rp = relyingParty(ctx);
      let verification;
      try {
        verification = await verifyRegistrationResponse({
          response: input.response as RegistrationResponseJSON,
          expectedChallenge,
          expectedOrigin: rp.origin,
          expectedRPID: rp.id,
          requireUserVerification: false,
        });
      } catch {
        verification = null;
      }
      if (!verification?.verified) {
        await audit(ctx, "user.passkey_add_failed", "failure", null, { reason: "invalid_response" });
        throw responseError();
      }
      const info = verification.registrationInfo;
      const now = ctx.now();
      let added;
      try {
        added = await ctx.db.transaction(async (tx) => {
          // Serialises registrations of one user, so the cap holds under concurrent calls.
          await tx.select({ id: users.id }).from(users).where(eq(users.id, ctx.user.id)).for("update");
          const count = (await tx.select({ id: passkeys.id }).from(passkeys).where(eq(passkeys.userId, ctx.user.id))).length;
          if (count >= MAX_PASSKEYS) {
            throw new ApiError({ code: "BAD_REQUEST", reason: "PASSKEY_LIMIT_REACHED", message: `You can have at most ${MAX_PASSKEYS} passkeys. Remove one first.` });
          }
          const [row] = await tx
            .insert(passkeys)
            .values({
              userId: ctx.user.id,
              credentialId: info.credential.id,
              publicKey: Buffer.from(info.credential.publicKey),
              counter: info.credential.counter,
              transports: info.credential.transports ?? input.response.response.transports ?? [],
              deviceType: info.credentialDeviceType,
              backedUp: info.credentialBackedUp,
              aaguid: info.aaguid,
              name: input.name ?? defaultPasskeyName(ctx.userAgent),
              createdAt: now,
            })
            .returning(listedColumns);
          await audit(ctx, "user.passkey_added", "success", row!.id, { name: row!.name, deviceType: row!.deviceType, backedUp: row!.backedUp }, tx);
          return row!;
        });
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new ApiError({ code: "CONFLICT", reason: "PASSKEY_ALREADY_REGISTERED", message: "This passkey is already registered." });
        }
        throw error;
      }
      await sendSecurityNotice(ctx, ctx.user.id, "passkey_added");
      return added;
    }),

  rename: authedProcedure
    .allowWithoutMfa().sensitive()
    .input(z.object({ passkeyId: passkeyIdSchema, name: passkeyNameSchema }))
    .mutation(async ({ ctx, input }) => {
      return ctx.db.transaction(async (tx) => {
        const [row] = await tx
          .update(passkeys)
          .set({ name: input.name })
          .where(and(eq(passkeys.id, input.passkeyId), eq(passkeys.userId, ctx.user.id)))
          .returning(listedColumns);
        if (!row) throw notFound();
        await audit(ctx, "user.passkey_renamed", "success", row.id, { name: row.name }, tx);
        return row;
      });
    }),

  remove: authedProcedure
    .allowWithoutMfa().sensitive()
    .use(requireReverification("strict"))
    .input(z.object({ passkeyId: passkeyIdSchema }))
    .mutation(async ({ ctx, input }) => {
      await ctx.db.transaction(async (tx) => {
        const [row] = await tx
          .delete(passkeys)
          .where(and(eq(passkeys.id, input.passkeyId), eq(passkeys.userId, ctx.user.id)))
          .returning({ id: passkeys.id, name: passkeys.name });
        if (!row) throw notFound();
        // Whoever signed in elsewhere (perhaps with this very passkey) is signed out; this session stays.
        const sessionsEnded = await invalidateUserSessions(tx, ctx.user.id, ctx.session.id);
        await audit(ctx, "user.passkey_removed", "success", row.id, { name: row.name, sessionsEnded }, tx);
      });
      await sendSecurityNotice(ctx, ctx.user.id, "passkey_removed");
      return { passkeyId: input.passkeyId, removed: true as const };
    }),

  /** Options for a passkey sign-in (discoverable credentials: the browser offers the passkeys it holds for this site). */
  authenticationOptions: publicProcedure.mutation(async ({ ctx }) => {
    if (ctx.ip) await enforceRateLimit(ctx, optionsPerIp, `ip:${ctx.ip}`);
    await requireSignInMethod(ctx, "passkey");
    return createPasskeyAuthenticationOptions(ctx, { userId: null, purpose: "authentication" });
  }),

  /** Signs in with a passkey. Unknown credentials, bad signatures and unusable accounts all get one generic answer. */
  signIn: publicProcedure
    .input(z.object({ challengeId: challengeIdSchema, response: authenticationResponseSchema }))
    .mutation(async ({ ctx, input }) => {
      if (ctx.ip) await enforceRateLimit(ctx, signInsPerIp, `ip:${ctx.ip}`);
      await requireSignInMethod(ctx, "passkey");
      let verified;
      try {
        verified = await verifyPasskeyAuthentication(ctx, { challengeId: input.challengeId, response: input.response as never });
      } catch (error) {
        if (error instanceof PasskeyAuthenticationError) {
          await recordAuditEvent(ctx, { action: "session.sign_in", outcome: "failure", details: { method: "passkey", reason: "passkey_not_accepted" } });
        }
        throw error;
      }
      const refusal = (await accountRefusal(ctx, verified.userId)) ?? ((await lacksVerifiedAddress(ctx, verified.userId)) ? "email_not_verified" : null);
      if (refusal) {
        await recordAuditEvent(ctx, {
          action: "session.sign_in",
          outcome: "failure",
          actorUserId: verified.userId,
          details: { method: "passkey", reason: refusal, passkeyId: verified.passkeyId },
        });
        throw passkeyRefused();
      }
      return completeSignIn(ctx, { userId: verified.userId, method: "passkey" });
    }),
} satisfies TRPCRouterRecord;
