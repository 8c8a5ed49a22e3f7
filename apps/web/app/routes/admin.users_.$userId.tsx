/**
 * `/admin/users/:userId`: one user — profile, addresses, phones, sign-in factors (kinds and counts only), live
 * sessions (sign one out, or all), organizations, the three metadata objects as JSON editors, the audit trail — and
 * ban / unban, lock / unlock, delete (with a confirmation), "Export JSON" and "Impersonate" (the impersonation
 * helper's page). Plain forms with a hidden `intent`; after a change the action redirects back with `?done=…`.
 */
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Button } from "~/components/button";
import { DoneNotice } from "~/components/done-notice";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import type { MessageKey } from "~/i18n/dictionary";
import { metaT } from "~/i18n/meta";
import { useLocale, useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { getAuthHeaders, getCaller, requireAuth } from "~/lib/auth.server";
import { doneFlags } from "~/lib/done-flags.server";
import { statusOf, toFormErrors, type FormMessage } from "~/lib/form-errors.server";
import { formRouteHeaders } from "~/lib/route-headers";
import { readFormData } from "~/lib/form-data.server";

export const headers = formRouteHeaders;

export const handle = { i18n: ["adminUsers"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("adminUsers.title") }];

const doneMessages = {
  created: "adminUsers.done.created",
  banned: "adminUsers.done.banned",
  unbanned: "adminUsers.done.unbanned",
  locked: "adminUsers.done.locked",
  unlocked: "adminUsers.done.unlocked",
  sessionRevoked: "adminUsers.done.sessionRevoked",
  sessionsRevoked: "adminUsers.done.sessionsRevoked",
  metadata: "adminUsers.done.metadata",
} as const satisfies Record<string, MessageKey>;
const pageOf = (userId: string) => doneFlags(`/admin/users/${userId}`, doneMessages);

function notFound(): never {
  throw new Response("Not found", { status: 404 });
}

export async function loader(args: LoaderFunctionArgs) {
  const auth = await requireAuth(args, { instanceAdmin: true });
  const caller = await getCaller(args);
  const userId = args.params.userId ?? "";
  try {
    const detail = await caller.adminUser.get({ userId });
    return { ...detail, isSelf: auth.user.id === userId, done: pageOf(userId).read(args.request) };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "NOT_FOUND" || code === "BAD_REQUEST") notFound();
    throw error;
  }
}

const metadataFields = ["publicMetadata", "privateMetadata", "unsafeMetadata"] as const;
type MetadataField = (typeof metadataFields)[number];
type Intent = "ban" | "unban" | "lock" | "unlock" | "revokeSession" | "revokeAll" | "metadata" | "delete";

const reasonKeys: Partial<Record<string, MessageKey>> = {
  CANNOT_TARGET_SELF: "adminUsers.errors.self",
  LAST_ADMIN: "adminUsers.errors.lastAdmin",
};

function answer(intent: string, formError: FormMessage | null, fieldErrors: Record<string, FormMessage>, status: number, values: Record<string, string> = {}) {
  return data({ intent, formError, fieldErrors, values }, { status });
}

