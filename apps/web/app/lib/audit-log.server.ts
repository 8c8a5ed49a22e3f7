/**
 * The audit log pages (`/org/:slug/audit`, `/admin/audit`) and their JSON Lines exports share this: the filters come
 * from the query string (a plain GET form), the procedures decide who may read, and bad filters are shown next to
 * their fields rather than failing the page.
 */
import { ApiError, auditFiltersFromSearchParams, getFieldErrors, openAuditExport, type AuditExportScope, type AuditPage } from "@latchkey/api";
import type { LoaderFunctionArgs } from "@remix-run/node";
import type { MessageKey } from "~/i18n/dictionary";
import { getCaller, getRequestContext } from "./auth.server";

export const auditFilterNames = ["actor", "action", "outcome", "from", "to"] as const;
export type AuditFilterName = (typeof auditFilterNames)[number];

const fieldMessages: Record<AuditFilterName, MessageKey> = {
  actor: "audit.errors.actor",
  action: "audit.errors.action",
  outcome: "audit.errors.outcome",
  from: "audit.errors.date",
  to: "audit.errors.date",
};

export interface AuditPageData {
  /** The filters as typed, to refill the form and to carry into the page and export links. */
  filters: Record<AuditFilterName, string>;
  page: AuditPage;
  fieldErrors: Partial<Record<AuditFilterName, MessageKey>>;
}

const emptyPage: AuditPage = { events: [], nextCursor: null, prevCursor: null };

export async function loadAuditPage(args: LoaderFunctionArgs, scope: AuditExportScope): Promise<AuditPageData> {
  const params = new URL(args.request.url).searchParams;
  const filters = Object.fromEntries(auditFilterNames.map((name) => [name, (params.get(name) ?? "").slice(0, 300)])) as Record<AuditFilterName, string>;
  const input = auditFiltersFromSearchParams(params);
  const cursor = params.get("cursor") ?? undefined;
  const caller = await getCaller(args);
  const list = (withCursor: string | undefined) =>
    scope === "organization" ? caller.audit.listForOrganization({ ...input, cursor: withCursor }) : caller.audit.listForInstance({ ...input, cursor: withCursor });
  try {
    return { filters, page: await list(cursor), fieldErrors: {} };
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== "BAD_REQUEST") throw error;
    const fields = Object.keys(getFieldErrors(error) ?? {});
    // A cursor mangled in the address bar starts the list over rather than failing the page.
    if (fields.length === 1 && fields[0] === "cursor") return { filters, page: await list(undefined), fieldErrors: {} };
    const fieldErrors: AuditPageData["fieldErrors"] = {};
    for (const field of fields) if (field in fieldMessages) fieldErrors[field as AuditFilterName] = fieldMessages[field as AuditFilterName];
    return { filters, page: emptyPage, fieldErrors };
  }
}

const plain = (status: number, text: string) =>
  new Response(text, { status, headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" } });

function statusOf(error: ApiError): number {
  switch (error.code) {
    case "BAD_REQUEST":
      return 400;
    case "UNAUTHORIZED":
      return 401;
    case "FORBIDDEN":
      return 403;
    case "TOO_MANY_REQUESTS":
      return 429;
    case "SERVICE_UNAVAILABLE":
      return 503;
    default:
      return 500;
  }
}

/** The export resource route: a streamed `application/x-ndjson` attachment, or a short plain-text refusal. */
export async function auditExportResponse(args: LoaderFunctionArgs, scope: AuditExportScope): Promise<Response> {
  const ctx = await getRequestContext(args);
  try {
    const exported = await openAuditExport(ctx, scope, auditFiltersFromSearchParams(new URL(args.request.url).searchParams));
    return new Response(exported.body, {
      status: 200,
      headers: {
        "Content-Type": "application/x-ndjson; charset=utf-8",
        "Content-Disposition": `attachment; filename="${exported.filename}"`,
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
      },
    });
  } catch (error) {
    if (!(error instanceof ApiError) || statusOf(error) === 500) throw error;
    // The message names the field for bad input ("from: Use a date like …"); nothing else is revealed.
    return plain(statusOf(error), error.code === "BAD_REQUEST" ? error.message : error.code === "UNAUTHORIZED" ? "Unauthorized" : "Forbidden");
  }
}
