/**
 * `/waitlist`: leave an address while the instance's sign-up mode is "waitlist". The answer is the same whether the
 * address is new, already waiting or has an account; an admin approves entries at /admin/waitlist.
 */
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

export const handle = {
  i18n: ["waitlist.title", "waitlist.lead", "waitlist.closed", "waitlist.joined", "waitlist.submit", "waitlist.signUpLink", "form.emailAddress", "botCheck"],
} satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("waitlist.title") }];

export async function loader(args: LoaderFunctionArgs) {
  const { mode } = await (await getCaller(args)).waitlist.signUpOptions();
  return { open: mode === "waitlist", botCheck: mode === "waitlist" ? await loadBotCheck(args) : null };
}

export async function action(args: ActionFunctionArgs) {
  const form = await readFormData(args.request);
  const email = String(form.get("email") ?? "");
  try {
    const joined = await (await getCaller(args, { botCheck: readBotCheck(form) })).waitlist.join({ email });
    return { fieldErrors: {} as Record<string, FormMessage>, formError: null as FormMessage | null, email: joined.email, joined: true };
  } catch (error) {
    return formErrorResponse(args, error, { email, joined: false }, { WAITLIST_CLOSED: "waitlist.closed" });
  }
}

export default function Waitlist() {
  const t = useT();
  const message = useFormMessage();
  const { open, botCheck } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const pending = useNavigation().state === "submitting";
  return (
    <FormPage title={t("waitlist.title")}>
      {result?.joined ? (
        <p role="status" className="rounded-lk border border-border p-3">
          {t("waitlist.joined", { email: result.email })}
        </p>
      ) : !open && !result ? (
        <p role="status" className="rounded-lk border border-border p-3">
          {t("waitlist.closed")}
        </p>
      ) : (
        <>
          <p className="text-muted">{t("waitlist.lead")}</p>
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
            <Button pending={pending}>{t("waitlist.submit")}</Button>
          </Form>
        </>
      )}
      <p className="text-sm">
        <Link to="/sign-up" className="text-primary underline">
          {t("waitlist.signUpLink")}
        </Link>
      </p>
    </FormPage>
  );
}
