/** The step-up prompt: confirm the password, then go back to the action that asked for it. */
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { getSafeRedirect } from "@latchkey/auth";
import { Button } from "~/components/button";
import { FormPage } from "~/components/form-page";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import { TextField } from "~/components/text-field";
import { metaT } from "~/i18n/meta";
import { useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { getAuthHeaders, getCaller, requireAuth } from "~/lib/auth.server";
import { formErrorResponse } from "~/lib/form-errors.server";
import { formRouteHeaders } from "~/lib/route-headers";

export const headers = formRouteHeaders;

export const handle = { i18n: ["reverify", "form.password"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("reverify.title") }];

export async function loader(args: LoaderFunctionArgs) {
  const auth = await requireAuth(args);
  return {
    redirectUrl: getSafeRedirect(new URL(args.request.url).searchParams.get("redirect_url"), "/"),
    email: auth.user.primaryEmail,
  };
}

export async function action(args: ActionFunctionArgs) {
  await requireAuth(args);
  const form = await args.request.formData();
  const redirectUrl = getSafeRedirect(String(form.get("redirect_url") ?? ""), "/");
  try {
    await (await getCaller(args)).auth.reverify({ password: String(form.get("password") ?? "") });
  } catch (error) {
    return formErrorResponse(args, error, {});
  }
  throw redirect(redirectUrl, { headers: await getAuthHeaders(args) });
}

export default function Reverify() {
  const t = useT();
  const message = useFormMessage();
  const { redirectUrl, email } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const pending = useNavigation().state === "submitting";
  return (
    <FormPage title={t("reverify.title")}>
      <p className="text-muted">{t("reverify.lead")}</p>
      <Form method="post" className="flex flex-col gap-4" noValidate>
        <input type="hidden" name="redirect_url" value={redirectUrl} />
        {/* For password managers: the account this password belongs to. */}
        <input type="hidden" name="username" autoComplete="username" value={email ?? ""} />
        <FormError>{message(result?.formError)}</FormError>
        <TextField
          label={t("form.password")}
          name="password"
          type="password"
          autoComplete="current-password"
          required
          error={message(result?.fieldErrors.password)}
        />
        <Button pending={pending}>{t("reverify.submit")}</Button>
      </Form>
    </FormPage>
  );
}
