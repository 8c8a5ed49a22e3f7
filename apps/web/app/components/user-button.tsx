import type { ReactNode } from "react";
import { Form, Link } from "@remix-run/react";
import { useT } from "~/i18n/react";
import type { HeaderSession } from "~/lib/header-session";
import { DisclosureMenu } from "./disclosure-menu";
import { ThemeSwitch } from "./theme-switch";

export interface UserButtonProps {
  user: HeaderSession["user"];
  /** Extra menu entries above "Sign out", like Clerk's custom menu items. */
  children?: ReactNode;
}

/** The avatar menu (see DisclosureMenu): it opens and signs out without JavaScript too. */
export function UserButton({ user, children }: UserButtonProps) {
  const t = useT();
  return (
    <DisclosureMenu
      label={t("userButton.label")}
      summaryClassName="flex cursor-pointer list-none items-center gap-2 rounded-full focus-visible:outline-2"
      panelClassName="absolute right-0 z-10 mt-2 flex w-64 flex-col gap-1 rounded-lk border border-border bg-bg p-3 shadow-lg"
      summary={
        user.imageUrl ? (
          <img src={user.imageUrl} alt="" className="h-8 w-8 rounded-full object-cover" />
        ) : (
          <span aria-hidden="true" className="flex h-8 w-8 items-center justify-center rounded-full bg-primary text-xs font-semibold text-primary-fg">
            {user.initials}
          </span>
        )
      }
    >
      <p className="font-medium">{user.name ?? user.email}</p>
      {user.name && user.email ? <p className="truncate text-sm text-muted">{user.email}</p> : null}
      <Link to="/user" className="mt-2 rounded-lk px-2 py-1.5 text-sm hover:bg-subtle">
        {t("user.manageAccount")}
      </Link>
      {children}
      <ThemeSwitch />
      <Form method="post" action="/sign-out" className="mt-2 border-t border-border pt-2">
        <button type="submit" className="w-full rounded-lk px-2 py-1.5 text-left text-sm hover:bg-subtle">
          {t("nav.signOut")}
        </button>
      </Form>
    </DisclosureMenu>
  );
}
