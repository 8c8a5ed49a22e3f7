/**
 * The organization's audit log, for members with `org:sys_audit:read` (admins by default): who did what, when and
 * from where, filtered with a plain GET form and exportable as JSON Lines (`/org/:slug/audit.jsonl`).
 */
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { AuditLogView } from "~/components/audit-log";
import { metaT } from "~/i18n/meta";
import { useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { loadAuditPage } from "~/lib/audit-log.server";
import { requireAuth } from "~/lib/auth.server";

export const handle = { i18n: ["audit"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("audit.org.title") }];

export async function loader(args: LoaderFunctionArgs) {
  const auth = await requireAuth(args, { permission: "org:sys_audit:read" });
  return { ...(await loadAuditPage(args, "organization")), path: `/org/${auth.orgSlug}/audit` };
}

export default function OrganizationAudit() {
  const t = useT();
  const { filters, fieldErrors, page, path } = useLoaderData<typeof loader>();
  return (
    <AuditLogView
      title={t("audit.org.title")}
      lead={t("audit.org.lead")}
      filters={filters}
      fieldErrors={fieldErrors}
      events={page.events}
      nextCursor={page.nextCursor}
      prevCursor={page.prevCursor}
      path={path}
    />
  );
}
