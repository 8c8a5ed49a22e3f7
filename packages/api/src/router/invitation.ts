/**
 * Invitations to the organization in scope (SECURITY.md "Organizations and invitations").
 *
 * - `create`, `revoke`, `resend` and `list` need `org:sys_memberships:manage`. The list is for managers only: the
 *   addresses of people who have not joined are not the members' business.
 * - The emailed link carries a one-shot token (`inv_….<192-bit secret>`, only its SHA-256 stored); inviting the same
 *   address again or resending issues a new token and the old one dies. Invitations expire after 7 days.
 * - `get` and `decline` are public: the link is the proof, and an invitee without an account must be able to say no.
 *   `accept` needs a session whose user has the invited address verified; concurrent accepts make one membership.
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { and, desc, eq, inArray, isNotNull, sql } from "drizzle-orm";
import { z } from "zod";
import { createId, emailAddresses, invitations, membershipRoles, memberships, organizations, roles, users } from "@latchkey/db";
import { defineRateLimit, generateInvitationToken, HOUR, MINUTE, setActiveOrganization } from "@latchkey/auth";
import { authedProcedure, orgProcedure, publicProcedure } from "../trpc.ts";
import { ApiError } from "../errors.ts";
import { logMailFailure } from "../mail/index.ts";
import { recordAuditEvent } from "../audit.ts";
import { enforceRateLimit } from "../rate-limits.ts";
import type { Context } from "../context.ts";
import { emailSchema, idSchema } from "../validation.ts";
import { audited, isGrantable, lockOrganization, requireGrantable, requireRole } from "../memberships.ts";
import { requireRoomForInvitations, requireRoomForMember } from "../membership-limit.ts";
import { roleKeySchema } from "./member.ts";
import { findInvitationById, findInvitationByToken, invitationStatus, type InvitationByToken } from "../invitation-lookup.ts";

export const INVITATION_TTL_MS = 7 * 24 * HOUR;
export const MAX_INVITATIONS_PER_REQUEST = 100;

const sendsPerIp = defineRateLimit("invitation-send:ip", 60, HOUR);
const sendsPerUser = defineRateLimit("invitation-send:user", 20, HOUR);
const sendsPerOrg = defineRateLimit("invitation-send:org", 50, HOUR);
const tokenChecksPerIp = defineRateLimit("invitation-token:ip", 60, 15 * MINUTE);
const acceptsPerUser = defineRateLimit("invitation-accept:user", 20, 15 * MINUTE);

const tokenSchema = z.string().trim().min(1, "The link is incomplete.").max(200, "The link is not valid.");
const invitationIdSchema = idSchema("inv");

type SendingCtx = Context & { user: { id: string; firstName: string | null; lastName: string | null; primaryEmail: string | null; locale: string | null }; organization: { id: string; name: string } };

/** Counts one email-sending call against the per-IP, per-user and per-organization limits. */
async function limitSending(ctx: SendingCtx) {
  if (ctx.ip) await enforceRateLimit(ctx, sendsPerIp, `ip:${ctx.ip}`);
  await enforceRateLimit(ctx, sendsPerUser, `user:${ctx.user.id}`);
  await enforceRateLimit(ctx, sendsPerOrg, `org:${ctx.organization.id}`);
}

function acceptLink(ctx: Context, token: string): string {
  return `${ctx.appUrl}/invitations/accept?token=${encodeURIComponent(token)}`;
}

/** Emails one invitation; a failed delivery is logged and changes nothing (the admin can resend). */
async function sendInvitationMail(ctx: SendingCtx, to: string, token: string, roleName: string) {
  const inviterName = [ctx.user.firstName, ctx.user.lastName].filter(Boolean).join(" ") || ctx.user.primaryEmail || "Someone";
  await ctx.mailer
    .sendInvitation({ to, locale: ctx.user.locale, organizationName: ctx.organization.name, inviterName, roleName, link: acceptLink(ctx, token) })
    .catch(logMailFailure("invitation"));
}

/** Refuses a token that can't be used now, most specific reason first. */
function requirePending(invitation: InvitationByToken, now: Date): void {
  const status = invitationStatus(invitation, now);
  if (status === "revoked") throw new ApiError({ code: "CONFLICT", reason: "INVITATION_REVOKED", message: "This invitation was revoked." });
  if (status === "accepted" || status === "declined") {
    throw new ApiError({ code: "CONFLICT", reason: "INVITATION_ALREADY_USED", message: "This invitation was already used." });
  }
  if (status === "expired") throw new ApiError({ code: "BAD_REQUEST", reason: "INVITATION_EXPIRED", message: "This invitation has expired. Ask for a new one." });
}

