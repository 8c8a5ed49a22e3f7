/**
 * JWT template claims: a JSON object whose strings may hold placeholders such as `{{user.id}}`.
 *
 * - A string that is exactly one placeholder takes the value's JSON type (`"{{org.permissions}}"` → an array); a
 *   missing value omits a top-level claim and becomes null deeper down.
 * - Placeholders inside a longer string are interpolated (`"user-{{user.id}}"`); a missing value becomes "".
 * - Only the placeholders below exist; any other is refused when the template is saved (private metadata is never
 *   available to templates: it must not reach a token another service or the browser can read).
 * - Reserved claims (the ones Latchkey sets) can't be set by a template, except `"sub": "{{user.id}}"`, which says
 *   what Latchkey sets anyway (templates written for Clerk carry it).
 */
import { fieldError } from "./errors.ts";

// impersonation: `act` names the admin behind an impersonation session; a template must never forge or hide it.
export const RESERVED_CLAIMS = ["sub", "iss", "exp", "iat", "nbf", "sid", "azp", "jti", "act"] as const;
export const MAX_CLAIMS_BYTES = 4096;
const MAX_DEPTH = 8;

const SIMPLE_PLACEHOLDERS = [
  "user.id",
  "user.first_name",
  "user.last_name",
  "user.primary_email_address",
  "user.public_metadata",
  "user.unsafe_metadata",
  "user.two_factor_enabled",
  "org.id",
  "org.slug",
  "org.name",
  "org.role",
  "org.permissions",
  "session.id",
] as const;

/** `user.public_metadata.a.b` etc.: segments of letters, digits, `_` and `-`; never `__proto__` and friends. */
const METADATA_PATH = /^user\.(public_metadata|unsafe_metadata)((?:\.[A-Za-z0-9_-]{1,64}){1,8})$/;
const FORBIDDEN_SEGMENTS = new Set(["__proto__", "prototype", "constructor"]);
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const WHOLE_PLACEHOLDER = /^\{\{\s*([^{}]*?)\s*\}\}$/;

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface TemplateData {
  user: {
    id: string;
    firstName: string | null;
    lastName: string | null;
    primaryEmail: string | null;
    publicMetadata: Record<string, unknown>;
    unsafeMetadata: Record<string, unknown>;
    /** A verified TOTP, passkey or MFA phone number (as the auth lookup's `mfa.hasSecondFactor`). */
    twoFactorEnabled: boolean;
  };
  org: { id: string; slug: string; name: string; role: string | null; permissions: string[] } | null;
  session: { id: string };
}

export function isKnownPlaceholder(name: string): boolean {
  if ((SIMPLE_PLACEHOLDERS as readonly string[]).includes(name)) return true;
  const match = METADATA_PATH.exec(name);
  if (!match) return false;
  return match[2]!
    .slice(1)
    .split(".")
    .every((segment) => !FORBIDDEN_SEGMENTS.has(segment));
}

/** `"sub": "{{user.id}}"` is the value Latchkey sets, so saying it again is harmless; any other `sub` is not. */
function restatesSubject(key: string, value: unknown): boolean {
  return key === "sub" && typeof value === "string" && WHOLE_PLACEHOLDER.exec(value)?.[1] === "user.id";
}

function claimPath(path: string[]): string {
  return path.join(".");
}

