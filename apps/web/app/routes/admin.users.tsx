/**
 * `/admin/users`: the instance's users — search (id, address prefix, name prefix), a filter, a sort and a "Next page"
 * link carrying the keyset cursor. A GET form, so it works without JavaScript and every page has a URL.
 */
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { Button } from "~/components/button";
import { DoneNotice } from "~/components/done-notice";
import type { MessageKey } from "~/i18n/dictionary";
import { metaT } from "~/i18n/meta";
import { useLocale, useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { getCaller, requireAuth } from "~/lib/auth.server";
import { doneFlags } from "~/lib/done-flags.server";

export const handle = { i18n: ["adminUsers"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("adminUsers.title") }];

const filters = ["banned", "locked", "unverified", "mfa"] as const;
const sorts = ["newest", "oldest", "last_sign_in"] as const;
type Filter = (typeof filters)[number];
type Sort = (typeof sorts)[number];

const done = doneFlags("/admin/users", { deleted: "adminUsers.done.deleted" });

export async function loader(args: LoaderFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  const caller = await getCaller(args);
  const params = new URL(args.request.url).searchParams;
  const query = (params.get("q") ?? "").trim().slice(0, 254);
  const filter = (filters as readonly string[]).includes(params.get("filter") ?? "") ? (params.get("filter") as Filter) : undefined;
  const sort = (sorts as readonly string[]).includes(params.get("sort") ?? "") ? (params.get("sort") as Sort) : "newest";
  const cursor = params.get("cursor") || undefined;
  const input = { query: query || undefined, filter, sort };
  let badCursor = false;
  let page;
  try {
    page = await caller.adminUser.list({ ...input, cursor });
  } catch (error) {
    // A stale or edited page link: start again from the first page and say so.
    if ((error as { code?: string }).code !== "BAD_REQUEST" || !cursor) throw error;
    badCursor = true;
    page = await caller.adminUser.list(input);
  }
  const next = new URLSearchParams();
  if (query) next.set("q", query);
  if (filter) next.set("filter", filter);
  if (sort !== "newest") next.set("sort", sort);
  const first = next.toString();
  if (page.nextCursor) next.set("cursor", page.nextCursor);
  return {
    users: page.users,
    query,
    filter: filter ?? "",
    sort,
    nextHref: page.nextCursor ? `/admin/users?${next.toString()}` : null,
    firstHref: cursor && !badCursor ? `/admin/users${first ? `?${first}` : ""}` : null,
    badCursor,
    done: done.read(args.request),
  };
}

const filterKeys: Record<Filter | "", MessageKey> = {
  "": "adminUsers.filter.all",
  banned: "adminUsers.filter.banned",
  locked: "adminUsers.filter.locked",
  unverified: "adminUsers.filter.unverified",
  mfa: "adminUsers.filter.mfa",
};
const sortKeys: Record<Sort, MessageKey> = { newest: "adminUsers.sort.newest", oldest: "adminUsers.sort.oldest", last_sign_in: "adminUsers.sort.last_sign_in" };

export default function AdminUsers() {
  const t = useT();
  const locale = useLocale();
  const { users, query, filter, sort, nextHref, firstHref, badCursor, done: doneMessage } = useLoaderData<typeof loader>();
  const time = (value: Date | null) =>
    value ? <time dateTime={value.toISOString()}>{value.toLocaleString(locale, { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" })} UTC</time> : t("adminUsers.never");

  return (
    <section aria-labelledby="users-title" className="flex flex-col gap-4">
      <div className="flex flex-wrap items-baseline justify-between gap-4">
        <h2 id="users-title" className="text-xl font-semibold">
          {t("adminUsers.title")}
        </h2>
        <Link to="/admin/users/new" className="text-primary underline">
          {t("adminUsers.create")}
        </Link>
      </div>
      <p className="text-muted">{t("adminUsers.lead")}</p>
      <DoneNotice message={doneMessage} />
      {badCursor ? <p role="alert">{t("adminUsers.badCursor")}</p> : null}
      <Form method="get" className="flex flex-wrap items-end gap-4" role="search">
        <div className="flex min-w-64 flex-1 flex-col gap-1">
          <label htmlFor="users-q" className="text-sm font-medium">
            {t("adminUsers.search.label")}
          </label>
          <input
            id="users-q"
            name="q"
            type="search"
            defaultValue={query}
            maxLength={254}
            aria-describedby="users-q-help"
            className="min-h-10 rounded-lk border border-border bg-bg px-3 py-2 text-fg"
          />
          <p id="users-q-help" className="text-sm text-muted">
            {t("adminUsers.search.help")}
          </p>
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor="users-filter" className="text-sm font-medium">
            {t("adminUsers.filter.label")}
          </label>
          <select id="users-filter" name="filter" defaultValue={filter} className="min-h-10 rounded-lk border border-border bg-bg px-3 py-2">
            {(["", ...filters] as const).map((value) => (
              <option key={value} value={value}>
                {t(filterKeys[value])}
              </option>
            ))}
          </select>
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor="users-sort" className="text-sm font-medium">
            {t("adminUsers.sort.label")}
          </label>
          <select id="users-sort" name="sort" defaultValue={sort} className="min-h-10 rounded-lk border border-border bg-bg px-3 py-2">
            {sorts.map((value) => (
              <option key={value} value={value}>
                {t(sortKeys[value])}
              </option>
            ))}
          </select>
        </div>
        <Button>{t("adminUsers.search.submit")}</Button>
      </Form>

      {users.length === 0 ? (
        <p className="text-muted">{t("adminUsers.empty")}</p>
      ) : (
        <table className="w-full text-left text-sm">
          <caption className="sr-only">{t("adminUsers.title")}</caption>
          <thead>
            <tr className="border-b border-border">
              <th scope="col" className="py-2 pr-4">{t("adminUsers.col.user")}</th>
              <th scope="col" className="py-2 pr-4">{t("adminUsers.col.status")}</th>
              <th scope="col" className="py-2 pr-4">{t("adminUsers.col.created")}</th>
              <th scope="col" className="py-2 pr-4">{t("adminUsers.col.lastSignIn")}</th>
            </tr>
          </thead>
          <tbody>
            {users.map((user) => {
              const name = [user.firstName, user.lastName].filter(Boolean).join(" ");
              const badges: MessageKey[] = [
                ...(user.banned ? (["adminUsers.status.banned"] as const) : []),
                ...(user.locked ? (["adminUsers.status.locked"] as const) : []),
                ...(!user.verified ? (["adminUsers.status.unverified"] as const) : []),
                ...(user.hasMfa ? (["adminUsers.status.mfa"] as const) : []),
              ];
              return (
                <tr key={user.id} className="border-b border-border align-top">
                  <td className="py-2 pr-4">
                    <Link to={`/admin/users/${user.id}`} className="break-all text-primary underline">
                      {user.email ?? t("adminUsers.noEmail")}
                    </Link>
                    <div className="text-muted">
                      {name || t("adminUsers.noName")}
                      {user.username ? ` · @${user.username}` : ""}
                    </div>
                  </td>
                  <td className="py-2 pr-4">{(badges.length > 0 ? badges : (["adminUsers.status.active"] as MessageKey[])).map((key) => t(key)).join(", ")}</td>
                  <td className="py-2 pr-4">{time(user.createdAt)}</td>
                  <td className="py-2 pr-4">{time(user.lastSignInAt)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <nav aria-label={t("adminUsers.title")} className="flex gap-4">
        {firstHref ? (
          <Link to={firstHref} className="text-primary underline">
            {t("adminUsers.firstPage")}
          </Link>
        ) : null}
        {nextHref ? (
          <Link to={nextHref} className="text-primary underline">
            {t("adminUsers.nextPage")}
          </Link>
        ) : null}
      </nav>
    </section>
  );
}
