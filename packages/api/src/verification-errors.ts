/**
 * The one answer to a failed emailed-code check, for every flow that asks for a code (sign-up, passwordless sign-in,
 * adding an address, verifying a domain): the reason says which case, the `code` field carries it to the form.
 */
import type { VerificationFailure } from "@latchkey/auth";
import { ApiError } from "./errors.ts";

export type CodeFailure = VerificationFailure;

const codeErrors = {
  invalid: { reason: "INVALID_CODE", message: "That code is not right. Check it, or ask for a new one." },
  expired: { reason: "EXPIRED_CODE", message: "That code has expired. Ask for a new one." },
  too_many_attempts: { reason: "TOO_MANY_ATTEMPTS", message: "Too many wrong codes. Ask for a new one." },
  // The loser of a double submission: the same code already did its work.
  already_verified: { reason: "CODE_ALREADY_USED", message: "This code was already used, so it has done its work." },
} as const satisfies Record<CodeFailure, { reason: string; message: string }>;

export function codeError(failure: CodeFailure): ApiError {
  const { reason, message } = codeErrors[failure];
  return new ApiError({ code: "BAD_REQUEST", reason, field: "code", message: `code: ${message}` });
}
