/**
 * TOTP (RFC 6238) as authenticator apps speak it: a 160-bit secret, SHA-1, 6 digits, 30-second steps, one step of
 * clock drift either way. `verifyTotp` returns the step that matched, so the caller can refuse a code whose step
 * was already used (each code works once) with an atomic `last_used_step < step` update.
 *
 * Backup codes: ten random codes of 50 bits each (`xxxxx-xxxxx`, base32), stored as SHA-256 hex, single use.
 */
import { generateHOTP } from "@oslojs/otp";
import { sha256 } from "@oslojs/crypto/sha2";
import { constantTimeEqual } from "@oslojs/crypto/subtle";
import { encodeBase32UpperCaseNoPadding, encodeHexLowerCase } from "@oslojs/encoding";
import QRCode from "qrcode";

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps of drift accepted either side of now. */
export const TOTP_WINDOW = 1;
const SECRET_BYTES = 20;

export function generateTotpSecret(): Uint8Array {
  const bytes = new Uint8Array(SECRET_BYTES);
  crypto.getRandomValues(bytes);
  return bytes;
}

/** The key as people type it into an app: base32, upper case, no padding, in groups of four. */
export function formatTotpKey(secret: Uint8Array): string {
  return encodeBase32UpperCaseNoPadding(secret).replace(/(.{4})(?=.)/g, "$1 ");
}

/** `otpauth://totp/Issuer:email?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`. */
export function totpUri(secret: Uint8Array, { issuer, accountName }: { issuer: string; accountName: string }): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(accountName)}`;
  const params = new URLSearchParams({
    secret: encodeBase32UpperCaseNoPadding(secret),
    issuer,
    algorithm: "SHA1",
    digits: String(TOTP_DIGITS),
    period: String(TOTP_PERIOD_SECONDS),
  });
  return `otpauth://totp/${label}?${params.toString()}`;
}

/** The QR code of the URI as an SVG document, rendered on the server (no JavaScript on the page). */
export async function totpQrSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
}

export function totpStepAt(time: Date): number {
  return Math.floor(time.getTime() / 1000 / TOTP_PERIOD_SECONDS);
}

/** The code for a given step (RFC 4226 HOTP with the step as counter); `digits` is 6 in the app, 8 in RFC vectors. */
export function totpCodeAt(secret: Uint8Array, step: number, digits = TOTP_DIGITS): string {
  return generateHOTP(secret, BigInt(step), digits);
}

export function generateTotp(secret: Uint8Array, time: Date): string {
  return totpCodeAt(secret, totpStepAt(time));
}

const codeShape = /^\d{6}$/;

/** Normalises what a person typed ("123 456" → "123456"); null when it can't be a code. */
export function normalizeTotpCode(input: string): string | null {
  const code = input.replace(/[\s-]/g, "");
  return codeShape.test(code) ? code : null;
}

/**
 * The step whose code equals `code` within ±1 step of `time`, or null. All candidate steps are computed and
 * compared in constant time, so timing does not tell which step was close.
 */
export function verifyTotp(secret: Uint8Array, code: string, time: Date): number | null {
  const normalized = normalizeTotpCode(code);
  if (!normalized) return null;
  const now = totpStepAt(time);
  const given = new TextEncoder().encode(normalized);
  let matched: number | null = null;
  for (let step = now - TOTP_WINDOW; step <= now + TOTP_WINDOW; step++) {
    const expected = new TextEncoder().encode(totpCodeAt(secret, step));
    if (constantTimeEqual(expected, given) && matched === null) matched = step;
  }
  return matched;
}

// Backup codes ------------------------------------------------------------------------------------------------------

export const BACKUP_CODE_COUNT = 10;
const backupAlphabet = "abcdefghijklmnopqrstuvwxyz234567";
const backupShape = /^[a-z2-7]{5}-[a-z2-7]{5}$/;

/** One code: 10 base32 characters (50 bits), shown as `xxxxx-xxxxx`. */
export function generateBackupCode(): string {
  const bytes = new Uint8Array(10);
  crypto.getRandomValues(bytes);
  // Each byte's low 5 bits pick a character: 10 × 5 = 50 bits, uniform since 256 is a multiple of 32.
  const chars = Array.from(bytes, (b) => backupAlphabet[b & 31]).join("");
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

export function generateBackupCodes(count = BACKUP_CODE_COUNT): string[] {
  const codes = new Set<string>();
  while (codes.size < count) codes.add(generateBackupCode());
  return [...codes];
}

/** Lower case, dash restored, spaces dropped; null when it can't be a backup code. */
export function normalizeBackupCode(input: string): string | null {
  const compact = input.trim().toLowerCase().replace(/[\s-]/g, "");
  if (compact.length !== 10) return null;
  const code = `${compact.slice(0, 5)}-${compact.slice(5)}`;
  return backupShape.test(code) ? code : null;
}

export function hashBackupCode(code: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(code)));
}
