/** Finding an invitation by the token from its link, and what state it is in. */
import { eq } from "drizzle-orm";
import { invitations, organizations, roles, type Database } from "@latchkey/db";
import { parseInvitationToken, verifyInvitationSecret } from "@latchkey/auth";

export type InvitationStatus = "pending" | "expired" | "revoked" | "accepted" | "declined";

export interface InvitationByToken {
  id: string;
  organizationId: string;
  organizationName: string;
  email: string;
  roleId: string;
  roleName: string;
  status: "pending" | "accepted" | "revoked" | "declined";
  expiresAt: Date;
}

/** The invitation with this id and its token hash, with the names the pages show. */
async function selectInvitation(db: Database, id: string) {
  const [row] = await db
    .select({
      id: invitations.id,
      tokenHash: invitations.tokenHash,
      organizationId: invitations.organizationId,
      organizationName: organizations.name,
      email: invitations.email,
      roleId: invitations.roleId,
      roleName: roles.name,
      status: invitations.status,
      expiresAt: invitations.expiresAt,
    })
    .from(invitations)
    .innerJoin(organizations, eq(organizations.id, invitations.organizationId))
    .innerJoin(roles, eq(roles.id, invitations.roleId))
    .where(eq(invitations.id, id))
    .limit(1);
  return row;
}

/** The invitation a token names, when its secret matches (constant time); null for anything else. */
export async function findInvitationByToken(db: Database, token: string): Promise<InvitationByToken | null> {
  const parsed = parseInvitationToken(token);
  if (!parsed) return null;
  const row = await selectInvitation(db, parsed.id);
  if (!row || !verifyInvitationSecret(row.tokenHash, parsed.secret)) return null;
  const { tokenHash: _secret, ...invitation } = row;
  return invitation;
}

/** The invitation with this id, whatever its state; callers must check the caller may see it. */
export async function findInvitationById(db: Database, id: string): Promise<InvitationByToken | null> {
  const row = await selectInvitation(db, id);
  if (!row) return null;
  const { tokenHash: _secret, ...invitation } = row;
  return invitation;
}

/** A pending invitation past its expiry reads "expired"; the others are what the row says. */
export function invitationStatus(invitation: Pick<InvitationByToken, "status" | "expiresAt">, now: Date): InvitationStatus {
  if (invitation.status === "pending" && invitation.expiresAt.getTime() <= now.getTime()) return "expired";
  return invitation.status;
}
