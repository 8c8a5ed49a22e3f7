/**
 * Deleting an organization, shared by its own admins (`organization.delete`) and instance admins
 * (`adminOrganization.delete`): sessions that had it active fall back to the personal context, its logo's bytes go,
 * and the row goes with its memberships, invitations, domains and projects by cascade. The outbox triggers write
 * `organization.deleted` (and `organizationMembership.deleted` per member) in the same transaction. Call under
 * `lockOrganization`.
 */
import { eq } from "drizzle-orm";
import { organizations, sessions, type Database } from "@latchkey/db";
import { deleteImagesOf } from "./images.ts";

export async function deleteOrganizationRecords(tx: Database, organizationId: string): Promise<void> {
  await tx.update(sessions).set({ activeOrganizationId: null }).where(eq(sessions.activeOrganizationId, organizationId));
  await deleteImagesOf(tx, "organization", organizationId);
  await tx.delete(organizations).where(eq(organizations.id, organizationId));
}
