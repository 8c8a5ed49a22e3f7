/**
 * `/admin/organizations/:organizationId`: one organization for an instance admin — profile, members (a page at a
 * time), pending invitations, domains, the membership limit form (empty = the instance default) and deletion, confirmed
 * by typing the slug. Plain forms with an `intent` button; works without JavaScript.
 */
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Button } from "~/components/button";
import { DoneNotice } from "~/components/done-notice";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import { TextField } from "~/components/text-field";
import { metaT } from "~/i18n/meta";
import { useLocale, useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { adminFormErrorResponse } from "~/lib/admin-forms.server";
import { getAuthHeaders, getCaller, requireAuth } from "~/lib/auth.server";
import { doneFlags } from "~/lib/done-flags.server";
import { formRouteHeaders } from "~/lib/route-headers";
import { readFormData } from "~/lib/form-data.server";

export const headers = formRouteHeaders;

export const handle = { i18n: ["adminOrgs", "adminRoles.errors"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("adminOrgs.detail.title") }];

const done = {
  limitSaved: "adminOrgs.done.limitSaved",
  limitSavedOver: "adminOrgs.done.limitSavedOver",
  limitCleared: "adminOrgs.done.limitCleared",
} as const;

function notFound(): never {
  throw new Response("Not found", { status: 404 });
}

export async function loader(args: LoaderFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  const caller = await getCaller(args);
  const organizationId = args.params.organizationId ?? "";
  const membersCursor = new URL(args.request.url).searchParams.get("members") || undefined;
  try {
    const detail = await caller.adminOrganization.get({ organizationId, membersCursor });
    return { ...detail, membersPaged: membersCursor !== undefined, done: doneFlags(`/admin/organizations/${organizationId}`, done).read(args.request) };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "NOT_FOUND" || code === "BAD_REQUEST") notFound();
    throw error;
  }
}

export async function action(args: ActionFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  const organizationId = args.params.organizationId ?? "";
  const flags = doneFlags(`/admin/organizations/${organizationId}`, done);
  const form = await readFormData(args.request);
  const intent = String(form.get("intent") ?? "");
  const values = { maxMemberships: String(form.get("maxMemberships") ?? "").trim(), confirmation: String(form.get("confirmation") ?? "") };
  const caller = await getCaller(args);
  try {
    switch (intent) {
      case "limit": {
        // Empty means the instance default; anything else must be a whole number (the API says which).
        const maxMemberships = values.maxMemberships === "" ? null : /^\d{1,9}$/.test(values.maxMemberships) ? Number(values.maxMemberships) : Number.NaN;
        const result = await caller.adminOrganization.setMembershipLimit({ organizationId, maxMemberships });
        return flags.back(args, result.maxMemberships === null ? "limitCleared" : result.overLimit ? "limitSavedOver" : "limitSaved");
      }
      case "delete":
        await caller.adminOrganization.delete({ organizationId, confirmation: values.confirmation });
        throw redirect("/admin/organizations?done=deleted", { headers: await getAuthHeaders(args) });
      default:
        throw new Response("Unknown intent", { status: 400 });
    }
  } catch (error) {
    if (error instanceof Response) throw error;
    return adminFormErrorResponse(
      args,
      error,
      { intent, values },
      { maxMemberships: "adminOrgs.errors.limit", confirmation: "adminOrgs.errors.confirmation" },
      { CONFIRMATION_MISMATCH: "adminOrgs.errors.confirmation" },
    );
  }
}

