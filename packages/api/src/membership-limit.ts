/**
 * The membership limit: an organization's own `max_memberships`, else the instance's `maxMembershipsPerOrganization`
 * (null = no limit). Invitations count against it while pending, so an admin can't promise more seats than there
 * are; accepting checks it again, since an invitation can outlive a lowered limit. Call under `lockOrganization`, so
 * concurrent invitations and accepts are counted one after another.
 */
import { and, eq, gt, sql } from "drizzle-orm";
import { invitations, memberships, organizations, type Database } from "@latchkey/db";
import { ApiError } from "./errors.ts";
import { getInstanceSettings } from "./instance-settings.ts";

export async function effectiveMembershipLimit(db: Database, organizationId: string): Promise<number | null> {
  const [org] = await db.select({ max: organizations.maxMemberships }).from(organizations).where(eq(organizations.id, organizationId));
  return org?.max ?? (await getInstanceSettings(db)).maxMembershipsPerOrganization;
}

async function countMembers(db: Database, organizationId: string): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(memberships).where(eq(memberships.organizationId, organizationId));
  return Number(row?.n ?? 0);
}

async function countPendingInvitations(db: Database, organizationId: string, now: Date): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(invitations)
    .where(and(eq(invitations.organizationId, organizationId), eq(invitations.status, "pending"), gt(invitations.expiresAt, now)));
  return Number(row?.n ?? 0);
}

function limitReached(limit: number): ApiError {
  return new ApiError({
    code: "FORBIDDEN",
    reason: "MEMBERSHIP_LIMIT_REACHED",
    message: `This organization can have at most ${limit} member${limit === 1 ? "" : "s"}.`,
  });
}

/** Refuses `adding` new invitations when members + pending invitations would pass the limit. */
export async function requireRoomForInvitations(tx: Database, organizationId: string, adding: number, now: Date): Promise<void> {
  const limit = await effectiveMembershipLimit(tx, organizationId);
  if (limit === null || adding === 0) return;
  const taken = (await countMembers(tx, organizationId)) + (await countPendingInvitations(tx, organizationId, now));
  if (taken + adding > limit) throw limitReached(limit);
}

/** Refuses one more membership when the organization is full. */
export async function requireRoomForMember(tx: Database, organizationId: string): Promise<void> {
  const limit = await effectiveMembershipLimit(tx, organizationId);
  if (limit === null) return;
  if ((await countMembers(tx, organizationId)) + 1 > limit) throw limitReached(limit);
}
