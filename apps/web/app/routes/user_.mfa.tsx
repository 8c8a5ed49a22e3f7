/**
 * Two-step verification for the signed-in user: set up an authenticator app (QR code rendered on the server as SVG,
 * the key as text, then a code to confirm), see backup codes once, make new ones, remove the app. Plain form posts
 * with an `intent`; adding or removing a factor needs a fresh password check (/reverify and back). This page stays
 * open while an MFA policy holds the user back (route-rules.ts `mfaSetupRoutes`).
 */
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useId } from "react";
import { ApiError } from "@latchkey/api";
import { getSafeRedirect } from "@latchkey/auth";
import { Button } from "~/components/button";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import { TextField } from "~/components/text-field";
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

export const handle = { i18n: ["mfa", "user.factors"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("mfa.title") }];

const PAGE = "/user/mfa";
const doneMessages = {
  removed: "mfa.done.removed",
} as const satisfies Record<string, MessageKey>;
type Done = keyof typeof doneMessages;

export async function loader(args: LoaderFunctionArgs) {
  const auth = await requireAuth(args);
  const caller = await getCaller(args);
  const [status, pending] = await Promise.all([
    caller.mfa.status(),
    // impersonation: a pending TOTP secret is a credential (refused to the session); an admin viewing as the user
    // sees the page without it.
    auth.impersonatorUserId ? null : caller.mfa.totp.pending(),
  ]);
  const params = new URL(args.request.url).searchParams;
  const done = params.get("done");
  return {
    status,
    pending,
    redirectUrl: getSafeRedirect(params.get("redirect_url"), "/"),
    done: done !== null && Object.hasOwn(doneMessages, done) ? (done as Done) : null,
  };
}

type ActionResult = {
  intent: string;
  fieldErrors: Record<string, FormMessage>;
  formError: FormMessage | null;
  /** Shown once, right after they were made; never stored where the page could show them again. */
  backupCodes?: string[] | null;
  done?: "enabled" | "regenerated";
};

export async function action(args: ActionFunctionArgs) {
  await requireAuth(args);
  const form = await readFormData(args.request);
  const intent = String(form.get("intent") ?? "");
  const caller = await getCaller(args);
  const ok = (extra: Partial<ActionResult>): ActionResult => ({ intent, fieldErrors: {}, formError: null, ...extra });
  try {
    switch (intent) {
      case "start":
        await caller.mfa.totp.start();
        throw redirect(PAGE, { headers: await getAuthHeaders(args) });
      case "confirm": {
        const confirmed = await caller.mfa.totp.confirm({ code: String(form.get("code") ?? "") });
        return data(ok({ backupCodes: confirmed.backupCodes, done: "enabled" }), { headers: await getAuthHeaders(args) });
      }
      case "regenerate": {
        const fresh = await caller.mfa.backupCodes.regenerate();
        return data(ok({ backupCodes: fresh.backupCodes, done: "regenerated" }), { headers: await getAuthHeaders(args) });
      }
      case "remove":
        await caller.mfa.totp.remove();
        throw redirect(`${PAGE}?done=removed`, { headers: await getAuthHeaders(args) });
      default:
        return data(ok({ formError: { key: "common.error" } }), { status: 400 });
    }
  } catch (error) {
    if (error instanceof Response) throw error;
    // Adding or removing a factor needs a password check within 10 minutes: confirm it, come back, press again.
    if (error instanceof ApiError && error.reason === "REVERIFICATION_REQUIRED") {
      throw redirect(`/reverify?redirect_url=${encodeURIComponent(PAGE)}&level=strict`, { headers: await getAuthHeaders(args) });
    }
    return formErrorResponse(args, error, { intent });
  }
}

