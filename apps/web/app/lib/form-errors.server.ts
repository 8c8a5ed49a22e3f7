/** Turns an API error into what a form shows: a message per field and one for the form, as dictionary keys where we have them. */
import { data } from "@remix-run/node";
import { ApiError, getFieldErrors } from "@latchkey/api";
import { getAuthHeaders, type AuthArgs } from "./auth.server";
import type { MessageKey } from "~/i18n/dictionary";
import type { FormErrors, FormMessage } from "./form-message";

export type { FormErrors, FormMessage };

const reasonKeys: Partial<Record<string, MessageKey>> = {
  INVALID_CREDENTIALS: "signIn.invalid",
  REVERIFICATION_REQUIRED: "reverify.lead",
  WRONG_PASSWORD: "errors.wrongPassword",
  INVALID_TOKEN: "errors.resetLinkInvalid",
  EXPIRED_TOKEN: "errors.resetLinkInvalid",
  PASSWORD_TOO_SHORT: "errors.passwordTooShort",
  PASSWORD_TOO_LONG: "errors.passwordTooLong",
  PASSWORD_TOO_COMMON: "errors.passwordTooCommon",
  EMAIL_TAKEN: "errors.emailTaken",
  ALREADY_EXISTS: "errors.slugTaken",
  PERMISSION_DENIED: "error.forbidden",
  NOT_A_MEMBER: "error.forbidden",
  SESSION_REQUIRED: "errors.sessionRequired",
  NOT_FOUND: "error.notFound",
  SERVICE_UNAVAILABLE: "errors.unavailable",
  INVALID_CODE: "errors.codeInvalid",
  EXPIRED_CODE: "errors.codeExpired",
  TOO_MANY_ATTEMPTS: "errors.codeTooManyAttempts",
  CODE_ALREADY_USED: "errors.codeAlreadyUsed",
  SIGN_UP_EXPIRED: "verifyEmail.expired",
  ALREADY_VERIFIED: "verifyEmail.alreadyVerified",
  ALREADY_REGISTERED: "errors.alreadyRegistered",
  EMAIL_ALREADY_YOURS: "user.errors.alreadyYours",
  EMAIL_LIMIT_REACHED: "user.errors.limitReached",
  EMAIL_NOT_VERIFIED: "user.errors.notVerified",
  CANNOT_REMOVE_PRIMARY_EMAIL: "user.errors.cannotRemovePrimary",
  CANNOT_REMOVE_LAST_VERIFIED_EMAIL: "user.errors.cannotRemoveLast",
  LAST_ADMIN: "errors.lastAdmin",
  ROLE_ESCALATION: "errors.roleEscalation",
  UNKNOWN_ROLE: "errors.roleInvalid",
  INVITATION_INVALID: "invitation.invalid",
  INVITATION_EXPIRED: "invitation.expired",
  INVITATION_REVOKED: "invitation.revoked",
  INVITATION_ALREADY_USED: "invitation.used",
  INVITATION_NOT_PENDING: "errors.invitationNotPending",
  INVITATION_EMAIL_MISMATCH: "errors.invitationEmailMismatch",
  DOMAIN_PUBLIC_PROVIDER: "domains.errors.publicProvider",
  DOMAIN_TAKEN: "domains.errors.taken",
  DOMAIN_NOT_VERIFIED: "domains.errors.notVerified",
  DOMAIN_ALREADY_VERIFIED: "domains.errors.alreadyVerified",
  DOMAIN_LIMIT_REACHED: "domains.errors.limitReached",
  EMAIL_NOT_AT_DOMAIN: "domains.errors.emailNotAtDomain",
  MEMBERSHIP_LIMIT_REACHED: "orgSettings.errors.membershipLimit",
  IMAGE_UNSUPPORTED: "orgSettings.errors.imageUnsupported",
  IMAGE_TOO_LARGE: "orgSettings.errors.imageTooLarge",
  CONFIRMATION_MISMATCH: "orgSettings.errors.confirmation",
  // devices
  PASSWORD_UNCHANGED: "security.password.unchanged",
  // factors: passkeys and phone numbers
  PASSKEY_ALREADY_REGISTERED: "passkeys.errors.alreadyRegistered",
  PASSKEY_LIMIT_REACHED: "passkeys.errors.limitReached",
  PASSKEY_INVALID_RESPONSE: "passkeys.errors.failed",
  PASSKEY_CHALLENGE_INVALID: "passkeys.errors.expired",
  PASSKEY_NOT_ACCEPTED: "passkeys.signIn.notAccepted",
  PHONE_ALREADY_YOURS: "phones.errors.alreadyYours",
  PHONE_LIMIT_REACHED: "phones.errors.limitReached",
  PHONE_NOT_VERIFIED: "phones.errors.notVerified",
  SMS_NOT_DELIVERED: "phones.errors.smsUnavailable",
  // bot protection
  BOT_CHECK_REQUIRED: "botCheck.required",
  BOT_CHECK_FAILED: "botCheck.failed",
  BOT_CHECK_TOO_FAST: "botCheck.tooFast",
  DISPOSABLE_EMAIL: "botCheck.disposable",
  // webhooks
  WEBHOOK_URL_INSECURE: "webhooks.errors.insecure",
  WEBHOOK_TARGET_PRIVATE: "webhooks.errors.private",
  // oauth
  OAUTH_STATE_INVALID: "oauth.errors.state",
  OAUTH_PROVIDER_ERROR: "oauth.errors.provider",
  OAUTH_UNKNOWN_PROVIDER: "oauth.errors.unknownProvider",
  OAUTH_SIGN_IN_FIRST: "oauth.errors.signInFirst",
  OAUTH_EMAIL_UNVERIFIED: "oauth.errors.emailUnverified",
  OAUTH_EMAIL_DOMAIN_MISMATCH: "oauth.errors.domainMismatch",
  OAUTH_ACCOUNT_LINKED_ELSEWHERE: "oauth.errors.linkedElsewhere",
  OAUTH_ACCOUNT_UNAVAILABLE: "oauth.errors.unavailable",
  OAUTH_LAST_SIGN_IN_METHOD: "oauth.errors.lastMethod",
  SSO_DISCOVERY_FAILED: "sso.errors.discovery",
  SSO_SECRET_REQUIRED: "sso.errors.secretRequired",
  // saml
  SAML_METADATA_INVALID: "sso.saml.errors.metadata",
  // mfa
  MFA_REQUIRED: "errors.mfaRequired",
  SIGN_IN_CHALLENGE_EXPIRED: "factorTwo.expired",
  TOTP_NOT_STARTED: "common.error",
  SECOND_FACTOR_UNAVAILABLE: "mfa.backup.none",
  // instance settings and sign-in methods (helper settings)
  SIGN_IN_METHOD_DISABLED: "adminSettings.signIn.methodDisabled",
  SIGN_IN_ADDRESS_NOT_ALLOWED: "adminSettings.signIn.addressNotAllowed",
  // impersonation
  IMPERSONATION_RESTRICTED: "impersonation.restricted",
  IMPERSONATION_NOT_ALLOWED: "impersonation.errors.notAllowed",
};

