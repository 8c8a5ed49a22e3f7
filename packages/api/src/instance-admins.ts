/**
 * Granting and revoking the instance-admin flag (the admin console). Done from the command line
 * (`npm run admin:grant -- <email>`), by the dev seed, and later by admins in the console; always audited.
 */
import { and, eq, isNull } from "drizzle-orm";
import { auditEvents, emailAddresses, users, type Database } from "@latchkey/db";

export type GrantOutcome =
  | { status: "granted" | "revoked" | "unchanged"; userId: string }
  | { status: "not_found" };

/** Sets `is_instance_admin` for the account that owns `email` (any of its addresses, verified or not is irrelevant: the operator names it). */
export async function setInstanceAdmin(db: Database, email: string, admin: boolean): Promise<GrantOutcome> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select({ id: users.id, isInstanceAdmin: users.isInstanceAdmin })
      .from(emailAddresses)
      .innerJoin(users, eq(users.id, emailAddresses.userId))
      .where(and(eq(emailAddresses.email, email.trim().toLowerCase()), isNull(users.deletedAt)))
      .for("update", { of: users });
    if (!row) return { status: "not_found" as const };
    if (row.isInstanceAdmin === admin) return { status: "unchanged" as const, userId: row.id };
    await tx.update(users).set({ isInstanceAdmin: admin, updatedAt: new Date() }).where(eq(users.id, row.id));
    await tx.insert(auditEvents).values({
      action: admin ? "user.instance_admin_granted" : "user.instance_admin_revoked",
      outcome: "success",
      targetType: "user",
      targetId: row.id,
      details: { via: "cli" },
    });
    return { status: admin ? ("granted" as const) : ("revoked" as const), userId: row.id };
  });
}
