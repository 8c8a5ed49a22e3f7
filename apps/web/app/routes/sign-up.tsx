import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { getSafeRedirect, passwordLimits } from "@latchkey/auth";
import { Button } from "~/components/button";
import { FormPage } from "~/components/form-page";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import { TextField, type TextFieldProps } from "~/components/text-field";
import { metaT } from "~/i18n/meta";
import { resolveLocale } from "~/i18n/resolve-locale";
import { useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { getAuthHeaders, getCaller, redirectIfSignedIn } from "~/lib/auth.server";
import { formErrorResponse, type ReasonOverrides } from "~/lib/form-errors.server";
import type { MessageKey } from "~/i18n/dictionary";
// oauth
import { OAuthButtons } from "~/components/oauth-buttons";
import { useAppearance, useElement } from "~/components/latchkey-provider";
import { oauthButtons } from "~/lib/oauth.server";
import { formRouteHeaders } from "~/lib/route-headers";
import { readFormData } from "~/lib/form-data.server";
import { loadBotCheck, readBotCheck } from "~/lib/bot-check.server";
import { BotCheckFields } from "~/components/bot-check-fields";

export const headers = formRouteHeaders;

export const handle = {
  i18n: ["signUp", "form.firstName", "form.lastName", "form.emailAddress", "form.password", "waitlist.signUp", "waitlist.invitation", "oauth.divider", "oauth.continueWith", "connected.connect", "botCheck"],
} satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("signUp.title") }];

/** What the instance settings do to a refused sign-up, in this page's words (signup). */
const signUpReasons: ReasonOverrides = {
  SIGN_UP_RESTRICTED: "waitlist.signUp.restricted",
  SIGN_UP_WAITLIST: "waitlist.signUp.closed",
  EMAIL_NOT_ALLOWED: "waitlist.signUp.addressRefused",
  USERNAME_TAKEN: "waitlist.signUp.usernameTaken",
  INVITATION_INVALID: "waitlist.invitation.invalid",
  INVITATION_EXPIRED: "waitlist.invitation.expired",
  INVITATION_REVOKED: "waitlist.invitation.revoked",
  INVITATION_ALREADY_USED: "waitlist.invitation.used",
  INVITATION_EMAIL_MISMATCH: "waitlist.invitation.mismatch",
};

const invitationMessages = {
  invalid: "waitlist.invitation.invalid",
  expired: "waitlist.invitation.expired",
  revoked: "waitlist.invitation.revoked",
  accepted: "waitlist.invitation.used",
} as const satisfies Record<string, MessageKey>;

const optionalFields = ["firstName", "lastName", "username", "phone"] as const;

export async function loader(args: LoaderFunctionArgs) {
  const redirectUrl = await redirectIfSignedIn(args);
  const url = new URL(args.request.url);
  const invitationToken = (url.searchParams.get("invitation") ?? "").trim().slice(0, 200) || null;
  // The settings as they are now: the mode, which fields to show, the minimum password length.
  const options = await (await getCaller(args)).waitlist.signUpOptions(invitationToken ? { invitation: invitationToken } : undefined);
  const invitation = options.invitation;
  const usableInvitation = invitation?.status === "pending" ? invitation.email : null;
  // An invitation's link names the invited address: it is filled in and locked (the invitation needs it). An
  // organization invitation's Sign up link passes it as ?email=.
  const lockedEmail = usableInvitation ?? ((url.searchParams.get("email") ?? "").trim().slice(0, 254) || null);
  return {
    redirectUrl,
    lockedEmail,
    invitationToken: usableInvitation ? invitationToken : null,
    invitationProblem: invitation && invitation.status !== "pending" ? invitationMessages[invitation.status] : null,
    mode: options.mode,
    fields: options.fields,
    passwordMin: options.minPasswordLength,
    passwordMax: passwordLimits.max,
    oauthProviders: oauthButtons(),
    botCheck: await loadBotCheck(args),
  };
}

export async function action(args: ActionFunctionArgs) {
  const form = await readFormData(args.request);
  const redirectUrl = getSafeRedirect(String(form.get("redirect_url") ?? ""), "/");
  const values = {
    firstName: String(form.get("firstName") ?? ""),
    lastName: String(form.get("lastName") ?? ""),
    username: String(form.get("username") ?? ""),
    phone: String(form.get("phone") ?? ""),
    email: String(form.get("email") ?? ""),
  };
  const invitation = String(form.get("invitation") ?? "") || undefined;
  let result;
  try {
    // Hidden fields are ignored by the API whatever is posted.
    result = await (await getCaller(args, { botCheck: readBotCheck(form) })).auth.signUp({
      ...values,
      invitation,
      password: String(form.get("password") ?? ""),
      locale: resolveLocale(args.request),
    });
  } catch (error) {
    const response = await formErrorResponse(args, error, { values }, signUpReasons);
    // The API's own sentences for the optional fields, in the page's words: empty means required, else the format.
    const fieldErrors = response.data.fieldErrors;
    for (const field of optionalFields) {
      if (!fieldErrors[field] || "key" in fieldErrors[field]) continue;
      if (!values[field].trim()) fieldErrors[field] = { key: "waitlist.signUp.required" };
      else if (field === "username") fieldErrors[field] = { key: "waitlist.signUp.usernameInvalid" };
    }
    return response;
  }
  // Next, the emailed code: for a pending sign-up (the same for an address that has an account), or for a user the
  // instance let in before confirming.
  const query = new URLSearchParams(result.status === "needs_verification" ? { sign_up: result.signUpId } : {});
  if (redirectUrl !== "/") query.set("redirect_url", redirectUrl);
  const search = query.toString();
  throw redirect(`/verify-email${search ? `?${search}` : ""}`, { headers: await getAuthHeaders(args) });
}