async function requireInvitation(ctx: Context, token: string): Promise<InvitationByToken> {
  if (ctx.ip) await enforceRateLimit(ctx, tokenChecksPerIp, `ip:${ctx.ip}`);
  const invitation = await findInvitationByToken(ctx.db, token);
  if (!invitation) throw new ApiError({ code: "NOT_FOUND", reason: "INVITATION_INVALID", message: "This invitation link is not valid." });
  return invitation;
}

async function hasVerifiedAddress(db: Context["db"], userId: string, email: string): Promise<boolean> {
  const [row] = await db
    .select({ id: emailAddresses.id })
    .from(emailAddresses)
    .where(and(eq(emailAddresses.userId, userId), eq(emailAddresses.email, email), isNotNull(emailAddresses.verifiedAt)))
    .limit(1);
  return row !== undefined;
}

export const invitationRouter = {
  /** Invites up to 100 addresses with one role; members are skipped, a pending invitation is replaced. */
  create: orgProcedure
    .permission("org:sys_memberships:manage").sensitive()
    .input(
      z.object({
        emails: z
          .array(emailSchema, "Enter email addresses.")
          .min(1, "Enter at least one email address.")
          .max(MAX_INVITATIONS_PER_REQUEST, `At most ${MAX_INVITATIONS_PER_REQUEST} addresses at once.`),
        roleKey: roleKeySchema,
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const event = { action: "invitation.created", targetType: "organization", targetId: ctx.organization.id, details: { roleKey: input.roleKey, count: input.emails.length } };
      const role = await audited(ctx, event, async () => {
        const found = await requireRole(ctx.db, input.roleKey);
        requireGrantable(found, ctx.membership.permissions);
        await limitSending(ctx);
        return found;
      });
      const emails = [...new Set(input.emails)];
      const memberRows = await ctx.db
        .select({ email: emailAddresses.email })
        .from(emailAddresses)
        .innerJoin(memberships, and(eq(memberships.userId, emailAddresses.userId), eq(memberships.organizationId, ctx.organization.id)))
        .where(inArray(emailAddresses.email, emails));
      const members = new Set(memberRows.map((row) => row.email));
      const toInvite = emails.filter((email) => !members.has(email));
      const now = ctx.now();
      const expiresAt = new Date(now.getTime() + INVITATION_TTL_MS);
      const issued = toInvite.map((email) => {
        const id = createId("invitation");
        return { id, email, ...generateInvitationToken(id) };
      });
      if (issued.length > 0) {
        await audited(ctx, event, () => ctx.db.transaction(async (tx) => {
          await lockOrganization(tx, ctx.organization.id);
          // A pending invitation to the same address dies with its token; the new one replaces it.
          await tx
            .update(invitations)
            .set({ status: "revoked", revokedAt: now, updatedAt: now })
            .where(and(eq(invitations.organizationId, ctx.organization.id), inArray(invitations.email, toInvite), eq(invitations.status, "pending")));
          await requireRoomForInvitations(tx, ctx.organization.id, issued.length, now);
          await tx.insert(invitations).values(
            issued.map(({ id, email, tokenHash }) => ({
              id,
              organizationId: ctx.organization.id,
              email,
              roleId: role.id,
              tokenHash,
              inviterUserId: ctx.user.id,
              expiresAt,
              createdAt: now,
              updatedAt: now,
            })),
          );
          for (const { id, email } of issued) {
            await recordAuditEvent(ctx, { action: "invitation.created", outcome: "success", actorUserId: ctx.user.id, actorSessionId: ctx.session.id, organizationId: ctx.organization.id, targetType: "invitation", targetId: id, details: { email, roleKey: role.key } }, tx);
          }
        }));
      }
      for (const { email, token } of issued) await sendInvitationMail(ctx, email, token, role.name);
      return {
        invited: issued.map(({ id, email }) => ({ id, email, expiresAt })),
        skipped: emails.filter((email) => members.has(email)).map((email) => ({ email, reason: "already_member" as const })),
      };
    }),

  /** Pending invitations (expired ones included, marked), newest first. Never a token. */
  list: orgProcedure
    .permission("org:sys_memberships:manage").routine()
    .query(async ({ ctx }) => {
      const rows = await ctx.db
        .select({
          id: invitations.id,
          email: invitations.email,
          roleKey: roles.key,
          roleName: roles.name,
          expiresAt: invitations.expiresAt,
          createdAt: invitations.createdAt,
          inviterFirstName: users.firstName,
          inviterLastName: users.lastName,
        })
        .from(invitations)
        .innerJoin(roles, eq(roles.id, invitations.roleId))
        .leftJoin(users, eq(users.id, invitations.inviterUserId))
        .where(and(eq(invitations.organizationId, ctx.organization.id), eq(invitations.status, "pending")))
        .orderBy(desc(invitations.createdAt), desc(invitations.id))
        .limit(500);
      const now = ctx.now().getTime();
      return rows.map(({ inviterFirstName, inviterLastName, ...row }) => ({
        ...row,
        expired: row.expiresAt.getTime() <= now,
        inviterName: [inviterFirstName, inviterLastName].filter(Boolean).join(" ") || null,
      }));
    }),

  revoke: orgProcedure
    .permission("org:sys_memberships:manage").sensitive()
    .input(z.object({ invitationId: invitationIdSchema }))
    .mutation(async ({ ctx, input }) => {
      const event = { action: "invitation.revoked", targetType: "invitation", targetId: input.invitationId };
      return audited(ctx, event, () =>
        ctx.db.transaction(async (tx) => {
          const now = ctx.now();
          await requirePendingInOrg(tx, ctx.organization.id, input.invitationId);
          await tx.update(invitations).set({ status: "revoked", revokedAt: now, updatedAt: now }).where(eq(invitations.id, input.invitationId));
          await recordAuditEvent(ctx, { ...event, outcome: "success", actorUserId: ctx.user.id, actorSessionId: ctx.session.id, organizationId: ctx.organization.id }, tx);
          return { id: input.invitationId };
        }),
      );
    }),

  /** Emails the invitation again with a new token (the old one dies) and a new 7-day expiry. */
  resend: orgProcedure
    .permission("org:sys_memberships:manage").sensitive()
    .input(z.object({ invitationId: invitationIdSchema }))
    .mutation(async ({ ctx, input }) => {
      const event = { action: "invitation.resent", targetType: "invitation", targetId: input.invitationId };
      const { token, email, roleName, expiresAt } = await audited(ctx, event, async () => {
        await limitSending(ctx);
        return ctx.db.transaction(async (tx) => {
          const now = ctx.now();
          const invitation = await requirePendingInOrg(tx, ctx.organization.id, input.invitationId);
          const fresh = generateInvitationToken(invitation.id);
          const expires = new Date(now.getTime() + INVITATION_TTL_MS);
          await tx.update(invitations).set({ tokenHash: fresh.tokenHash, expiresAt: expires, updatedAt: now }).where(eq(invitations.id, invitation.id));
          await recordAuditEvent(ctx, { ...event, outcome: "success", actorUserId: ctx.user.id, actorSessionId: ctx.session.id, organizationId: ctx.organization.id, details: { email: invitation.email } }, tx);
          return { token: fresh.token, email: invitation.email, roleName: invitation.roleName, expiresAt: expires };
        });
      });
      await sendInvitationMail(ctx, email, token, roleName);
      return { id: input.invitationId, expiresAt };
    }),

  /**
   * What the accept page shows: organization, invited address, role and status. `viewer` says whether the caller is
   * signed in and holds the invited address verified (`invitee`), is someone else (`other`) or is anonymous.
   */
  get: publicProcedure
    .input(z.object({ token: tokenSchema }))
    .query(async ({ ctx, input }) => {
      const invitation = await requireInvitation(ctx, input.token);
      const auth = await ctx.getAuth();
      const viewer = !auth ? "anonymous" : (await hasVerifiedAddress(ctx.db, auth.user.id, invitation.email)) ? "invitee" : "other";
      return {
        organizationName: invitation.organizationName,
        email: invitation.email,
        roleName: invitation.roleName,
        status: invitationStatus(invitation, ctx.now()),
        viewer: viewer as "anonymous" | "invitee" | "other",
      };
    }),

  /** Joins with the invited role and makes the organization active. Already a member: the invitation is used up, nothing else changes. */
  accept: authedProcedure
    .sensitive()
    .input(z.object({ token: tokenSchema }))
    .mutation(async ({ ctx, input }) => {
      await enforceRateLimit(ctx, acceptsPerUser, `user:${ctx.user.id}`);
      const invitation = await requireInvitation(ctx, input.token);
      return acceptInvitation(ctx, invitation);
    }),

  /**
   * `accept` for the signed-in invitee picking an invitation from their list (`organization.pendingInvitations`),
   * with no link at hand. The id alone is no proof: an invitation not addressed to one of the caller's verified
   * addresses is NOT_FOUND, whoever it belongs to.
   */
  acceptById: authedProcedure
    .sensitive()
    .input(z.object({ invitationId: invitationIdSchema }))
    .mutation(async ({ ctx, input }) => {
      await enforceRateLimit(ctx, acceptsPerUser, `user:${ctx.user.id}`);
      const invitation = await requireOwnInvitation(ctx, input.invitationId, "invitation.accepted");
      return acceptInvitation(ctx, invitation);
    }),

  /** Says no to a pending invitation; anyone holding the link may (it was sent to the invitee only). */
  decline: publicProcedure
    .input(z.object({ token: tokenSchema }))
    .mutation(async ({ ctx, input }) => {
      const invitation = await requireInvitation(ctx, input.token);
      return declineInvitation(ctx, invitation);
    }),

  /** `decline` for the signed-in invitee, by id, with the same proof as `acceptById`. */
  declineById: authedProcedure
    .sensitive()
    .input(z.object({ invitationId: invitationIdSchema }))
    .mutation(async ({ ctx, input }) => {
      await enforceRateLimit(ctx, acceptsPerUser, `user:${ctx.user.id}`);
      const invitation = await requireOwnInvitation(ctx, input.invitationId, "invitation.declined");
      return declineInvitation(ctx, invitation);
    }),
} satisfies TRPCRouterRecord;

/** A pending invitation of this organization, locked; other organizations' ids find nothing. */
async function requirePendingInOrg(tx: Context["db"], organizationId: string, invitationId: string) {
  const [row] = await tx
    .select({ id: invitations.id, email: invitations.email, status: invitations.status, roleName: roles.name })
    .from(invitations)
    .innerJoin(roles, eq(roles.id, invitations.roleId))
    .where(and(eq(invitations.id, invitationId), eq(invitations.organizationId, organizationId)))
    .limit(1)
    .for("update", { of: invitations });
  if (!row) throw new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "No such invitation in this organization." });
  if (row.status !== "pending") throw new ApiError({ code: "CONFLICT", reason: "INVITATION_NOT_PENDING", message: "This invitation is no longer pending." });
  return row;
}

