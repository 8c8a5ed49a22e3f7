/**
 * The security page (`/user/security`; the file is `user_.security` so it does not nest inside the /user page, which
 * has no outlet): the devices signed in to the account (sign one out, or all others), the password (change it, or
 * set a first one), and deleting the account. Plain form posts with a hidden `intent`, so it works without
 * JavaScript; after a change the action redirects back here with `?done=…`. Changing the password and deleting the
 * account need a recent password check: the action sends the user through /reverify and back.
 */
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useId } from "react";
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
import { doneFlags } from "~/lib/done-flags.server";
import { DoneNotice } from "~/components/done-notice";
import { readFormData } from "~/lib/form-data.server";

export const headers = formRouteHeaders;

export const handle = { i18n: ["security"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("security.title") }];

const PAGE = "/user/security";
const done = doneFlags(PAGE, {
  signedOut: "security.done.signedOut",
  signedOutOthers: "security.done.signedOutOthers",
  passwordChanged: "security.done.passwordChanged",
});

export async function loader(args: LoaderFunctionArgs) {
  const auth = await requireAuth(args);
  const caller = await getCaller(args);
  const [{ sessions }, status] = await Promise.all([caller.session.list(), caller.user.accountStatus()]);
  return {
    sessions,
    hasPassword: status.hasPassword,
    deletion: status.deletion,
    email: auth.user.primaryEmail,
    done: done.read(args.request),
  };
}

type Intent = "revoke" | "revokeOthers" | "changePassword" | "delete";
const noFieldErrors = {} as Record<string, FormMessage>;

function answer(intent: string, formError: FormMessage | null, fieldErrors: Record<string, FormMessage>, status: number) {
  return data({ intent, formError, fieldErrors }, { status });
}

export async function action(args: ActionFunctionArgs) {
  const auth = await requireAuth(args);
  const form = await readFormData(args.request);
  const intent = String(form.get("intent") ?? "") as Intent;
  const caller = await getCaller(args);
  const back = (flag: Parameters<typeof done.back>[1]) => done.back(args, flag);
  try {
    switch (intent) {
      case "revoke": {
        const { signedOut } = await caller.session.revoke({ sessionId: String(form.get("sessionId") ?? "") });
        // Signing this very device out ends the visit: the cookie is cleared on the way to the sign-in page.
        if (signedOut) throw redirect("/sign-in", { headers: await getAuthHeaders(args) });
        return back("signedOut");
      }
      case "revokeOthers":
        await caller.session.revokeOthers();
        return back("signedOutOthers");
      case "changePassword": {
        const currentPassword = form.get("currentPassword");
        await caller.user.changePassword({
          ...(typeof currentPassword === "string" && currentPassword !== "" ? { currentPassword } : {}),
          newPassword: String(form.get("newPassword") ?? ""),
        });
        return back("passwordChanged");
      }
      case "delete": {
        // The typed address guards against a slip; the API's reverification guards against someone else.
        const typed = String(form.get("confirmation") ?? "").trim().toLowerCase();
        if (!auth.user.primaryEmail || typed !== auth.user.primaryEmail.toLowerCase()) {
          return answer(intent, null, { confirmation: { key: "security.delete.mismatch" } }, 400);
        }
        await caller.user.delete();
        throw redirect("/", { headers: await getAuthHeaders(args) });
      }
      default:
        return answer(intent, { key: "common.error" }, noFieldErrors, 400);
    }
  } catch (error) {
    if (error instanceof Response) throw error;
    if (error instanceof ApiError && error.reason === "REVERIFICATION_REQUIRED") {
      // /reverify offers every factor the account has (an emailed code at least), with or without a password.
      throw redirect(`/reverify?redirect_url=${encodeURIComponent(PAGE)}&level=strict`, { headers: await getAuthHeaders(args) });
    }
    if (error instanceof ApiError && error.reason === "NOT_FOUND") {
      return answer(intent, { key: "security.devices.notFound" }, noFieldErrors, 404);
    }
    return formErrorResponse(args, error, { intent }, { LAST_ADMIN: "security.delete.blocked" });
  }
}

