import type { MetaFunction } from "@remix-run/node";
import { Link, useRouteLoaderData } from "@remix-run/react";
import type { loader as rootLoader } from "~/root";
import type { HeaderSession } from "~/lib/header-session";
import { metaT } from "~/i18n/meta";
import { useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";

export const handle = { i18n: ["home", "landing"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => {
  const t = metaT(matches);
  return [{ title: t("app.name") }, { name: "description", content: t("meta.description") }];
};

export default function Index() {
  const session = useRouteLoaderData<typeof rootLoader>("root")?.session;
  return session ? <Home session={session} /> : <Landing />;
}

/** The signed-in home: who you are, your organizations, and where to go next. */
function Home({ session }: { session: HeaderSession }) {
  const t = useT();
  return (
    <section aria-labelledby="home-title" className="flex flex-col gap-6">
      <h1 id="home-title" className="text-3xl font-bold tracking-tight">
        {t("home.welcome", { name: session.user.name ?? session.user.email ?? "" })}
      </h1>
      <h2 className="text-xl font-semibold">{t("nav.organizations")}</h2>
      {session.organizations.length === 0 ? (
        <p className="text-muted">{t("home.noOrganizations")}</p>
      ) : (
        <ul className="flex flex-col divide-y divide-border rounded-lk border border-border">
          {session.organizations.map((org) => (
            <li key={org.id}>
              <Link to={`/org/${org.slug}`} className="block px-4 py-3 hover:bg-subtle">
                {org.name}
              </Link>
            </li>
          ))}
        </ul>
      )}
      <p>
        <Link to="/orgs/new" className="rounded-lk bg-primary px-4 py-2 font-medium text-primary-fg hover:bg-primary-hover">
          {t("nav.createOrganization")}
        </Link>
      </p>
    </section>
  );
}

function Landing() {
  const t = useT();
  return (
    <section aria-labelledby="landing-title" className="flex flex-col items-start gap-6 py-12">
      <h1 id="landing-title" className="text-4xl font-bold tracking-tight">
        {t("landing.title")}
      </h1>
      <p className="max-w-2xl text-lg text-muted">{t("landing.lead")}</p>
      <div className="flex flex-wrap gap-3">
        <Link
          to="/sign-up"
          className="rounded-lk bg-primary px-4 py-2 font-medium text-primary-fg hover:bg-primary-hover"
        >
          {t("nav.signUp")}
        </Link>
        <Link to="/sign-in" className="rounded-lk border border-border px-4 py-2 font-medium hover:bg-subtle">
          {t("nav.signIn")}
        </Link>
      </div>
    </section>
  );
}
