/** Layout of every organization page: the org comes from the URL, so two tabs on two orgs don't fight. */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { Link, Outlet, useLoaderData } from "@remix-run/react";
import { useT } from "~/i18n/react";
import { requireAuth } from "~/lib/auth.server";
import { TRPCProvider } from "~/lib/trpc";

export async function loader(args: LoaderFunctionArgs) {
  const auth = await requireAuth(args, { organization: true });
  return {
    organization: { id: auth.orgId!, slug: auth.orgSlug!, name: auth.orgName! },
    roles: auth.orgRoles,
    permissions: auth.orgPermissions,
  };
}

export default function OrganizationLayout() {
  const { organization, permissions } = useLoaderData<typeof loader>();
  const t = useT();
  return (
    <TRPCProvider key={organization.slug} orgSlug={organization.slug}>
      <div className="flex flex-col gap-6 py-6">
        <h1 className="text-2xl font-semibold">
          <Link to={`/org/${organization.slug}`}>{organization.name}</Link>
        </h1>
        {permissions.includes("org:sys_memberships:read") ? (
          <nav aria-label={organization.name}>
            <Link to={`/org/${organization.slug}/members`} className="text-primary underline">
              {t("org.members.link")}
            </Link>
            {permissions.includes("org:sys_domains:read") ? <Link to={`/org/${organization.slug}/domains`} className="ml-4 text-primary underline">{t("domains.link")}</Link> : null}
          </nav>
        ) : null}
        <Outlet />
      </div>
    </TRPCProvider>
  );
}
