/**
 * The account page: the profile at a glance and the email addresses (add by emailed code, make primary, remove).
 * Every action is a plain form post with a hidden `intent`, so the page works without JavaScript; after a change the
 * action redirects back here (post/redirect/get) with `?done=…` for the status line.
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

export const handle = { i18n: ["user", "mfa.link", "connected.link", "form.emailAddress"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("user.title") }];

const PAGE = "/user";
const done = doneFlags(PAGE, {
  sent: "user.done.sent",
  added: "user.done.added",
  primary: "user.done.primary",
  removed: "user.done.removed",
  metadata: "user.done.metadata",
});

export async function loader(args: LoaderFunctionArgs) {
  await requireAuth(args);
  const caller = await getCaller(args);
  const [me, emails] = await Promise.all([caller.user.me(), caller.emailAddress.list()]);
  return {
    profile: { name: [me.firstName, me.lastName].filter(Boolean).join(" ") || null, primaryEmail: me.primaryEmail },
    addresses: emails.addresses,
    pending: emails.pending.map((p) => p.email),
    done: done.read(args.request),
    // Unsafe metadata only: public is shown by apps, private never leaves the server.
    unsafeMetadata: JSON.stringify(me.unsafeMetadata ?? {}, null, 2),
  };
}

/** Back to this page with a status line; Set-Cookie from the procedures rides along. */
export async function action(args: ActionFunctionArgs) {
  await requireAuth(args);
  const form = await readFormData(args.request);
  const intent = String(form.get("intent") ?? "");
  const email = String(form.get("email") ?? "");
  const emailAddressId = String(form.get("emailAddressId") ?? "");
  const caller = await getCaller(args);
  try {
    switch (intent) {
      case "add":
      case "resend":
        await caller.emailAddress.add({ email });
        return done.back(args, "sent");
      case "verify":
        await caller.emailAddress.verify({ email, code: String(form.get("code") ?? "") });
        return done.back(args, "added");
      case "makePrimary":
        await caller.emailAddress.setPrimary({ emailAddressId });
        return done.back(args, "primary");
      case "remove":
        await caller.emailAddress.remove({ emailAddressId });
        return done.back(args, "removed");
      case "metadata":
        return await saveUnsafeMetadata(args, caller, String(form.get("unsafeMetadata") ?? ""));
      default:
        return data({ fieldErrors: {} as Record<string, FormMessage>, formError: { key: "common.error" } as FormMessage, intent, email, emailAddressId }, { status: 400 });
    }
  } catch (error) {
    // Changing the primary address needs a fresh password check: confirm it, come back, press again.
    if (error instanceof ApiError && error.reason === "REVERIFICATION_REQUIRED") {
      throw redirect(`/reverify?redirect_url=${encodeURIComponent(PAGE)}&level=strict`, { headers: await getAuthHeaders(args) });
    }
    if (error instanceof ApiError && error.reason === "NOT_FOUND") {
      const notFound: FormMessage = { key: "user.errors.notFound" };
      return data({ fieldErrors: {} as Record<string, FormMessage>, formError: notFound, intent, email, emailAddressId }, { status: 404 });
    }
    return formErrorResponse(args, error, { intent, email, emailAddressId });
  }
}

/** Raw text accepted from the editor before parsing; the API's 8 KB limit applies to the parsed value. */
const METADATA_TEXT_MAX = 64 * 1024;

/** The editor's whole object replaces the stored one (keys deleted in the textarea are deleted). */
async function saveUnsafeMetadata(args: ActionFunctionArgs, caller: Awaited<ReturnType<typeof getCaller>>, text: string) {
  const invalid = (message: FormMessage) =>
    data({ fieldErrors: { unsafeMetadata: message } as Record<string, FormMessage>, formError: null as FormMessage | null, intent: "metadata", email: "", emailAddressId: "", metadataText: text.slice(0, METADATA_TEXT_MAX) }, { status: 400 });
  let value: unknown;
  try {
    if (text.length > METADATA_TEXT_MAX) return invalid({ key: "user.metadata.tooLarge" });
    value = JSON.parse(text.trim() === "" ? "{}" : text);
  } catch {
    return invalid({ key: "user.metadata.invalidJson" });
  }
  try {
    await caller.user.updateUnsafeMetadata({ unsafeMetadata: value as Record<string, unknown>, replace: true });
  } catch (error) {
    if (error instanceof ApiError && error.code === "BAD_REQUEST") return invalid(metadataProblem(error.message));
    throw error;
  }
  return done.back(args, "metadata");
}

/** The API names the path and the rule ("unsafeMetadata.a.__proto__: The key …"); say it in the user's language. */
function metadataProblem(message: string): FormMessage {
  const [path = "", rule = ""] = message.split(/: (.*)/s);
  const where = path.replace(/^unsafeMetadata\.?/, "");
  if (/8 KB/.test(rule)) return { key: "user.metadata.tooLarge" };
  if (/JSON object/.test(rule)) return { key: "user.metadata.notObject" };
  if (/levels deep/.test(rule)) return { key: "user.metadata.tooDeep" };
  if (/is not allowed/.test(rule)) return { key: "user.metadata.forbiddenKey", vars: { path: where } };
  return { key: "user.metadata.invalid", vars: { reason: message } };
}

