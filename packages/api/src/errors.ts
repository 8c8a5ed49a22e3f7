import { TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import type { ErrorReason } from "./error-codes.ts";

/** A TRPCError that also says which case it is (`reason`) and, for bad input, which field. */
export class ApiError extends TRPCError {
  readonly reason: ErrorReason;
  readonly field: string | undefined;
  /** With TOO_MANY_REQUESTS: when to try again (sent as Retry-After). */
  readonly retryAfterSeconds: number | undefined;
  constructor(opts: {
    code: TRPC_ERROR_CODE_KEY;
    reason: ErrorReason;
    message: string;
    field?: string;
    cause?: unknown;
    retryAfterSeconds?: number;
  }) {
    super({ code: opts.code, message: opts.message, cause: opts.cause });
    this.reason = opts.reason;
    this.field = opts.field;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }
}

export function tooManyRequests(retryAfterSeconds: number): ApiError {
  const minutes = Math.ceil(retryAfterSeconds / 60);
  return new ApiError({
    code: "TOO_MANY_REQUESTS",
    reason: "RATE_LIMITED",
    message: `Too many attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
    retryAfterSeconds,
  });
}

/** Bad input for one field, reported like a schema failure so forms can show it next to the input. */
export function fieldError(field: string, message: string, reason: ErrorReason = "INVALID_INPUT"): ApiError {
  return new ApiError({ code: "BAD_REQUEST", reason, message: `${field}: ${message}`, field });
}

interface Issue {
  path?: ReadonlyArray<PropertyKey | { key: PropertyKey }>;
  message: string;
}

function issuePath(issue: Issue): string {
  const parts = (issue.path ?? []).map((p) => (typeof p === "object" && p !== null ? p.key : p));
  return parts.map(String).join(".") || "input";
}

/** `{ field: [messages] }` from a schema failure or an ApiError, else null. Works on errors from createCaller too. */
export function getFieldErrors(error: unknown): Record<string, string[]> | null {
  if (error instanceof ApiError && error.field) return { [error.field]: [error.message.replace(/^[^:]+: /, "")] };
  const cause = error instanceof TRPCError ? error.cause : error;
  const issues = (cause as { issues?: unknown } | undefined)?.issues;
  if (!Array.isArray(issues)) return null;
  const out: Record<string, string[]> = {};
  for (const issue of issues as Issue[]) {
    const key = issuePath(issue);
    (out[key] ??= []).push(issue.message);
  }
  return out;
}

/** One readable sentence naming the fields, e.g. `email: Invalid email address`. */
export function describeFieldErrors(fields: Record<string, string[]>): string {
  return Object.entries(fields)
    .map(([field, messages]) => `${field}: ${messages[0]}`)
    .join("; ");
}
