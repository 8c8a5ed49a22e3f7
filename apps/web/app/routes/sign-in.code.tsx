/** Sign in with the code emailed from /sign-in ("Email me a code"), or ask for a new one. */
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
import { afterSignIn, getAuthHeaders, getCaller, redirectIfSignedIn } from "~/lib/auth.server";
import { formErrorResponse, type FormMessage } from "~/lib/form-errors.server";
import { formRouteHeaders } from "~/lib/route-headers";
import { readFormData } from "~/lib/form-data.server";

export const headers = formRouteHeaders;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("passwordless.codeTitle") }];

/** Longer than any address the API accepts, so a bad one still reaches it and gets its answer. */
const MAX_EMAIL_IN_URL = 320;

export async function loader(args: LoaderFunctionArgs) {
  const redirectUrl = await redirectIfSignedIn(args);
  const email = (new URL(args.request.url).searchParams.get("email") ?? "").trim().slice(0, MAX_EMAIL_IN_URL);
  if (!email) throw redirect(redirectUrl === "/" ? "/sign-in" : `/sign-in?redirect_url=${encodeURIComponent(redirectUrl)}`);
  return { email, redirectUrl };
}

export async function action(args: ActionFunctionArgs) {
  const form = await readFormData(args.request);
  const redirectUrl = getSafeRedirect(String(form.get("redirect_url") ?? ""), "/");
  const email = String(form.get("email") ?? "");
  const caller = await getCaller(args);
  if (form.get("intent") === "resend") {
    try {
      await caller.passwordless.requestCode({ email });
    } catch (error) {
      return formErrorResponse(args, error, { resent: false });
    }
    return { fieldErrors: {} as Record<string, FormMessage>, formError: null, resent: true };
  }
  let result;
  try {
    result = await caller.passwordless.verifyCode({ email, code: String(form.get("code") ?? "") });
  } catch (error) {
    return formErrorResponse(args, error, { resent: false });
  }
  throw redirect(afterSignIn(result, redirectUrl), { headers: await getAuthHeaders(args) });
}

export default function SignInWithCode() {
  const t = useT();
  const message = useFormMessage();
  const { email, redirectUrl } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const pendingIntent = navigation.state === "submitting" ? String(navigation.formData?.get("intent") ?? "") : null;
  const back = redirectUrl === "/" ? "/sign-in" : `/sign-in?redirect_url=${encodeURIComponent(redirectUrl)}`;
  return (
    <FormPage title={t("passwordless.codeTitle")}>
      <p role="status" className="rounded-lk border border-border p-3">
        {t(result?.resent ? "passwordless.codeResent" : "passwordless.codeSent", { email })}
      </p>
      <Form method="post" className="flex flex-col gap-4" noValidate>
        <input type="hidden" name="email" value={email} />
        <input type="hidden" name="redirect_url" value={redirectUrl} />
        {/* A bad address in the URL has no field of its own on this page: its message is the form's. */}
        <FormError>{message(result?.formError) ?? message(result?.fieldErrors.email)}</FormError>
        <TextField
          label={t("passwordless.code")}
          name="code"
          autoComplete="one-time-code"
          inputMode="numeric"
          required
          maxLength={16}
          error={message(result?.fieldErrors.code)}
        />
        <Button name="intent" value="verify" pending={pendingIntent === "verify"}>
          {t("passwordless.codeSubmit")}
        </Button>
      </Form>
      <Form method="post" noValidate>
        <input type="hidden" name="email" value={email} />
        <input type="hidden" name="redirect_url" value={redirectUrl} />
        <Button name="intent" value="resend" variant="secondary" className="w-full" pending={pendingIntent === "resend"}>
          {t("passwordless.resendCode")}
        </Button>
      </Form>
      <p className="text-sm">
        <Link to={back} className="text-primary underline">
          {t("passwordless.back")}
        </Link>
      </p>
    </FormPage>
  );
}
