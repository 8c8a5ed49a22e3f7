import { Link, useLocation } from "@remix-run/react";
import { useT } from "~/i18n/react";
import type { HeaderSession } from "~/lib/header-session";
import { lazyPart } from "./lazy-part";

/** Loaded only when signed in: the sign-in and sign-up pages don't carry the switcher and user menu (ADR 029). */
const SignedInNav = lazyPart(() => import("./signed-in-nav"));

/** Pages that are themselves the way in: the header offers no "Sign in / Sign up" there, as Clerk's pages don't. */
const authPages = /^\/(sign-in|sign-up|verify-email|forgot-password|reset-password|waitlist|reverify)(\/|$)/;

/** The header's navigation: sign-in links when signed out; the organization switcher and user button when signed in. */
export function HeaderNav({ session }: { session: HeaderSession | null }) {
  const t = useT();
  const { pathname } = useLocation();
  if (session) return <SignedInNav session={session} />;
  if (authPages.test(pathname)) return null;
  return (
    <nav aria-label={t("nav.main")}>
      <ul className="flex items-center gap-4 text-sm">
        <li>
          <Link to="/sign-in" className="text-fg underline-offset-4 hover:underline">
            {t("nav.signIn")}
          </Link>
        </li>
        <li>
          <Link to="/sign-up" className="rounded-lk bg-primary px-3 py-1.5 text-primary-fg hover:bg-primary-hover">
            {t("nav.signUp")}
          </Link>
        </li>
      </ul>
    </nav>
  );
}
