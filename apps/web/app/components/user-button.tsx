import type { ReactNode } from "react";
import { Form, Link } from "@remix-run/react";
import { useT } from "~/i18n/react";
import type { HeaderSession } from "~/lib/header-session";

export interface UserButtonProps {
  user: HeaderSession["user"];
  /** Extra menu entries above "Sign out", like Clerk's custom menu items. */
  children?: ReactNode;
}

/** The avatar menu: a native <details> disclosure, so it opens and signs out without JavaScript. */
export function UserButton({ user, children }: UserButtonProps) {
  const t = useT();
  return (
    <details className="relative">
      <summary
        aria-label={t("userButton.label")}
        className="flex cursor-pointer list-none items-center gap-2 rounded-full focus-visible:outline-2"
      >
        {user.imageUrl ? (
          <img src={user.imageUrl} alt="" className="h-8 w-8 rounded-full object-cover" />
        ) : (
          <span aria-hidden="true" className="flex h-8 w-8 items-center justify-center rounded-full bg-primary text-xs font-semibold text-primary-fg">
            {user.initials}
          </span>
        )}
      </summary>
      <div className="absolute right-0 z-10 mt-2 flex w-64 flex-col gap-1 rounded-lk border border-border bg-bg p-3 shadow-lg">
        <p className="font-medium">{user.name ?? user.email}</p>
        {user.name && user.email ? <p className="truncate text-sm text-muted">{user.email}</p> : null}
        <Link to="/user" className="mt-2 rounded-lk px-2 py-1.5 text-sm hover:bg-subtle">
          {t("user.manageAccount")}
        </Link>
        {children}
        <Form method="post" action="/sign-out" className="mt-2 border-t border-border pt-2">
          <button type="submit" className="w-full rounded-lk px-2 py-1.5 text-left text-sm hover:bg-subtle">
            {t("nav.signOut")}
          </button>
        </Form>
      </div>
    </details>
  );
}
