/**
 * Sign-up modes: the waitlist and instance invitations (invite-only and approved waitlist entries).
 *
 * `join` is public and answers the same whether the address is new, already waiting, already decided or has an
 * account, so it tells nobody who is there. Instance admins list entries, approve them (which creates an instance
 * invitation and emails its link), reject them, invite an address directly, list invitations and revoke them. The
 * invitations themselves (tokens, expiry, single use) live in `instance-invitations.ts`.
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { and, desc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { instanceInvitations, users, waitlistEntries, type Database } from "@latchkey/db";
import { defineRateLimit, HOUR } from "@latchkey/auth";
import { ApiError } from "../errors.ts";
import { recordAuditEvent } from "../audit.ts";
import { enforceRateLimit } from "../rate-limits.ts";
import { limitsOf, requireHuman, requirePermanentEmail } from "../bot-protection.ts";
import { checkAddressLists, getInstanceSettings } from "../instance-settings.ts";
import type { Context } from "../context.ts";
import { instanceAdminProcedure, publicProcedure } from "../trpc.ts";
import { emailSchema, idSchema } from "../validation.ts";
import { createInstanceInvitation, findInstanceInvitationByToken, instanceInvitationStatus, sendInstanceInvitation } from "../instance-invitations.ts";

const joinsPerIp = defineRateLimit("waitlist-join:ip", 10, HOUR);
const joinsPerEmail = defineRateLimit("waitlist-join:email", 3, HOUR);

const PAGE_SIZE = 50;
const entryIdSchema = idSchema("wle");
const invitationIdSchema = idSchema("iinv");
const statusSchema = z.enum(["pending", "approved", "rejected"], "Choose pending, approved or rejected.");
/** `<createdAt ISO>|<id>` of the last row of the previous page. */
const cursorSchema = z
  .string()
  .max(120, "Not a valid cursor.")
  .regex(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z\|wle_[a-z0-9_]+$/, "Not a valid cursor.");

type AdminCtx = Context & { user: { id: string }; session: { id: string } };

function audit(ctx: AdminCtx, db: Database, action: string, targetType: string, targetId: string, details: Record<string, unknown> = {}) {
  return recordAuditEvent(ctx, { action, outcome: "success", actorUserId: ctx.user.id, actorSessionId: ctx.session.id, targetType, targetId, details }, db);
}

const entryNotFound = () => new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "That waitlist entry was not found." });

/** Locks a pending entry for a decision; a decided one is refused (two admins clicking at once decide once). */
async function requirePendingEntry(tx: Database, entryId: string) {
  const [entry] = await tx.select().from(waitlistEntries).where(eq(waitlistEntries.id, entryId)).for("update");
  if (!entry) throw entryNotFound();
  if (entry.status !== "pending") {
    throw new ApiError({ code: "CONFLICT", reason: "WAITLIST_ENTRY_DECIDED", message: `This entry was already ${entry.status}.` });
  }
  return entry;
}

/** Creates and emails an invitation for `email`, audited; the token goes only into the email. */
async function invite(ctx: AdminCtx, tx: Database, email: string, via: "direct" | "waitlist") {
  const { invitation, token } = await createInstanceInvitation(tx, { email, invitedByUserId: ctx.user.id, now: ctx.now() });
  await audit(ctx, tx, "instance_invitation.created", "instance_invitation", invitation.id, { via });
  return { invitation, token };
}

function invitationView(row: { id: string; email: string; createdAt: Date; expiresAt: Date; acceptedAt: Date | null; revokedAt: Date | null }, now: Date) {
  return {
    id: row.id,
    email: row.email,
    status: instanceInvitationStatus(row, now),
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    acceptedAt: row.acceptedAt,
    revokedAt: row.revokedAt,
  };
}

