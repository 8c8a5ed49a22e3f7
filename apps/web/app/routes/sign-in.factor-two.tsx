/**
 * The second step of a sign-in: after the password (or an emailed code or link) of a user with a second factor. The
 * pending attempt lives in its own HttpOnly cookie (no session yet); a right code here starts the session and goes on
 * to `redirect_url`. `?method=backup_code` switches to a backup code — a plain link, so it works without JavaScript.
 */
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { ApiError } from "@latchkey/api";
import { getSafeRedirect } from "@latchkey/auth";
import { Button } from "~/components/button";
import { FormError } from "~/components/form-error";
import { FormPage } from "~/components/form-page";
import { useFormMessage } from "~/components/form-message";
import { TextField } from "~/components/text-field";
import { metaT } from "~/i18n/meta";
import { useT } from "~/i18n/react";
import { getAuthHeaders, getCaller } from "~/lib/auth.server";
import { formErrorResponse } from "~/lib/form-errors.server";
import { formRouteHeaders } from "~/lib/route-headers";

export const headers = formRouteHeaders;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("factorTwo.title") }];

type Method = "totp" | "backup_code";

/** Back to the sign-in form, keeping where the user was going; `expired=1` explains why. */
function signInAgain(redirectUrl: string): string {
  const back = redirectUrl === "/" ? "" : `&redirect_url=${encodeURIComponent(redirectUrl)}`;
  return `/sign-in?expired=1${back}`;
}

export async function loader(args: LoaderFunctionArgs) {
  const params = new URL(args.request.url).searchParams;
  const redirectUrl = getSafeRedirect(params.get("redirect_url"), "/");
  const challenge = await (await getCaller(args)).signIn.challenge();
  if (!challenge) throw redirect(signInAgain(redirectUrl), { headers: await getAuthHeaders(args) });
  const canTotp = challenge.strategies.includes("totp");
  const canBackup = challenge.strategies.includes("backup_code");
  const wanted = params.get("method") === "backup_code" ? "backup_code" : "totp";
  const method: Method | null = wanted === "backup_code" && canBackup ? "backup_code" : canTotp ? "totp" : canBackup ? "backup_code" : null;
  return { redirectUrl, method, canTotp, canBackup };
}

export async function action(args: ActionFunctionArgs) {
  const form = await args.request.formData();
  const redirectUrl = getSafeRedirect(String(form.get("redirect_url") ?? ""), "/");
  const strategy: Method = form.get("strategy") === "backup_code" ? "backup_code" : "totp";
  try {
    await (await getCaller(args)).signIn.secondFactor({ strategy, code: String(form.get("code") ?? "") });
  } catch (error) {
    // Expired, cancelled after 5 wrong codes, or never started: only a new sign-in helps.
    if (error instanceof ApiError && error.reason === "SIGN_IN_CHALLENGE_EXPIRED") {
      throw redirect(signInAgain(redirectUrl), { headers: await getAuthHeaders(args) });
    }
    return formErrorResponse(args, error, { strategy });
  }
  throw redirect(redirectUrl, { headers: await getAuthHeaders(args) });
}

export default function FactorTwo() {
  const t = useT();
  const message = useFormMessage();
  const { redirectUrl, method, canTotp, canBackup } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const pending = useNavigation().state === "submitting";
  const back = redirectUrl === "/" ? "" : `&redirect_url=${encodeURIComponent(redirectUrl)}`;
  if (!method) {
    return (
      <FormPage title={t("factorTwo.title")}>
        <p role="alert">{t("factorTwo.unavailable")}</p>
        <Link to="/sign-in" className="text-primary underline">
          {t("nav.signIn")}
        </Link>
      </FormPage>
    );
  }
  const backup = method === "backup_code";
  return (
    <FormPage title={t("factorTwo.title")}>
      <p className="text-muted">{t(backup ? "factorTwo.leadBackup" : "factorTwo.leadTotp")}</p>
      <Form method="post" className="flex flex-col gap-4" noValidate>
        <input type="hidden" name="redirect_url" value={redirectUrl} />
        <input type="hidden" name="strategy" value={method} />
        <FormError>{message(result?.formError)}</FormError>
        <TextField
          key={method}
          label={t(backup ? "factorTwo.backupCode" : "factorTwo.code")}
          name="code"
          autoComplete="one-time-code"
          inputMode={backup ? "text" : "numeric"}
          autoCapitalize="none"
          spellCheck={false}
          required
          autoFocus
          error={message(result?.fieldErrors.code)}
        />
        <Button pending={pending}>{t("factorTwo.submit")}</Button>
      </Form>
      {backup && canTotp ? (
        <Link to={`/sign-in/factor-two?method=totp${back}`} className="self-start text-sm text-primary underline">
          {t("factorTwo.useTotp")}
        </Link>
      ) : null}
      {!backup && canBackup ? (
        <Link to={`/sign-in/factor-two?method=backup_code${back}`} className="self-start text-sm text-primary underline">
          {t("factorTwo.useBackup")}
        </Link>
      ) : null}
    </FormPage>
  );
}