/** Reasons whose words depend on the page: a link token is a reset link on one page and a verify link on another. */
export type ReasonOverrides = Partial<Record<string, MessageKey>>;

const fieldKeys: Partial<Record<string, MessageKey>> = {
  email: "errors.emailInvalid",
  password: "errors.passwordRequired",
  name: "errors.nameInvalid",
  slug: "errors.slugInvalid",
  firstName: "errors.nameInvalid",
  lastName: "errors.nameInvalid",
  code: "errors.codeRequired",
  emailAddressId: "user.errors.notFound",
  emails: "errors.invitationEmails",
  roleKey: "errors.roleInvalid",
  domain: "domains.errors.domainInvalid",
  mode: "domains.errors.modeInvalid",
  image: "orgSettings.errors.imageUnsupported",
  confirmation: "orgSettings.errors.confirmation",
  // devices
  currentPassword: "errors.passwordRequired",
  newPassword: "errors.passwordRequired",
  // factors
  phone: "phones.errors.phoneInvalid",
  phoneNumberId: "phones.errors.notFound",
  passkeyId: "passkeys.errors.notFound",
  response: "passkeys.errors.failed",
  challengeId: "passkeys.errors.expired",
  // webhooks
  url: "webhooks.errors.url",
  eventTypes: "webhooks.errors.eventTypes",
  // oauth
  issuer: "sso.errors.issuerInvalid",
  clientId: "sso.errors.clientIdInvalid",
  clientSecret: "sso.errors.secretRequired",
  // saml
  metadataUrl: "sso.saml.errors.metadataUrl",
  metadataXml: "sso.saml.errors.metadata",
  emailAttribute: "sso.saml.errors.attribute",
  firstNameAttribute: "sso.saml.errors.attribute",
  lastNameAttribute: "sso.saml.errors.attribute",
};