export async function action(args: ActionFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  const userId = args.params.userId ?? "";
  const form = await readFormData(args.request);
  const intent = String(form.get("intent") ?? "") as Intent;
  const caller = await getCaller(args);
  const page = pageOf(userId);
  const values: Record<string, string> = {};
  try {
    switch (intent) {
      case "ban":
        await caller.adminUser.ban({ userId });
        return await page.back(args, "banned");
      case "unban":
        await caller.adminUser.unban({ userId });
        return await page.back(args, "unbanned");
      case "lock": {
        const raw = String(form.get("minutes") ?? "").trim();
        values.minutes = raw;
        const minutes = Number(raw);
        if (!/^\d{1,7}$/.test(raw) || !Number.isInteger(minutes)) return answer(intent, null, { minutes: { key: "adminUsers.errors.minutes" } }, 400, values);
        await caller.adminUser.lock({ userId, minutes });
        return await page.back(args, "locked");
      }
      case "unlock":
        await caller.adminUser.unlock({ userId });
        return await page.back(args, "unlocked");
      case "revokeSession":
        await caller.adminUser.revokeSession({ userId, sessionId: String(form.get("sessionId") ?? "") });
        return await page.back(args, "sessionRevoked");
      case "revokeAll":
        await caller.adminUser.revokeAllSessions({ userId });
        return await page.back(args, "sessionsRevoked");
      case "metadata": {
        const parsed: Partial<Record<MetadataField, Record<string, unknown>>> = {};
        const fieldErrors: Record<string, FormMessage> = {};
        for (const field of metadataFields) {
          const text = String(form.get(field) ?? "").trim() || "{}";
          values[field] = text;
          let value: unknown;
          try {
            value = JSON.parse(text);
          } catch {
            fieldErrors[field] = { key: "adminUsers.metadata.invalidJson" };
            continue;
          }
          if (value === null || typeof value !== "object" || Array.isArray(value)) fieldErrors[field] = { key: "adminUsers.metadata.notObject" };
          else parsed[field] = value as Record<string, unknown>;
        }
        if (Object.keys(fieldErrors).length > 0) return answer(intent, null, fieldErrors, 400, values);
        await caller.adminUser.updateMetadata({ userId, ...parsed, replace: true });
        return await page.back(args, "metadata");
      }
      case "delete":
        if (form.get("confirm") !== "yes") return answer(intent, null, { confirm: { key: "adminUsers.errors.confirm" } }, 400);
        await caller.adminUser.delete({ userId });
        throw redirect("/admin/users?done=deleted", { headers: await getAuthHeaders(args) });
      default:
        return answer(intent, { key: "common.error" }, {}, 400);
    }
  } catch (error) {
    if (error instanceof Response) throw error;
    const status = statusOf(error);
    if (status >= 500) throw error;
    const reason = (error as { reason?: string }).reason ?? "";
    if (intent === "revokeSession" && reason === "NOT_FOUND") return answer(intent, { key: "adminUsers.errors.sessionGone" }, {}, 404);
    if (reasonKeys[reason]) return answer(intent, { key: reasonKeys[reason] }, {}, status, values);
    const { fieldErrors, formError } = toFormErrors(error);
    // Metadata problems name a path inside the object (`publicMetadata.profile.__proto__`): show them at the field.
    const byField: Record<string, FormMessage> = {};
    for (const [field, messageOf] of Object.entries(fieldErrors)) {
      const top = field.split(".")[0]!;
      byField[top] = field === top ? messageOf : "text" in messageOf ? { text: `${field}: ${messageOf.text}` } : messageOf;
    }
    if (intent === "lock" && byField.minutes) byField.minutes = { key: "adminUsers.errors.minutes" };
    return answer(intent, formError, byField, status, values);
  }
}

const json = (value: unknown) => JSON.stringify(value ?? {}, null, 2);

