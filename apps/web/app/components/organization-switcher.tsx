import { Form, Link } from "@remix-run/react";
import { useT } from "~/i18n/react";
import type { HeaderSession } from "~/lib/header-session";
import { DisclosureMenu } from "./disclosure-menu";

/**
 * Personal account, my organizations, create one. Each entry is a form button posting to /orgs/switch, which stores
 * the choice on the session and opens the organization's page; it works without JavaScript.
 */
export interface OrganizationSwitcherProps {
  session: HeaderSession;
  /** Leave out "Personal account" (Clerk's `hidePersonal`), for apps where everything happens in an organization. */
  hidePersonal?: boolean;
  /** Where to go after choosing an organization; `:slug` and `:id` are filled in. Default: `/org/:slug`. */
  afterSelectOrganizationUrl?: string;
}

export function OrganizationSwitcher({ session, hidePersonal = false, afterSelectOrganizationUrl }: OrganizationSwitcherProps) {
  const t = useT();
  const current = session.organization;
  return (
    <DisclosureMenu
      label={t("orgSwitcher.label")}
      summaryClassName="flex cursor-pointer list-none items-center gap-2 rounded-lk border border-border px-3 py-1.5 text-sm hover:bg-subtle"
      panelClassName="absolute right-0 z-10 mt-2 flex w-64 flex-col gap-1 rounded-lk border border-border bg-bg p-2 shadow-lg"
      summary={
        <>
          {current?.imageUrl ? <img src={current.imageUrl} alt={current.name} className="h-5 w-5 rounded object-cover" /> : null}
          <span>{current ? current.name : t("nav.personalAccount")}</span>
          <span aria-hidden="true">▾</span>
        </>
      }
    >
      {hidePersonal ? null : (
        <Form method="post" action="/orgs/switch">
          <input type="hidden" name="organizationId" value="" />
          <button type="submit" aria-current={current ? undefined : "true"} className="w-full rounded-lk px-2 py-1.5 text-left text-sm hover:bg-subtle aria-[current=true]:font-semibold">
            {t("nav.personalAccount")}
          </button>
        </Form>
      )}
      {session.organizations.length > 0 ? (
        <p className="px-2 pt-2 text-xs uppercase tracking-wide text-muted">{t("nav.organizations")}</p>
      ) : null}
      {session.organizations.map((org) => (
        <Form key={org.id} method="post" action="/orgs/switch">
          <input type="hidden" name="organizationId" value={org.id} />
          {afterSelectOrganizationUrl ? <input type="hidden" name="redirectTo" value={afterSelectOrganizationUrl} /> : null}
          <button type="submit" aria-current={current?.id === org.id ? "true" : undefined} className="flex w-full items-center gap-2 rounded-lk px-2 py-1.5 text-left text-sm hover:bg-subtle aria-[current=true]:font-semibold">
            {/* The name follows as text, so the logo's alt stays empty here: the button reads the name once. */}
            {org.imageUrl ? <img src={org.imageUrl} alt="" className="h-5 w-5 rounded object-cover" /> : null}
            <span>{org.name}</span>
          </button>
        </Form>
      ))}
      <hr className="my-1 border-border" />
      <Link to="/orgs" className="rounded-lk px-2 py-1.5 text-sm text-primary hover:bg-subtle">
        {t("orgs.list.link")}
      </Link>
      <Link to="/orgs/new" className="rounded-lk px-2 py-1.5 text-sm text-primary hover:bg-subtle">
        {t("nav.createOrganization")}
      </Link>
    </DisclosureMenu>
  );
}
