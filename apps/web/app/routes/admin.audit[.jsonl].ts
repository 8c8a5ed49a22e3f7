/** GET /admin/audit.jsonl — the whole instance's audit log as JSON Lines, for instance admins; see ../lib/audit-log.server.ts. */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { auditExportResponse } from "~/lib/audit-log.server";

export function loader(args: LoaderFunctionArgs) {
  return auditExportResponse(args, "instance");
}