export default function AdminOrganization() {
  const t = useT();
  const locale = useLocale();
  const message = useFormMessage();
  const { organization, members, membersNextCursor, membersPaged, invitations, domains, membershipLimit, done: doneMessage } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const submitting = (intent: string) => navigation.state === "submitting" && navigation.formData?.get("intent") === intent;
  const failed = (intent: string) => (result && result.intent === intent ? result : null);
  const limitFailed = failed("limit");
  const deleteFailed = failed("delete");
  const date = (value: Date) => <time dateTime={value.toISOString()}>{value.toLocaleDateString(locale, { dateStyle: "medium", timeZone: "UTC" })}</time>;
  const limitText = (value: number | null) => (value === null ? t("adminOrgs.limit.none") : String(value));

  return (
    <div className="flex flex-col gap-10">
      <p>
        <Link to="/admin/organizations" className="text-primary underline">
          {t("adminOrgs.back")}
        </Link>
      </p>
      <section aria-labelledby="org-title" className="flex flex-col gap-2">
        <h2 id="org-title" className="flex items-center gap-2 text-xl font-semibold">
          {organization.imageUrl ? <img src={organization.imageUrl} alt="" width={32} height={32} className="rounded" /> : null}
          {organization.name}
        </h2>
        <DoneNotice message={doneMessage} />
        <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
          <dt className="font-medium">{t("adminOrgs.col.slug")}</dt>
          <dd className="font-mono">{organization.slug}</dd>
          <dt className="font-medium">{t("adminOrgs.col.id")}</dt>
          <dd className="font-mono">{organization.id}</dd>
          <dt className="font-medium">{t("adminOrgs.col.created")}</dt>
          <dd>{date(organization.createdAt)}</dd>
          <dt className="font-medium">{t("adminOrgs.detail.requireMfa")}</dt>
          <dd>{organization.requireMfa ? t("adminOrgs.yes") : t("adminOrgs.no")}</dd>
        </dl>
      </section>

      <section aria-labelledby="org-members" className="flex flex-col gap-2">
        <h3 id="org-members" className="text-lg font-semibold">
          {t("adminOrgs.detail.members", { count: membershipLimit.members })}
        </h3>
        {members.length === 0 ? (
          <p className="text-muted">{t("adminOrgs.detail.noMembers")}</p>
        ) : (
          <table className="w-full text-left text-sm">
            <caption className="sr-only">{t("adminOrgs.detail.members", { count: membershipLimit.members })}</caption>
            <thead>
              <tr className="border-b border-border">
                <th scope="col" className="py-2 pr-4">{t("adminOrgs.detail.member")}</th>
                <th scope="col" className="py-2 pr-4">{t("adminOrgs.detail.email")}</th>
                <th scope="col" className="py-2 pr-4">{t("adminOrgs.detail.roles")}</th>
                <th scope="col" className="py-2 pr-4">{t("adminOrgs.detail.joined")}</th>
              </tr>
            </thead>
            <tbody>
              {members.map((member) => (
                <tr key={member.id} className="border-b border-border">
                  <td className="py-2 pr-4">
                    <Link to={`/admin/users/${member.userId}`} className="text-primary underline">
                      {[member.firstName, member.lastName].filter(Boolean).join(" ") || member.email || member.userId}
                    </Link>
                    <div className="font-mono text-xs text-muted">{member.userId}</div>
                  </td>
                  <td className="py-2 pr-4">{member.email ?? "—"}</td>
                  <td className="py-2 pr-4 font-mono">{member.roles.join(", ")}</td>
                  <td className="py-2 pr-4">{date(member.joinedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <nav aria-label={t("adminOrgs.pages")} className="flex gap-4">
          {membersPaged ? (
            <Link to={`/admin/organizations/${organization.id}`} className="text-primary underline">
              {t("adminOrgs.firstPage")}
            </Link>
          ) : null}
          {membersNextCursor ? (
            <Link to={`?${new URLSearchParams({ members: membersNextCursor })}`} className="text-primary underline">
              {t("adminOrgs.detail.moreMembers")}
            </Link>
          ) : null}
        </nav>
      </section>

      <section aria-labelledby="org-invitations" className="flex flex-col gap-2">
        <h3 id="org-invitations" className="text-lg font-semibold">
          {t("adminOrgs.detail.invitations")}
        </h3>
        {invitations.length === 0 ? (
          <p className="text-muted">{t("adminOrgs.detail.noInvitations")}</p>
        ) : (
          <ul className="flex flex-col gap-1 text-sm">
            {invitations.map((invitation) => (
              <li key={invitation.id}>
                {t("adminOrgs.detail.invitation", { email: invitation.email, role: invitation.roleKey })} · {t("adminOrgs.detail.expires")} {date(invitation.expiresAt)}
              </li>
            ))}
          </ul>
        )}
        <h3 className="text-lg font-semibold">{t("adminOrgs.detail.domains")}</h3>
        {domains.length === 0 ? (
          <p className="text-muted">{t("adminOrgs.detail.noDomains")}</p>
        ) : (
          <ul className="flex flex-col gap-1 text-sm">
            {domains.map((domain) => (
              <li key={domain.id}>
                <span className="font-mono">{domain.domain}</span> · {domain.verifiedAt ? t("adminOrgs.detail.verified") : t("adminOrgs.detail.unverified")}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="org-limit" className="flex flex-col gap-2">
        <h3 id="org-limit" className="text-lg font-semibold">
          {t("adminOrgs.limit.title")}
        </h3>
        <p className="text-sm">
          {t("adminOrgs.limit.current", { effective: limitText(membershipLimit.effective), members: membershipLimit.members, pending: membershipLimit.pendingInvitations })}
        </p>
        <Form method="post" className="flex max-w-xl flex-col gap-3" noValidate>
          <FormError>{limitFailed?.formError ? message(limitFailed.formError) : null}</FormError>
          <TextField
            label={t("adminOrgs.limit.label")}
            description={t("adminOrgs.limit.hint", { default: limitText(membershipLimit.instanceDefault) })}
            name="maxMemberships"
            inputMode="numeric"
            defaultValue={limitFailed ? limitFailed.values.maxMemberships : (membershipLimit.own?.toString() ?? "")}
            error={limitFailed ? message(limitFailed.fieldErrors.maxMemberships) : null}
          />
          <Button name="intent" value="limit" pending={submitting("limit")} className="self-start">
            {t("adminOrgs.limit.save")}
          </Button>
        </Form>
      </section>

      <section aria-labelledby="org-delete" className="flex flex-col gap-2 rounded-lk border border-danger p-4">
        <h3 id="org-delete" className="text-lg font-semibold">
          {t("adminOrgs.delete.title")}
        </h3>
        <p className="text-sm">{t("adminOrgs.delete.lead")}</p>
        <Form method="post" className="flex max-w-xl flex-col gap-3" noValidate>
          <FormError>{deleteFailed?.formError ? message(deleteFailed.formError) : null}</FormError>
          <TextField
            label={t("adminOrgs.delete.confirmLabel", { slug: organization.slug })}
            name="confirmation"
            autoComplete="off"
            error={deleteFailed ? message(deleteFailed.fieldErrors.confirmation) : null}
          />
          <Button name="intent" value="delete" variant="danger" pending={submitting("delete")} className="self-start">
            {t("adminOrgs.delete.submit")}
          </Button>
        </Form>
      </section>
    </div>
  );
}
