/**
 * The JSON Lines export of the audit log (`/org/:slug/audit.jsonl`, `/admin/audit.jsonl`). Authorization and input
 * checks are the views' own: the export first calls `audit.listForOrganization` / `audit.listForInstance` for one row,
 * so a caller who can't see the view can't export it, and bad filters are the same 400. The export itself is recorded
 * (`audit.exported`, with the filters) before the first byte, then events stream out 500 at a time: the response never
 * holds the whole log in memory.
 */
import { recordAuditEvent } from "./audit.ts";
import { auditFilterSchema, iterateAuditEvents, resolveAuditFilters, toJsonLine, type AuditFilterInput, type AuditScope } from "./audit-log.ts";
import type { Context } from "./context.ts";
import { createCaller } from "./root.ts";

export type AuditExportScope = "organization" | "instance";

/** Query parameters as the views' GET forms send them: `actor`, `action`, `outcome`, `from`, `to`. */
export function auditFiltersFromSearchParams(params: URLSearchParams): AuditFilterInput {
  const pick = (name: string) => params.get(name) ?? undefined;
  return { actor: pick("actor"), action: pick("action"), outcome: pick("outcome") as AuditFilterInput["outcome"], from: pick("from"), to: pick("to") };
}

export interface AuditExport {
  /** The JSON Lines body, one event per line, newest first. */
  body: ReadableStream<Uint8Array>;
  /** A file name for Content-Disposition, e.g. `audit-acme-2025-01-31.jsonl`. */
  filename: string;
}

/**
 * Authorizes, records and opens an export. Throws the views' errors (UNAUTHORIZED, FORBIDDEN, BAD_REQUEST naming the
 * field) before anything is streamed.
 */
export async function openAuditExport(ctx: Context, scope: AuditExportScope, input: AuditFilterInput): Promise<AuditExport> {
  const caller = createCaller(ctx);
  // The view's procedure decides who may read and validates the filters.
  if (scope === "organization") await caller.audit.listForOrganization({ ...input, limit: 1 });
  else await caller.audit.listForInstance({ ...input, limit: 1 });

  const auth = (await ctx.getAuth())!;
  const filters = auditFilterSchema.parse(input);
  const where: AuditScope = scope === "organization" ? { organizationId: auth.organization!.id } : { instance: true };
  await recordAuditEvent(ctx, {
    action: "audit.exported",
    outcome: "success",
    actorUserId: auth.user.id,
    actorSessionId: auth.session.id,
    organizationId: scope === "organization" ? auth.organization!.id : null,
    targetType: "audit_log",
    targetId: scope === "organization" ? auth.organization!.id : "instance",
    details: {
      scope,
      filters: Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined && v !== "")),
    },
  });

  const resolved = await resolveAuditFilters(ctx.db, filters);
  const events = iterateAuditEvents(ctx.db, where, resolved);
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await events.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(toJsonLine(next.value)));
      } catch (error) {
        controller.error(error);
      }
    },
    async cancel() {
      await events.return(undefined);
    },
  });
  const day = ctx.now().toISOString().slice(0, 10);
  const filename = `audit-${scope === "organization" ? auth.organization!.slug : "instance"}-${day}.jsonl`;
  return { body, filename };
}
