/**
 * `/admin/organizations`: every organization, newest first, searched by id, slug or name prefix (a GET form, so the
 * address bar holds the search), one page at a time with a link to the next. Works without JavaScript.
 */
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { Button } from "~/components/button";
import { DoneNotice } from "~/components/done-notice";
import { FormError } from "~/components/form-error";
import { metaT } from "~/i18n/meta";
import { useLocale, useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { getCaller, requireAuth } from "~/lib/auth.server";
import { doneFlags } from "~/lib/done-flags.server";

export const handle = { i18n: ["adminOrgs"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("adminOrgs.title") }];

const PAGE_SIZE = 25;
const organizationsDone = doneFlags("/admin/organizations", { deleted: "adminOrgs.done.deleted" });

export async function loader(args: LoaderFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  const caller = await getCaller(args);
  const url = new URL(args.request.url);
  const query = (url.searchParams.get("q") ?? "").trim().slice(0, 200);
  const cursor = url.searchParams.get("cursor") ?? "";
  const done = organizationsDone.read(args.request);
  try {
    const page = await caller.adminOrganization.list({ query: query || undefined, cursor: cursor || undefined, limit: PAGE_SIZE });
    return { query, paged: cursor !== "", ...page, error: null, done };
  } catch (error) {
    // A cursor from an old or edited link: say so and offer the first page.
    if ((error as { code?: string }).code === "BAD_REQUEST") {
      return { query, paged: true, organizations: [], nextCursor: null, error: "adminOrgs.errors.cursor" as const, done };
    }
    throw error;
  }
}

export default function AdminOrganizations() {
  const t = useT();
  const locale = useLocale();
  const { query, paged, organizations, nextCursor, error, done } = useLoaderData<typeof loader>();
  const next = nextCursor ? `?${new URLSearchParams({ ...(query ? { q: query } : {}), cursor: nextCursor })}` : null;
  const first = `/admin/organizations${query ? `?${new URLSearchParams({ q: query })}` : ""}`;

  return (
    <section aria-labelledby="admin-orgs-title" className="flex flex-col gap-4">
      <h2 id="admin-orgs-title" className="text-xl font-semibold">
        {t("adminOrgs.title")}
      </h2>
      <DoneNotice message={done} />
      <Form method="get" role="search" className="flex flex-wrap items-end gap-2">
        <div className="flex flex-col gap-1">
          <label htmlFor="admin-orgs-q" className="text-sm font-medium">
            {t("adminOrgs.search.label")}
          </label>
          <p id="admin-orgs-q-hint" className="text-sm text-muted">
            {t("adminOrgs.search.hint")}
          </p>
          <input
            id="admin-orgs-q"
            name="q"
            type="search"
            maxLength={200}
            defaultValue={query}
            aria-describedby="admin-orgs-q-hint"
            className="min-h-10 w-72 rounded-lk border border-border bg-bg px-3 py-2"
          />
        </div>
        <Button>{t("adminOrgs.search.submit")}</Button>
      </Form>
      {error ? <FormError>{t(error)}</FormError> : null}
      {organizations.length === 0 ? (
        <p className="text-muted">{query ? t("adminOrgs.emptySearch") : t("adminOrgs.empty")}</p>
      ) : (
        <table className="w-full text-left text-sm">
          <caption className="sr-only">{t("adminOrgs.title")}</caption>
          <thead>
            <tr className="border-b border-border">
              <th scope="col" className="py-2 pr-4">{t("adminOrgs.col.name")}</th>
              <th scope="col" className="py-2 pr-4">{t("adminOrgs.col.slug")}</th>
              <th scope="col" className="py-2 pr-4">{t("adminOrgs.col.id")}</th>
              <th scope="col" className="py-2 pr-4">{t("adminOrgs.col.members")}</th>
              <th scope="col" className="py-2 pr-4">{t("adminOrgs.col.limit")}</th>
              <th scope="col" className="py-2 pr-4">{t("adminOrgs.col.created")}</th>
            </tr>
          </thead>
          <tbody>
            {organizations.map((org) => (
              <tr key={org.id} className="border-b border-border align-top">
                <td className="py-2 pr-4">
                  <span className="flex items-center gap-2">
                    {org.imageUrl ? <img src={org.imageUrl} alt="" width={20} height={20} className="rounded" /> : null}
                    <Link to={`/admin/organizations/${org.id}`} className="text-primary underline">
                      {org.name}
                    </Link>
                  </span>
                </td>
                <td className="py-2 pr-4 font-mono">{org.slug}</td>
                <td className="py-2 pr-4 font-mono text-xs">{org.id}</td>
                <td className="py-2 pr-4">{org.membersCount}</td>
                <td className="py-2 pr-4">{org.maxMemberships ?? t("adminOrgs.limit.default")}</td>
                <td className="py-2 pr-4">
                  <time dateTime={org.createdAt.toISOString()}>{org.createdAt.toLocaleDateString(locale, { dateStyle: "medium", timeZone: "UTC" })}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav aria-label={t("adminOrgs.pages")} className="flex gap-4">
        {paged ? (
          <Link to={first} className="text-primary underline">
            {t("adminOrgs.firstPage")}
          </Link>
        ) : null}
        {next ? (
          <Link to={next} className="text-primary underline">
            {t("adminOrgs.nextPage")}
          </Link>
        ) : null}
      </nav>
    </section>
  );
}