type AcceptingCtx = Context & { user: { id: string }; session: { id: string } };

/** Joins the invitation's organization with its role, once (the pending → accepted flip is the atomic step). */
async function acceptInvitation(ctx: AcceptingCtx, invitation: InvitationByToken) {
  const actor = { ...ctx, organization: { id: invitation.organizationId } };
  const event = { action: "invitation.accepted", targetType: "invitation", targetId: invitation.id };
  return audited(actor, event, async () => {
    requirePending(invitation, ctx.now());
    if (!(await hasVerifiedAddress(ctx.db, ctx.user.id, invitation.email))) {
      throw new ApiError({
        code: "FORBIDDEN",
        reason: "INVITATION_EMAIL_MISMATCH",
        message: "This invitation is for another email address. Sign in with that address (verified) to accept it.",
      });
    }
    const accepted = await ctx.db.transaction(async (tx) => {
      const now = ctx.now();
      // Accepts into one organization queue here, so the membership limit holds under concurrent accepts.
      await lockOrganization(tx, invitation.organizationId);
      // Role changes and removals take the same lock, so the inviter's rights read here are current.
      if (!(await inviterMayStillInvite(tx, invitation))) {
        await tx
          .update(invitations)
          .set({ status: "revoked", revokedAt: now, updatedAt: now })
          .where(and(eq(invitations.id, invitation.id), eq(invitations.status, "pending")));
        return null;
      }
      // The one atomic step: of concurrent accepts, exactly one flips the row from pending.
      const [claimed] = await tx
        .update(invitations)
        .set({ status: "accepted", acceptedAt: now, updatedAt: now })
        .where(and(eq(invitations.id, invitation.id), eq(invitations.status, "pending"), sql`${invitations.expiresAt} > ${now.toISOString()}::timestamptz`))
        .returning({ id: invitations.id });
      if (!claimed) throw new ApiError({ code: "CONFLICT", reason: "INVITATION_ALREADY_USED", message: "This invitation was already used." });
      const [existing] = await tx
        .select({ id: memberships.id })
        .from(memberships)
        .where(and(eq(memberships.organizationId, invitation.organizationId), eq(memberships.userId, ctx.user.id)));
      // Refused, the transaction rolls back and the invitation stays pending (for when a seat frees up).
      if (!existing) await requireRoomForMember(tx, invitation.organizationId);
      const [membership] = await tx
        .insert(memberships)
        .values({ organizationId: invitation.organizationId, userId: ctx.user.id, createdAt: now, updatedAt: now })
        .onConflictDoNothing({ target: [memberships.organizationId, memberships.userId] })
        .returning({ id: memberships.id });
      if (membership) await tx.insert(membershipRoles).values({ membershipId: membership.id, roleId: invitation.roleId });
      await setActiveOrganization(tx, ctx.session.id, invitation.organizationId);
      await recordAuditEvent(ctx, { ...event, outcome: "success", actorUserId: ctx.user.id, actorSessionId: ctx.session.id, organizationId: invitation.organizationId, details: { alreadyMember: !membership } }, tx);
      const [org] = await tx
        .select({ id: organizations.id, slug: organizations.slug, name: organizations.name })
        .from(organizations)
        .where(eq(organizations.id, invitation.organizationId));
      return { organization: org!, alreadyMember: !membership };
    });
    if (!accepted) throw new ApiError({ code: "CONFLICT", reason: "INVITATION_REVOKED", message: "This invitation was revoked." });
    return accepted;
  });
}

