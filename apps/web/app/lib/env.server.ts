/**
 * The app's configuration, read from environment variables and validated once. server.js calls `parseEnv` before it
 * listens (through the server build's entry module) and exits with one line per bad variable; app code calls
 * `getEnv()`.
 */
import { z } from "zod";
import { parseEncryptionKey, type SocialProviderEnv } from "@latchkey/auth";
import type { GenericOidcEnv } from "@latchkey/api";
import type { CustomOAuthProviderEnv } from "@latchkey/auth";
import { parseCustomProviders } from "./custom-oauth-env.server";

type RawEnv = Record<string, string | undefined>;

// Never echoed in error messages: a malformed connection string may still hold a password.
const SECRET_VARIABLES = new Set([
  "DATABASE_URL",
  "SMTP_URL",
  "LATCHKEY_ENCRYPTION_KEY",
  // factors
  "SMS_AUTH_TOKEN",
  "SMS_ACCOUNT_SID",
  // oauth
  "OAUTH_GOOGLE_CLIENT_SECRET",
  "OAUTH_GITHUB_CLIENT_SECRET",
  "OAUTH_APPLE_PRIVATE_KEY",
  "OAUTH_MICROSOFT_CLIENT_SECRET",
  "OAUTH_DISCORD_CLIENT_SECRET",
  "OAUTH_TWITCH_CLIENT_SECRET",
  "OAUTH_OIDC_CLIENT_SECRET",
  "OAUTH_CUSTOM_PROVIDERS",
]);

// oauth: each provider is on when all of its variables are set; a partly configured one is an error.
const oauthGroups = {
  google: ["OAUTH_GOOGLE_CLIENT_ID", "OAUTH_GOOGLE_CLIENT_SECRET"],
  github: ["OAUTH_GITHUB_CLIENT_ID", "OAUTH_GITHUB_CLIENT_SECRET"],
  apple: ["OAUTH_APPLE_CLIENT_ID", "OAUTH_APPLE_TEAM_ID", "OAUTH_APPLE_KEY_ID", "OAUTH_APPLE_PRIVATE_KEY"],
  microsoft: ["OAUTH_MICROSOFT_CLIENT_ID", "OAUTH_MICROSOFT_CLIENT_SECRET", "OAUTH_MICROSOFT_TENANT"],
  discord: ["OAUTH_DISCORD_CLIENT_ID", "OAUTH_DISCORD_CLIENT_SECRET"],
  twitch: ["OAUTH_TWITCH_CLIENT_ID", "OAUTH_TWITCH_CLIENT_SECRET"],
  oidc: ["OAUTH_OIDC_ISSUER", "OAUTH_OIDC_CLIENT_ID", "OAUTH_OIDC_CLIENT_SECRET"],
} as const;
const oauthVariables = [...Object.values(oauthGroups).flat(), "OAUTH_OIDC_NAME"] as const;
const oauthText = z.string().trim().min(1).max(8192);

const port = z
  .string()
  .trim()
  .regex(/^\d+$/, "must be a whole number between 1 and 65535")
  .transform(Number)
  .refine((n) => n >= 1 && n <= 65535, "must be a whole number between 1 and 65535");

const httpUrl = z
  .string()
  .trim()
  .refine((value) => /^https?:$/.test(safeUrl(value)?.protocol ?? ""), "must be an absolute http:// or https:// URL");

const postgresUrl = z
  .string()
  .trim()
  .refine(
    (value) => /^postgres(ql)?:$/.test(safeUrl(value)?.protocol ?? ""),
    "must be a postgres:// or postgresql:// URL",
  );

