/**
 * What a new password must satisfy (sign-up, change, reset): 8 to 256 characters and not a known common password.
 * No composition rules (NIST 800-63B, OWASP ASVS): they push people towards "Password1!" without adding strength.
 */
import commonPasswordList from "./common-passwords.ts";

export type PasswordPolicyViolation = "PASSWORD_TOO_SHORT" | "PASSWORD_TOO_LONG" | "PASSWORD_TOO_COMMON";

export type PasswordPolicyResult = { ok: true } | { ok: false; code: PasswordPolicyViolation; message: string };

export const passwordLimits = { min: 8, max: 256 } as const;

let commonPasswords: ReadonlySet<string> | undefined;

// Split on first use rather than at import, so modules that never check a password don't pay for 18k strings.
function getCommonPasswords(): ReadonlySet<string> {
  commonPasswords ??= new Set(commonPasswordList.split("\n").filter((line) => line.length > 0));
  return commonPasswords;
}

/** Whether the password (ignoring case and surrounding spaces) is on the offline common-password list. */
export function isCommonPassword(password: string): boolean {
  const list = getCommonPasswords();
  const lower = password.toLowerCase();
  return list.has(lower) || list.has(lower.trim());
}

// A bad option (NaN, below 8, above the maximum) must never weaken the rule.
function getMinLength(requested: number | undefined): number {
  if (requested === undefined || !Number.isFinite(requested)) return passwordLimits.min;
  return Math.min(Math.max(passwordLimits.min, Math.ceil(requested)), passwordLimits.max);
}

/**
 * Lengths count Unicode code points, so an emoji is one character, as a person would count it. `minLength` can
 * raise the minimum, never lower it below 8: the common-password list relies on that floor.
 */
export function checkPasswordPolicy(password: string, opts: { minLength?: number } = {}): PasswordPolicyResult {
  const min = getMinLength(opts.minLength);
  const length = typeof password === "string" ? [...password].length : 0;
  if (length < min) {
    return { ok: false, code: "PASSWORD_TOO_SHORT", message: `Use at least ${min} characters.` };
  }
  if (length > passwordLimits.max) {
    return { ok: false, code: "PASSWORD_TOO_LONG", message: `Use at most ${passwordLimits.max} characters.` };
  }
  if (isCommonPassword(password)) {
    return {
      ok: false,
      code: "PASSWORD_TOO_COMMON",
      message: "This password is too common and easy to guess. Choose another one.",
    };
  }
  return { ok: true };
}
