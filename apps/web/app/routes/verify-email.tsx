/**
 * Confirming an email address, in three cases:
 * - `?sign_up=sua_…` — a sign-up waiting for its code (no account or session exists yet);
 * - `?token=ver_…` — the link from the email; a button spends it (a GET never does, since mail scanners open links),
 *   `&for=address` when it confirms a signed-in user's address rather than a sign-up;
 * - no parameter, signed in — the user's own unverified primary address (instances that let unverified users in).
 */
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
import type { I18nHandle } from "~/i18n/namespaces";
import { getAuth, getAuthHeaders, getCaller, signInUrl } from "~/lib/auth.server";
import { formErrorResponse } from "~/lib/form-errors.server";
import type { FormMessage } from "~/lib/form-message";
import { formRouteHeaders } from "~/lib/route-headers";
import { readFormData } from "~/lib/form-data.server";

export const headers = formRouteHeaders;

export const handle = {
  i18n: ["verifyEmail", "errors.linkInvalid", "errors.linkExpired", "waitlist.signUp", "waitlist.invitation.used"],
} satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [
  { title: metaT(matches)("verifyEmail.title") },
  { name: "robots", content: "noindex" },
];

/** Link tokens and sign-up ids are ours (`ver_…`, `sua_…`); anything else is not worth a database call. */
const signUpIdPattern = /^sua_[a-z0-9]{1,60}$/;

export async function loader(args: LoaderFunctionArgs) {
  const url = new URL(args.request.url);
  const redirectUrl = getSafeRedirect(url.searchParams.get("redirect_url"), "/");
  const token = url.searchParams.get("token");
  if (token) {
    return { mode: "link" as const, redirectUrl, token, forAddress: url.searchParams.get("for") === "address" };
  }
  const signUpId = url.searchParams.get("sign_up");
  if (signUpId) {
    const signUp = signUpIdPattern.test(signUpId)
      ? await (await getCaller(args)).signUp.get({ signUpId }).catch(() => null)
      : null;
    if (!signUp) return { mode: "sign-up" as const, redirectUrl, signUpId, email: null, status: "expired" as const, resendInSeconds: 0 };
    return { mode: "sign-up" as const, redirectUrl, ...signUp };
  }
  const auth = await getAuth(args);
  if (!auth.userId) throw redirect(signInUrl(args.request));
  const me = await (await getCaller(args)).user.me();
  if (me.primaryEmailVerifiedAt || !me.primaryEmail) throw redirect(redirectUrl);
  return { mode: "address" as const, redirectUrl, email: me.primaryEmail };
}

/** On this page a bad link is a verification link, not a reset link. */
const linkWords = {
  INVALID_TOKEN: "errors.linkInvalid",
  EXPIRED_TOKEN: "errors.linkExpired",
  // signup: the instance settings are checked again when the address is confirmed.
  SIGN_UP_RESTRICTED: "waitlist.signUp.restricted",
  SIGN_UP_WAITLIST: "waitlist.signUp.closed",
  EMAIL_NOT_ALLOWED: "waitlist.signUp.addressRefused",
  USERNAME_TAKEN: "waitlist.signUp.usernameTaken",
  INVITATION_ALREADY_USED: "waitlist.invitation.used",
} as const;

const noErrors = { fieldErrors: {} as Record<string, FormMessage>, formError: null as FormMessage | null };

export async function action(args: ActionFunctionArgs) {
  const form = await readFormData(args.request);
  const intent = String(form.get("intent") ?? "");
  const redirectUrl = getSafeRedirect(String(form.get("redirect_url") ?? ""), "/");
  const caller = await getCaller(args);
  const signUpId = String(form.get("sign_up") ?? "");
  const code = String(form.get("code") ?? "");
  const token = String(form.get("token") ?? "");
  try {
    switch (intent) {
      case "verify":
        await caller.signUp.verify({ signUpId, code });
        break;
      case "resend":
        await caller.signUp.resend({ signUpId });
        return { ...noErrors, notice: "resent" as const };
      case "confirm-link":
        await caller.signUp.confirmLink({ token });
        break;
      case "confirm-address-link":
        await caller.emailVerification.confirmLink({ token });
        return { ...noErrors, notice: "verified" as const };
      case "verify-address":
        await caller.emailVerification.verify({ code });
        break;
      case "resend-address":
        await caller.emailVerification.send();
        return { ...noErrors, notice: "resent" as const };
      default:
        return { ...noErrors, notice: null };
    }
  } catch (error) {
    const response = await formErrorResponse(args, error, { notice: null }, linkWords);
    // signup: a refusal about the sign-up itself (username, address, invitation) has no input here: show it for the form.
    const { fieldErrors } = response.data;
    const other = Object.keys(fieldErrors).find((field) => field !== "code" && field !== "token");
    if (other && !response.data.formError) response.data.formError = fieldErrors[other]!;
    return response;
  }
  throw redirect(redirectUrl, { headers: await getAuthHeaders(args) });
}

