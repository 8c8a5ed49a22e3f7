/**
 * /user/phones: the caller's phone numbers — add one (a 6-digit code is texted to it), verify the code, send a new
 * code, remove, and choose the number that receives sign-in codes. Plain form posts with an `intent`, post/redirect/get
 * with `?done=…`, so the page works without JavaScript. Removing and choosing need a recent password check; the
 * action sends the user to /reverify and back. (`user_` keeps this page outside /user's layout.)
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
import { useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { getAuthHeaders, getCaller, requireAuth } from "~/lib/auth.server";
import { formErrorResponse } from "~/lib/form-errors.server";
import type { FormMessage } from "~/lib/form-message";
import { formRouteHeaders } from "~/lib/route-headers";
import { doneFlags } from "~/lib/done-flags.server";
import { DoneNotice } from "~/components/done-notice";
import { readFormData } from "~/lib/form-data.server";

export const headers = formRouteHeaders;

export const handle = { i18n: ["phones", "passkeys.back"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("phones.title") }];

const PAGE = "/user/phones";
const done = doneFlags(PAGE, {
  sent: "phones.done.sent",
  verified: "phones.done.verified",
  removed: "phones.done.removed",
  mfaOn: "phones.done.mfaOn",
  mfaOff: "phones.done.mfaOff",
});

export async function loader(args: LoaderFunctionArgs) {
  await requireAuth(args);
  const phones = await (await getCaller(args)).phone.list();
  return { phones, done: done.read(args.request) };
}

export async function action(args: ActionFunctionArgs) {
  await requireAuth(args);
  const form = await readFormData(args.request);
  const intent = String(form.get("intent") ?? "");
  const phone = String(form.get("phone") ?? "");
  const phoneNumberId = String(form.get("phoneNumberId") ?? "");
  const caller = await getCaller(args);
  try {
    switch (intent) {
      case "add":
        await caller.phone.add({ phone });
        return done.back(args, "sent");
      case "resend":
        await caller.phone.resendCode({ phoneNumberId });
        return done.back(args, "sent");
      case "verify":
        await caller.phone.verify({ phoneNumberId, code: String(form.get("code") ?? "") });
        return done.back(args, "verified");
      case "remove":
        await caller.phone.remove({ phoneNumberId });
        return done.back(args, "removed");
      case "useForMfa":
      case "stopMfa":
        await caller.phone.setUsedForMfa({ phoneNumberId, usedForMfa: intent === "useForMfa" });
        return done.back(args, intent === "useForMfa" ? "mfaOn" : "mfaOff");
      default:
        return data({ fieldErrors: {} as Record<string, FormMessage>, formError: { key: "common.error" } as FormMessage, intent, phone, phoneNumberId }, { status: 400 });
    }
  } catch (error) {
    if (error instanceof ApiError && error.reason === "REVERIFICATION_REQUIRED") {
      throw redirect(`/reverify?redirect_url=${encodeURIComponent(PAGE)}&level=strict`, { headers: await getAuthHeaders(args) });
    }
    return formErrorResponse(args, error, { intent, phone, phoneNumberId }, { NOT_FOUND: "phones.errors.notFound" });
  }
}

type Phone = ReturnType<typeof useLoaderData<typeof loader>>["phones"][number];

export default function Phones() {
  const t = useT();
  const message = useFormMessage();
  const titleId = useId();
  const { phones, done: doneMessage } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const adding = navigation.state === "submitting" && navigation.formData?.get("intent") === "add";
  const listError = result && result.intent !== "add" && !result.phoneNumberId ? result.formError : null;
  return (
    <section aria-labelledby={titleId} className="mx-auto flex w-full max-w-2xl flex-col gap-6 py-10">
      <p className="text-sm">
        <Link to="/user" className="text-primary underline">
          {t("passkeys.back")}
        </Link>
      </p>
      <h1 id={titleId} className="text-2xl font-semibold">
        {t("phones.title")}
      </h1>
      <p className="text-muted">{t("phones.lead")}</p>
      <DoneNotice message={doneMessage} />
      {listError ? <FormError>{message(listError)}</FormError> : null}
      {phones.length === 0 ? (
        <p className="text-muted">{t("phones.empty")}</p>
      ) : (
        <ul aria-label={t("phones.listLabel")} className="flex flex-col divide-y divide-border rounded-lk border border-border">
          {phones.map((phone) => (
            <PhoneRow key={phone.id} phone={phone} />
          ))}
        </ul>
      )}
      <Form method="post" className="flex max-w-md flex-col gap-4" noValidate>
        <h2 className="text-xl font-semibold">{t("phones.addTitle")}</h2>
        <p className="text-sm text-muted">{t("phones.addLead")}</p>
        <input type="hidden" name="intent" value="add" />
        {result?.intent === "add" ? <FormError>{message(result.formError)}</FormError> : null}
        <TextField
          label={t("phones.number")}
          description={t("phones.numberHint")}
          name="phone"
          type="tel"
          autoComplete="tel"
          required
          defaultValue={result?.intent === "add" ? result.phone : undefined}
          error={result?.intent === "add" ? message(result.fieldErrors.phone) : null}
        />
        <Button pending={adding}>{t("phones.add")}</Button>
      </Form>
    </section>
  );
}

function PhoneRow({ phone }: { phone: Phone }) {
  const t = useT();
  const message = useFormMessage();
  const result = useActionData<typeof action>();
  const mine = result && result.phoneNumberId === phone.id ? result : null;
  const navigation = useNavigation();
  const busy = (intent: string) =>
    navigation.state === "submitting" && navigation.formData?.get("intent") === intent && navigation.formData.get("phoneNumberId") === phone.id;
  const badges = [phone.verifiedAt ? t("phones.verified") : t("phones.unverified"), phone.usedForMfa ? t("phones.usedForMfa") : null].filter(
    (badge): badge is string => badge !== null,
  );
  return (
    <li className="flex flex-col gap-3 px-4 py-3">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div className="flex flex-wrap items-center gap-2">
          <span className="font-medium">{phone.phone}</span>
          {badges.map((badge) => (
            <span key={badge} className="rounded-full border border-border px-2 py-0.5 text-xs text-muted">
              {badge}
            </span>
          ))}
        </div>
        <div className="flex flex-wrap gap-2">
          {phone.verifiedAt ? (
            <Form method="post">
              <input type="hidden" name="intent" value={phone.usedForMfa ? "stopMfa" : "useForMfa"} />
              <input type="hidden" name="phoneNumberId" value={phone.id} />
              <Button variant="secondary" pending={busy(phone.usedForMfa ? "stopMfa" : "useForMfa")} aria-label={t(phone.usedForMfa ? "phones.stopMfaNamed" : "phones.useForMfaNamed", { phone: phone.phone })}>
                {t(phone.usedForMfa ? "phones.stopMfa" : "phones.useForMfa")}
              </Button>
            </Form>
          ) : null}
          <Form method="post">
            <input type="hidden" name="intent" value="remove" />
            <input type="hidden" name="phoneNumberId" value={phone.id} />
            <Button variant="secondary" pending={busy("remove")} aria-label={t("phones.removeNamed", { phone: phone.phone })}>
              {t("phones.remove")}
            </Button>
          </Form>
        </div>
      </div>
      {mine ? <FormError>{message(mine.formError)}</FormError> : null}
      {phone.verifiedAt ? null : (
        <div className="flex max-w-md flex-col gap-3">
          <p className="text-sm text-muted">{t("phones.codeSent", { phone: phone.phone })}</p>
          <Form method="post" className="flex flex-col gap-3" noValidate>
            <input type="hidden" name="intent" value="verify" />
            <input type="hidden" name="phoneNumberId" value={phone.id} />
            <TextField
              label={t("phones.code")}
              name="code"
              autoComplete="one-time-code"
              inputMode="numeric"
              maxLength={6}
              required
              error={mine?.intent === "verify" ? message(mine.fieldErrors.code) : null}
            />
            <Button pending={busy("verify")}>{t("phones.verify")}</Button>
          </Form>
          <Form method="post">
            <input type="hidden" name="intent" value="resend" />
            <input type="hidden" name="phoneNumberId" value={phone.id} />
            <Button variant="secondary" pending={busy("resend")}>
              {t("phones.resend")}
            </Button>
          </Form>
        </div>
      )}
    </li>
  );
}
