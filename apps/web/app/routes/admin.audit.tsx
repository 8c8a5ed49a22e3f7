/** The instance's audit log, for instance admins: every organization's events and the instance-level ones. */
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { AuditLogView } from "~/components/audit-log";
import { metaT } from "~/i18n/meta";
import { useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { loadAuditPage } from "~/lib/audit-log.server";
import { requireAuth } from "~/lib/auth.server";

export const handle = { i18n: ["audit"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("audit.instance.title") }];

export async function loader(args: LoaderFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  return loadAuditPage(args, "instance");
}

export default function InstanceAudit() {
  const t = useT();
  const { filters, fieldErrors, page } = useLoaderData<typeof loader>();
  return (
    <AuditLogView
      title={t("audit.instance.title")}
      lead={t("audit.instance.lead")}
      filters={filters}
      fieldErrors={fieldErrors}
      events={page.events}
      nextCursor={page.nextCursor}
      prevCursor={page.prevCursor}
      path="/admin/audit"
      showOrganization
    />
  );
}