const smtpUrl = z
  .string()
  .trim()
  .refine((value) => /^smtps?:$/.test(safeUrl(value)?.protocol ?? ""), "must be an smtp:// or smtps:// URL");

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"], {
    error: "must be one of development, production, test",
  }),
  PORT: port,
  HOST: z.string().trim().min(1).optional(),
  APP_URL: httpUrl.optional(),
  DATABASE_URL: postgresUrl.optional(),
  LATCHKEY_DATA_DIR: z.string().trim().min(1).optional(),
  SMTP_URL: smtpUrl.optional(),
  MAIL_FROM: z.string().trim().min(3).max(200).optional(),
  LATCHKEY_ENCRYPTION_KEY: z
    .string()
    .trim()
    .refine(
      (value) => value.split(",").every((part) => parseEncryptionKey(part) !== null),
      "must be one or more comma-separated 32-byte keys, base64 or hex (make one with: node -e \"console.log(require('crypto').randomBytes(32).toString('base64url'))\")",
    )
    .optional(),
  // factors: SMS through a Twilio-style HTTP API
  SMS_API_URL: httpUrl.optional(),
  SMS_ACCOUNT_SID: z.string().trim().min(1).max(128).optional(),
  SMS_AUTH_TOKEN: z.string().trim().min(1).max(256).optional(),
  SMS_FROM: z.string().trim().min(1).max(64).optional(),
  // Per-IP rate limits count IPv6 clients by this prefix length (read by packages/api's rate-limits.ts; ADR 026).
  RATE_LIMIT_IPV6_PREFIX: z
    .string()
    .trim()
    .regex(/^\d+$/, "must be a whole number between 16 and 128")
    .transform(Number)
    .refine((n) => n >= 16 && n <= 128, "must be a whole number between 16 and 128")
    .optional(),
  // oauth
  ...Object.fromEntries(oauthVariables.map((name) => [name, oauthText.optional()])),
  OAUTH_OIDC_ISSUER: httpUrl.optional(),
  LATCHKEY_COMPONENT_GALLERY: z.enum(["0", "1"], { error: "must be 0 or 1" }).optional(),
});

export interface Env {
  NODE_ENV: "development" | "production" | "test";
  PORT: number;
  /** The interface to bind to; all interfaces when absent. */
  HOST: string | undefined;
  /** The public origin of the app, without a trailing slash. */
  APP_URL: string;
  /** Postgres when set, embedded PGlite otherwise. */
  DATABASE_URL: string | undefined;
  /** Where PGlite keeps its data; `<repo>/.data/pglite` when absent. */
  LATCHKEY_DATA_DIR: string | undefined;
  /** Where email goes; the development outbox (/dev/outbox) when absent, which production refuses. */
  SMTP_URL: string | undefined;
  MAIL_FROM: string | undefined;
  /** Keys for secrets at rest (first encrypts, the rest decrypt); the public development key when absent, which production refuses. */
  LATCHKEY_ENCRYPTION_KEY: string | undefined;
  /** A Twilio-style SMS API (`…/2010-04-01/Accounts/{SID}/Messages.json`); the development outbox when absent outside production, no SMS in production. */
  SMS_API_URL: string | undefined;
  SMS_ACCOUNT_SID: string | undefined;
  SMS_AUTH_TOKEN: string | undefined;
  SMS_FROM: string | undefined;
  /** oauth: the configured sign-in providers' credentials (`OAUTH_<PROVIDER>_…`); empty when none. */
  oauth: SocialProviderEnv & { oidc?: GenericOidcEnv; custom?: CustomOAuthProviderEnv[] };
  /** `/dev/components`: on in development, and in production only with LATCHKEY_COMPONENT_GALLERY=1 (browser tests). */
  componentGallery: boolean;
}

export type ParseEnvResult = { ok: true; env: Env } | { ok: false; problems: string[] };

function safeUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/** Empty strings count as unset, as in most deployment tools. */
function withoutEmpty(source: RawEnv): RawEnv {
  return Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value.trim() !== ""));
}

