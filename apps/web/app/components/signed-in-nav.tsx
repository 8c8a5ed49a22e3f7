import { Link } from "@remix-run/react";
import { useT } from "~/i18n/react";
import type { HeaderSession } from "~/lib/header-session";
import { OrganizationSwitcher } from "./organization-switcher";
import { UserButton } from "./user-button";

/** The header's navigation when signed in; its own file so signed-out pages don't download it (see HeaderNav). */
export default function SignedInNav({ session }: { session: HeaderSession }) {
  const t = useT();
  return (
    <nav aria-label={t("nav.main")} className="flex items-center gap-3">
      {session.isInstanceAdmin ? (
        <Link to="/admin" className="text-sm text-fg underline-offset-4 hover:underline">
          {t("nav.admin")}
        </Link>
      ) : null}
      <OrganizationSwitcher session={session} />
      <UserButton user={session.user} />
    </nav>
  );
}