export default function SignUp() {
  const t = useT();
  const socialTop = useAppearance().layout?.socialButtonsPlacement === "top";
  const footerLink = useElement("footerActionLink", "text-primary underline");
  const message = useFormMessage();
  const { redirectUrl, lockedEmail, invitationToken, invitationProblem, mode, fields, passwordMin, passwordMax, oauthProviders, botCheck } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const pending = useNavigation().state === "submitting";
  const closed = mode !== "public" && !invitationToken && !lockedEmail;
  const offerWaitlist = mode === "waitlist" && !invitationToken;
  const labelFor = (field: (typeof optionalFields)[number], label: string) =>
    fields[field] === "optional" ? t("waitlist.signUp.optional", { label }) : label;
  const field = (name: (typeof optionalFields)[number], label: string, extra: Partial<TextFieldProps> = {}) =>
    fields[name] === "hidden" ? null : (
      <TextField
        label={labelFor(name, label)}
        name={name}
        required={fields[name] === "required"}
        defaultValue={result?.values[name]}
        error={message(result?.fieldErrors[name])}
        {...extra}
      />
    );
  return (
    <FormPage title={t("signUp.title")} subtitle={t("signUp.subtitle", { app: t("app.name") })}>
      {invitationProblem ? <p role="alert" className="text-danger">{t(invitationProblem)}</p> : null}
      {invitationToken && lockedEmail ? <p role="status">{t("waitlist.signUp.invited", { email: lockedEmail })}</p> : null}
      {closed && !result ? (
        <p role="status" className="rounded-lk border border-border p-3">
          {t(mode === "waitlist" ? "waitlist.signUp.closed" : "waitlist.signUp.restricted")}
        </p>
      ) : null}
      {offerWaitlist ? (
        <p>
          <Link to="/waitlist" className="text-primary underline">
            {t("waitlist.signUp.joinWaitlist")}
          </Link>
        </p>
      ) : null}
      {!lockedEmail && socialTop ? <OAuthButtons providers={oauthProviders} redirectUrl={redirectUrl} placement="top" /> : null}
      <Form method="post" className="flex flex-col gap-4" noValidate>
        <input type="hidden" name="redirect_url" value={redirectUrl} />
        {invitationToken ? <input type="hidden" name="invitation" value={invitationToken} /> : null}
        <FormError>{message(result?.formError)}</FormError>
        <BotCheckFields check={botCheck} />
        {fields.firstName !== "hidden" || fields.lastName !== "hidden" ? (
          <div className="grid grid-cols-2 gap-3">
            {field("firstName", t("form.firstName"), { autoComplete: "given-name" })}
            {field("lastName", t("form.lastName"), { autoComplete: "family-name" })}
          </div>
        ) : null}
        {field("username", t("waitlist.signUp.username"), { autoComplete: "username" })}
        <TextField
          label={t("form.emailAddress")}
          name="email"
          type="email"
          autoComplete="email"
          required
          defaultValue={lockedEmail ?? result?.values.email}
          readOnly={lockedEmail !== null}
          error={message(result?.fieldErrors.email)}
        />
        {field("phone", t("waitlist.signUp.phone"), { type: "tel", autoComplete: "tel", description: t("waitlist.signUp.phoneHint") })}
        <TextField
          label={t("form.password")}
          name="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={passwordMin}
          maxLength={passwordMax}
          description={t("signUp.passwordHint", { min: passwordMin })}
          error={message(result?.fieldErrors.password)}
        />
        <Button pending={pending}>{t("signUp.submit")}</Button>
      </Form>
      {lockedEmail || socialTop ? null : <OAuthButtons providers={oauthProviders} redirectUrl={redirectUrl} />}
      <p className="text-sm text-muted">
        {t("signUp.haveAccount")}{" "}
        <Link to={redirectUrl === "/" ? "/sign-in" : `/sign-in?redirect_url=${encodeURIComponent(redirectUrl)}`} {...footerLink}>
          {t("nav.signIn")}
        </Link>
      </p>
    </FormPage>
  );
}
