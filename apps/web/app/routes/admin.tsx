/**
 * Layout of the admin console (`/admin/*`): instance admins only — the route guard refuses everyone else with 403
 * before any loader runs, and this loader checks again. Each section adds its page under `admin.<section>.tsx` and
 * its link to `sections` below.
 */
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { NavLink, Outlet } from "@remix-run/react";
import type { MessageKey } from "~/i18n/dictionary";
import { metaT } from "~/i18n/meta";
import { useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { requireAuth } from "~/lib/auth.server";

export const handle = { i18n: ["admin", "audit.instance.link"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("admin.title") }];

export async function loader(args: LoaderFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  return null;
}

/** The console's sections, in menu order. */
const sections: { to: string; label: MessageKey; end?: boolean }[] = [
  { to: "/admin", label: "admin.overview", end: true },
  // admin users
  { to: "/admin/users", label: "admin.users" },
  // admin organizations and roles
  { to: "/admin/organizations", label: "admin.organizations" },
  { to: "/admin/roles", label: "admin.roles" },
  // instance settings
  { to: "/admin/settings", label: "admin.settings" },
  // waitlist and invitations
  { to: "/admin/waitlist", label: "admin.waitlist" },
  // audit log (audit helper)
  { to: "/admin/audit", label: "audit.instance.link" },
  // webhooks
  { to: "/admin/webhooks", label: "admin.webhooks" },
  // tokens
  { to: "/admin/jwt-templates", label: "admin.jwtTemplates" },
];

export default function AdminLayout() {
  const t = useT();
  return (
    <div className="flex flex-col gap-6 py-6">
      <h1 className="text-2xl font-semibold">{t("admin.title")}</h1>
      <nav aria-label={t("admin.sections")}>
        <ul className="flex flex-wrap gap-4">
          {sections.map((section) => (
            <li key={section.to}>
              <NavLink
                to={section.to}
                end={section.end ?? false}
                className={({ isActive }) => (isActive ? "font-semibold text-fg" : "text-primary underline")}
              >
                {t(section.label)}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <Outlet />
    </div>
  );
}