/** Checks the shape, size, keys and placeholders; throws a 400 on `field` naming the claim. Returns the claims unchanged. */
export function validateTemplateClaims(claims: unknown, field = "claims"): Record<string, Json> {
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) {
    throw fieldError(field, "Claims must be a JSON object.", "JWT_CLAIMS_INVALID");
  }
  const text = JSON.stringify(claims);
  if (new TextEncoder().encode(text).length > MAX_CLAIMS_BYTES) {
    throw fieldError(field, `Claims must be at most ${MAX_CLAIMS_BYTES} bytes of JSON.`, "JWT_CLAIMS_INVALID");
  }
  for (const key of Object.keys(claims)) {
    if (FORBIDDEN_SEGMENTS.has(key) || key.length === 0 || key.length > 128) {
      throw fieldError(field, `The claim name "${key.slice(0, 40)}" is not allowed.`, "JWT_CLAIMS_INVALID");
    }
    if ((RESERVED_CLAIMS as readonly string[]).includes(key) && !restatesSubject(key, (claims as Record<string, unknown>)[key])) {
      throw fieldError(field, `The claim "${key}" is reserved and can't be set by a template.`, "JWT_CLAIM_RESERVED");
    }
  }
  const visit = (value: unknown, path: string[], depth: number): void => {
    if (depth > MAX_DEPTH) throw fieldError(field, `The claim "${claimPath(path)}" is nested too deeply.`, "JWT_CLAIMS_INVALID");
    if (typeof value === "string") {
      for (const match of value.matchAll(PLACEHOLDER)) {
        if (!isKnownPlaceholder(match[1]!)) {
          throw fieldError(field, `Unknown placeholder {{${match[1]!.slice(0, 80)}}} in the claim "${claimPath(path)}".`, "JWT_PLACEHOLDER_UNKNOWN");
        }
      }
      return;
    }
    if (typeof value === "number") {
      if (!Number.isFinite(value)) throw fieldError(field, `The claim "${claimPath(path)}" is not a JSON number.`, "JWT_CLAIMS_INVALID");
      return;
    }
    if (value === null || typeof value === "boolean") return;
    if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, [...path, String(index)], depth + 1));
      return;
    }
    if (typeof value === "object") {
      for (const key of Object.keys(value)) {
        if (FORBIDDEN_SEGMENTS.has(key) || key.length === 0 || key.length > 128) {
          throw fieldError(field, `The claim name "${key.slice(0, 40)}" is not allowed.`, "JWT_CLAIMS_INVALID");
        }
        visit((value as Record<string, unknown>)[key], [...path, key], depth + 1);
      }
      return;
    }
    throw fieldError(field, `The claim "${claimPath(path)}" is not JSON.`, "JWT_CLAIMS_INVALID");
  };
  for (const key of Object.keys(claims)) visit((claims as Record<string, unknown>)[key], [key], 1);
  return claims as Record<string, Json>;
}

/** Parses the JSON text an admin typed; a 400 naming `claims` when it is not JSON. */
export function parseClaimsText(text: string, field = "claims"): unknown {
  if (new TextEncoder().encode(text).length > MAX_CLAIMS_BYTES * 2) throw fieldError(field, `Claims must be at most ${MAX_CLAIMS_BYTES} bytes of JSON.`, "JWT_CLAIMS_INVALID");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw fieldError(field, "Claims must be valid JSON.", "JWT_CLAIMS_INVALID");
  }
}

function ownPath(source: Record<string, unknown>, segments: string[]): unknown {
  let current: unknown = source;
  for (const segment of segments) {
    if (typeof current !== "object" || current === null || Array.isArray(current) || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function resolve(name: string, data: TemplateData): unknown {
  switch (name) {
    case "user.id":
      return data.user.id;
    case "user.first_name":
      return data.user.firstName;
    case "user.last_name":
      return data.user.lastName;
    case "user.primary_email_address":
      return data.user.primaryEmail;
    case "user.public_metadata":
      return data.user.publicMetadata;
    case "user.unsafe_metadata":
      return data.user.unsafeMetadata;
    case "user.two_factor_enabled":
      return data.user.twoFactorEnabled;
    case "org.id":
      return data.org?.id;
    case "org.slug":
      return data.org?.slug;
    case "org.name":
      return data.org?.name;
    case "org.role":
      return data.org?.role;
    case "org.permissions":
      return data.org?.permissions;
    case "session.id":
      return data.session.id;
  }
  const match = METADATA_PATH.exec(name);
  if (!match || !isKnownPlaceholder(name)) return undefined;
  const source = match[1] === "public_metadata" ? data.user.publicMetadata : data.user.unsafeMetadata;
  return ownPath(source, match[2]!.slice(1).split("."));
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** A fresh JSON copy, so a rendered value never shares objects with the user's metadata. */
function copy(value: unknown): Json {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as Json);
}

function renderValue(value: Json, data: TemplateData): Json | undefined {
  if (typeof value === "string") {
    const whole = WHOLE_PLACEHOLDER.exec(value);
    if (whole) {
      const resolved = resolve(whole[1]!, data);
      return resolved === undefined || resolved === null ? undefined : copy(resolved);
    }
    return value.replace(PLACEHOLDER, (_all, name: string) => asText(resolve(name, data)));
  }
  if (Array.isArray(value)) return value.map((item) => renderValue(item, data) ?? null);
  if (value !== null && typeof value === "object") {
    const out: Record<string, Json> = {};
    for (const [key, item] of Object.entries(value)) {
      const rendered = renderValue(item, data);
      Object.defineProperty(out, key, { value: rendered ?? null, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

/** The template's claims for this user, session and organization; reserved claims are dropped whatever is stored. */
export function renderTemplateClaims(claims: Record<string, Json>, data: TemplateData): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(claims)) {
    if ((RESERVED_CLAIMS as readonly string[]).includes(key) || FORBIDDEN_SEGMENTS.has(key)) continue;
    const rendered = renderValue(value, data);
    if (rendered !== undefined) out[key] = rendered;
  }
  return out;
}
