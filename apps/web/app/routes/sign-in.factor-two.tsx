/**
 * The second step of a sign-in: after the password (or an emailed code or link) of a user with a second factor. The
 * pending attempt lives in its own HttpOnly cookie (no session yet); a right code here starts the session and goes on
 * to `redirect_url`. `?method=backup_code` (or `phone_code`) switches method — a plain link, so it works without
 * JavaScript. A passkey, when the user has one, is offered as a button (it needs the browser's WebAuthn prompt).
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
import type { I18nHandle } from "~/i18n/namespaces";
import { getAuthHeaders, getCaller } from "~/lib/auth.server";
import { formErrorResponse, type FormMessage } from "~/lib/form-errors.server";
import { PasskeySecondFactor } from "~/components/passkey-second-factor";
import type { MessageKey } from "~/i18n/dictionary";
import { formRouteHeaders } from "~/lib/route-headers";
import { readFormData } from "~/lib/form-data.server";

export const headers = formRouteHeaders;

export const handle = { i18n: ["factorTwo"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("factorTwo.title") }];

type Method = "totp" | "phone_code" | "backup_code";
const methods: readonly Method[] = ["totp", "phone_code", "backup_code"];

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
  const available = methods.filter((m) => challenge.strategies.includes(m));
  const wanted = params.get("method");
  const method: Method | null = available.find((m) => m === wanted) ?? available[0] ?? null;
  return { redirectUrl, method, available, canPasskey: challenge.strategies.includes("passkey") };
}

export async function action(args: ActionFunctionArgs) {
  const form = await readFormData(args.request);
  const redirectUrl = getSafeRedirect(String(form.get("redirect_url") ?? ""), "/");
  const wanted = String(form.get("strategy") ?? "totp");
  const strategy: Method | "passkey" = wanted === "passkey" ? "passkey" : (methods.find((m) => m === wanted) ?? "totp");
  const caller = await getCaller(args);
  try {
    if (form.get("intent") === "send-sms") {
      const sent = await caller.signIn.sendSmsCode();
      return { fieldErrors: {} as Record<string, FormMessage>, formError: null, strategy, smsSentTo: sent.phone };
    }
    if (strategy === "passkey") {
      await caller.signIn.secondFactor({ strategy, challengeId: String(form.get("challengeId") ?? ""), response: parseJsonObject(form.get("response")) });
    } else {
      await caller.signIn.secondFactor({ strategy, code: String(form.get("code") ?? "") });
    }
  } catch (error) {
    // Expired, cancelled after 5 wrong codes, or never started: only a new sign-in helps.
    if (error instanceof ApiError && error.reason === "SIGN_IN_CHALLENGE_EXPIRED") {
      throw redirect(signInAgain(redirectUrl), { headers: await getAuthHeaders(args) });
    }
    return formErrorResponse(args, error, { strategy, smsSentTo: null as string | null });
  }
  throw redirect(redirectUrl, { headers: await getAuthHeaders(args) });
}

/** The browser's WebAuthn answer arrives as a JSON string; anything else becomes an empty object the procedure refuses. */
function parseJsonObject(value: FormDataEntryValue | null): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(String(value ?? ""));
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const leads: Record<Method, MessageKey> = { totp: "factorTwo.leadTotp", phone_code: "factorTwo.leadPhone", backup_code: "factorTwo.leadBackup" };
const labels: Record<Method, MessageKey> = { totp: "factorTwo.code", phone_code: "factorTwo.code", backup_code: "factorTwo.backupCode" };
const switchers: Record<Method, MessageKey> = { totp: "factorTwo.useTotp", phone_code: "factorTwo.usePhone", backup_code: "factorTwo.useBackup" };

export default function FactorTwo() {
  const t = useT();
  const message = useFormMessage();
  const { redirectUrl, method, available, canPasskey } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const pending = navigation.state === "submitting";
  const back = redirectUrl === "/" ? "" : `&redirect_url=${encodeURIComponent(redirectUrl)}`;
  if (!method) {
    return (
      <FormPage title={t("factorTwo.title")}>
        {canPasskey ? <PasskeySecondFactor redirectUrl={redirectUrl} /> : null}
        <p role="alert">{t("factorTwo.unavailable")}</p>
        <Link to="/sign-in" className="text-primary underline">
          {t("nav.signIn")}
        </Link>
      </FormPage>
    );
  }
  const backup = method === "backup_code";
  const smsSentTo = result && "smsSentTo" in result ? result.smsSentTo : null;
  return (
    <FormPage title={t("factorTwo.title")}>
      <p className="text-muted">{t(leads[method])}</p>
      {method === "phone_code" ? (
        <Form method="post" className="flex flex-col gap-2">
          <input type="hidden" name="redirect_url" value={redirectUrl} />
          <input type="hidden" name="strategy" value="phone_code" />
          <input type="hidden" name="intent" value="send-sms" />
          {smsSentTo ? (
            <p role="status" className="text-sm">
              {t("factorTwo.smsSent", { phone: smsSentTo })}
            </p>
          ) : null}
          <Button variant="secondary" className="self-start" pending={pending && navigation.formData?.get("intent") === "send-sms"}>
            {t(smsSentTo ? "factorTwo.resendSms" : "factorTwo.sendSms")}
          </Button>
        </Form>
      ) : null}
      <Form method="post" className="flex flex-col gap-4" noValidate>
        <input type="hidden" name="redirect_url" value={redirectUrl} />
        <input type="hidden" name="strategy" value={method} />
        <FormError>{message(result?.formError)}</FormError>
        <TextField
          key={method}
          label={t(labels[method])}
          name="code"
          autoComplete="one-time-code"
          inputMode={backup ? "text" : "numeric"}
          autoCapitalize="none"
          spellCheck={false}
          required
          autoFocus
          error={message(result?.fieldErrors.code)}
        />
        <Button pending={pending && navigation.formData?.get("intent") !== "send-sms"}>{t("factorTwo.submit")}</Button>
      </Form>
      {available
        .filter((other) => other !== method)
        .map((other) => (
          <Link key={other} to={`/sign-in/factor-two?method=${other}${back}`} className="self-start text-sm text-primary underline">
            {t(switchers[other])}
          </Link>
        ))}
      {canPasskey ? <PasskeySecondFactor redirectUrl={redirectUrl} /> : null}
    </FormPage>
  );
}