export default function AdminUser() {
  const t = useT();
  const locale = useLocale();
  const message = useFormMessage();
  const detail = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const { user } = detail;
  const busy = (intent: string) => navigation.state === "submitting" && navigation.formData?.get("intent") === intent;
  const mine = (intent: Intent) => (result && result.intent === intent ? result : null);
  const fieldError = (intent: Intent, field: string) => message((mine(intent)?.fieldErrors as Record<string, FormMessage> | undefined)?.[field]);
  const formError = (intent: Intent) => {
    const own = mine(intent);
    return own?.formError ? message(own.formError) : null;
  };
  const time = (value: Date | null) =>
    value ? <time dateTime={value.toISOString()}>{value.toLocaleString(locale, { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" })} UTC</time> : t("adminUsers.never");
  const name = [user.firstName, user.lastName].filter(Boolean).join(" ");
  const primary = detail.emailAddresses.find((e) => e.isPrimary)?.email ?? null;
  const locked = user.lockedUntil !== null && new Date(user.lockedUntil).getTime() > Date.now();
  const yesNo = (value: boolean) => t(value ? "adminUsers.yes" : "adminUsers.no");
  const metadataValue = (field: MetadataField) => mine("metadata")?.values[field] ?? json(user[field]);
  const metadataLabels: Record<MetadataField, MessageKey> = {
    publicMetadata: "adminUsers.metadata.public",
    privateMetadata: "adminUsers.metadata.private",
    unsafeMetadata: "adminUsers.metadata.unsafe",
  };

  return (
    <div className="flex flex-col gap-10">
      <p>
        <Link to="/admin/users" className="text-primary underline">
          {t("adminUsers.back")}
        </Link>
      </p>
      <section aria-labelledby="user-title" className="flex flex-col gap-3">
        <h2 id="user-title" className="break-all text-xl font-semibold">
          {primary ?? (name || user.id)}
        </h2>
        <DoneNotice message={detail.done} />
        <dl className="grid grid-cols-[max-content_1fr] gap-x-6 gap-y-1 text-sm">
          <dt className="font-medium">{t("adminUsers.detail.id")}</dt>
          <dd className="font-mono">{user.id}</dd>
          <dt className="font-medium">{t("adminUsers.detail.name")}</dt>
          <dd>{name || t("adminUsers.noName")}</dd>
          <dt className="font-medium">{t("adminUsers.detail.username")}</dt>
          <dd>{user.username ?? t("adminUsers.none")}</dd>
          <dt className="font-medium">{t("adminUsers.detail.created")}</dt>
          <dd>{time(user.createdAt)}</dd>
          <dt className="font-medium">{t("adminUsers.detail.lastSignIn")}</dt>
          <dd>{time(user.lastSignInAt)}</dd>
          <dt className="font-medium">{t("adminUsers.detail.instanceAdmin")}</dt>
          <dd>{yesNo(user.isInstanceAdmin)}</dd>
        </dl>
        {user.bannedAt ? <p className="font-medium text-danger">{t("adminUsers.detail.bannedSince", { time: new Date(user.bannedAt).toISOString().slice(0, 16).replace("T", " ") + " UTC" })}</p> : null}
        {locked ? <p className="font-medium text-danger">{t("adminUsers.detail.lockedUntil", { time: new Date(user.lockedUntil!).toISOString().slice(0, 16).replace("T", " ") + " UTC" })}</p> : null}
        <p className="flex flex-wrap gap-4">
          <a href={`/admin/users/${user.id}/export`} className="text-primary underline" download>
            {t("adminUsers.detail.export")}
          </a>
          {detail.isSelf ? null : (
            <Link to={`/admin/users/${user.id}/impersonate`} className="text-primary underline">
              {t("adminUsers.detail.impersonate")}
            </Link>
          )}
        </p>
      </section>

      <section aria-labelledby="user-access" className="flex flex-col gap-4">
        <h2 id="user-access" className="text-lg font-semibold">
          {t("adminUsers.detail.access")}
        </h2>
        <div className="flex flex-col gap-2">
          <p className="text-sm text-muted">{t("adminUsers.banHelp")}</p>
          <FormError>{formError("ban") ?? formError("unban")}</FormError>
          <Form method="post">
            <input type="hidden" name="intent" value={user.bannedAt ? "unban" : "ban"} />
            <Button variant={user.bannedAt ? "secondary" : "danger"} pending={busy("ban") || busy("unban")}>
              {user.bannedAt ? t("adminUsers.unban") : t("adminUsers.ban")}
            </Button>
          </Form>
        </div>
        <div className="flex flex-col gap-2">
          <p className="text-sm text-muted">{t("adminUsers.lockHelp")}</p>
          <FormError>{formError("lock") ?? formError("unlock")}</FormError>
          {locked ? (
            <Form method="post">
              <input type="hidden" name="intent" value="unlock" />
              <Button variant="secondary" pending={busy("unlock")}>
                {t("adminUsers.unlock")}
              </Button>
            </Form>
          ) : (
            <Form method="post" className="flex flex-wrap items-end gap-2" noValidate>
              <input type="hidden" name="intent" value="lock" />
              <div className="flex flex-col gap-1">
                <label htmlFor="lock-minutes" className="text-sm font-medium">
                  {t("adminUsers.lock.minutes")}
                </label>
                <input
                  id="lock-minutes"
                  name="minutes"
                  type="number"
                  min={1}
                  max={525600}
                  defaultValue={mine("lock")?.values.minutes ?? "60"}
                  aria-invalid={fieldError("lock", "minutes") ? true : undefined}
                  aria-describedby={fieldError("lock", "minutes") ? "lock-minutes-error" : undefined}
                  className="min-h-10 w-32 rounded-lk border border-border bg-bg px-3 py-2"
                />
              </div>
              <Button variant="secondary" pending={busy("lock")}>
                {t("adminUsers.lock")}
              </Button>
              {fieldError("lock", "minutes") ? (
                <p id="lock-minutes-error" role="alert" className="w-full text-sm text-danger">
                  {fieldError("lock", "minutes")}
                </p>
              ) : null}
            </Form>
          )}
        </div>
      </section>

      <section aria-labelledby="user-emails" className="flex flex-col gap-2">
        <h2 id="user-emails" className="text-lg font-semibold">
          {t("adminUsers.detail.emails")}
        </h2>
        <ul className="flex flex-col gap-1 text-sm">
          {detail.emailAddresses.map((address) => (
            <li key={address.id}>
              <span className="break-all">{address.email}</span>
              {" · "}
              {address.isPrimary ? `${t("adminUsers.detail.primary")} · ` : ""}
              {address.verifiedAt ? t("adminUsers.detail.verified") : t("adminUsers.detail.unverified")}
            </li>
          ))}
        </ul>
        <h3 className="mt-2 font-semibold">{t("adminUsers.detail.phones")}</h3>
        {detail.phoneNumbers.length === 0 ? (
          <p className="text-sm text-muted">{t("adminUsers.detail.noPhones")}</p>
        ) : (
          <ul className="flex flex-col gap-1 text-sm">
            {detail.phoneNumbers.map((phone) => (
              <li key={phone.id}>
                {phone.phone} · {phone.verifiedAt ? t("adminUsers.detail.verified") : t("adminUsers.detail.unverified")}
                {phone.usedForMfa ? ` · ${t("adminUsers.detail.usedForMfa")}` : ""}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="user-factors" className="flex flex-col gap-2">
        <h2 id="user-factors" className="text-lg font-semibold">
          {t("adminUsers.detail.factors")}
        </h2>
        <ul className="flex flex-col gap-1 text-sm">
          <li>{t("adminUsers.detail.password", { value: yesNo(detail.factors.password) })}</li>
          <li>{t("adminUsers.detail.totp", { value: yesNo(detail.factors.totp) })}</li>
          <li>{t("adminUsers.detail.passkeys", { count: detail.factors.passkeys })}</li>
          <li>{t("adminUsers.detail.backupCodes", { count: detail.factors.backupCodesRemaining })}</li>
          <li>{t("adminUsers.detail.smsPhones", { count: detail.factors.smsPhones })}</li>
          <li>{t("adminUsers.detail.providers", { list: detail.factors.connectedProviders.join(", ") || t("adminUsers.none") })}</li>
        </ul>
      </section>

      <section aria-labelledby="user-sessions" className="flex flex-col gap-2">
        <h2 id="user-sessions" className="text-lg font-semibold">
          {t("adminUsers.detail.sessions")}
        </h2>
        <FormError>{formError("revokeSession") ?? formError("revokeAll")}</FormError>
        {detail.sessions.length === 0 ? (
          <p className="text-sm text-muted">{t("adminUsers.detail.noSessions")}</p>
        ) : (
          <>
            <ul className="flex flex-col gap-3 text-sm">
              {detail.sessions.map((session) => (
                <li key={session.id} className="flex flex-wrap items-center justify-between gap-2 border-b border-border pb-2">
                  <div>
                    <div className="font-medium">
                      {session.browser || session.os ? t("adminUsers.session.device", { browser: session.browser ?? "?", os: session.os ?? "?" }) : t("adminUsers.session.unknownDevice")}
                      {session.impersonated ? ` · ${t("adminUsers.session.impersonated")}` : ""}
                    </div>
                    <div className="text-muted">
                      {t("adminUsers.session.ip", { ip: session.ip ?? "?" })} · {t("adminUsers.session.lastActive")}{" "}
                      {time(session.lastActiveAt)}
                    </div>
                  </div>
                  <Form method="post">
                    <input type="hidden" name="intent" value="revokeSession" />
                    <input type="hidden" name="sessionId" value={session.id} />
                    <Button variant="secondary" pending={busy("revokeSession") && navigation.formData?.get("sessionId") === session.id}>
                      {t("adminUsers.session.revoke")}
                    </Button>
                  </Form>
                </li>
              ))}
            </ul>
            <Form method="post">
              <input type="hidden" name="intent" value="revokeAll" />
              <Button variant="danger" pending={busy("revokeAll")}>
                {t("adminUsers.session.revokeAll")}
              </Button>
            </Form>
          </>
        )}
      </section>

      <section aria-labelledby="user-orgs" className="flex flex-col gap-2">
        <h2 id="user-orgs" className="text-lg font-semibold">
          {t("adminUsers.detail.organizations")}
        </h2>
        {detail.organizations.length === 0 ? (
          <p className="text-sm text-muted">{t("adminUsers.detail.noOrganizations")}</p>
        ) : (
          <ul className="flex flex-col gap-1 text-sm">
            {detail.organizations.map((org) => (
              <li key={org.id}>
                {org.name} <span className="text-muted">({org.slug})</span> · {org.roleKeys.join(", ")}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="user-metadata" className="flex flex-col gap-3">
        <h2 id="user-metadata" className="text-lg font-semibold">
          {t("adminUsers.detail.metadata")}
        </h2>
        <p className="text-sm text-muted">{t("adminUsers.metadata.help")}</p>
        <Form method="post" className="flex flex-col gap-4" noValidate>
          <input type="hidden" name="intent" value="metadata" />
          <FormError>{formError("metadata")}</FormError>
          {metadataFields.map((field) => {
            const error = fieldError("metadata", field);
            return (
              <div key={field} className="flex flex-col gap-1">
                <label htmlFor={`metadata-${field}`} className="text-sm font-medium">
                  {t(metadataLabels[field])}
                </label>
                <textarea
                  id={`metadata-${field}`}
                  name={field}
                  rows={5}
                  spellCheck={false}
                  defaultValue={metadataValue(field)}
                  aria-invalid={error ? true : undefined}
                  aria-describedby={error ? `metadata-${field}-error` : undefined}
                  className="rounded-lk border border-border bg-bg px-3 py-2 font-mono text-sm aria-[invalid=true]:border-danger"
                />
                {error ? (
                  <p id={`metadata-${field}-error`} role="alert" className="text-sm text-danger">
                    {error}
                  </p>
                ) : null}
              </div>
            );
          })}
          <Button pending={busy("metadata")} className="self-start">
            {t("adminUsers.metadata.save")}
          </Button>
        </Form>
      </section>

      <section aria-labelledby="user-audit" className="flex flex-col gap-2">
        <h2 id="user-audit" className="text-lg font-semibold">
          {t("adminUsers.detail.audit")}
        </h2>
        {detail.auditTrail.length === 0 ? (
          <p className="text-sm text-muted">{t("adminUsers.detail.noAudit")}</p>
        ) : (
          <ol className="flex flex-col gap-1 text-sm">
            {detail.auditTrail.map((event) => (
              <li key={event.id}>
                {time(event.occurredAt)} · <code>{event.action}</code> · {event.outcome} ·{" "}
                {event.role === "actor" ? t("adminUsers.audit.asActor") : t("adminUsers.audit.asTarget")}
                {event.ip ? ` · ${event.ip}` : ""}
              </li>
            ))}
          </ol>
        )}
      </section>

      {detail.isSelf ? null : (
        <section aria-labelledby="user-delete" className="flex flex-col gap-2 rounded-lk border border-danger p-4">
          <h2 id="user-delete" className="text-lg font-semibold">
            {t("adminUsers.detail.danger")}
          </h2>
          <p className="text-sm">{t("adminUsers.delete.help")}</p>
          <Form method="post" className="flex flex-col gap-2" noValidate>
            <input type="hidden" name="intent" value="delete" />
            <FormError>{formError("delete")}</FormError>
            <div className="flex items-center gap-2">
              <input
                id="delete-confirm"
                type="checkbox"
                name="confirm"
                value="yes"
                aria-invalid={fieldError("delete", "confirm") ? true : undefined}
                aria-describedby={fieldError("delete", "confirm") ? "delete-confirm-error" : undefined}
              />
              <label htmlFor="delete-confirm" className="text-sm">
                {t("adminUsers.delete.confirm")}
              </label>
            </div>
            {fieldError("delete", "confirm") ? (
              <p id="delete-confirm-error" role="alert" className="text-sm text-danger">
                {fieldError("delete", "confirm")}
              </p>
            ) : null}
            <Button variant="danger" pending={busy("delete")} className="self-start">
              {t("adminUsers.delete")}
            </Button>
          </Form>
        </section>
      )}
    </div>
  );
}
