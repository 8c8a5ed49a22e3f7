/** Ask for a reset link. The answer is the same whether or not the address has an account. */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Button } from "~/components/button";
import { FormPage } from "~/components/form-page";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import { TextField } from "~/components/text-field";
import { metaT } from "~/i18n/meta";
import { useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { getCaller } from "~/lib/auth.server";
import { formErrorResponse } from "~/lib/form-errors.server";
import { formRouteHeaders } from "~/lib/route-headers";
import type { FormMessage } from "~/lib/form-message";
import { readFormData } from "~/lib/form-data.server";
import { loadBotCheck, readBotCheck } from "~/lib/bot-check.server";
import { BotCheckFields } from "~/components/bot-check-fields";

export const headers = formRouteHeaders;

export const handle = { i18n: ["forgotPassword", "form.emailAddress", "botCheck"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("forgotPassword.title") }];

export async function loader(args: LoaderFunctionArgs) {
  return { botCheck: await loadBotCheck(args) };
}

export async function action(args: ActionFunctionArgs) {
  const form = await readFormData(args.request);
  const email = String(form.get("email") ?? "");
  try {
    await (await getCaller(args, { botCheck: readBotCheck(form) })).passwordReset.request({ email });
  } catch (error) {
    return formErrorResponse(args, error, { email, sent: false });
  }
  return { fieldErrors: {} as Record<string, FormMessage>, formError: null, email, sent: true };
}

export default function ForgotPassword() {
  const t = useT();
  const message = useFormMessage();
  const result = useActionData<typeof action>();
  const { botCheck } = useLoaderData<typeof loader>();
  const pending = useNavigation().state === "submitting";
  return (
    <FormPage title={t("forgotPassword.title")}>
      {result?.sent ? (
        <p role="status" className="rounded-lk border border-border p-3">
          {t("forgotPassword.sent", { email: result.email })}
        </p>
      ) : (
        <>
          <p className="text-muted">{t("forgotPassword.lead")}</p>
          <Form method="post" className="flex flex-col gap-4" noValidate>
            <FormError>{message(result?.formError)}</FormError>
            <BotCheckFields check={botCheck} />
            <TextField
              label={t("form.emailAddress")}
              name="email"
              type="email"
              autoComplete="email"
              required
              defaultValue={result?.email}
              error={message(result?.fieldErrors.email)}
            />
            <Button pending={pending}>{t("forgotPassword.submit")}</Button>
          </Form>
        </>
      )}
      <p className="text-sm">
        <Link to="/sign-in" className="text-primary underline">
          {t("forgotPassword.back")}
        </Link>
      </p>
    </FormPage>
  );
}
