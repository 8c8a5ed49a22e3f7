/**
 * The organization's members and invitations. Everyone with `org:sys_memberships:read` sees the members; the role,
 * remove, invite, resend and revoke controls show only with `org:sys_memberships:manage` (the procedures enforce it
 * regardless). Every action is a plain form with a hidden `intent`, so the page works without JavaScript.
 */
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { ApiError } from "@latchkey/api";
import { Button } from "~/components/button";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import { TextField } from "~/components/text-field";
import { metaT } from "~/i18n/meta";
import { useLocale, useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { getAuthHeaders, getCaller, requireAuth } from "~/lib/auth.server";
import { formErrorResponse } from "~/lib/form-errors.server";
import type { FormMessage } from "~/lib/form-message";
import { formRouteHeaders } from "~/lib/route-headers";
import { readFormData } from "~/lib/form-data.server";

export const headers = formRouteHeaders;

export const handle = { i18n: ["org"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("org.members.title") }];

export async function loader(args: LoaderFunctionArgs) {
  const auth = await requireAuth(args, { permission: "org:sys_memberships:read" });
  const url = new URL(args.request.url);
  const q = (url.searchParams.get("q") ?? "").trim().slice(0, 100);
  const cursor = url.searchParams.get("cursor") ?? "";
  const caller = await getCaller(args);
  const page = await caller.member.list({ query: q || undefined, cursor: cursor || undefined }).catch((error: unknown) => {
    // A cursor mangled in the address bar starts the list over rather than failing the page.
    if (error instanceof ApiError && error.code === "BAD_REQUEST") return caller.member.list({ query: q || undefined });
    throw error;
  });
  const canManage = auth.has({ permission: "org:sys_memberships:manage" });
  return {
    q,
    members: page.members,
    nextCursor: page.nextCursor,
    canManage,
    userId: auth.userId,
    roles: canManage ? await caller.member.roles() : [],
    invitations: canManage ? await caller.invitation.list() : [],
  };
}

/** The addresses typed into the invite box: one per line or separated by commas (or semicolons, or spaces). */
function parseEmails(value: string): string[] {
  return value
    .split(/[\s,;]+/)
    .map((email) => email.trim())
    .filter(Boolean);
}

const noErrors = { fieldErrors: {} as Record<string, FormMessage>, formError: null as FormMessage | null };

export async function action(args: ActionFunctionArgs) {
  await requireAuth(args, { organization: true });
  const form = await readFormData(args.request);
  const intent = String(form.get("intent") ?? "");
  const target = String(form.get("membershipId") ?? form.get("invitationId") ?? "");
  const caller = await getCaller(args);
  const url = new URL(args.request.url);
  const back = `${url.pathname}${url.search}`;
  const emailsText = String(form.get("emails") ?? "");
  try {
    switch (intent) {
      case "set-role":
        await caller.member.setRole({ membershipId: target, roleKey: String(form.get("roleKey") ?? "") });
        break;
      case "remove":
        await caller.member.remove({ membershipId: target });
        break;
      case "leave":
        await caller.member.leave();
        throw redirect("/", { headers: await getAuthHeaders(args) });
      case "invite": {
        const result = await caller.invitation.create({ emails: parseEmails(emailsText), roleKey: String(form.get("roleKey") ?? "") });
        return { ...noErrors, intent, target, emailsText: "", invited: result.invited.length, skipped: result.skipped.map((s) => s.email), notice: null };
      }
      case "resend":
        await caller.invitation.resend({ invitationId: target });
        return { ...noErrors, intent, target, emailsText: "", invited: 0, skipped: [], notice: "resent" as const };
      case "revoke":
        await caller.invitation.revoke({ invitationId: target });
        break;
      default:
        break;
    }
  } catch (error) {
    return formErrorResponse(args, error, { intent, target, emailsText, invited: 0, skipped: [] as string[], notice: null });
  }
  // Post/redirect/get, so a reload does not submit twice.
  throw redirect(back, { headers: await getAuthHeaders(args) });
}

export default function Members() {
  const t = useT();
  const locale = useLocale();
  const message = useFormMessage();
  const { q, members, nextCursor, canManage, userId, roles, invitations } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const submitting = (intent: string, target = "") =>
    navigation.state === "submitting" && navigation.formData?.get("intent") === intent && String(navigation.formData?.get("membershipId") ?? navigation.formData?.get("invitationId") ?? "") === target;
  const errorFor = (intent: string, target = "") =>
    result && result.intent === intent && result.target === target ? message(result.formError ?? Object.values(result.fieldErrors)[0]) : null;
  const inviteFieldError = (prefix: string) => {
    if (result?.intent !== "invite") return null;
    const entry = Object.entries(result.fieldErrors).find(([field]) => field === prefix || field.startsWith(`${prefix}.`));
    return entry ? message(entry[1]) : null;
  };
  const date = (value: Date) => value.toLocaleDateString(locale, { dateStyle: "medium" });
  const nextHref = nextCursor ? `?${new URLSearchParams({ ...(q ? { q } : {}), cursor: nextCursor }).toString()}` : null;

  return (
    <div className="flex flex-col gap-10">
      <section aria-labelledby="members-title" className="flex flex-col gap-4">
        <h2 id="members-title" className="text-xl font-semibold">
          {t("org.members.title")}
        </h2>
        <Form method="get" className="flex items-end gap-2" role="search">
          <TextField label={t("org.members.search")} name="q" type="search" defaultValue={q} maxLength={100} className="grow" />
          <Button variant="secondary">{t("org.members.searchSubmit")}</Button>
        </Form>
        {members.length === 0 ? (
          <p className="text-muted">{t("org.members.empty")}</p>
        ) : (
          <ul className="flex flex-col divide-y divide-border rounded-lk border border-border" aria-labelledby="members-title">
            {members.map((member) => {
              const email = member.email ?? member.userId;
              const name = [member.firstName, member.lastName].filter(Boolean).join(" ");
              const error = errorFor("set-role", member.id) ?? errorFor("remove", member.id);
              return (
                <li key={member.id} className="flex flex-col gap-2 px-4 py-3">
                  <div className="flex flex-wrap items-center justify-between gap-4">
                    <div className="flex flex-col">
                      <span className="font-medium">
                        {name || email} {member.userId === userId ? <span className="text-sm text-muted">{t("org.members.you")}</span> : null}
                      </span>
                      <span className="text-sm text-muted">{email}</span>
                      <span className="text-sm text-muted">
                        {member.roles.map((key) => roles.find((r) => r.key === key)?.name ?? key).join(", ")} · {t("org.members.joined", { date: date(member.joinedAt) })}
                      </span>
                    </div>
                    {canManage ? (
                      <div className="flex flex-wrap items-end gap-2">
                        <Form method="post" className="flex items-end gap-2">
                          <input type="hidden" name="intent" value="set-role" />
                          <input type="hidden" name="membershipId" value={member.id} />
                          <div className="flex flex-col gap-1">
                            <label htmlFor={`role-${member.id}`} className="text-sm font-medium">
                              {t("org.members.roleFor", { email })}
                            </label>
                            <RoleSelect id={`role-${member.id}`} roles={roles} defaultValue={member.roles[0] ?? ""} />
                          </div>
                          <Button variant="secondary" pending={submitting("set-role", member.id)} aria-label={t("org.members.changeRoleFor", { email })}>
                            {t("org.members.changeRole")}
                          </Button>
                        </Form>
                        <Form method="post">
                          <input type="hidden" name="intent" value="remove" />
                          <input type="hidden" name="membershipId" value={member.id} />
                          <Button variant="danger" pending={submitting("remove", member.id)} aria-label={t("org.members.removeFor", { email })}>
                            {t("org.members.remove")}
                          </Button>
                        </Form>
                      </div>
                    ) : null}
                  </div>
                  <FormError>{error}</FormError>
                </li>
              );
            })}
          </ul>
        )}
        {nextHref ? (
          <Link to={nextHref} className="self-start text-primary underline">
            {t("org.members.nextPage")}
          </Link>
        ) : null}
        <Form method="post" className="flex flex-col gap-2 self-start">
          <input type="hidden" name="intent" value="leave" />
          <FormError>{errorFor("leave")}</FormError>
          <Button variant="secondary" pending={submitting("leave")}>
            {t("org.members.leave")}
          </Button>
        </Form>
      </section>

      {canManage ? (
        <section aria-labelledby="invite-title" className="flex max-w-xl flex-col gap-4">
          <h2 id="invite-title" className="text-xl font-semibold">
            {t("org.invitations.title")}
          </h2>
          {result?.intent === "invite" && result.invited > 0 ? (
            <p role="status" className="rounded-lk border border-border p-3">
              {t("org.invitations.sent", { count: result.invited })}
            </p>
          ) : null}
          {result?.intent === "invite" && result.skipped.length > 0 ? (
            <p role="status" className="rounded-lk border border-border p-3">
              {t("org.invitations.skipped", { emails: result.skipped.join(", ") })}
            </p>
          ) : null}
          <Form method="post" className="flex flex-col gap-4" noValidate>
            <input type="hidden" name="intent" value="invite" />
            {result?.intent === "invite" ? <FormError>{message(result.formError)}</FormError> : null}
            <EmailsField
              label={t("org.invitations.emails")}
              hint={t("org.invitations.emailsHint")}
              defaultValue={result?.intent === "invite" ? result.emailsText : ""}
              error={inviteFieldError("emails")}
            />
            <div className="flex flex-col gap-1">
              <label htmlFor="invite-role" className="text-sm font-medium">
                {t("org.invitations.role")}
              </label>
              <RoleSelect id="invite-role" roles={roles} defaultValue="org:member" error={inviteFieldError("roleKey")} />
            </div>
            <Button pending={submitting("invite")} className="self-start">
              {t("org.invitations.submit")}
            </Button>
          </Form>

          <h2 id="pending-title" className="text-xl font-semibold">
            {t("org.invitations.pending")}
          </h2>
          {result?.notice === "resent" ? (
            <p role="status" className="rounded-lk border border-border p-3">
              {t("org.invitations.resent")}
            </p>
          ) : null}
          {invitations.length === 0 ? (
            <p className="text-muted">{t("org.invitations.none")}</p>
          ) : (
            <ul className="flex flex-col divide-y divide-border rounded-lk border border-border" aria-labelledby="pending-title">
              {invitations.map((invitation) => (
                <li key={invitation.id} className="flex flex-col gap-2 px-4 py-3">
                  <div className="flex flex-wrap items-center justify-between gap-4">
                    <div className="flex flex-col">
                      <span className="font-medium">{invitation.email}</span>
                      <span className="text-sm text-muted">
                        {invitation.expired
                          ? t("org.invitations.expired", { role: invitation.roleName })
                          : t("org.invitations.details", { role: invitation.roleName, date: date(invitation.expiresAt) })}
                      </span>
                      {invitation.inviterName ? <span className="text-sm text-muted">{t("org.invitations.invitedBy", { name: invitation.inviterName })}</span> : null}
                    </div>
                    <div className="flex gap-2">
                      <Form method="post">
                        <input type="hidden" name="intent" value="resend" />
                        <input type="hidden" name="invitationId" value={invitation.id} />
                        <Button variant="secondary" pending={submitting("resend", invitation.id)} aria-label={t("org.invitations.resendFor", { email: invitation.email })}>
                          {t("org.invitations.resend")}
                        </Button>
                      </Form>
                      <Form method="post">
                        <input type="hidden" name="intent" value="revoke" />
                        <input type="hidden" name="invitationId" value={invitation.id} />
                        <Button variant="danger" pending={submitting("revoke", invitation.id)} aria-label={t("org.invitations.revokeFor", { email: invitation.email })}>
                          {t("org.invitations.revoke")}
                        </Button>
                      </Form>
                    </div>
                  </div>
                  <FormError>{errorFor("resend", invitation.id) ?? errorFor("revoke", invitation.id)}</FormError>
                </li>
              ))}
            </ul>
          )}
        </section>
      ) : null}
    </div>
  );
}

/** A labelled multi-line box for many addresses, with its hint and error tied to it like `TextField`'s. */
function EmailsField({ label, hint, defaultValue, error }: { label: string; hint: string; defaultValue: string; error: string | null }) {
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor="invite-emails" className="text-sm font-medium text-fg">
        {label}
      </label>
      <p id="invite-emails-hint" className="text-sm text-muted">
        {hint}
      </p>
      <textarea
        id="invite-emails"
        name="emails"
        rows={4}
        required
        defaultValue={defaultValue}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? "invite-emails-hint invite-emails-error" : "invite-emails-hint"}
        className="rounded-lk border border-border bg-bg px-3 py-2 text-fg aria-[invalid=true]:border-danger"
      />
      {error ? (
        <p id="invite-emails-error" role="alert" className="text-sm text-danger">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** The role picker; its label is a separate element, so the accessible name is the label alone. */
function RoleSelect({ id, roles, defaultValue, error = null }: { id: string; roles: { key: string; name: string }[]; defaultValue: string; error?: string | null }) {
  return (
    <>
      <select
        id={id}
        name="roleKey"
        defaultValue={defaultValue}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        className="min-h-10 rounded-lk border border-border bg-bg px-2"
      >
        {roles.map((role) => (
          <option key={role.key} value={role.key}>
            {role.name}
          </option>
        ))}
      </select>
      {error ? (
        <p id={`${id}-error`} role="alert" className="text-sm text-danger">
          {error}
        </p>
      ) : null}
    </>
  );
}