export function toFormErrors(error: unknown, overrides: ReasonOverrides = {}): FormErrors {
  const reason = error instanceof ApiError ? error.reason : null;
  if (error instanceof ApiError && error.reason === "RESEND_COOLDOWN") {
    return { fieldErrors: {}, formError: { key: "errors.resendWait", vars: { seconds: error.retryAfterSeconds ?? 60 } } };
  }
  if (error instanceof ApiError && error.retryAfterSeconds !== undefined) {
    const minutes = Math.max(1, Math.ceil(error.retryAfterSeconds / 60));
    return { fieldErrors: {}, formError: { key: "errors.rateLimited", vars: { minutes } } };
  }
  const reasonKey = reason ? (overrides[reason] ?? reasonKeys[reason]) : undefined;
  const fields = getFieldErrors(error);
  if (fields) {
    const fieldErrors: Record<string, FormMessage> = {};
    for (const [field, messages] of Object.entries(fields)) {
      // Items of a list field (`emails.3`) take the list's message.
      const key = reasonKey ?? fieldKeys[field] ?? fieldKeys[field.split(".")[0]!];
      fieldErrors[field] = key ? { key } : { text: messages[0] ?? "" };
    }
    return { fieldErrors, formError: null };
  }
  return { fieldErrors: {}, formError: { key: reasonKey ?? "common.error" } };
}

/** The HTTP status a form response should carry for this error. */
export function statusOf(error: unknown): number {
  const code = (error as { code?: string } | null)?.code;
  switch (code) {
    case "BAD_REQUEST":
      return 400;
    case "UNAUTHORIZED":
      return 401;
    case "FORBIDDEN":
      return 403;
    case "NOT_FOUND":
      return 404;
    case "CONFLICT":
      return 409;
    case "TOO_MANY_REQUESTS":
      return 429;
    case "SERVICE_UNAVAILABLE":
      return 503;
    default:
      return 500;
  }
}

/**
 * The response of a form action that failed: the messages, the status (400, 401, 409, 429 …), Set-Cookie and, when
 * limited, Retry-After. Errors that are not about the input (bugs, outages) are rethrown for the error boundary.
 */
export async function formErrorResponse<T extends object>(args: AuthArgs, error: unknown, extra: T, overrides?: ReasonOverrides) {
  if (!isFormError(error)) throw error;
  const headers = new Headers(await getAuthHeaders(args));
  if (error instanceof ApiError && error.retryAfterSeconds !== undefined) {
    headers.set("Retry-After", String(error.retryAfterSeconds));
  }
  return data({ ...toFormErrors(error, overrides), ...extra }, { status: statusOf(error), headers });
}

/** Errors that are not about the input (bugs, outages) are rethrown so the error boundary handles them. */
export function isFormError(error: unknown): boolean {
  return error instanceof ApiError || (error instanceof Error && "code" in error && statusOf(error) < 500);
}
