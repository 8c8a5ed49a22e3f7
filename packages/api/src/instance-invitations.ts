/**
 * Instance invitations: the way into an invite-only or waitlist instance. An admin invites an address directly or
 * approves a waitlist entry; the address gets a link `/sign-up?invitation=<token>`. The token is 192 random bits; only
 * its SHA-256 is stored. It lives 7 days and is used once: it is claimed in the same transaction that creates the
 * account (`claimInstanceInvitation`), so two sign-ups racing on one invitation make one account.
 */
import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, isNull } from "drizzle-orm";
import { instanceInvitations, invitations, type Database, type InstanceInvitation } from "@latchkey/db";
import { HOUR } from "@latchkey/auth";
import type { Context } from "./context.ts";
import { ApiError } from "./errors.ts";
import { logMailFailure } from "./mail/index.ts";

const DAY = 24 * HOUR;
export const INSTANCE_INVITATION_TTL_MS = 7 * DAY;
const TOKEN_PREFIX = "lkinv_";

export type InstanceInvitationStatus = "pending" | "accepted" | "revoked" | "expired";

export function hashInstanceInvitationToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A new pending invitation for `email` (lower-cased), and the raw token for its link (never stored). */
export async function createInstanceInvitation(
  db: Database,
  input: { email: string; invitedByUserId: string | null; now: Date },
): Promise<{ invitation: InstanceInvitation; token: string }> {
  const token = `${TOKEN_PREFIX}${randomBytes(24).toString("base64url")}`;
  const [invitation] = await db
    .insert(instanceInvitations)
    .values({
      email: input.email.toLowerCase(),
      tokenHash: hashInstanceInvitationToken(token),
      invitedByUserId: input.invitedByUserId,
      expiresAt: new Date(input.now.getTime() + INSTANCE_INVITATION_TTL_MS),
      createdAt: input.now,
    })
    .returning();
  return { invitation: invitation!, token };
}

export function instanceInvitationStatus(row: Pick<InstanceInvitation, "acceptedAt" | "revokedAt" | "expiresAt">, now: Date): InstanceInvitationStatus {
  if (row.acceptedAt) return "accepted";
  if (row.revokedAt) return "revoked";
  if (row.expiresAt.getTime() <= now.getTime()) return "expired";
  return "pending";
}

/** The invitation a link's token names (looked up by its hash), whatever its state; null for a malformed or unknown token. */
export async function findInstanceInvitationByToken(db: Database, token: string): Promise<InstanceInvitation | null> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 100) return null;
  const [row] = await db.select().from(instanceInvitations).where(eq(instanceInvitations.tokenHash, hashInstanceInvitationToken(token)));
  return row ?? null;
}

/** The error for a token that can't be used, naming the `invitation` field. */
export function invitationUnusable(status: Exclude<InstanceInvitationStatus, "pending"> | "invalid"): ApiError {
  const cases = {
    invalid: ["INVITATION_INVALID", "This invitation link is not valid."],
    expired: ["INVITATION_EXPIRED", "This invitation has expired. Ask for a new one."],
    revoked: ["INVITATION_REVOKED", "This invitation was withdrawn."],
    accepted: ["INVITATION_ALREADY_USED", "This invitation was already used. Sign in instead."],
  } as const;
  const [reason, message] = cases[status];
  return new ApiError({ code: "FORBIDDEN", reason, field: "invitation", message: `invitation: ${message}` });
}

/**
 * Marks the invitation accepted if it is still pending (one statement, so only one sign-up can win). Returns false
 * when it was used, revoked or expired meanwhile.
 */
export async function claimInstanceInvitation(tx: Database, invitationId: string, email: string, now: Date): Promise<boolean> {
  const claimed = await tx
    .update(instanceInvitations)
    .set({ acceptedAt: now })
    .where(
      and(
        eq(instanceInvitations.id, invitationId),
        eq(instanceInvitations.email, email),
        isNull(instanceInvitations.acceptedAt),
        isNull(instanceInvitations.revokedAt),
        gt(instanceInvitations.expiresAt, now),
      ),
    )
    .returning({ id: instanceInvitations.id });
  return claimed.length > 0;
}

/** Whether an organization invited this address and the invitation is still open (it lets the address sign up too). */
export async function hasPendingOrganizationInvitation(db: Database, email: string, now: Date): Promise<boolean> {
  const [row] = await db
    .select({ id: invitations.id })
    .from(invitations)
    .where(and(eq(invitations.email, email.toLowerCase()), eq(invitations.status, "pending"), gt(invitations.expiresAt, now)))
    .limit(1);
  return Boolean(row);
}

export function instanceInvitationLink(appUrl: string, token: string): string {
  return `${appUrl}/sign-up?${new URLSearchParams({ invitation: token }).toString()}`;
}

/** Emails the invitation link; a failed delivery is logged, not thrown (the admin can revoke and invite again). */
export async function sendInstanceInvitation(ctx: Pick<Context, "mailer" | "appUrl">, email: string, token: string, locale: string | null = null): Promise<void> {
  await ctx.mailer
    .sendInstanceInvitation({
      to: email,
      locale,
      link: instanceInvitationLink(ctx.appUrl, token),
      expiresInDays: INSTANCE_INVITATION_TTL_MS / DAY,
    })
    .catch(logMailFailure("instance invitation"));
}
