/**
 * Session JWTs and what they are signed with:
 * - `token.get({ template? })` — any signed-in caller: the session JWT (60 s) or a template token (ADR session JWTs);
 * - `signingKey.list` / `signingKey.rotate` — instance admins: the keys, and rotation;
 * - `jwtTemplate.*` — instance admins: named templates (`getToken({ template: "supabase" })`) and a preview of the
 *   claims the admin's own token would carry.
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { asc, eq } from "drizzle-orm";
import { z } from "zod";
import { isUniqueViolation, jwtTemplates } from "@latchkey/db";
import { authedProcedure, instanceAdminProcedure } from "../trpc.ts";
import { ApiError } from "../errors.ts";
import { recordAuditEvent } from "../audit.ts";
import type { Context } from "../context.ts";
import { parseClaimsText, validateTemplateClaims } from "../jwt-template-claims.ts";
import { buildTokenClaims, findTemplate, issueToken } from "../session-token.ts";
import { extendRetiredKeys, listSigningKeys, rotateSigningKey, signingAlgorithms } from "../signing-keys.ts";

export const templateNameSchema = z
  .string("Enter a name.")
  .trim()
  .min(1, "Enter a name.")
  .max(64, "At most 64 characters.")
  .regex(/^[a-z0-9_-]{1,64}$/, "Use lowercase letters, digits, - and _.");

export const MIN_TEMPLATE_LIFETIME_SECONDS = 30;
export const MAX_TEMPLATE_LIFETIME_SECONDS = 24 * 60 * 60;

const lifetimeSchema = z
  .number("Enter the lifetime in seconds.")
  .int("Enter whole seconds.")
  .min(MIN_TEMPLATE_LIFETIME_SECONDS, `At least ${MIN_TEMPLATE_LIFETIME_SECONDS} seconds.`)
  .max(MAX_TEMPLATE_LIFETIME_SECONDS, "At most 24 hours (86400 seconds).");
const skewSchema = z.number("Enter seconds.").int("Enter whole seconds.").min(0, "At least 0 seconds.").max(300, "At most 300 seconds.");

/** Claims as an object, or as the JSON text of the admin console's textarea. Checked by validateTemplateClaims. */
const claimsSchema = z.union([z.string().max(16_384, "Claims must be at most 4096 bytes of JSON."), z.unknown()]);

function readClaims(value: unknown) {
  return validateTemplateClaims(typeof value === "string" ? parseClaimsText(value) : value);
}

type AdminCtx = Context & { user: { id: string }; session: { id: string } };

async function audit(ctx: AdminCtx, tx: Context["db"], action: string, name: string, details: Record<string, unknown> = {}) {
  await recordAuditEvent(
    ctx,
    { action, outcome: "success", actorUserId: ctx.user.id, actorSessionId: ctx.session.id, targetType: "jwt_template", targetId: name, details },
    tx,
  );
}

const templateColumns = {
  name: jwtTemplates.name,
  claims: jwtTemplates.claims,
  lifetimeSeconds: jwtTemplates.lifetimeSeconds,
  allowedClockSkewSeconds: jwtTemplates.allowedClockSkewSeconds,
  createdAt: jwtTemplates.createdAt,
  updatedAt: jwtTemplates.updatedAt,
};

function duplicateName(): ApiError {
  return new ApiError({ code: "CONFLICT", reason: "ALREADY_EXISTS", field: "name", message: "name: A template with that name exists." });
}

function notFound(): ApiError {
  return new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "No JWT template has that name." });
}

export const tokenRouter = {
  /** The caller's session JWT, or with `template` that template's token. Signed with the active key. */
  get: authedProcedure
    .routine()
    .input(z.strictObject({ template: templateNameSchema.optional() }).optional())
    .query(async ({ ctx, input }) => {
      const { jwt, expiresAt } = await issueToken(ctx, ctx.auth, input?.template);
      return { jwt, expiresAt };
    }),
} satisfies TRPCRouterRecord;

export const signingKeyRouter = {
  /** Every key (newest first): kid, algorithm, dates, whether it signs and whether the JWKS publishes it. */
  list: instanceAdminProcedure.query(async ({ ctx }) => listSigningKeys(ctx.db, ctx.now())),

  /** A new key signs from now on; the old one stays published for the longest token lifetime and margins. */
  rotate: instanceAdminProcedure
    .input(z.strictObject({ alg: z.enum(signingAlgorithms, "Choose EdDSA or RS256.").optional() }).optional())
    .mutation(async ({ ctx, input }) => {
      return rotateSigningKey(ctx, input?.alg ?? "EdDSA", { userId: ctx.user.id, sessionId: ctx.session.id });
    }),
} satisfies TRPCRouterRecord;

