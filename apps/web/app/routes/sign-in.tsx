import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useOutlet } from "@remix-run/react";
import { getSafeRedirect } from "@latchkey/auth";
import { getInstanceSettings } from "@latchkey/api";
import { Button } from "~/components/button";
import { FormPage } from "~/components/form-page";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import { TextField } from "~/components/text-field";
import { PasskeySignIn, passkeyFieldError } from "~/components/passkey-sign-in";
import { metaT } from "~/i18n/meta";
import { useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { afterSignIn, getAuthHeaders, getCaller, redirectIfSignedIn } from "~/lib/auth.server";
import { formErrorResponse, type FormMessage } from "~/lib/form-errors.server";
import { formRouteHeaders } from "~/lib/route-headers";
import { passkeyErrorKeys, signInWithPasskey } from "~/lib/passkey-sign-in.server";
// oauth
import { OAuthButtons } from "~/components/oauth-buttons";
import { useAppearance, useElement } from "~/components/latchkey-provider";
import { ssoRedirect } from "~/lib/sso.server";
import { oauthButtons } from "~/lib/oauth.server";
import { getDb } from "~/lib/db.server";
import { readFormData } from "~/lib/form-data.server";
import { loadBotCheck, readBotCheck } from "~/lib/bot-check.server";
import { BotCheckFields } from "~/components/bot-check-fields";

export const headers = formRouteHeaders;

export const handle = {
  i18n: ["signIn", "passwordless", "factorTwo.expired", "resetPassword.done", "form.emailAddress", "form.password", "forgotPassword.link", "passkeys.errors.failed", "passkeys.signIn", "oauth.divider", "oauth.continueWith", "connected.connect", "botCheck"],
} satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("signIn.title") }];

export async function loader(args: LoaderFunctionArgs) {
  const redirectUrl = await redirectIfSignedIn(args);
  const params = new URL(args.request.url).searchParams;
  // `expired=1`: sent back from /sign-in/factor-two, whose pending sign-in expired or had too many wrong codes.
  // The sign-in methods the instance settings leave on (read per request: an admin's change shows at once).
  const { signInMethods } = await getInstanceSettings((await getDb()).db);
  return {
    redirectUrl,
    afterReset: params.get("reset") === "1",
    challengeExpired: params.get("expired") === "1",
    oauthProviders: signInMethods.oauth ? oauthButtons() : [],
    methods: signInMethods,
    botCheck: await loadBotCheck(args),
  };
}

/**
 * One form, three buttons: the `intent` says which. "code" and "link" email the address (the password is then not
 * needed) and answer the same whether or not it has an account.
 */
export async function action(args: ActionFunctionArgs) {
  const form = await readFormData(args.request);
  const redirectUrl = getSafeRedirect(String(form.get("redirect_url") ?? ""), "/");
  const email = String(form.get("email") ?? "");
  const intent = String(form.get("intent") ?? "password");
  const caller = await getCaller(args, { botCheck: readBotCheck(form) });
  try {
    // oauth: an address at a verified domain of an organization with SSO signs in at that organization's IdP.
    // Skipped while social/SSO sign-in is off, so such an address can still use the methods that are on.
    const sso = (await getInstanceSettings((await getDb()).db)).signInMethods.oauth ? await ssoRedirect(args, email, redirectUrl) : null;
    if (sso) return sso;
    if (intent === "code") {
      await caller.passwordless.requestCode({ email });
      const back = redirectUrl === "/" ? "" : `&redirect_url=${encodeURIComponent(redirectUrl)}`;
      throw redirect(`/sign-in/code?email=${encodeURIComponent(email.trim())}${back}`, { headers: await getAuthHeaders(args) });
    }
    if (intent === "link") {
      await caller.passwordless.requestLink({ email, redirectUrl });
      return { fieldErrors: {} as Record<string, FormMessage>, formError: null, email: email.trim(), linkSent: true };
    }
    if (intent === "passkey") {
      // A passkey is two factors at once: it never asks for a second step.
      await signInWithPasskey(caller, form);
      throw redirect(redirectUrl, { headers: await getAuthHeaders(args) });
    }
    const result = await caller.auth.signIn({ email, password: String(form.get("password") ?? "") });
    throw redirect(afterSignIn(result, redirectUrl), { headers: await getAuthHeaders(args) });
  } catch (error) {
    if (error instanceof Response) throw error;
    return formErrorResponse(args, error, { email, linkSent: false }, { EMAIL_NOT_VERIFIED: "signIn.emailNotVerified", ...passkeyErrorKeys });
  }
}