/** Intents about one address waiting for its code. */
const pendingIntents = ["resend", "verify"];
/** Intents whose errors show in their own form rather than above the list. */
const codeIntents = ["add", ...pendingIntents];

type Address = ReturnType<typeof useLoaderData<typeof loader>>["addresses"][number];

export default function Account() {
  const t = useT();
  const titleId = useId();
  const { profile, done: doneMessage } = useLoaderData<typeof loader>();
  return (
    <section aria-labelledby={titleId} className="mx-auto flex w-full max-w-2xl flex-col gap-8 py-10">
      <h1 id={titleId} className="text-2xl font-semibold">
        {t("user.title")}
      </h1>
      <DoneNotice message={doneMessage} />
      <section aria-labelledby={`${titleId}-profile`} className="flex flex-col gap-3">
        <h2 id={`${titleId}-profile`} className="text-xl font-semibold">
          {t("user.profile.title")}
        </h2>
        <dl className="grid grid-cols-[max-content_1fr] gap-x-6 gap-y-2">
          <dt className="text-muted">{t("user.profile.name")}</dt>
          <dd>{profile.name ?? t("user.profile.notSet")}</dd>
          <dt className="text-muted">{t("user.profile.primaryEmail")}</dt>
          <dd>{profile.primaryEmail ?? t("user.profile.notSet")}</dd>
        </dl>
      </section>
      <EmailAddresses />
      {/* devices: sessions, password and account deletion live on their own page */}
      <section aria-labelledby={`${titleId}-security`} className="flex flex-col gap-2">
        <h2 id={`${titleId}-security`} className="text-xl font-semibold">
          {t("user.security.title")}
        </h2>
        <p className="text-sm text-muted">{t("user.security.lead")}</p>
        <p>
          <Link to="/user/security" className="underline">
            {t("user.security.link")}
          </Link>
        </p>
      </section>
      {/* factors: passkeys and phone numbers live on their own pages */}
      <section aria-labelledby={`${titleId}-factors`} className="flex flex-col gap-3">
        <h2 id={`${titleId}-factors`} className="text-xl font-semibold">
          {t("user.factors.title")}
        </h2>
        <ul className="flex flex-col gap-2">
          {/* mfa */}
          <li>
            <Link to="/user/mfa" className="text-primary underline">
              {t("mfa.link")}
            </Link>
          </li>
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
          {/* oauth */}
          <li>
            <Link to="/user/connected-accounts" className="text-primary underline">
              {t("connected.link")}
            </Link>
          </li>
        </ul>
      </section>
      <CustomProfileData />
    </section>
  );
}

/** The user's unsafe metadata as an editable JSON object (Clerk's `unsafeMetadata`), a plain form. */
function CustomProfileData() {
  const t = useT();
  const message = useFormMessage();
  const headingId = useId();
  const fieldId = useId();
  const { unsafeMetadata } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const mine = result?.intent === "metadata" ? result : null;
  const error = mine ? message(mine.fieldErrors.unsafeMetadata ?? mine.formError) : null;
  return (
    <section aria-labelledby={headingId} className="flex flex-col gap-3">
      <h2 id={headingId} className="text-xl font-semibold">
        {t("user.metadata.title")}
      </h2>
      <p id={`${fieldId}-lead`} className="text-sm text-muted">
        {t("user.metadata.lead")}
      </p>
      <Form method="post" className="flex flex-col gap-3" noValidate>
        <input type="hidden" name="intent" value="metadata" />
        <label htmlFor={fieldId} className="text-sm font-medium">
          {t("user.metadata.label")}
        </label>
        <textarea
          id={fieldId}
          name="unsafeMetadata"
          rows={8}
          spellCheck={false}
          defaultValue={mine && "metadataText" in mine ? String(mine.metadataText) : unsafeMetadata}
          aria-invalid={error ? true : undefined}
          aria-describedby={[`${fieldId}-lead`, error ? `${fieldId}-error` : null].filter(Boolean).join(" ")}
          className="rounded-lk border border-border bg-bg px-3 py-2 font-mono text-sm text-fg aria-[invalid=true]:border-danger"
        />
        {error ? (
          <p id={`${fieldId}-error`} role="alert" className="text-sm text-danger">
            {error}
          </p>
        ) : null}
        <Button className="self-start" pending={navigation.state === "submitting" && navigation.formData?.get("intent") === "metadata"}>
          {t("user.metadata.save")}
        </Button>
      </Form>
    </section>
  );
}

