/**
 * Joining organizations without being invited by hand: the caller's side of verified domains, and their pending
 * invitations. Spread into the `organization` router (`organization.suggestions`, …).
 *
 * Everything here is derived at read time from the caller's VERIFIED addresses and the organizations' VERIFIED
 * domains, so it shows right after sign-up (the sign-up address is verified when the account is created) and stops
 * showing the moment an address is removed, a domain is removed or its mode changes. Nothing is written until the
 * user answers.
 *
 * - `automatic_suggestion`: the organization is listed by `suggestions()` as kind `suggestion`.
 * - `automatic_invitation`: listed by `suggestions()` as kind `invitation`. We chose this over writing invitation
 *   rows (with tokens, expiry and an email) because a derived offer needs no background job, can't go stale when
 *   the mode or the domain changes, and never mails anyone; accepting and dismissing work the same for both kinds.
 * - `manual_invitation`: nothing; admins invite by email as usual.
 * - `acceptSuggestion` joins as `org:member` under the organization lock of `memberships.ts`; concurrent accepts make
 *   one membership. An id that is not a current offer for the caller (no matching domain, a dismissed one, an
 *   organization they are in) is NOT_FOUND. `dismissSuggestion` records the answer, so a dismissed one stays gone.
 * - `pendingInvitations()` lists invitations addressed to any of the caller's verified addresses that are pending and
 *   unexpired, without tokens; `invitation.acceptById` / `declineById` answer them.
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { and, asc, eq, exists, gt, inArray, isNotNull, not, sql } from "drizzle-orm";
import { z } from "zod";
import {
  emailAddresses,
  invitations,
  membershipRoles,
  memberships,
  organizationDomains,
  organizations,
  organizationSuggestions,
  roles,
} from "@latchkey/db";
import { defineRateLimit, MINUTE, setActiveOrganization } from "@latchkey/auth";
import type { Context } from "../context.ts";
import { ApiError } from "../errors.ts";
import { recordAuditEvent } from "../audit.ts";
import { enforceRateLimit } from "../rate-limits.ts";
import { authedProcedure } from "../trpc.ts";
import { idSchema } from "../validation.ts";
import { lockOrganization, requireRole } from "../memberships.ts";
import { requireRoomForMember } from "../membership-limit.ts";

const answersPerUser = defineRateLimit("organization-suggestion:user", 30, 15 * MINUTE);

export const SUGGESTION_ROLE = "org:member";

export type SuggestionKind = "suggestion" | "invitation";

export interface Suggestion {
  organizationId: string;
  name: string;
  slug: string;
  imageUrl: string | null;
  kind: SuggestionKind;
  /** The caller's verified domain that matched, e.g. `acme.com`. */
  domain: string;
}

/**
 * The organizations offered to `userId` through verified domains: one row per organization (an invitation beats a
 * suggestion when two domains match), excluding organizations they are in and ones they already answered.
 */
async function findSuggestions(db: Context["db"], userId: string, organizationId?: string): Promise<Suggestion[]> {
  const rows = await db
    .selectDistinct({
      organizationId: organizations.id,
      name: organizations.name,
      slug: organizations.slug,
      imageUrl: organizations.imageUrl,
      mode: organizationDomains.enrollmentMode,
      domain: organizationDomains.domain,
    })
    .from(emailAddresses)
    .innerJoin(
      organizationDomains,
      and(
        eq(organizationDomains.domain, sql`split_part(${emailAddresses.email}, '@', 2)`),
        isNotNull(organizationDomains.verifiedAt),
        inArray(organizationDomains.enrollmentMode, ["automatic_suggestion", "automatic_invitation"]),
      ),
    )
    .innerJoin(organizations, eq(organizations.id, organizationDomains.organizationId))
    .where(
      and(
        eq(emailAddresses.userId, userId),
        isNotNull(emailAddresses.verifiedAt),
        organizationId ? eq(organizations.id, organizationId) : undefined,
        not(
          exists(
            db
              .select({ one: sql`1` })
              .from(memberships)
              .where(and(eq(memberships.organizationId, organizations.id), eq(memberships.userId, userId))),
          ),
        ),
        not(
          exists(
            db
              .select({ one: sql`1` })
              .from(organizationSuggestions)
              .where(and(eq(organizationSuggestions.organizationId, organizations.id), eq(organizationSuggestions.userId, userId))),
          ),
        ),
      ),
    )
    .orderBy(asc(organizations.name), asc(organizations.id), asc(organizationDomains.domain));
  const byOrg = new Map<string, Suggestion>();
  for (const row of rows) {
    const kind: SuggestionKind = row.mode === "automatic_invitation" ? "invitation" : "suggestion";
    const seen = byOrg.get(row.organizationId);
    if (seen && (seen.kind === "invitation" || kind === "suggestion")) continue;
    byOrg.set(row.organizationId, { organizationId: row.organizationId, name: row.name, slug: row.slug, imageUrl: row.imageUrl, kind, domain: row.domain });
  }
  return [...byOrg.values()];
}

type AuthedCtx = Context & { user: { id: string }; session: { id: string } };

