import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { getSafeRedirect } from "@latchkey/auth";
import { Button } from "~/components/button";
import { FormPage } from "~/components/form-page";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import { TextField } from "~/components/text-field";
import { metaT } from "~/i18n/meta";
import { useT } from "~/i18n/react";
import { getAuthHeaders, getCaller, redirectIfSignedIn } from "~/lib/auth.server";
import { formErrorResponse } from "~/lib/form-errors.server";
import { formRouteHeaders } from "~/lib/route-headers";

export const headers = formRouteHeaders;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("signIn.title") }];

export async function loader(args: LoaderFunctionArgs) {
  const redirectUrl = await redirectIfSignedIn(args);
  return { redirectUrl, afterReset: new URL(args.request.url).searchParams.get("reset") === "1" };
}

export async function action(args: ActionFunctionArgs) {
  const form = await args.request.formData();
  const redirectUrl = getSafeRedirect(String(form.get("redirect_url") ?? ""), "/");
  const email = String(form.get("email") ?? "");
  try {
    await (await getCaller(args)).auth.signIn({ email, password: String(form.get("password") ?? "") });
  } catch (error) {
    return formErrorResponse(args, error, { email });
  }
  throw redirect(redirectUrl, { headers: await getAuthHeaders(args) });
}

export default function SignIn() {
  const t = useT();
  const message = useFormMessage();
  const { redirectUrl, afterReset } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const pending = useNavigation().state === "submitting";
  return (
    <FormPage title={t("signIn.title")}>
      {afterReset ? (
        <p role="status" className="rounded-lk border border-border p-3">
          {t("resetPassword.done")}
        </p>
      ) : null}
      <Form method="post" className="flex flex-col gap-4" noValidate>
        <input type="hidden" name="redirect_url" value={redirectUrl} />
        <FormError>{message(result?.formError)}</FormError>
        <TextField
          label={t("form.emailAddress")}
          name="email"
          type="email"
          autoComplete="username"
          required
          defaultValue={result?.email}
          error={message(result?.fieldErrors.email)}
        />
        <TextField
          label={t("form.password")}
          name="password"
          type="password"
          autoComplete="current-password"
          required
          error={message(result?.fieldErrors.password)}
        />
        <Link to="/forgot-password" className="self-start text-sm text-primary underline">
          {t("forgotPassword.link")}
        </Link>
        <Button pending={pending}>{t("signIn.submit")}</Button>
      </Form>
      <p className="text-sm text-muted">
        {t("signIn.noAccount")}{" "}
        <Link to={redirectUrl === "/" ? "/sign-up" : `/sign-up?redirect_url=${encodeURIComponent(redirectUrl)}`} className="text-primary underline">
          {t("nav.signUp")}
        </Link>
      </p>
    </FormPage>
  );
}