export default function VerifyEmail() {
  const t = useT();
  const message = useFormMessage();
  const page = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const pending = useNavigation().state === "submitting";
  const formError = message(result?.formError);
  const codeError = message(result?.fieldErrors.code);
  const linkError = message(result?.fieldErrors.token);

  if (page.mode === "link") {
    if (result?.notice === "verified") {
      return (
        <FormPage title={t("verifyEmail.title")}>
          <p role="status">{t("verifyEmail.verified")}</p>
          <Link to="/" className="text-primary underline">
            {t("verifyEmail.continue")}
          </Link>
        </FormPage>
      );
    }
    return (
      <FormPage title={t("verifyEmail.title")}>
        <p className="text-muted">{t("verifyEmail.linkLead")}</p>
        <FormError>{linkError ?? formError}</FormError>
        <Form method="post" className="flex flex-col gap-4">
          <input type="hidden" name="token" value={page.token} />
          <input type="hidden" name="redirect_url" value={page.redirectUrl} />
          <input type="hidden" name="intent" value={page.forAddress ? "confirm-address-link" : "confirm-link"} />
          <Button pending={pending}>{t("verifyEmail.linkSubmit")}</Button>
        </Form>
        {linkError ? (
          <Link to="/sign-in" className="text-sm text-primary underline">
            {t("nav.signIn")}
          </Link>
        ) : null}
      </FormPage>
    );
  }

  if (page.mode === "sign-up" && page.status !== "pending") {
    return (
      <FormPage title={t("verifyEmail.title")}>
        <p role="status">{page.status === "complete" ? t("verifyEmail.alreadyVerified") : t("verifyEmail.expired")}</p>
        <Link to={page.status === "complete" ? "/sign-in" : "/sign-up"} className="text-primary underline">
          {page.status === "complete" ? t("nav.signIn") : t("verifyEmail.startAgain")}
        </Link>
      </FormPage>
    );
  }

  const isSignUp = page.mode === "sign-up";
  const resendWait = isSignUp && result?.notice !== "resent" && !result?.formError ? page.resendInSeconds : 0;
  return (
    <FormPage title={t("verifyEmail.title")}>
      <p>{t("verifyEmail.sentTo", { email: page.email ?? "" })}</p>
      {result?.notice === "resent" ? (
        <p role="status" className="rounded-lk border border-border p-3">
          {t("verifyEmail.resent", { email: page.email ?? "" })}
        </p>
      ) : null}
      <Form method="post" className="flex flex-col gap-4" noValidate>
        <input type="hidden" name="intent" value={isSignUp ? "verify" : "verify-address"} />
        {isSignUp ? <input type="hidden" name="sign_up" value={page.signUpId} /> : null}
        <input type="hidden" name="redirect_url" value={page.redirectUrl} />
        <FormError>{formError}</FormError>
        <TextField
          label={t("verifyEmail.code")}
          name="code"
          autoComplete="one-time-code"
          inputMode="numeric"
          required
          error={codeError}
        />
        <Button pending={pending}>{t("verifyEmail.submit")}</Button>
      </Form>
      <Form method="post" className="flex flex-col gap-2">
        <input type="hidden" name="intent" value={isSignUp ? "resend" : "resend-address"} />
        {isSignUp ? <input type="hidden" name="sign_up" value={page.signUpId} /> : null}
        <input type="hidden" name="redirect_url" value={page.redirectUrl} />
        {resendWait > 0 ? <p className="text-sm text-muted">{t("verifyEmail.resendWait", { seconds: resendWait })}</p> : null}
        <Button variant="secondary" pending={pending}>
          {t("verifyEmail.resend")}
        </Button>
      </Form>
      <p className="text-sm">
        {isSignUp ? (
          <Link to="/sign-up" className="text-primary underline">
            {t("verifyEmail.wrongAddress")}
          </Link>
        ) : (
          <Link to={page.redirectUrl} className="text-primary underline">
            {t("verifyEmail.skip")}
          </Link>
        )}
      </p>
    </FormPage>
  );
}
