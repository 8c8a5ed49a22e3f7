/**
 * Machine-readable reasons carried in `error.data.reason`, one list for the whole API. The tRPC code says the class
 * (UNAUTHORIZED = no valid session, FORBIDDEN = valid session without the right); the reason says which case it is.
 */
export const errorReasons = [
  "SESSION_REQUIRED",
  "ORGANIZATION_REQUIRED",
  "NOT_A_MEMBER",
  "PERMISSION_DENIED",
  "ROLE_REQUIRED",
  "INVALID_CREDENTIALS",
  "WRONG_PASSWORD",
  "INVALID_TOKEN",
  "EXPIRED_TOKEN",
  "INVALID_CODE",
  "EXPIRED_CODE",
  "TOO_MANY_ATTEMPTS",
  "SIGN_UP_EXPIRED",
  "ALREADY_VERIFIED",
  "ALREADY_REGISTERED",
  "RESEND_COOLDOWN",
  "EMAIL_NOT_VERIFIED",
  "INVALID_INPUT",
  "PASSWORD_TOO_SHORT",
  "PASSWORD_TOO_LONG",
  "PASSWORD_TOO_COMMON",
  "ALREADY_EXISTS",
  "EMAIL_TAKEN",
  "NOT_FOUND",
  "CROSS_ORIGIN_REQUEST",
  "RATE_LIMITED",
  "REVERIFICATION_REQUIRED",
  "SERVICE_UNAVAILABLE",
  "INTERNAL",
] as const;

export type ErrorReason = (typeof errorReasons)[number];