export const waitlistRouter = {
  /**
   * What `/sign-up` shows, under the settings as they are now: the mode, each optional field's mode, the minimum
   * password length, and (for `?invitation=`) the invited address and whether the invitation can still be used.
   * The address is shown only to whoever holds the token, which was emailed to it.
   */
  signUpOptions: publicProcedure
    .input(z.object({ invitation: z.string().trim().max(200, "This invitation link is not valid.").optional() }).optional())
    .query(async ({ ctx, input }) => {
      const settings = await getInstanceSettings(ctx.db);
      const found = input?.invitation ? await findInstanceInvitationByToken(ctx.db, input.invitation) : null;
      return {
        mode: settings.signUpMode,
        fields: settings.signUpFields,
        minPasswordLength: settings.minPasswordLength,
        invitation: input?.invitation
          ? found
            ? { email: found.email, status: instanceInvitationStatus(found, ctx.now()) }
            : { email: null, status: "invalid" as const }
          : null,
      };
    }),

  /** Puts an address on the waitlist (only while the mode is "waitlist"). The answer never says whether it was there already. */
  join: publicProcedure
    .input(z.object({ email: emailSchema }))
    .mutation(async ({ ctx, input }) => {
      await requireHuman(ctx, { flow: "waitlist", limits: limitsOf(ctx, [joinsPerIp, joinsPerEmail], input.email) });
      await requirePermanentEmail(ctx, "waitlist", input.email);
      if (ctx.ip) await enforceRateLimit(ctx, joinsPerIp, `ip:${ctx.ip}`);
      const settings = await getInstanceSettings(ctx.db);
      if (settings.signUpMode !== "waitlist") {
        throw new ApiError({ code: "FORBIDDEN", reason: "WAITLIST_CLOSED", message: "The waitlist is not open. Sign up instead." });
      }
      await enforceRateLimit(ctx, joinsPerEmail, `email:${input.email}`);
      // An address the lists refuse gets the same answer but no entry: telling it apart helps nobody.
      const allowed = checkAddressLists(settings, input.email) === "allowed";
      if (allowed) {
        const inserted = await ctx.db
          .insert(waitlistEntries)
          .values({ email: input.email, createdAt: ctx.now() })
          .onConflictDoNothing({ target: waitlistEntries.email })
          .returning({ id: waitlistEntries.id });
        if (inserted[0]) await recordAuditEvent(ctx, { action: "waitlist.joined", outcome: "success", targetType: "waitlist_entry", targetId: inserted[0].id });
      }
      return { joined: true as const, email: input.email };
    }),

  /** Entries, oldest first within a status (first come, first served), 50 a page. */
  list: instanceAdminProcedure
    .input(z.object({ status: statusSchema.optional(), cursor: cursorSchema.optional() }).optional())
    .query(async ({ ctx, input }) => {
      const status = input?.status ?? "pending";
      let after = sql`true`;
      if (input?.cursor) {
        const [at, id] = input.cursor.split("|") as [string, string];
        const time = new Date(at);
        if (Number.isNaN(time.getTime())) throw new ApiError({ code: "BAD_REQUEST", reason: "INVALID_INPUT", field: "cursor", message: "cursor: Not a valid cursor." });
        after = sql`(${waitlistEntries.createdAt}, ${waitlistEntries.id}) > (${time.toISOString()}::timestamptz, ${id})`;
      }
      const rows = await ctx.db
        .select({
          id: waitlistEntries.id,
          email: waitlistEntries.email,
          status: waitlistEntries.status,
          createdAt: waitlistEntries.createdAt,
          decidedAt: waitlistEntries.decidedAt,
          invitationId: waitlistEntries.invitationId,
        })
        .from(waitlistEntries)
        .where(and(eq(waitlistEntries.status, status), after))
        .orderBy(waitlistEntries.createdAt, waitlistEntries.id)
        .limit(PAGE_SIZE + 1);
      const page = rows.slice(0, PAGE_SIZE);
      const last = page.at(-1);
      return { entries: page, nextCursor: rows.length > PAGE_SIZE && last ? `${last.createdAt.toISOString()}|${last.id}` : null };
    }),

  /** Approves a pending entry: an instance invitation is created and emailed. */
  approve: instanceAdminProcedure
    .input(z.object({ entryId: entryIdSchema }))
    .mutation(async ({ ctx, input }) => {
      const result = await ctx.db.transaction(async (tx) => {
        const entry = await requirePendingEntry(tx, input.entryId);
        const { invitation, token } = await invite(ctx, tx, entry.email, "waitlist");
        await tx
          .update(waitlistEntries)
          .set({ status: "approved", invitationId: invitation.id, decidedByUserId: ctx.user.id, decidedAt: ctx.now() })
          .where(eq(waitlistEntries.id, entry.id));
        await audit(ctx, tx, "waitlist.approved", "waitlist_entry", entry.id, { invitationId: invitation.id });
        return { entry, invitation, token };
      });
      await sendInstanceInvitation(ctx, result.entry.email, result.token);
      return { entryId: result.entry.id, status: "approved" as const, invitation: invitationView(result.invitation, ctx.now()) };
    }),

  /** Rejects a pending entry. Nobody is emailed. */
  reject: instanceAdminProcedure
    .input(z.object({ entryId: entryIdSchema }))
    .mutation(async ({ ctx, input }) => {
      return ctx.db.transaction(async (tx) => {
        const entry = await requirePendingEntry(tx, input.entryId);
        await tx
          .update(waitlistEntries)
          .set({ status: "rejected", decidedByUserId: ctx.user.id, decidedAt: ctx.now() })
          .where(eq(waitlistEntries.id, entry.id));
        await audit(ctx, tx, "waitlist.rejected", "waitlist_entry", entry.id);
        return { entryId: entry.id, status: "rejected" as const };
      });
    }),

  /** Invites an address directly (any mode). Earlier pending invitations for the address stay valid until they expire or are revoked. */
  invite: instanceAdminProcedure
    .input(z.object({ email: emailSchema }))
    .mutation(async ({ ctx, input }) => {
      const { invitation, token } = await ctx.db.transaction(async (tx) => {
        const created = await invite(ctx, tx, input.email, "direct");
        // A pending waitlist entry for the address is settled by the invitation.
        await tx
          .update(waitlistEntries)
          .set({ status: "approved", invitationId: created.invitation.id, decidedByUserId: ctx.user.id, decidedAt: ctx.now() })
          .where(and(eq(waitlistEntries.email, input.email), eq(waitlistEntries.status, "pending")));
        return created;
      });
      await sendInstanceInvitation(ctx, input.email, token);
      return invitationView(invitation, ctx.now());
    }),

  /** The latest 100 invitations with their status (pending, accepted, revoked, expired) and who sent them. */
  listInvitations: instanceAdminProcedure.query(async ({ ctx }) => {
    const rows = await ctx.db
      .select({
        id: instanceInvitations.id,
        email: instanceInvitations.email,
        createdAt: instanceInvitations.createdAt,
        expiresAt: instanceInvitations.expiresAt,
        acceptedAt: instanceInvitations.acceptedAt,
        revokedAt: instanceInvitations.revokedAt,
        invitedBy: users.username,
        invitedByFirstName: users.firstName,
      })
      .from(instanceInvitations)
      .leftJoin(users, eq(users.id, instanceInvitations.invitedByUserId))
      .orderBy(desc(instanceInvitations.createdAt), desc(instanceInvitations.id))
      .limit(100);
    const now = ctx.now();
    return { invitations: rows.map((row) => ({ ...invitationView(row, now), invitedBy: row.invitedByFirstName ?? row.invitedBy ?? null })) };
  }),

  /** Withdraws a pending invitation: its link stops working at once. */
  revokeInvitation: instanceAdminProcedure
    .input(z.object({ invitationId: invitationIdSchema }))
    .mutation(async ({ ctx, input }) => {
      const now = ctx.now();
      return ctx.db.transaction(async (tx) => {
        const [revoked] = await tx
          .update(instanceInvitations)
          .set({ revokedAt: now })
          .where(
            and(
              eq(instanceInvitations.id, input.invitationId),
              sql`${instanceInvitations.acceptedAt} is null`,
              sql`${instanceInvitations.revokedAt} is null`,
            ),
          )
          .returning();
        if (!revoked) {
          const [row] = await tx.select().from(instanceInvitations).where(eq(instanceInvitations.id, input.invitationId));
          if (!row) throw new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "That invitation was not found." });
          throw new ApiError({ code: "CONFLICT", reason: "INVITATION_NOT_PENDING", message: `This invitation is already ${instanceInvitationStatus(row, now)}.` });
        }
        await audit(ctx, tx, "instance_invitation.revoked", "instance_invitation", revoked.id);
        return invitationView(revoked, now);
      });
    }),
} satisfies TRPCRouterRecord;