/** The offer the caller is answering, or NOT_FOUND (audited when `action` is given) when there is none. */
async function requireSuggestion(ctx: AuthedCtx, db: Context["db"], organizationId: string, action: string | null): Promise<Suggestion> {
  const [suggestion] = await findSuggestions(db, ctx.user.id, organizationId);
  if (suggestion) return suggestion;
  if (action) await recordAuditEvent(ctx, {
    action,
    outcome: "failure",
    actorUserId: ctx.user.id,
    actorSessionId: ctx.session.id,
    targetType: "organization",
    targetId: organizationId,
    details: { reason: "NOT_FOUND" },
  });
  throw new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "No such suggestion." });
}

const organizationIdSchema = idSchema("org");

export const enrollmentProcedures = {
  /** Organizations offered to the caller through their verified addresses' domains (kinds `suggestion` and `invitation`). */
  suggestions: authedProcedure.routine().query(({ ctx }) => findSuggestions(ctx.db, ctx.user.id)),

  /** Joins an offered organization as a member and makes it the active one. */
  acceptSuggestion: authedProcedure
    .sensitive()
    .input(z.object({ organizationId: organizationIdSchema }))
    .mutation(async ({ ctx, input }) => {
      await enforceRateLimit(ctx, answersPerUser, `user:${ctx.user.id}`);
      const action = "organization.suggestion_accepted";
      // Checked outside the transaction too, so a refusal is audited even though the transaction rolls back.
      await requireSuggestion(ctx, ctx.db, input.organizationId, action);
      return ctx.db.transaction(async (tx) => {
        // Serialises with the other membership changes of this organization; a concurrent accept then finds a member.
        await lockOrganization(tx, input.organizationId);
        const suggestion = await requireSuggestion(ctx, tx, input.organizationId, null);
        const role = await requireRole(tx, SUGGESTION_ROLE);
        // Joining by domain counts against the membership limit like an accepted invitation.
        await requireRoomForMember(tx, input.organizationId);
        const now = ctx.now();
        const [membership] = await tx
          .insert(memberships)
          .values({ organizationId: input.organizationId, userId: ctx.user.id, createdAt: now, updatedAt: now })
          .onConflictDoNothing({ target: [memberships.organizationId, memberships.userId] })
          .returning({ id: memberships.id });
        if (!membership) throw new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "No such suggestion." });
        await tx.insert(membershipRoles).values({ membershipId: membership.id, roleId: role.id });
        await tx
          .insert(organizationSuggestions)
          .values({ organizationId: input.organizationId, userId: ctx.user.id, status: "accepted", createdAt: now })
          .onConflictDoUpdate({ target: [organizationSuggestions.organizationId, organizationSuggestions.userId], set: { status: "accepted" } });
        await setActiveOrganization(tx, ctx.session.id, input.organizationId);
        await recordAuditEvent(
          ctx,
          {
            action,
            outcome: "success",
            actorUserId: ctx.user.id,
            actorSessionId: ctx.session.id,
            organizationId: input.organizationId,
            targetType: "membership",
            targetId: membership.id,
            details: { kind: suggestion.kind, domain: suggestion.domain, roleKey: role.key },
          },
          tx,
        );
        return { organization: { id: suggestion.organizationId, slug: suggestion.slug, name: suggestion.name } };
      });
    }),

  /** Hides an offered organization for good (until the user is invited or joins another way). */
  dismissSuggestion: authedProcedure
    .sensitive()
    .input(z.object({ organizationId: organizationIdSchema }))
    .mutation(async ({ ctx, input }) => {
      await enforceRateLimit(ctx, answersPerUser, `user:${ctx.user.id}`);
      const action = "organization.suggestion_dismissed";
      const suggestion = await requireSuggestion(ctx, ctx.db, input.organizationId, action);
      await ctx.db.transaction(async (tx) => {
        await tx
          .insert(organizationSuggestions)
          .values({ organizationId: input.organizationId, userId: ctx.user.id, status: "dismissed", createdAt: ctx.now() })
          .onConflictDoNothing({ target: [organizationSuggestions.organizationId, organizationSuggestions.userId] });
        await recordAuditEvent(
          ctx,
          { action, outcome: "success", actorUserId: ctx.user.id, actorSessionId: ctx.session.id, organizationId: input.organizationId, targetType: "organization", targetId: input.organizationId, details: { kind: suggestion.kind } },
          tx,
        );
      });
      return { dismissed: true as const };
    }),

  /** Pending, unexpired invitations to any of the caller's verified addresses, newest first. Never a token. */
  pendingInvitations: authedProcedure.routine().query(async ({ ctx }) => {
    const now = ctx.now();
    return ctx.db
      .select({
        id: invitations.id,
        email: invitations.email,
        organizationId: organizations.id,
        organizationName: organizations.name,
        roleName: roles.name,
        expiresAt: invitations.expiresAt,
      })
      .from(invitations)
      .innerJoin(organizations, eq(organizations.id, invitations.organizationId))
      .innerJoin(roles, eq(roles.id, invitations.roleId))
      .innerJoin(emailAddresses, and(eq(emailAddresses.email, invitations.email), eq(emailAddresses.userId, ctx.user.id), isNotNull(emailAddresses.verifiedAt)))
      .where(and(eq(invitations.status, "pending"), gt(invitations.expiresAt, sql`${now.toISOString()}::timestamptz`)))
      .orderBy(sql`${invitations.createdAt} desc`, asc(invitations.id))
      .limit(100);
  }),
} satisfies TRPCRouterRecord;
