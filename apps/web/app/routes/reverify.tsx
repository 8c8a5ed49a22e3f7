/**
 * The step-up prompt: confirm it's you with any factor the account has (password, authenticator app, a code texted or
 * emailed, a backup code, a passkey), then go back to the action that asked for it. `?method=` switches the factor —
 * plain links, so it works without JavaScript; a passkey is a button that needs the browser's WebAuthn prompt.
 */
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { getSafeRedirect } from "@latchkey/auth";
import { Button } from "~/components/button";
import { FormPage } from "~/components/form-page";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import { PasskeySecondFactor } from "~/components/passkey-second-factor";
import { TextField } from "~/components/text-field";
import type { MessageKey } from "~/i18n/dictionary";
import { metaT } from "~/i18n/meta";
import { useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { getAuthHeaders, getCaller, requireAuth } from "~/lib/auth.server";
import { formErrorResponse, type FormMessage } from "~/lib/form-errors.server";
import { formRouteHeaders } from "~/lib/route-headers";
import { readFormData } from "~/lib/form-data.server";

export const headers = formRouteHeaders;

export const handle = { i18n: ["reverify", "form.password", "factorTwo", "passkeys.errors.failed"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("reverify.title") }];

/** The factors typed into this page; a passkey is the extra button. */
type Method = "password" | "totp" | "phone_code" | "email_code" | "backup_code";
const methods: readonly Method[] = ["password", "totp", "phone_code", "email_code", "backup_code"];

export async function loader(args: LoaderFunctionArgs) {
  await requireAuth(args);
  const params = new URL(args.request.url).searchParams;
  const factors = await (await getCaller(args)).auth.reverificationFactors();
  const available = methods.filter((m) => factors.strategies.includes(m));
  const wanted = params.get("method");
  const method: Method | null = available.find((m) => m === wanted) ?? available[0] ?? null;
  return {
    redirectUrl: getSafeRedirect(params.get("redirect_url"), "/"),
    email: factors.email,
    method,
    available,
    canPasskey: factors.strategies.includes("passkey"),
  };
}

export async function action(args: ActionFunctionArgs) {
  await requireAuth(args);
  const form = await readFormData(args.request);
  const redirectUrl = getSafeRedirect(String(form.get("redirect_url") ?? ""), "/");
  const wanted = String(form.get("strategy") ?? "password");
  const strategy: Method | "passkey" = wanted === "passkey" ? "passkey" : (methods.find((m) => m === wanted) ?? "password");
  const caller = await getCaller(args);
  try {
    if (form.get("intent") === "send-code") {
      const sent = await caller.auth.sendReverificationCode({ channel: strategy === "phone_code" ? "sms" : "email" });
      return { fieldErrors: {} as Record<string, FormMessage>, formError: null, strategy, sentTo: sent.sentTo };
    }
    if (strategy === "passkey") {
      await caller.auth.reverify({ strategy, challengeId: String(form.get("challengeId") ?? ""), response: parseJsonObject(form.get("response")) });
    } else if (strategy === "password") {
      await caller.auth.reverify({ strategy, password: String(form.get("password") ?? "") });
    } else {
      await caller.auth.reverify({ strategy, code: String(form.get("code") ?? "") });
    }
  } catch (error) {
    return formErrorResponse(args, error, { strategy, sentTo: null as string | null });
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

const leads: Record<Method, MessageKey> = {
  password: "reverify.leadPassword",
  totp: "factorTwo.leadTotp",
  phone_code: "factorTwo.leadPhone",
  email_code: "reverify.leadEmail",
  backup_code: "factorTwo.leadBackup",
};
const switchers: Record<Method, MessageKey> = {
  password: "reverify.usePassword",
  totp: "factorTwo.useTotp",
  phone_code: "factorTwo.usePhone",
  email_code: "reverify.useEmail",
  backup_code: "factorTwo.useBackup",
};

/** "Email me a code" / "Text me a code", and where the last one went. */
function SendCodeForm({ method, redirectUrl, sentTo, pending }: { method: "phone_code" | "email_code"; redirectUrl: string; sentTo: string | null; pending: boolean }) {
  const t = useT();
  const email = method === "email_code";
  return (
    <Form method="post" className="flex flex-col gap-2">
      <input type="hidden" name="redirect_url" value={redirectUrl} />
      <input type="hidden" name="strategy" value={method} />
      <input type="hidden" name="intent" value="send-code" />
      {sentTo ? (
        <p role="status" className="text-sm">
          {email ? t("reverify.emailSent", { email: sentTo }) : t("factorTwo.smsSent", { phone: sentTo })}
        </p>
      ) : null}
      <Button variant="secondary" className="self-start" pending={pending}>
        {sentTo ? t(email ? "reverify.resendEmail" : "factorTwo.resendSms") : t(email ? "reverify.sendEmail" : "factorTwo.sendSms")}
      </Button>
    </Form>
  );
}

export default function Reverify() {
  const t = useT();
  const message = useFormMessage();
  const { redirectUrl, email, method, available, canPasskey } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const submitting = navigation.state === "submitting";
  const sending = submitting && navigation.formData?.get("intent") === "send-code";
  const back = `&redirect_url=${encodeURIComponent(redirectUrl)}`;
  if (!method) {
    return (
      <FormPage title={t("reverify.title")}>
        <p className="text-muted">{t("reverify.lead")}</p>
        <FormError>{message(result?.formError)}</FormError>
        {canPasskey ? <PasskeySecondFactor redirectUrl={redirectUrl} optionsProcedure="auth.reverificationPasskeyOptions" label="reverify.usePasskey" /> : <p role="alert">{t("reverify.none")}</p>}
      </FormPage>
    );
  }
  const sentTo = result && "sentTo" in result && result.strategy === method ? result.sentTo : null;
  const codeMethod = method !== "password";
  return (
    <FormPage title={t("reverify.title")}>
      <p className="text-muted">{t("reverify.lead")}</p>
      <p className="text-muted">{t(leads[method], { email: email ?? "" })}</p>
      {method === "phone_code" || method === "email_code" ? <SendCodeForm method={method} redirectUrl={redirectUrl} sentTo={sentTo} pending={sending} /> : null}
      <Form method="post" className="flex flex-col gap-4" noValidate>
        <input type="hidden" name="redirect_url" value={redirectUrl} />
        <input type="hidden" name="strategy" value={method} />
        {/* For password managers: the account this password belongs to. */}
        {method === "password" ? <input type="hidden" name="username" autoComplete="username" value={email ?? ""} /> : null}
        <FormError>{message(result?.formError)}</FormError>
        {codeMethod ? (
          <TextField
            key={method}
            label={t(method === "backup_code" ? "factorTwo.backupCode" : "factorTwo.code")}
            name="code"
            autoComplete="one-time-code"
            inputMode={method === "backup_code" ? "text" : "numeric"}
            autoCapitalize="none"
            spellCheck={false}
            required
            error={message(result?.fieldErrors.code)}
          />
        ) : (
          <TextField label={t("form.password")} name="password" type="password" autoComplete="current-password" required error={message(result?.fieldErrors.password)} />
        )}
        <Button pending={submitting && !sending}>{t("reverify.submit")}</Button>
      </Form>
      {available
        .filter((other) => other !== method)
        .map((other) => (
          <Link key={other} to={`/reverify?method=${other}${back}`} className="self-start text-sm text-primary underline">
            {t(switchers[other])}
          </Link>
        ))}
      {canPasskey ? <PasskeySecondFactor redirectUrl={redirectUrl} optionsProcedure="auth.reverificationPasskeyOptions" label="reverify.usePasskey" /> : null}
    </FormPage>
  );
}
