/**
 * GET /org/:slug/audit.jsonl — the organization's audit log as JSON Lines, with the page's filters as query
 * parameters. Same authorization as the page (`audit.listForOrganization`), streamed, recorded as `audit.exported`.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { auditExportResponse } from "~/lib/audit-log.server";

export function loader(args: LoaderFunctionArgs) {
  return auditExportResponse(args, "organization");
}