/**
 * Whether the invitation's inviter could send it today (ADR 026): still a member of the organization, still allowed to
 * manage memberships, and still allowed to grant the invited role (`isGrantable`). An invitation from someone since
 * demoted, removed or deleted would otherwise hand out rights nobody in the organization vouches for any more.
 */
async function inviterMayStillInvite(tx: Context["db"], invitation: InvitationByToken): Promise<boolean> {
  const [row] = await tx
    .select({ inviterPermissions: memberships.permissions, rolePermissions: roles.permissions })
    .from(invitations)
    .innerJoin(roles, eq(roles.id, invitations.roleId))
    .innerJoin(memberships, and(eq(memberships.userId, invitations.inviterUserId), eq(memberships.organizationId, invitations.organizationId)))
    .where(eq(invitations.id, invitation.id))
    .limit(1);
  if (!row) return false;
  // The same rule as when the invitation was sent (requireGrantable): custom permissions count as grantable by a member manager.
  return row.inviterPermissions.includes("org:sys_memberships:manage") && isGrantable(row.rolePermissions, row.inviterPermissions);
}

/** Marks a pending invitation declined, once; audited either way. */
async function declineInvitation(ctx: Context, invitation: InvitationByToken) {
  const auth = await ctx.getAuth();
  const base = { action: "invitation.declined", actorUserId: auth?.user.id ?? null, actorSessionId: auth?.session.id ?? null, organizationId: invitation.organizationId, targetType: "invitation", targetId: invitation.id };
  try {
    requirePending(invitation, ctx.now());
    const now = ctx.now();
    const [declined] = await ctx.db
      .update(invitations)
      .set({ status: "declined", updatedAt: now })
      .where(and(eq(invitations.id, invitation.id), eq(invitations.status, "pending")))
      .returning({ id: invitations.id });
    if (!declined) throw new ApiError({ code: "CONFLICT", reason: "INVITATION_ALREADY_USED", message: "This invitation was already used." });
  } catch (error) {
    if (error instanceof ApiError) await recordAuditEvent(ctx, { ...base, outcome: "failure", details: { reason: error.reason } });
    throw error;
  }
  await recordAuditEvent(ctx, { ...base, outcome: "success" });
  return { declined: true as const };
}

/**
 * The invitation with this id when it is addressed to one of the caller's verified addresses; anything else (no such
 * id, someone else's invitation) is the same NOT_FOUND, audited.
 */
async function requireOwnInvitation(ctx: AcceptingCtx, invitationId: string, action: string): Promise<InvitationByToken> {
  const invitation = await findInvitationById(ctx.db, invitationId);
  if (invitation && (await hasVerifiedAddress(ctx.db, ctx.user.id, invitation.email))) return invitation;
  await recordAuditEvent(ctx, { action, outcome: "failure", actorUserId: ctx.user.id, actorSessionId: ctx.session.id, targetType: "invitation", targetId: invitationId, details: { reason: "INVITATION_INVALID" } });
  throw new ApiError({ code: "NOT_FOUND", reason: "INVITATION_INVALID", message: "No such invitation." });
}
