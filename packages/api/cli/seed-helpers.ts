import { eq } from "drizzle-orm";
import { membershipRoles, memberships, roles, type Database } from "@latchkey/db";

/** Adds a membership directly; invitations (the real path) arrive with the Organizations issue. */
export async function addMembership(db: Database, organizationId: string, userId: string, roleKey: string): Promise<void> {
  await db.transaction(async (tx) => {
    const [membership] = await tx.insert(memberships).values({ organizationId, userId }).returning({ id: memberships.id });
    const [role] = await tx.select({ id: roles.id }).from(roles).where(eq(roles.key, roleKey));
    await tx.insert(membershipRoles).values({ membershipId: membership!.id, roleId: role!.id });
  });
}