export default function TwoStepVerification() {
  const t = useT();
  const message = useFormMessage();
  const titleId = useId();
  const { status, pending, done, redirectUrl } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionResult | undefined;
  const navigation = useNavigation();
  const busy = (intent: string) => navigation.state === "submitting" && navigation.formData?.get("intent") === intent;
  const hasFactor = status.totp.enabled || status.passkeys > 0 || status.mfaPhones > 0;
  const doneKey: MessageKey | null = result?.done === "enabled" ? "mfa.done.enabled" : result?.done === "regenerated" ? "mfa.done.regenerated" : done ? doneMessages[done] : null;
  return (
    <section aria-labelledby={titleId} className="mx-auto flex w-full max-w-2xl flex-col gap-8 py-10">
      <h1 id={titleId} className="text-2xl font-semibold">
        {t("mfa.title")}
      </h1>
      <p className="text-muted">{t("mfa.lead")}</p>
      {status.setupRequired ? (
        <p role="alert" className="rounded-lk border border-danger p-3">
          {t("mfa.required")}
        </p>
      ) : null}
      {doneKey ? (
        <p role="status" className="rounded-lk border border-border p-3">
          {t(doneKey)}
          {hasFactor && redirectUrl !== "/" ? (
            <>
              {" "}
              <Link to={redirectUrl} className="text-primary underline">
                {t("mfa.continue")}
              </Link>
            </>
          ) : null}
        </p>
      ) : null}
      {result?.formError && !["confirm"].includes(result.intent) ? <FormError>{message(result.formError)}</FormError> : null}

      {result?.backupCodes ? (
        <section aria-labelledby={`${titleId}-codes`} className="flex flex-col gap-3 rounded-lk border border-border p-4">
          <h2 id={`${titleId}-codes`} className="text-xl font-semibold">
            {t("mfa.backup.listLabel")}
          </h2>
          <p>{t("mfa.backup.shownOnce")}</p>
          <ul className="grid grid-cols-2 gap-2 font-mono" data-testid="backup-codes">
            {result.backupCodes.map((code) => (
              <li key={code}>{code}</li>
            ))}
          </ul>
        </section>
      ) : null}

      <section aria-labelledby={`${titleId}-totp`} className="flex flex-col gap-3">
        <h2 id={`${titleId}-totp`} className="text-xl font-semibold">
          {t("mfa.totp.title")}
        </h2>
        <p>{t(status.totp.enabled ? "mfa.totp.on" : "mfa.totp.off")}</p>
        {status.totp.enabled ? (
          <Form method="post">
            <input type="hidden" name="intent" value="remove" />
            <Button variant="danger" pending={busy("remove")}>
              {t("mfa.totp.remove")}
            </Button>
          </Form>
        ) : pending ? (
          <div className="flex flex-col gap-4">
            <p>{t("mfa.totp.scan")}</p>
            {/* Rendered on the server by the qrcode package from our own otpauth URI: no script, no user markup. */}
            <div
              role="img"
              aria-label={t("mfa.totp.qrLabel")}
              className="h-48 w-48 bg-white p-2"
              dangerouslySetInnerHTML={{ __html: pending.svg }}
            />
            <p>
              {t("mfa.totp.key")}: <code data-testid="totp-key" className="font-mono">{pending.key}</code>
            </p>
            <Form method="post" className="flex flex-col gap-4" noValidate>
              <input type="hidden" name="intent" value="confirm" />
              {result?.intent === "confirm" ? <FormError>{message(result.formError)}</FormError> : null}
              <TextField
                label={t("mfa.totp.code")}
                name="code"
                autoComplete="one-time-code"
                inputMode="numeric"
                required
                error={result?.intent === "confirm" ? message(result.fieldErrors.code) : undefined}
              />
              <Button pending={busy("confirm")}>{t("mfa.totp.confirm")}</Button>
            </Form>
          </div>
        ) : (
          <Form method="post">
            <input type="hidden" name="intent" value="start" />
            <Button pending={busy("start")}>{t("mfa.totp.start")}</Button>
          </Form>
        )}
      </section>

      <section aria-labelledby={`${titleId}-backup`} className="flex flex-col gap-3">
        <h2 id={`${titleId}-backup`} className="text-xl font-semibold">
          {t("mfa.backup.title")}
        </h2>
        {hasFactor ? (
          <>
            <p>{t("mfa.backup.remaining", { count: status.backupCodesRemaining })}</p>
            <Form method="post">
              <input type="hidden" name="intent" value="regenerate" />
              <Button variant="secondary" pending={busy("regenerate")}>
                {t("mfa.backup.regenerate")}
              </Button>
            </Form>
          </>
        ) : (
          <p>{t("mfa.backup.none")}</p>
        )}
      </section>
      <p className="text-sm text-muted">{t("mfa.others", { passkeys: status.passkeys, phones: status.mfaPhones })}</p>
      <ul className="flex flex-col gap-1 text-sm">
        <li>
          <Link to="/user/passkeys" className="text-primary underline">
            {t("user.factors.passkeys")}
          </Link>
        </li>
        <li>
          <Link to="/user/phones" className="text-primary underline">
            {t("user.factors.phones")}
          </Link>
        </li>
      </ul>
    </section>
  );
}