/** Validates `source` (normally `process.env`); each problem is one line that names the variable. */
export function parseEnv(source: RawEnv): ParseEnvResult {
  const raw = withoutEmpty(source);
  const parsed = schema.safeParse({ NODE_ENV: "development", PORT: "3000", ...pick(raw) });
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? "environment");
      const got = SECRET_VARIABLES.has(name) ? "" : ` (got ${JSON.stringify(raw[name] ?? "")})`;
      problems.push(`${name} ${issue.message}${got}`);
    }
  }
  const production = (raw.NODE_ENV ?? "development") === "production";
  if (production && raw.APP_URL === undefined) {
    problems.push("APP_URL is required in production (the public URL of the app, e.g. https://auth.example.com)");
  }
  if (production && raw.SMTP_URL === undefined) {
    problems.push("SMTP_URL is required in production (e.g. smtps://user:password@smtp.example.com:465): email could not be delivered");
  }
  if (production && raw.LATCHKEY_ENCRYPTION_KEY === undefined) {
    problems.push("LATCHKEY_ENCRYPTION_KEY is required in production (32 random bytes, base64): it encrypts TOTP secrets, webhook secrets and signing keys");
  }
  if (raw.SMS_API_URL !== undefined) {
    for (const name of ["SMS_ACCOUNT_SID", "SMS_AUTH_TOKEN", "SMS_FROM"] as const) {
      if (raw[name] === undefined) problems.push(`${name} is required when SMS_API_URL is set`);
    }
  }
  for (const [provider, names] of Object.entries(oauthGroups)) {
    const missing = names.filter((name) => raw[name] === undefined);
    if (missing.length > 0 && missing.length < names.length) {
      problems.push(`${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} required to sign in with ${provider} (the other ${provider} variables are set)`);
    }
  }
  const custom = parseCustomProviders(raw.OAUTH_CUSTOM_PROVIDERS);
  if (!custom.ok) problems.push(...custom.problems);
  const customProviders = custom.ok ? custom.providers : [];
  if (!parsed.success || problems.length > 0) return { ok: false, problems };
  const data = parsed.data;
  const appUrl = data.APP_URL ?? `http://localhost:${data.PORT}`;
  return {
    ok: true,
    env: {
      NODE_ENV: data.NODE_ENV,
      PORT: data.PORT,
      HOST: data.HOST,
      APP_URL: appUrl.replace(/\/+$/, ""),
      DATABASE_URL: data.DATABASE_URL,
      LATCHKEY_DATA_DIR: data.LATCHKEY_DATA_DIR,
      SMTP_URL: data.SMTP_URL,
      MAIL_FROM: data.MAIL_FROM,
      LATCHKEY_ENCRYPTION_KEY: data.LATCHKEY_ENCRYPTION_KEY,
      SMS_API_URL: data.SMS_API_URL,
      SMS_ACCOUNT_SID: data.SMS_ACCOUNT_SID,
      SMS_AUTH_TOKEN: data.SMS_AUTH_TOKEN,
      SMS_FROM: data.SMS_FROM,
      oauth: { ...oauthEnv(raw), ...(customProviders.length > 0 ? { custom: customProviders } : {}) },
      componentGallery: data.NODE_ENV !== "production" || data.LATCHKEY_COMPONENT_GALLERY === "1",
    },
  };
}

/** The providers whose variables are all set (checked complete above). */
function oauthEnv(raw: RawEnv): Env["oauth"] {
  const v = (name: string) => raw[name]!.trim();
  const on = (provider: keyof typeof oauthGroups) => oauthGroups[provider].every((name) => raw[name] !== undefined);
  const pair = (prefix: string) => ({ clientId: v(`${prefix}_CLIENT_ID`), clientSecret: v(`${prefix}_CLIENT_SECRET`) });
  return {
    ...(on("google") ? { google: pair("OAUTH_GOOGLE") } : {}),
    ...(on("github") ? { github: pair("OAUTH_GITHUB") } : {}),
    ...(on("apple")
      ? {
          apple: {
            clientId: v("OAUTH_APPLE_CLIENT_ID"),
            teamId: v("OAUTH_APPLE_TEAM_ID"),
            keyId: v("OAUTH_APPLE_KEY_ID"),
            // A PEM in one env line usually arrives with literal "\n".
            privateKey: v("OAUTH_APPLE_PRIVATE_KEY").replace(/\\n/g, "\n"),
          },
        }
      : {}),
    ...(on("microsoft") ? { microsoft: { ...pair("OAUTH_MICROSOFT"), tenant: v("OAUTH_MICROSOFT_TENANT") } } : {}),
    ...(on("discord") ? { discord: pair("OAUTH_DISCORD") } : {}),
    ...(on("twitch") ? { twitch: pair("OAUTH_TWITCH") } : {}),
    ...(on("oidc")
      ? { oidc: { issuer: v("OAUTH_OIDC_ISSUER").replace(/\/+$/, ""), ...pair("OAUTH_OIDC"), ...(raw.OAUTH_OIDC_NAME ? { label: v("OAUTH_OIDC_NAME") } : {}) } }
      : {}),
  };
}

function pick(raw: RawEnv): RawEnv {
  const keys = Object.keys(schema.shape) as (keyof typeof schema.shape)[];
  return Object.fromEntries(keys.filter((key) => raw[key] !== undefined).map((key) => [key, raw[key]]));
}

let cached: Env | undefined;

/** The validated configuration. Throws, naming every bad variable, when the environment is invalid. */
export function getEnv(): Env {
  if (cached) return cached;
  const result = parseEnv(process.env);
  if (!result.ok) throw new Error(`Invalid configuration:\n${result.problems.join("\n")}`);
  cached = result.env;
  return cached;
}
