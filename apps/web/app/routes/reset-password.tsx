/** Choose a new password with the emailed link; then sign in (a reset never signs anyone in by itself). */
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { passwordLimits } from "@latchkey/auth";
import { Button } from "~/components/button";
import { FormPage } from "~/components/form-page";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import { TextField } from "~/components/text-field";
import { metaT } from "~/i18n/meta";
import { useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { getAuthHeaders, getCaller } from "~/lib/auth.server";
import { formErrorResponse } from "~/lib/form-errors.server";
import { formRouteHeaders } from "~/lib/route-headers";
import { readFormData } from "~/lib/form-data.server";

export const headers = formRouteHeaders;

export const handle = { i18n: ["resetPassword", "signUp.passwordHint"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [
  { title: metaT(matches)("resetPassword.title") },
  // The token is in the URL. The app-wide Referrer-Policy (strict-origin-when-cross-origin) already sends other sites
  // only our origin; "no-referrer" here would also blank the Origin of our own form post, which the CSRF check refuses.
  { name: "robots", content: "noindex" },
];

export async function loader({ request }: LoaderFunctionArgs) {
  return {
    token: new URL(request.url).searchParams.get("token") ?? "",
    passwordMin: passwordLimits.min,
    passwordMax: passwordLimits.max,
  };
}

export async function action(args: ActionFunctionArgs) {
  const form = await readFormData(args.request);
  try {
    await (await getCaller(args)).passwordReset.confirm({
      token: String(form.get("token") ?? ""),
      password: String(form.get("password") ?? ""),
    });
  } catch (error) {
    return formErrorResponse(args, error, {});
  }
  throw redirect("/sign-in?reset=1", { headers: await getAuthHeaders(args) });
}

export default function ResetPassword() {
  const t = useT();
  const message = useFormMessage();
  const { token, passwordMin, passwordMax } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const pending = useNavigation().state === "submitting";
  const tokenProblem = message(result?.fieldErrors.token);
  return (
    <FormPage title={t("resetPassword.title")}>
      {tokenProblem ? (
        <FormError>
          {tokenProblem}{" "}
          <Link to="/forgot-password" className="underline">
            {t("resetPassword.askAgain")}
          </Link>
        </FormError>
      ) : null}
      <Form method="post" className="flex flex-col gap-4" noValidate>
        <input type="hidden" name="token" value={token} />
        <FormError>{message(result?.formError)}</FormError>
        <TextField
          label={t("resetPassword.newPassword")}
          name="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={passwordMin}
          maxLength={passwordMax}
          description={t("signUp.passwordHint", { min: passwordMin })}
          error={message(result?.fieldErrors.password)}
        />
        <Button pending={pending}>{t("resetPassword.submit")}</Button>
      </Form>
    </FormPage>
  );
}
