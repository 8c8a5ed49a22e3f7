/**
 * The organization's reports, for members holding the run-time permission `org:reports:read` (created in the admin
 * console and granted through a role, ADR 022). The example of checking a custom permission in a loader
 * (`requireAuth`) and in a component (`<Protect>` in the organization layout).
 */
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { metaT } from "~/i18n/meta";
import type { I18nHandle } from "~/i18n/namespaces";
import { useT } from "~/i18n/react";
import { requireAuth } from "~/lib/auth.server";
import { reportsRead } from "~/lib/custom-permissions";

export const handle = { i18n: ["reports"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("reports.title") }];

export async function loader(args: LoaderFunctionArgs) {
  const auth = await requireAuth(args, { permission: reportsRead });
  return { organization: auth.orgName ?? "", roles: auth.orgRoles };
}

export default function OrganizationReports() {
  const t = useT();
  const { organization, roles } = useLoaderData<typeof loader>();
  return (
    <section aria-labelledby="reports-title" className="flex flex-col gap-3">
      <h2 id="reports-title" className="text-xl font-semibold">
        {t("reports.title")}
      </h2>
      <p>{t("reports.lead", { organization })}</p>
      <p className="text-sm text-muted">{t("reports.roles", { roles: roles.join(", ") })}</p>
    </section>
  );
}