type Device = ReturnType<typeof useLoaderData<typeof loader>>["sessions"][number];

export default function Security() {
  const t = useT();
  const titleId = useId();
  const { done: doneMessage } = useLoaderData<typeof loader>();
  return (
    <section aria-labelledby={titleId} className="mx-auto flex w-full max-w-2xl flex-col gap-10 py-10">
      <div className="flex flex-col gap-2">
        <p className="text-sm">
          <Link to="/user" className="text-muted underline">
            {t("security.backToAccount")}
          </Link>
        </p>
        <h1 id={titleId} className="text-2xl font-semibold">
          {t("security.title")}
        </h1>
      </div>
      <DoneNotice message={doneMessage} />
      <Devices />
      <Password />
      <DangerZone />
    </section>
  );
}

function useResult(intent: Intent) {
  const result = useActionData<typeof action>();
  return result && result.intent === intent ? result : null;
}

function useSubmitting() {
  const navigation = useNavigation();
  return (intent: Intent) => navigation.state === "submitting" && navigation.formData?.get("intent") === intent;
}

function Devices() {
  const t = useT();
  const message = useFormMessage();
  const headingId = useId();
  const { sessions } = useLoaderData<typeof loader>();
  const revokeResult = useResult("revoke");
  const othersResult = useResult("revokeOthers");
  const submitting = useSubmitting();
  const others = sessions.filter((s) => !s.current).length;
  return (
    <section aria-labelledby={headingId} className="flex flex-col gap-4">
      <h2 id={headingId} className="text-xl font-semibold">
        {t("security.devices.title")}
      </h2>
      <p className="text-sm text-muted">{t("security.devices.lead")}</p>
      <FormError>{message(revokeResult?.formError ?? othersResult?.formError)}</FormError>
      <ul aria-label={t("security.devices.listLabel")} className="flex flex-col divide-y divide-border rounded-lk border border-border">
        {sessions.map((session) => (
          <DeviceRow key={session.id} session={session} />
        ))}
      </ul>
      {others > 0 ? (
        <Form method="post">
          <input type="hidden" name="intent" value="revokeOthers" />
          <Button variant="secondary" pending={submitting("revokeOthers")}>
            {t("security.devices.signOutOthers")}
          </Button>
        </Form>
      ) : (
        <p className="text-sm text-muted">{t("security.devices.onlyThis")}</p>
      )}
    </section>
  );
}

function DeviceRow({ session }: { session: Device }) {
  const t = useT();
  const locale = useLocale();
  const navigation = useNavigation();
  const pending = navigation.state === "submitting" && navigation.formData?.get("sessionId") === session.id;
  // Shown in UTC so the server's and the browser's rendering agree.
  const when = (value: Date) => `${new Date(value).toLocaleString(locale, { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" })} UTC`;
  const browser = session.browser ? [session.browser, session.browserVersion].filter(Boolean).join(" ") : t("security.devices.unknownBrowser");
  const os = session.os ? [session.os, session.osVersion].filter(Boolean).join(" ") : t("security.devices.unknownOs");
  const label = t("security.devices.deviceLabel", { browser, os });
  return (
    <li className="flex flex-wrap items-start justify-between gap-3 px-4 py-3">
      <div className="flex flex-col gap-1">
        <p className="flex flex-wrap items-center gap-2">
          <span className="font-medium">{label}</span>
          {session.current ? (
            <span className="rounded-full border border-border px-2 py-0.5 text-xs text-muted">{t("security.devices.thisDevice")}</span>
          ) : null}
        </p>
        <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-0.5 text-sm">
          <dt className="text-muted">{t("security.devices.ip")}</dt>
          <dd>{session.ip ?? t("security.devices.unknownIp")}</dd>
          <dt className="text-muted">{t("security.devices.signedIn")}</dt>
          <dd>{when(session.createdAt)}</dd>
          <dt className="text-muted">{t("security.devices.lastActive")}</dt>
          <dd>{when(session.lastActiveAt)}</dd>
        </dl>
      </div>
      <Form method="post">
        <input type="hidden" name="intent" value="revoke" />
        <input type="hidden" name="sessionId" value={session.id} />
        <Button variant="secondary" pending={pending} aria-label={session.current ? t("security.devices.signOutThis") : t("security.devices.signOutNamed", { device: label })}>
          {t("security.devices.signOut")}
        </Button>
      </Form>
    </li>
  );
}

