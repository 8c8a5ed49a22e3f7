/** oauth: why a sign-in with a provider (or connecting an account) was refused, with a way back. */
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { getSafeRedirect } from "@latchkey/auth";
import { FormPage } from "~/components/form-page";
import { metaT } from "~/i18n/meta";
import type { MessageKey } from "~/i18n/dictionary";
import { useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";

export const handle = {
  i18n: ["oauth", "orgSettings.errors.membershipLimit", "errors.unavailable", "errors.sessionRequired", "adminSettings.signIn.methodDisabled", "adminSettings.signIn.addressNotAllowed", "waitlist.signUp.restricted", "waitlist.signUp.closed", "waitlist.signUp.addressRefused", "waitlist.invitation.used", "connected.title"],
} satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("oauth.errorTitle") }];

const messages: Record<string, MessageKey> = {
  OAUTH_STATE_INVALID: "oauth.errors.state",
  OAUTH_PROVIDER_ERROR: "oauth.errors.provider",
  OAUTH_UNKNOWN_PROVIDER: "oauth.errors.unknownProvider",
  OAUTH_SIGN_IN_FIRST: "oauth.errors.signInFirst",
  OAUTH_EMAIL_UNVERIFIED: "oauth.errors.emailUnverified",
  OAUTH_EMAIL_DOMAIN_MISMATCH: "oauth.errors.domainMismatch",
  OAUTH_ACCOUNT_LINKED_ELSEWHERE: "oauth.errors.linkedElsewhere",
  OAUTH_ACCOUNT_UNAVAILABLE: "oauth.errors.unavailable",
  // saml: refusals of the assertion consumer service
  SAML_RESPONSE_INVALID: "oauth.errors.samlInvalid",
  SAML_RESPONSE_EXPIRED: "oauth.errors.samlExpired",
  SAML_RESPONSE_TOO_LARGE: "oauth.errors.samlTooLarge",
  SAML_REQUEST_UNKNOWN: "oauth.errors.samlRequestUnknown",
  SAML_IDP_INITIATED_DISABLED: "oauth.errors.samlIdpInitiated",
  MEMBERSHIP_LIMIT_REACHED: "orgSettings.errors.membershipLimit",
  RATE_LIMITED: "errors.unavailable",
  SESSION_REQUIRED: "errors.sessionRequired",
  // instance settings (helper settings): social/SSO sign-in turned off, or the account's address kept out
  SIGN_IN_METHOD_DISABLED: "adminSettings.signIn.methodDisabled",
  SIGN_IN_ADDRESS_NOT_ALLOWED: "adminSettings.signIn.addressNotAllowed",
  // signup: a new account refused by the sign-up mode or the allow-/blocklists
  SIGN_UP_RESTRICTED: "waitlist.signUp.restricted",
  SIGN_UP_WAITLIST: "waitlist.signUp.closed",
  EMAIL_NOT_ALLOWED: "waitlist.signUp.addressRefused",
  INVITATION_ALREADY_USED: "waitlist.invitation.used",
};

export function loader({ request }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const reason = url.searchParams.get("reason") ?? "";
  return { message: messages[reason] ?? ("oauth.errors.provider" as MessageKey), back: getSafeRedirect(url.searchParams.get("back"), "/sign-in") };
}

export default function OAuthError() {
  const t = useT();
  const { message, back } = useLoaderData<typeof loader>();
  return (
    <FormPage title={t("oauth.errorTitle")}>
      <p role="alert" className="rounded-lk border border-border p-3">
        {t(message)}
      </p>
      <p className="text-sm">
        <Link to={back} className="text-primary underline">
          {back === "/sign-in" ? t("oauth.back") : t("connected.title")}
        </Link>
      </p>
    </FormPage>
  );
}