function EmailAddresses() {
  const t = useT();
  const message = useFormMessage();
  const headingId = useId();
  const { addresses, pending } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const submitting = (intent: string) => navigation.state === "submitting" && navigation.formData?.get("intent") === intent;
  // Errors about a listed address (make primary, remove) show above the list; code errors next to their address,
  // which stays on the page even when its code has expired, so "Send a new code" is at hand.
  const listError = result && !codeIntents.includes(result.intent);
  const shown = result && pendingIntents.includes(result.intent) && result.email && !pending.includes(result.email) ? [...pending, result.email] : pending;
  return (
    <section aria-labelledby={headingId} className="flex flex-col gap-4">
      <h2 id={headingId} className="text-xl font-semibold">
        {t("user.emails.title")}
      </h2>
      {listError ? <FormError>{message(result.formError ?? result.fieldErrors.emailAddressId)}</FormError> : null}
      <ul aria-label={t("user.emails.listLabel")} className="flex flex-col divide-y divide-border rounded-lk border border-border">
        {addresses.map((address) => (
          <AddressRow key={address.id} address={address} />
        ))}
      </ul>
      {shown.map((email) => (
        <PendingAddress key={email} email={email} />
      ))}
      <Form method="post" className="flex max-w-md flex-col gap-4" noValidate>
        <h3 className="font-medium">{t("user.emails.addTitle")}</h3>
        <p className="text-sm text-muted">{t("user.emails.addLead")}</p>
        <input type="hidden" name="intent" value="add" />
        {result?.intent === "add" ? <FormError>{message(result.formError)}</FormError> : null}
        <TextField
          label={t("form.emailAddress")}
          name="email"
          type="email"
          autoComplete="email"
          required
          defaultValue={result?.intent === "add" ? result.email : undefined}
          error={result?.intent === "add" ? message(result.fieldErrors.email) : null}
        />
        <Button pending={submitting("add")}>{t("user.emails.add")}</Button>
      </Form>
    </section>
  );
}

function AddressRow({ address }: { address: Address }) {
  const t = useT();
  const badges = [
    address.isPrimary ? t("user.emails.primary") : null,
    address.verifiedAt ? t("user.emails.verified") : t("user.emails.unverified"),
  ].filter((badge): badge is string => badge !== null);
  return (
    <li className="flex flex-wrap items-center justify-between gap-3 px-4 py-3">
      <div className="flex flex-wrap items-center gap-2">
        <span className="font-medium">{address.email}</span>
        {badges.map((badge) => (
          <span key={badge} className="rounded-full border border-border px-2 py-0.5 text-xs text-muted">
            {badge}
          </span>
        ))}
      </div>
      {address.isPrimary ? null : (
        <div className="flex gap-2">
          {address.verifiedAt ? (
            <Form method="post">
              <input type="hidden" name="intent" value="makePrimary" />
              <input type="hidden" name="emailAddressId" value={address.id} />
              <Button variant="secondary" aria-label={t("user.emails.makePrimaryNamed", { email: address.email })}>
                {t("user.emails.makePrimary")}
              </Button>
            </Form>
          ) : null}
          <Form method="post">
            <input type="hidden" name="intent" value="remove" />
            <input type="hidden" name="emailAddressId" value={address.id} />
            <Button variant="secondary" aria-label={t("user.emails.removeNamed", { email: address.email })}>
              {t("user.emails.remove")}
            </Button>
          </Form>
        </div>
      )}
    </li>
  );
}

/** An address waiting for its code: the code form, and a second form to send a new code. */
function PendingAddress({ email }: { email: string }) {
  const t = useT();
  const message = useFormMessage();
  const result = useActionData<typeof action>();
  const mine = result && (result.intent === "verify" || result.intent === "resend") && result.email === email ? result : null;
  const navigation = useNavigation();
  const submitting = (intent: string) =>
    navigation.state === "submitting" && navigation.formData?.get("intent") === intent && navigation.formData.get("email") === email;
  return (
    <div className="flex max-w-md flex-col gap-3 rounded-lk border border-border p-4">
      <p>
        <span className="font-medium">{email}</span>{" "}
        <span className="rounded-full border border-border px-2 py-0.5 text-xs text-muted">{t("user.emails.pending")}</span>
      </p>
      <p className="text-sm text-muted">{t("user.emails.codeSent", { email })}</p>
      {mine ? <FormError>{message(mine.formError)}</FormError> : null}
      <Form method="post" className="flex flex-col gap-3" noValidate>
        <input type="hidden" name="intent" value="verify" />
        <input type="hidden" name="email" value={email} />
        <TextField
          label={t("user.emails.code")}
          name="code"
          autoComplete="one-time-code"
          inputMode="numeric"
          maxLength={6}
          required
          error={mine ? message(mine.fieldErrors.code ?? mine.fieldErrors.email) : null}
        />
        <Button pending={submitting("verify")}>{t("user.emails.verify")}</Button>
      </Form>
      <Form method="post">
        <input type="hidden" name="intent" value="resend" />
        <input type="hidden" name="email" value={email} />
        <Button variant="secondary" pending={submitting("resend")}>
          {t("user.emails.resend")}
        </Button>
      </Form>
    </div>
  );
}
