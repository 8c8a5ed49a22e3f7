import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import {
  Link,
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  isRouteErrorResponse,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import type { ComponentProps, ReactNode } from "react";
import { HeaderNav } from "~/components/header-nav";
import type { ImpersonationBanner as Banner } from "~/components/impersonation-banner";
import { lazyPart } from "~/components/lazy-part";
import { LocaleSwitcher } from "~/components/locale-switcher";
import { metaT } from "~/i18n/meta";
import type { I18nHandle } from "~/i18n/namespaces";
import { useT } from "~/i18n/react";
import { RouteMessages } from "~/i18n/route-messages";
import { getDictionaryVersion } from "~/i18n/versions.server";
import { readCookie, resolveLocale } from "~/i18n/resolve-locale";
import { useNonce } from "~/lib/nonce";
import { getAuth } from "~/lib/auth.server";
import { getHeaderSession } from "~/lib/header-session.server";
import { getImpersonationBanner } from "~/lib/impersonation.server";
import { parseTheme, THEME_COOKIE } from "~/lib/theme";
import { appearance } from "~/appearance";
import { LatchkeyProvider } from "~/components/latchkey-provider";
import { variablesToStyle } from "~/lib/appearance";
import type { OutageData } from "~/lib/outage.server";
import appCss from "~/styles/app.css?url";

// Only while an admin views as a user: not downloaded otherwise.
const ImpersonationBanner = lazyPart<ComponentProps<typeof Banner>>(() => import("~/components/impersonation-banner").then((m) => ({ default: m.ImpersonationBanner })));

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: appCss },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
];

export const meta: MetaFunction = ({ matches }) => {
  const t = metaT(matches);
  return [{ title: t("app.name") }, { name: "description", content: t("meta.description") }];
};

/** What every page shows: the header (signed in or out), the footer's language switcher, the error boundary. */
export const handle = {
  i18n: ["app", "meta", "nav", "error", "common", "locale", "userButton", "orgSwitcher", "user.manageAccount", "orgs.list.link", "impersonation.banner"],
} satisfies I18nHandle;

export async function loader(args: LoaderFunctionArgs) {
  const { request } = args;
  const auth = await getAuth(args);
  const locale = resolveLocale(request, auth.user?.locale);
  const theme = parseTheme(readCookie(request, THEME_COOKIE));
  return {
    locale,
    // Not the strings: the root renders those of the matched routes into the page (ADR 029). The version names the
    // namespace URLs a client navigation fetches the missing ones from.
    i18nVersion: getDictionaryVersion(locale),
    theme,
    session: auth.userId ? await getHeaderSession(args, auth) : null,
    // impersonation: "Viewing as … — Stop viewing" on every page while an admin views as this user.
    impersonation: auth.userId ? await getImpersonationBanner(args, auth) : null,
  };
}

/** The localized 503 a loader or action threw on a database outage (lib/outage.server.ts), if that is the error. */
function outageOf(error: unknown): OutageData | null {
  if (!isRouteErrorResponse(error) || error.status !== 503) return null;
  const data = error.data as Partial<OutageData> | null;
  return data && data.outage === true ? (data as OutageData) : null;
}

export function Layout({ children }: { children: ReactNode }) {
  // Undefined when the root loader itself failed: the error boundary then renders in en-US, or in the outage's language.
  const data = useRouteLoaderData<typeof loader>("root");
  const nonce = useNonce();
  const error = useRouteError();
  const locale = data?.locale ?? outageOf(error)?.locale ?? "en-US";
  // A person's own choice (the account menu) wins over the app's pinned baseTheme; neither: follow the device.
  const pinned = appearance.baseTheme === "light" || appearance.baseTheme === "dark" ? appearance.baseTheme : undefined;
  return (
    <html lang={locale} data-theme={data?.theme ?? pinned} style={variablesToStyle(appearance.variables)}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body className="min-h-screen bg-bg text-fg antialiased">
        <LatchkeyProvider appearance={appearance}>
          {data ? (
            <RouteMessages locale={data.locale} version={data.i18nVersion} nonce={nonce}>
              <Shell>{children}</Shell>
            </RouteMessages>
          ) : (
            <Shell>{children}</Shell>
          )}
        </LatchkeyProvider>
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

function Shell({ children }: { children: ReactNode }) {
  const t = useT();
  const session = useRouteLoaderData<typeof loader>("root")?.session ?? null;
  const impersonation = useRouteLoaderData<typeof loader>("root")?.impersonation ?? null;
  return (
    <div className="flex min-h-screen flex-col">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:rounded-lk focus:bg-bg focus:px-3 focus:py-2"
      >
        {t("nav.skipToContent")}
      </a>
      {impersonation ? <ImpersonationBanner impersonation={impersonation} /> : null}
      <header className="border-b border-border">
        <div className="mx-auto flex max-w-5xl flex-wrap items-center justify-between gap-4 px-4 py-3">
          <Link to="/" className="text-lg font-semibold text-fg">
            {t("app.name")}
          </Link>
          {/* Header slot: the auth work renders the user button and organization switcher inside HeaderNav. */}
          <HeaderNav session={session} />
        </div>
      </header>
      <main id="main" tabIndex={-1} className="mx-auto w-full max-w-5xl flex-1 px-4 py-10 focus:outline-none">
        {children}
      </main>
      <footer className="border-t border-border">
        <div className="mx-auto flex max-w-5xl items-center justify-end px-4 py-3">
          <LocaleSwitcher />
        </div>
      </footer>
    </div>
  );
}

export default function App() {
  return <Outlet />;
}

export function ErrorBoundary() {
  const error = useRouteError();
  const t = useT();
  let title = t("error.title");
  let message = t("common.error");
  const outage = outageOf(error);
  if (outage) {
    // Translated on the server: the root loader may have failed too, leaving no dictionary here.
    title = outage.title;
    message = outage.message;
  } else if (isRouteErrorResponse(error)) {
    if (error.status === 404) {
      title = t("error.notFoundTitle");
      message = t("error.notFound");
    } else if (error.status === 403) {
      title = t("error.forbiddenTitle");
      message = t("error.forbidden");
    } else {
      title = t("error.status", { status: error.status });
    }
  }
  return (
    <section aria-labelledby="error-title" className="flex flex-col gap-4">
      <h1 id="error-title" className="text-2xl font-semibold">
        {title}
      </h1>
      <p className="text-muted">{message}</p>
      {import.meta.env.DEV && error instanceof Error ? (
        <pre className="overflow-auto rounded-lk bg-subtle p-4 text-xs">{error.stack}</pre>
      ) : null}
      <p>
        <Link to="/" className="text-primary underline underline-offset-4">
          {t("error.backHome")}
        </Link>
      </p>
    </section>
  );
}
