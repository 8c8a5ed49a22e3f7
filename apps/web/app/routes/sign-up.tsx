import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { getSafeRedirect, passwordLimits } from "@latchkey/auth";
import { Button } from "~/components/button";
import { FormPage } from "~/components/form-page";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import { TextField } from "~/components/text-field";
import { metaT } from "~/i18n/meta";
import { resolveLocale } from "~/i18n/resolve-locale";
import { useT } from "~/i18n/react";
import { getAuthHeaders, getCaller, redirectIfSignedIn } from "~/lib/auth.server";
import { formErrorResponse } from "~/lib/form-errors.server";
// oauth
import { OAuthButtons } from "~/components/oauth-buttons";
import { oauthButtons } from "~/lib/oauth.server";
import { formRouteHeaders } from "~/lib/route-headers";

export const headers = formRouteHeaders;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("signUp.title") }];

export async function loader(args: LoaderFunctionArgs) {
  const redirectUrl = await redirectIfSignedIn(args);
  // An invitation's Sign up link names the invited address: it is filled in and locked (the invitation needs it).
  const lockedEmail = (new URL(args.request.url).searchParams.get("email") ?? "").trim().slice(0, 254) || null;
  return { redirectUrl, lockedEmail, passwordMin: passwordLimits.min, passwordMax: passwordLimits.max, oauthProviders: oauthButtons() };
}

export async function action(args: ActionFunctionArgs) {
  const form = await args.request.formData();
  const redirectUrl = getSafeRedirect(String(form.get("redirect_url") ?? ""), "/");
  const values = {
    firstName: String(form.get("firstName") ?? ""),
    lastName: String(form.get("lastName") ?? ""),
    email: String(form.get("email") ?? ""),
  };
  let result;
  try {
    result = await (await getCaller(args)).auth.signUp({
      ...values,
      password: String(form.get("password") ?? ""),
      locale: resolveLocale(args.request),
    });
  } catch (error) {
    return formErrorResponse(args, error, { values });
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
  const message = useFormMessage();
  const { redirectUrl, lockedEmail, passwordMin, passwordMax, oauthProviders } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const pending = useNavigation().state === "submitting";
  return (
    <FormPage title={t("signUp.title")}>
      <Form method="post" className="flex flex-col gap-4" noValidate>
        <input type="hidden" name="redirect_url" value={redirectUrl} />
        <FormError>{message(result?.formError)}</FormError>
        <div className="grid grid-cols-2 gap-3">
          <TextField
            label={t("form.firstName")}
            name="firstName"
            autoComplete="given-name"
            defaultValue={result?.values.firstName}
            error={message(result?.fieldErrors.firstName)}
          />
          <TextField
            label={t("form.lastName")}
            name="lastName"
            autoComplete="family-name"
            defaultValue={result?.values.lastName}
            error={message(result?.fieldErrors.lastName)}
          />
        </div>
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
      {lockedEmail ? null : <OAuthButtons providers={oauthProviders} redirectUrl={redirectUrl} />}
      <p className="text-sm text-muted">
        {t("signUp.haveAccount")}{" "}
        <Link to={redirectUrl === "/" ? "/sign-in" : `/sign-in?redirect_url=${encodeURIComponent(redirectUrl)}`} className="text-primary underline">
          {t("nav.signIn")}
        </Link>
      </p>
    </FormPage>
  );
}
