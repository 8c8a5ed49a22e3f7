/**
 * `/admin/waitlist`: people waiting to sign up (approve sends an instance invitation by email, reject sends nothing),
 * an "Invite by email" form, and the invitations with their status and a Revoke button. Plain forms with `intent`
 * buttons: works without JavaScript. Instance admins only (the layout, this loader and the procedures all check).
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Button } from "~/components/button";
import { DoneNotice } from "~/components/done-notice";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import { TextField } from "~/components/text-field";
import { metaT } from "~/i18n/meta";
import { useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { getCaller, requireAuth } from "~/lib/auth.server";
import { doneFlags } from "~/lib/done-flags.server";
import { formErrorResponse } from "~/lib/form-errors.server";
import { formRouteHeaders } from "~/lib/route-headers";
import type { FormMessage } from "~/lib/form-message";
import { readFormData } from "~/lib/form-data.server";

export const headers = formRouteHeaders;

export const handle = { i18n: ["waitlist", "form.emailAddress"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("admin.waitlist") }];

const done = doneFlags("/admin/waitlist", {
  approved: "waitlist.done.approved",
  rejected: "waitlist.done.rejected",
  invited: "waitlist.done.invited",
  revoked: "waitlist.done.revoked",
});

export async function loader(args: LoaderFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  const caller = await getCaller(args);
  const cursor = new URL(args.request.url).searchParams.get("cursor") || undefined;
  const [pending, invitations, options] = await Promise.all([
    caller.waitlist.list({ status: "pending", cursor: cursor?.slice(0, 120) }).catch(() => caller.waitlist.list({ status: "pending" })),
    caller.waitlist.listInvitations(),
    caller.waitlist.signUpOptions(),
  ]);
  return { entries: pending.entries, nextCursor: pending.nextCursor, invitations: invitations.invitations, mode: options.mode, done: done.read(args.request) };
}

export async function action(args: ActionFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  const form = await readFormData(args.request);
  const intent = String(form.get("intent") ?? "");
  const email = String(form.get("email") ?? "");
  const caller = await getCaller(args);
  try {
    switch (intent) {
      case "approve":
        await caller.waitlist.approve({ entryId: String(form.get("entryId") ?? "") });
        return done.back(args, "approved");
      case "reject":
        await caller.waitlist.reject({ entryId: String(form.get("entryId") ?? "") });
        return done.back(args, "rejected");
      case "invite":
        await caller.waitlist.invite({ email });
        return done.back(args, "invited");
      case "revoke":
        await caller.waitlist.revokeInvitation({ invitationId: String(form.get("invitationId") ?? "") });
        return done.back(args, "revoked");
      default:
        return { fieldErrors: {} as Record<string, FormMessage>, formError: { key: "common.error" } as FormMessage | null, intent, email };
    }
  } catch (error) {
    return formErrorResponse(args, error, { intent, email }, {
      WAITLIST_ENTRY_DECIDED: "waitlist.admin.decided",
      INVITATION_NOT_PENDING: "waitlist.admin.notPending",
    });
  }
}

const day = (value: Date | string) => new Date(value).toISOString().slice(0, 10);

export default function AdminWaitlist() {
  const t = useT();
  const message = useFormMessage();
  const { entries, nextCursor, invitations, mode, done: doneMessage } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const inviteFailed = result?.intent === "invite" ? result : null;
  const otherFailed = result && result.intent !== "invite" ? result : null;
  return (
    <div className="flex flex-col gap-10">
      <section aria-labelledby="waitlist-title" className="flex flex-col gap-4">
        <h2 id="waitlist-title" className="text-xl font-semibold">
          {t("admin.waitlist")}
        </h2>
        <p className="text-muted">{t("waitlist.admin.lead")}</p>
        <p>{t("waitlist.admin.mode", { mode: t(`waitlist.mode.${mode}`) })}</p>
        <DoneNotice message={doneMessage} />
        <FormError>{otherFailed ? message(otherFailed.formError ?? Object.values(otherFailed.fieldErrors)[0]) : null}</FormError>
      </section>

      <section aria-labelledby="waitlist-pending" className="flex flex-col gap-4">
        <h3 id="waitlist-pending" className="text-lg font-semibold">
          {t("waitlist.admin.pending")}
        </h3>
        {entries.length === 0 ? (
          <p className="text-muted">{t("waitlist.admin.empty")}</p>
        ) : (
          <table className="w-full text-left text-sm">
            <caption className="sr-only">{t("waitlist.admin.pending")}</caption>
            <thead>
              <tr className="border-b border-border">
                <th scope="col" className="py-2 pr-4">{t("waitlist.admin.email")}</th>
                <th scope="col" className="py-2 pr-4">{t("waitlist.admin.requested")}</th>
                <th scope="col" className="py-2 pr-4">{t("waitlist.admin.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => (
                <tr key={entry.id} className="border-b border-border align-top">
                  <td className="break-all py-2 pr-4">{entry.email}</td>
                  <td className="py-2 pr-4">
                    <time dateTime={new Date(entry.createdAt).toISOString()}>{day(entry.createdAt)}</time>
                  </td>
                  <td className="py-2 pr-4">
                    <Form method="post" className="flex gap-2">
                      <input type="hidden" name="entryId" value={entry.id} />
                      <Button name="intent" value="approve" aria-label={t("waitlist.admin.approveLabel", { email: entry.email })}>
                        {t("waitlist.admin.approve")}
                      </Button>
                      <Button name="intent" value="reject" variant="secondary" aria-label={t("waitlist.admin.rejectLabel", { email: entry.email })}>
                        {t("waitlist.admin.reject")}
                      </Button>
                    </Form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {nextCursor ? (
          <Link to={`/admin/waitlist?${new URLSearchParams({ cursor: nextCursor }).toString()}`} className="text-primary underline">
            {t("waitlist.admin.more")}
          </Link>
        ) : null}
      </section>

      <section aria-labelledby="waitlist-invite" className="flex flex-col gap-4">
        <h3 id="waitlist-invite" className="text-lg font-semibold">
          {t("waitlist.admin.inviteTitle")}
        </h3>
        <Form method="post" className="flex max-w-xl flex-col gap-4" noValidate>
          <FormError>{inviteFailed ? message(inviteFailed.formError) : null}</FormError>
          <TextField
            label={t("form.emailAddress")}
            name="email"
            type="email"
            required
            defaultValue={inviteFailed?.email ?? ""}
            error={inviteFailed ? message(inviteFailed.fieldErrors.email) : null}
          />
          <Button name="intent" value="invite" pending={navigation.state === "submitting"} className="self-start">
            {t("waitlist.admin.inviteSubmit")}
          </Button>
        </Form>
      </section>

      <section aria-labelledby="waitlist-invitations" className="flex flex-col gap-4">
        <h3 id="waitlist-invitations" className="text-lg font-semibold">
          {t("waitlist.admin.invitations")}
        </h3>
        {invitations.length === 0 ? (
          <p className="text-muted">{t("waitlist.admin.noInvitations")}</p>
        ) : (
          <table className="w-full text-left text-sm">
            <caption className="sr-only">{t("waitlist.admin.invitations")}</caption>
            <thead>
              <tr className="border-b border-border">
                <th scope="col" className="py-2 pr-4">{t("waitlist.admin.email")}</th>
                <th scope="col" className="py-2 pr-4">{t("waitlist.admin.status")}</th>
                <th scope="col" className="py-2 pr-4">{t("waitlist.admin.expires")}</th>
                <th scope="col" className="py-2 pr-4">{t("waitlist.admin.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {invitations.map((invitation) => (
                <tr key={invitation.id} className="border-b border-border align-top">
                  <td className="break-all py-2 pr-4">{invitation.email}</td>
                  <td className="py-2 pr-4">{t(`waitlist.status.${invitation.status}`)}</td>
                  <td className="py-2 pr-4">
                    <time dateTime={new Date(invitation.expiresAt).toISOString()}>{day(invitation.expiresAt)}</time>
                  </td>
                  <td className="py-2 pr-4">
                    {invitation.status === "pending" ? (
                      <Form method="post">
                        <input type="hidden" name="invitationId" value={invitation.id} />
                        <Button name="intent" value="revoke" variant="secondary" aria-label={t("waitlist.admin.revokeLabel", { email: invitation.email })}>
                          {t("waitlist.admin.revoke")}
                        </Button>
                      </Form>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
