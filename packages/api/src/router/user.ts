import type { TRPCRouterRecord } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { emailAddresses, users } from "@latchkey/db";
import { authedProcedure } from "../trpc.ts";
import { recordAuditEvent } from "../audit.ts";
import { personNameSchema, usernameSchema } from "../validation.ts";
import { accountProcedures } from "./account.ts";
import { metadataPatchSchema, writeMetadata } from "../metadata.ts";
import { ApiError } from "../errors.ts";

export 
const imageUrlSchema = z
  .string()
  .trim()
  .max(2048, "At most 2048 characters.")
  .pipe(z.url({ protocol: /^https$/, error: "Use an https:// address." }));

/** The profile fields a user may see and edit about themselves. */
const profileColumns = {
  id: users.id,
  firstName: users.firstName,
  lastName: users.lastName,
  username: users.username,
  imageUrl: users.imageUrl,
  locale: users.locale,
};

export const userRouter = {
  me: authedProcedure.routine().query(async ({ ctx }) => {
    const [user] = await ctx.db
      .select({
        ...profileColumns,
        publicMetadata: users.publicMetadata,
        unsafeMetadata: users.unsafeMetadata,
        createdAt: users.createdAt,
        lastSignInAt: users.lastSignInAt,
        primaryEmail: emailAddresses.email,
        primaryEmailVerifiedAt: emailAddresses.verifiedAt,
      })
      .from(users)
      .leftJoin(emailAddresses, and(eq(emailAddresses.userId, users.id), eq(emailAddresses.isPrimary, true)))
      .where(eq(users.id, ctx.user.id))
      .limit(1);
    return user!;
  }),

  updateProfile: authedProcedure
    .sensitive()
    .input(
      z.object({
        firstName: personNameSchema.nullable().optional(),
        lastName: personNameSchema.nullable().optional(),
        username: usernameSchema.nullable().optional(),
        imageUrl: imageUrlSchema.nullable().optional(),
        locale: z.enum(["en-US", "pl-PL"]).nullable().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const changes = Object.fromEntries(
        Object.entries(input)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => [k, v === "" ? null : v]),
      );
      const [updated] = await ctx.db
        .update(users)
        .set({ ...changes, updatedAt: ctx.now() })
        .where(eq(users.id, ctx.user.id))
        .returning(profileColumns);
      await recordAuditEvent(ctx, {
        action: "user.updated",
        outcome: "success",
        actorUserId: ctx.user.id,
        actorSessionId: ctx.session.id,
        targetType: "user",
        targetId: ctx.user.id,
        details: { fields: Object.keys(changes) },
      });
      return updated!;
    }),

  // devices: change password, account status, delete account (router/account.ts)
  ...accountProcedures,
  // --- metadata (audit helper) ---
  /**
   * The user's own unsafe metadata (Clerk's `unsafeMetadata`). Merges like Clerk: top-level keys replace, `null`
   * removes a key, absent keys stay; `replace: true` stores the object as given (the /user editor). Public and private
   * metadata are written only by the server (`createLatchkeyClient`). Returns what the browser may see.
   */
  updateUnsafeMetadata: authedProcedure
    .routine()
    .input(z.object({ unsafeMetadata: metadataPatchSchema, replace: z.boolean().optional() }))
    .mutation(async ({ ctx, input }) => {
      return ctx.db.transaction(async (tx) => {
        const written = await writeMetadata(tx, { type: "user", id: ctx.user.id }, { unsafeMetadata: input.unsafeMetadata }, { now: ctx.now(), replace: input.replace ?? false });
        if (!written) throw new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "That user does not exist." });
        await recordAuditEvent(
          ctx,
          {
            action: "user.metadata_updated",
            outcome: "success",
            actorUserId: ctx.user.id,
            actorSessionId: ctx.session.id,
            targetType: "user",
            targetId: ctx.user.id,
            // Which kinds changed and which top-level keys were sent; never the values.
            details: { fields: written.changed, keys: Object.keys(input.unsafeMetadata).slice(0, 50), mode: input.replace ? "replace" : "merge" },
          },
          tx,
        );
        return { publicMetadata: written.metadata.publicMetadata ?? {}, unsafeMetadata: written.metadata.unsafeMetadata ?? {} };
      });
    }),
} satisfies TRPCRouterRecord;