function Password() {
  const t = useT();
  const message = useFormMessage();
  const headingId = useId();
  const { hasPassword, email } = useLoaderData<typeof loader>();
  const result = useResult("changePassword");
  const submitting = useSubmitting();
  return (
    <section aria-labelledby={headingId} className="flex flex-col gap-4">
      <h2 id={headingId} className="text-xl font-semibold">
        {t("security.password.title")}
      </h2>
      <p className="text-sm text-muted">{t(hasPassword ? "security.password.lead" : "security.password.leadNoPassword")}</p>
      <Form method="post" className="flex max-w-md flex-col gap-4" noValidate>
        <input type="hidden" name="intent" value="changePassword" />
        {/* For password managers: the account this password belongs to. */}
        <input type="hidden" name="username" autoComplete="username" value={email ?? ""} />
        <FormError>{message(result?.formError)}</FormError>
        {hasPassword ? (
          <TextField
            label={t("security.password.current")}
            name="currentPassword"
            type="password"
            autoComplete="current-password"
            required
            error={message(result?.fieldErrors.currentPassword)}
          />
        ) : null}
        <TextField
          label={t("security.password.new")}
          name="newPassword"
          type="password"
          autoComplete="new-password"
          description={t("security.password.rules")}
          required
          minLength={8}
          maxLength={256}
          error={message(result?.fieldErrors.newPassword)}
        />
        <Button pending={submitting("changePassword")} className="self-start">
          {t(hasPassword ? "security.password.submit" : "security.password.submitSet")}
        </Button>
      </Form>
    </section>
  );
}

function DangerZone() {
  const t = useT();
  const message = useFormMessage();
  const headingId = useId();
  const { deletion, email } = useLoaderData<typeof loader>();
  const result = useResult("delete");
  const submitting = useSubmitting();
  const names = (orgs: { name: string }[]) => orgs.map((o) => o.name).join(", ");
  return (
    <section aria-labelledby={headingId} className="flex flex-col gap-4 rounded-lk border border-danger p-4">
      <h2 id={headingId} className="text-xl font-semibold text-danger">
        {t("security.delete.title")}
      </h2>
      <p className="text-sm">{t("security.delete.lead")}</p>
      {deletion.blockedBy.length > 0 ? (
        <p className="text-sm font-medium">{t("security.delete.blockedBy", { organizations: names(deletion.blockedBy) })}</p>
      ) : (
        <Form method="post" className="flex max-w-md flex-col gap-4" noValidate>
          <input type="hidden" name="intent" value="delete" />
          {deletion.deletesOrganizations.length > 0 ? (
            <p className="text-sm font-medium">{t("security.delete.deletesOrganizations", { organizations: names(deletion.deletesOrganizations) })}</p>
          ) : null}
          <FormError>{message(result?.formError)}</FormError>
          <TextField
            label={t("security.delete.confirmLabel", { email: email ?? "" })}
            name="confirmation"
            type="email"
            autoComplete="off"
            required
            error={message(result?.fieldErrors.confirmation)}
          />
          <Button variant="danger" pending={submitting("delete")} className="self-start">
            {t("security.delete.submit")}
          </Button>
        </Form>
      )}
    </section>
  );
}