/**
 * /sign-in/code and /sign-in/link are child routes of this one (sign-in.code.tsx, sign-in.link.tsx): they share its
 * signed-in check and show instead of the form.
 */
export default function SignInRoute() {
  return useOutlet() ?? <SignIn />;
}

function SignIn() {
  const t = useT();
  const socialTop = useAppearance().layout?.socialButtonsPlacement === "top";
  const footerLink = useElement("footerActionLink", "text-primary underline");
  const message = useFormMessage();
  const { redirectUrl, afterReset, challengeExpired, oauthProviders, methods, botCheck } = useLoaderData<typeof loader>();
  const emailForm = methods.password || methods.emailCode || methods.emailLink;
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const pendingIntent = navigation.state === "submitting" ? String(navigation.formData?.get("intent") ?? "password") : null;
  if (result?.linkSent) {
    return (
      <FormPage title={t("passwordless.checkEmailTitle")}>
        <p role="status" className="rounded-lk border border-border p-3">
          {t("passwordless.linkSent", { email: result.email })}
        </p>
        <p className="text-sm">
          <Link to={redirectUrl === "/" ? "/sign-in" : `/sign-in?redirect_url=${encodeURIComponent(redirectUrl)}`} className="text-primary underline">
            {t("passwordless.back")}
          </Link>
        </p>
      </FormPage>
    );
  }
  return (
    <FormPage title={t("signIn.title")} subtitle={t("signIn.subtitle", { app: t("app.name") })}>
      {challengeExpired ? (
        <p role="alert" className="rounded-lk border border-danger p-3">
          {t("factorTwo.expired")}
        </p>
      ) : null}
      {afterReset ? (
        <p role="status" className="rounded-lk border border-border p-3">
          {t("resetPassword.done")}
        </p>
      ) : null}
      {socialTop ? <OAuthButtons providers={oauthProviders} redirectUrl={redirectUrl} placement="top" /> : null}
      {emailForm ? (
        <Form method="post" className="flex flex-col gap-4" noValidate>
          <input type="hidden" name="redirect_url" value={redirectUrl} />
          <FormError>{message(result?.formError)}</FormError>
          <BotCheckFields check={botCheck} />
          <TextField
            label={t("form.emailAddress")}
            name="email"
            type="email"
            autoComplete={methods.passkey ? "username webauthn" : "username"}
            required
            defaultValue={result?.email}
            error={message(result?.fieldErrors.email)}
          />
          {methods.password ? (
            <>
              <TextField
                label={t("form.password")}
                name="password"
                type="password"
                autoComplete="current-password"
                error={message(result?.fieldErrors.password)}
              />
              <Link to="/forgot-password" className="self-start text-sm text-primary underline">
                {t("forgotPassword.link")}
              </Link>
              {/* First in the form, so pressing Enter signs in with the password. */}
              <Button name="intent" value="password" pending={pendingIntent === "password"}>
                {t("signIn.submit")}
              </Button>
            </>
          ) : null}
          {methods.emailCode || methods.emailLink ? (
            <>
              <p className="text-sm text-muted">{t("passwordless.lead")}</p>
              <div className="flex flex-col gap-2 sm:flex-row">
                {methods.emailCode ? (
                  <Button name="intent" value="code" variant={methods.password ? "secondary" : "primary"} className="flex-1" pending={pendingIntent === "code"}>
                    {t("passwordless.emailCode")}
                  </Button>
                ) : null}
                {methods.emailLink ? (
                  <Button name="intent" value="link" variant="secondary" className="flex-1" pending={pendingIntent === "link"}>
                    {t("passwordless.emailLink")}
                  </Button>
                ) : null}
              </div>
            </>
          ) : null}
        </Form>
      ) : (
        <FormError>{message(result?.formError)}</FormError>
      )}
      {methods.passkey ? <PasskeySignIn redirectUrl={redirectUrl} serverError={message(passkeyFieldError(result?.fieldErrors))} /> : null}
      {socialTop ? null : <OAuthButtons providers={oauthProviders} redirectUrl={redirectUrl} />}
      <p className="text-sm text-muted">
        {t("signIn.noAccount")}{" "}
        <Link to={redirectUrl === "/" ? "/sign-up" : `/sign-up?redirect_url=${encodeURIComponent(redirectUrl)}`} {...footerLink}>
          {t("nav.signUp")}
        </Link>
      </p>
    </FormPage>
  );
}
