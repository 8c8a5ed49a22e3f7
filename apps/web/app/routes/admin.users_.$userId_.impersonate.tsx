/**
 * `/admin/users/:userId/impersonate`: an instance admin starts viewing the app as a user. Shows who, asks for a
 * required reason (it goes into the audit log), and a "Start viewing as …" button; the post starts a short-lived
 * impersonation session and goes home, where the banner on every page offers "Stop viewing". A plain form: works
 * without JavaScript. Users who can't be viewed as (yourself, instance admins, banned or locked users) get the reason
 * instead of the form.
 */
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useId } from "react";
import { ApiError } from "@latchkey/api";
import { Button } from "~/components/button";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import type { MessageKey } from "~/i18n/dictionary";
import { metaT } from "~/i18n/meta";
import { useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { getAuthHeaders, getCaller, requireAuth } from "~/lib/auth.server";
import { formErrorResponse } from "~/lib/form-errors.server";
import type { FormMessage } from "~/lib/form-message";
import { formRouteHeaders } from "~/lib/route-headers";
import { readFormData } from "~/lib/form-data.server";

export const headers = formRouteHeaders;

export const handle = { i18n: ["impersonation"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("impersonation.title") }];

const REASON_MAX = 500;

const refusalKeys = {
  self: "impersonation.refused.self",
  instance_admin: "impersonation.refused.instance_admin",
  banned: "impersonation.refused.banned",
  locked: "impersonation.refused.locked",
} as const satisfies Record<string, MessageKey>;

function notFound(): Response {
  return new Response("Not found", { status: 404, headers: { "Cache-Control": "no-store" } });
}

async function loadTarget(args: LoaderFunctionArgs | ActionFunctionArgs) {
  const caller = await getCaller(args);
  try {
    return await caller.impersonation.target({ userId: String(args.params.userId ?? "") });
  } catch (error) {
    // A malformed id in the URL is as unknown as a missing user.
    if (error instanceof ApiError && (error.reason === "NOT_FOUND" || error.reason === "INVALID_INPUT")) throw notFound();
    throw error;
  }
}

export async function loader(args: LoaderFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  return loadTarget(args);
}

export async function action(args: ActionFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  const form = await readFormData(args.request);
  const reason = String(form.get("reason") ?? "");
  if (String(form.get("intent") ?? "") !== "start") {
    const fieldErrors: Record<string, FormMessage> = {};
    return data({ fieldErrors, formError: { key: "common.error" } as FormMessage, values: { reason } }, { status: 400 });
  }
  const { user } = await loadTarget(args);
  try {
    await (await getCaller(args)).impersonation.start({ userId: user.id, reason });
  } catch (error) {
    // Bad input here can only be the reason (the id came from the URL and was just found).
    return formErrorResponse(args, error, { values: { reason } }, { INVALID_INPUT: "impersonation.errors.reason" });
  }
  // The browser now carries the impersonation session (and the admin's own, kept aside): off to what the user sees.
  throw redirect("/", { headers: await getAuthHeaders(args) });
}

export default function Impersonate() {
  const t = useT();
  const message = useFormMessage();
  const titleId = useId();
  const reasonId = useId();
  const { user, refusal, lifetimeMinutes } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const label = user.name ?? user.email ?? user.id;
  const reasonError = result ? message(result.fieldErrors.reason) : null;
  const formError = result ? message(result.formError ?? result.fieldErrors.userId) : null;

  return (
    <section aria-labelledby={titleId} className="flex max-w-2xl flex-col gap-6">
      <p className="text-sm">
        <Link to={`/admin/users/${user.id}`} className="text-muted underline">
          {t("impersonation.backToUser")}
        </Link>
      </p>
      <h2 id={titleId} className="text-xl font-semibold">
        {t("impersonation.heading", { name: label })}
      </h2>
      <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
        <dt className="font-medium">{t("impersonation.userName")}</dt>
        <dd>{user.name ?? t("impersonation.noName")}</dd>
        <dt className="font-medium">{t("impersonation.userEmail")}</dt>
        <dd>{user.email ?? "—"}</dd>
        <dt className="font-medium">{t("impersonation.userId")}</dt>
        <dd>
          <code>{user.id}</code>
        </dd>
      </dl>
      {refusal ? (
        <p role="alert" className="rounded-lk border border-danger p-3">
          {t(refusalKeys[refusal])}
        </p>
      ) : (
        <>
          <p className="text-muted">{t("impersonation.lead", { minutes: lifetimeMinutes })}</p>
          <Form method="post" className="flex flex-col gap-4" noValidate>
            <FormError>{formError}</FormError>
            <div className="flex flex-col gap-1">
              <label htmlFor={reasonId} className="text-sm font-medium">
                {t("impersonation.reason")}
              </label>
              <p id={`${reasonId}-hint`} className="text-sm text-muted">
                {t("impersonation.reasonHelp")}
              </p>
              <textarea
                id={reasonId}
                name="reason"
                rows={3}
                required
                minLength={3}
                maxLength={REASON_MAX}
                aria-invalid={reasonError ? true : undefined}
                aria-describedby={`${reasonId}-hint${reasonError ? ` ${reasonId}-error` : ""}`}
                defaultValue={result?.values.reason ?? ""}
                className="rounded-lk border border-border bg-bg px-3 py-2 aria-[invalid=true]:border-danger"
              />
              {reasonError ? (
                <p id={`${reasonId}-error`} role="alert" className="text-sm text-danger">
                  {reasonError}
                </p>
              ) : null}
            </div>
            <Button name="intent" value="start" pending={navigation.state === "submitting"} className="self-start">
              {t("impersonation.start", { name: label })}
            </Button>
          </Form>
        </>
      )}
    </section>
  );
}
