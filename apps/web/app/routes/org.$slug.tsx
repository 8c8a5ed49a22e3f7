/** Layout of every organization page: the org comes from the URL, so two tabs on two orgs don't fight. */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { Link, Outlet, useLoaderData } from "@remix-run/react";
import { useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { requireAuth } from "~/lib/auth.server";
import { Protect } from "~/lib/auth-client";
import { reportsRead } from "~/lib/custom-permissions";
import { TRPCProvider } from "~/lib/trpc";

export const handle = {
  i18n: ["org.members.link", "orgSettings.link", "domains.link", "audit.org.link", "sso.link", "reports.link"],
} satisfies I18nHandle;

export async function loader(args: LoaderFunctionArgs) {
  const auth = await requireAuth(args, { organization: true });
  return {
    organization: { id: auth.orgId!, slug: auth.orgSlug!, name: auth.orgName!, imageUrl: auth.orgImageUrl },
    roles: auth.orgRoles,
    permissions: auth.orgPermissions,
  };
}

export default function OrganizationLayout() {
  const { organization, permissions } = useLoaderData<typeof loader>();
  const t = useT();
  const showSettings = permissions.includes("org:sys_profile:manage") || permissions.includes("org:sys_profile:delete");
  return (
    <TRPCProvider key={organization.slug} orgSlug={organization.slug}>
      <div className="flex flex-col gap-6 py-6">
        <h1 className="flex items-center gap-3 text-2xl font-semibold">
          {organization.imageUrl ? <img src={organization.imageUrl} alt={organization.name} className="h-10 w-10 rounded-lk object-cover" /> : null}
          <Link to={`/org/${organization.slug}`}>{organization.name}</Link>
        </h1>
        {permissions.includes("org:sys_memberships:read") || permissions.includes("org:sys_domains:read") || permissions.includes("org:sys_audit:read") || permissions.includes(reportsRead) || showSettings ? (
          <nav aria-label={organization.name} className="flex gap-4">
            {permissions.includes("org:sys_memberships:read") ? (
              <Link to={`/org/${organization.slug}/members`} className="text-primary underline">
                {t("org.members.link")}
              </Link>
            ) : null}
            {showSettings ? (
              <Link to={`/org/${organization.slug}/settings`} className="text-primary underline">
                {t("orgSettings.link")}
              </Link>
            ) : null}
            {permissions.includes("org:sys_domains:read") ? (
              <Link to={`/org/${organization.slug}/domains`} className="text-primary underline">
                {t("domains.link")}
              </Link>
            ) : null}
            {permissions.includes("org:sys_audit:read") ? (
              <Link to={`/org/${organization.slug}/audit`} className="text-primary underline">
                {t("audit.org.link")}
              </Link>
            ) : null}
            {/* oauth */}
            {permissions.includes("org:sys_domains:manage") ? (
              <Link to={`/org/${organization.slug}/sso`} className="text-primary underline">
                {t("sso.link")}
              </Link>
            ) : null}
            {/* A permission created at run time (ADR 022): the component checks it like a declared one. */}
            <Protect permission={reportsRead}>
              <Link to={`/org/${organization.slug}/reports`} className="text-primary underline">
                {t("reports.link")}
              </Link>
            </Protect>
          </nav>
        ) : null}
        <Outlet />
      </div>
    </TRPCProvider>
  );
}
