/**
 * The organization's domains (`example.com`): claimed with `add`, proven with a 6-digit code sent to an address at the
 * domain (`sendVerification`, then `verify`), and then given an enrollment mode that says what users with a verified
 * address there get (see `organization-enrollment.ts`).
 *
 * - Reading needs `org:sys_domains:read`, every change `org:sys_domains:manage`; ids of another organization's
 *   domains find nothing (NOT_FOUND) and change nothing.
 * - Public email providers (gmail.com, …) can't be claimed. A verified domain belongs to one organization only (a
 *   partial unique index); another organization is told the domain is taken, never by whom.
 * - The code is a verification with purpose `domain_verification` and target `<domainId>:<email>` (10 minutes, 5
 *   attempts, a newer one kills the older); the domain row remembers the address, so `verify` needs only the code.
 *   Sending is limited per IP, per organization and per receiving address; checking per IP and per organization.
 * - Every change is audited, refusals included (`audited`).
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { and, asc, eq, isNotNull, ne, sql } from "drizzle-orm";
import { z } from "zod";
import { isUniqueViolation, organizationDomains } from "@latchkey/db";
import { createVerification, defineRateLimit, HOUR, MINUTE, verifyCode, type Verified } from "@latchkey/auth";
import type { Context } from "../context.ts";
import { ApiError, fieldError } from "../errors.ts";
import { logMailFailure } from "../mail/index.ts";
import { codeError } from "../verification-errors.ts";
import { recordAuditEvent } from "../audit.ts";
import { enforceRateLimit } from "../rate-limits.ts";
import { orgProcedure } from "../trpc.ts";
import { emailSchema, idSchema } from "../validation.ts";
import { audited, type OrgActor } from "../memberships.ts";
import { domainOfEmail, domainSchema, isPublicEmailDomain } from "../domains.ts";
import { codeSchema } from "./sign-up.ts";

/** SECURITY.md: email codes live at most 10 minutes. */
const CODE_TTL_MS = 10 * MINUTE;
/** Enough for any real organization; a bound so one can't fill the table. */
export const MAX_DOMAINS_PER_ORGANIZATION = 50;

const sendsPerIp = defineRateLimit("domain-code-send:ip", 20, HOUR);
const sendsPerOrg = defineRateLimit("domain-code-send:org", 20, HOUR);
/** One address receives at most this many codes, whichever organization asks. */
const sendsPerAddress = defineRateLimit("domain-code-send:email", 5, HOUR);
const checksPerIp = defineRateLimit("domain-code-check:ip", 60, 15 * MINUTE);
const checksPerOrg = defineRateLimit("domain-code-check:org", 30, 15 * MINUTE);

export const enrollmentModes = ["manual_invitation", "automatic_invitation", "automatic_suggestion"] as const;
export type EnrollmentMode = (typeof enrollmentModes)[number];

const domainIdSchema = idSchema("dom");
const enrollmentModeSchema = z.enum(enrollmentModes, "Choose an enrollment mode.");

type DomainCtx = Context & OrgActor;

const notFound = () => new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "No such domain in this organization." });
const alreadyVerified = () => new ApiError({ code: "CONFLICT", reason: "DOMAIN_ALREADY_VERIFIED", message: "This domain is already verified." });
const taken = () =>
  new ApiError({ code: "CONFLICT", reason: "DOMAIN_TAKEN", field: "domain", message: "domain: This domain is verified by another organization." });

/** A domain of this organization, locked when inside a transaction; other organizations' ids find nothing. */
async function requireDomain(db: Context["db"], organizationId: string, domainId: string, lock = false) {
  const query = db
    .select()
    .from(organizationDomains)
    .where(and(eq(organizationDomains.id, domainId), eq(organizationDomains.organizationId, organizationId)))
    .limit(1);
  const [row] = lock ? await query.for("update") : await query;
  if (!row) throw notFound();
  return row;
}

/** Whether another organization has verified this domain. */
async function verifiedElsewhere(db: Context["db"], organizationId: string, domain: string): Promise<boolean> {
  const [row] = await db
    .select({ id: organizationDomains.id })
    .from(organizationDomains)
    .where(and(eq(organizationDomains.domain, domain), isNotNull(organizationDomains.verifiedAt), ne(organizationDomains.organizationId, organizationId)))
    .limit(1);
  return row !== undefined;
}

function actorOf(ctx: DomainCtx) {
  return { actorUserId: ctx.user.id, actorSessionId: ctx.session.id, organizationId: ctx.organization.id };
}

