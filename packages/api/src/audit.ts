import { auditEvents } from "@latchkey/db";
import type { Context } from "./context.ts";

export interface AuditInput {
  action: string;
  outcome: "success" | "failure" | "denied";
  actorUserId?: string | null;
  actorSessionId?: string | null;
  organizationId?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  details?: Record<string, unknown>;
}

/**
 * Appends one audit event with the request's IP and user agent. Never put secrets, tokens or passwords in
 * `details`. Pass a transaction as `db` to make the event commit or roll back with the change it records.
 */
export async function recordAuditEvent(
  ctx: Pick<Context, "db" | "ip" | "userAgent" | "now"> & Partial<Pick<Context, "impersonatorUserId">>,
  input: AuditInput,
  db: Context["db"] = ctx.db,
): Promise<void> {
  // impersonation: whatever happens in an impersonation session names the admin behind it.
  const impersonatorUserId = ctx.impersonatorUserId?.() ?? null;
  const details = impersonatorUserId ? { impersonatorUserId, ...input.details } : (input.details ?? {});
  await db.insert(auditEvents).values({
    occurredAt: ctx.now(),
    action: input.action,
    outcome: input.outcome,
    actorUserId: input.actorUserId ?? null,
    actorSessionId: input.actorSessionId ?? null,
    organizationId: input.organizationId ?? null,
    targetType: input.targetType ?? null,
    targetId: input.targetId ?? null,
    ip: ctx.ip,
    userAgent: ctx.userAgent,
    details,
  });
}