export const jwtTemplateRouter = {
  list: instanceAdminProcedure.query(async ({ ctx }) => {
    return ctx.db.select(templateColumns).from(jwtTemplates).orderBy(asc(jwtTemplates.name)).limit(500);
  }),

  get: instanceAdminProcedure
    .input(z.strictObject({ name: templateNameSchema }))
    .query(async ({ ctx, input }) => {
      const [template] = await ctx.db.select(templateColumns).from(jwtTemplates).where(eq(jwtTemplates.name, input.name));
      if (!template) throw notFound();
      return template;
    }),

  create: instanceAdminProcedure
    .input(
      z.strictObject({
        name: templateNameSchema,
        claims: claimsSchema,
        lifetimeSeconds: lifetimeSchema.default(60),
        allowedClockSkewSeconds: skewSchema.default(5),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const claims = readClaims(input.claims);
      try {
        return await ctx.db.transaction(async (tx) => {
          const now = ctx.now();
          const [template] = await tx
            .insert(jwtTemplates)
            .values({ name: input.name, claims, lifetimeSeconds: input.lifetimeSeconds, allowedClockSkewSeconds: input.allowedClockSkewSeconds, createdAt: now, updatedAt: now })
            .returning(templateColumns);
          await extendRetiredKeys(tx, input.lifetimeSeconds, now);
          await audit(ctx, tx, "jwt_template.created", input.name, { lifetimeSeconds: input.lifetimeSeconds, claims: Object.keys(claims) });
          return template!;
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw duplicateName();
        throw error;
      }
    }),

  update: instanceAdminProcedure
    .input(
      z.strictObject({
        name: templateNameSchema,
        newName: templateNameSchema.optional(),
        claims: claimsSchema.optional(),
        lifetimeSeconds: lifetimeSchema.optional(),
        allowedClockSkewSeconds: skewSchema.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const claims = input.claims !== undefined ? readClaims(input.claims) : undefined;
      try {
        return await ctx.db.transaction(async (tx) => {
          const [existing] = await tx.select({ id: jwtTemplates.id }).from(jwtTemplates).where(eq(jwtTemplates.name, input.name)).for("update");
          if (!existing) throw notFound();
          const now = ctx.now();
          const [template] = await tx
            .update(jwtTemplates)
            .set({
              ...(input.newName !== undefined ? { name: input.newName } : {}),
              ...(claims !== undefined ? { claims } : {}),
              ...(input.lifetimeSeconds !== undefined ? { lifetimeSeconds: input.lifetimeSeconds } : {}),
              ...(input.allowedClockSkewSeconds !== undefined ? { allowedClockSkewSeconds: input.allowedClockSkewSeconds } : {}),
              updatedAt: now,
            })
            .where(eq(jwtTemplates.id, existing.id))
            .returning(templateColumns);
          if (input.lifetimeSeconds !== undefined) await extendRetiredKeys(tx, input.lifetimeSeconds, now);
          await audit(ctx, tx, "jwt_template.updated", template!.name, {
            ...(input.newName !== undefined ? { previousName: input.name } : {}),
            ...(claims !== undefined ? { claims: Object.keys(claims) } : {}),
            ...(input.lifetimeSeconds !== undefined ? { lifetimeSeconds: input.lifetimeSeconds } : {}),
          });
          return template!;
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw duplicateName();
        throw error;
      }
    }),

  delete: instanceAdminProcedure
    .input(z.strictObject({ name: templateNameSchema }))
    .mutation(async ({ ctx, input }) => {
      return ctx.db.transaction(async (tx) => {
        const [deleted] = await tx.delete(jwtTemplates).where(eq(jwtTemplates.name, input.name)).returning({ name: jwtTemplates.name });
        if (!deleted) throw notFound();
        await audit(ctx, tx, "jwt_template.deleted", input.name);
        return { name: deleted.name };
      });
    }),

  /** The claims the admin's own token from this template would carry now (not signed). */
  preview: instanceAdminProcedure
    .input(z.strictObject({ name: templateNameSchema }))
    .query(async ({ ctx, input }) => {
      const template = await findTemplate(ctx.db, input.name).catch((error: unknown) => {
        throw error instanceof ApiError && error.reason === "NOT_FOUND" ? notFound() : error;
      });
      return { claims: await buildTokenClaims(ctx, ctx.auth, template) };
    }),
} satisfies TRPCRouterRecord;