function view(row: typeof organizationDomains.$inferSelect) {
  return {
    id: row.id,
    domain: row.domain,
    enrollmentMode: row.enrollmentMode,
    verified: row.verifiedAt !== null,
    verifiedAt: row.verifiedAt,
    verificationEmail: row.verificationEmail,
    createdAt: row.createdAt,
  };
}

export const domainRouter = {
  /** The organization's domains, oldest first, with status and enrollment mode. */
  list: orgProcedure
    .permission("org:sys_domains:read").routine()
    .query(async ({ ctx }) => {
      const rows = await ctx.db
        .select()
        .from(organizationDomains)
        .where(eq(organizationDomains.organizationId, ctx.organization.id))
        .orderBy(asc(organizationDomains.createdAt), asc(organizationDomains.id));
      return rows.map(view);
    }),

  /** Claims a domain, unverified and in manual mode. */
  add: orgProcedure
    .permission("org:sys_domains:manage").sensitive()
    .input(z.object({ domain: domainSchema }))
    .mutation(async ({ ctx, input }) => {
      const event = { action: "domain.added", targetType: "organization_domain", details: { domain: input.domain } };
      return audited(ctx, event, async () => {
        if (isPublicEmailDomain(input.domain)) {
          throw new ApiError({
            code: "BAD_REQUEST",
            reason: "DOMAIN_PUBLIC_PROVIDER",
            field: "domain",
            message: "domain: Addresses at this domain belong to a public email provider; it can't be claimed.",
          });
        }
        if (await verifiedElsewhere(ctx.db, ctx.organization.id, input.domain)) throw taken();
        try {
          return await ctx.db.transaction(async (tx) => {
            const [count] = await tx
              .select({ n: sql<number>`count(*)::int` })
              .from(organizationDomains)
              .where(eq(organizationDomains.organizationId, ctx.organization.id));
            if (Number(count?.n ?? 0) >= MAX_DOMAINS_PER_ORGANIZATION) {
              throw new ApiError({ code: "CONFLICT", reason: "DOMAIN_LIMIT_REACHED", message: `An organization can have at most ${MAX_DOMAINS_PER_ORGANIZATION} domains.` });
            }
            const now = ctx.now();
            const [row] = await tx
              .insert(organizationDomains)
              .values({ organizationId: ctx.organization.id, domain: input.domain, createdBy: ctx.user.id, createdAt: now, updatedAt: now })
              .returning();
            await recordAuditEvent(ctx, { ...event, ...actorOf(ctx), outcome: "success", targetId: row!.id }, tx);
            return view(row!);
          });
        } catch (error) {
          if (isUniqueViolation(error)) {
            throw new ApiError({ code: "CONFLICT", reason: "ALREADY_EXISTS", field: "domain", message: "domain: This organization already has this domain." });
          }
          throw error;
        }
      });
    }),

  /** Emails a 6-digit code to an address at the domain; the domain remembers the address for `verify`. */
  sendVerification: orgProcedure
    .permission("org:sys_domains:manage").sensitive()
    .input(z.object({ domainId: domainIdSchema, email: emailSchema }))
    .mutation(async ({ ctx, input }) => {
      const event = { action: "domain.verification_sent", targetType: "organization_domain", targetId: input.domainId, details: { email: input.email } };
      const { code, expiresAt } = await audited(ctx, event, async () => {
        const domain = await requireDomain(ctx.db, ctx.organization.id, input.domainId);
        if (domain.verifiedAt) throw alreadyVerified();
        if (domainOfEmail(input.email) !== domain.domain) {
          throw fieldError("email", `Use an address at ${domain.domain}.`, "EMAIL_NOT_AT_DOMAIN");
        }
        if (await verifiedElsewhere(ctx.db, ctx.organization.id, domain.domain)) throw taken();
        if (ctx.ip) await enforceRateLimit(ctx, sendsPerIp, `ip:${ctx.ip}`);
        await enforceRateLimit(ctx, sendsPerOrg, `org:${ctx.organization.id}`);
        await enforceRateLimit(ctx, sendsPerAddress, `email:${input.email}`);
        const now = ctx.now();
        const created = await createVerification(ctx.db, {
          purpose: "domain_verification",
          target: `${domain.id}:${input.email}`,
          userId: ctx.user.id,
          ttlMs: CODE_TTL_MS,
          code: true,
          now,
        });
        await ctx.db
          .update(organizationDomains)
          .set({ verificationEmail: input.email, updatedAt: now })
          .where(and(eq(organizationDomains.id, domain.id), eq(organizationDomains.organizationId, ctx.organization.id)));
        await recordAuditEvent(ctx, { ...event, ...actorOf(ctx), outcome: "success" });
        return created;
      });
      await ctx.mailer
        .sendVerificationCode({ to: input.email, locale: ctx.user.locale, code: code! })
        .catch(logMailFailure("domain verification code"));
      return { email: input.email, expiresAt };
    }),

  /** Checks the code sent to the domain's address and marks the domain verified; of concurrent checks one succeeds. */
  verify: orgProcedure
    .permission("org:sys_domains:manage").sensitive()
    .input(z.object({ domainId: domainIdSchema, code: codeSchema }))
    .mutation(async ({ ctx, input }) => {
      const event = { action: "domain.verified", targetType: "organization_domain", targetId: input.domainId };
      return audited(ctx, event, async () => {
        if (ctx.ip) await enforceRateLimit(ctx, checksPerIp, `ip:${ctx.ip}`);
        await enforceRateLimit(ctx, checksPerOrg, `org:${ctx.organization.id}`);
        const domain = await requireDomain(ctx.db, ctx.organization.id, input.domainId);
        if (domain.verifiedAt) throw alreadyVerified();
        if (await verifiedElsewhere(ctx.db, ctx.organization.id, domain.domain)) throw taken();
        if (!domain.verificationEmail) throw fieldError("code", "Send a code to an address at the domain first.", "INVALID_CODE");
        const now = ctx.now();
        // The code check and the update share one transaction (`verifyCode`'s): a second check of the same code waits
        // for the first to commit and is told the domain is verified, instead of being told the code is wrong.
        let result: Verified<ReturnType<typeof view>>;
        try {
          result = await verifyCode(ctx.db, { purpose: "domain_verification", target: `${domain.id}:${domain.verificationEmail}`, code: input.code, now }, async (tx) => {
            const [row] = await tx
              .update(organizationDomains)
              .set({ verifiedAt: now, updatedAt: now })
              .where(and(eq(organizationDomains.id, domain.id), eq(organizationDomains.organizationId, ctx.organization.id), sql`${organizationDomains.verifiedAt} is null`))
              .returning();
            // Removed, or verified by a concurrent call, since we read it.
            if (!row) throw alreadyVerified();
            await recordAuditEvent(ctx, { ...event, ...actorOf(ctx), outcome: "success", details: { domain: row.domain, email: domain.verificationEmail } }, tx);
            return view(row);
          });
        } catch (error) {
          // Another organization verified the same domain in the meantime: the partial unique index said no.
          if (isUniqueViolation(error)) throw taken();
          throw error;
        }
        if (result.ok) return result.value;
        if (result.reason === "already_verified") throw alreadyVerified();
        throw codeError(result.reason);
      });
    }),

  /** What users with a verified address at this (verified) domain get. */
  setEnrollmentMode: orgProcedure
    .permission("org:sys_domains:manage").sensitive()
    .input(z.object({ domainId: domainIdSchema, mode: enrollmentModeSchema }))
    .mutation(async ({ ctx, input }) => {
      const event = { action: "domain.enrollment_mode_changed", targetType: "organization_domain", targetId: input.domainId, details: { mode: input.mode } };
      return audited(ctx, event, () =>
        ctx.db.transaction(async (tx) => {
          const domain = await requireDomain(tx, ctx.organization.id, input.domainId, true);
          if (!domain.verifiedAt) {
            throw new ApiError({ code: "CONFLICT", reason: "DOMAIN_NOT_VERIFIED", message: "Verify the domain before choosing how people join." });
          }
          const now = ctx.now();
          const [row] = await tx
            .update(organizationDomains)
            .set({ enrollmentMode: input.mode, updatedAt: now })
            .where(and(eq(organizationDomains.id, domain.id), eq(organizationDomains.organizationId, ctx.organization.id)))
            .returning();
          await recordAuditEvent(ctx, { ...event, ...actorOf(ctx), outcome: "success", details: { domain: domain.domain, from: domain.enrollmentMode, mode: input.mode } }, tx);
          return view(row!);
        }),
      );
    }),

  remove: orgProcedure
    .permission("org:sys_domains:manage").sensitive()
    .input(z.object({ domainId: domainIdSchema }))
    .mutation(async ({ ctx, input }) => {
      const event = { action: "domain.removed", targetType: "organization_domain", targetId: input.domainId };
      return audited(ctx, event, () =>
        ctx.db.transaction(async (tx) => {
          const [row] = await tx
            .delete(organizationDomains)
            .where(and(eq(organizationDomains.id, input.domainId), eq(organizationDomains.organizationId, ctx.organization.id)))
            .returning({ id: organizationDomains.id, domain: organizationDomains.domain });
          if (!row) throw notFound();
          await recordAuditEvent(ctx, { ...event, ...actorOf(ctx), outcome: "success", details: { domain: row.domain } }, tx);
          return { id: row.id };
        }),
      );
    }),
} satisfies TRPCRouterRecord;
