/**
 * oauth: custom OAuth 2.0 providers from `OAUTH_CUSTOM_PROVIDERS`, a JSON array (see the README). Each entry names
 * its endpoints (https, or http on a loopback host for local development), client id and secret, scopes, PKCE (on
 * unless `"pkce": false`), and where in the userinfo JSON the id, address, verified flag and names are.
 */
import { z } from "zod";
import { customProviderIdPattern, reservedProviderIds, type CustomOAuthProviderEnv } from "@latchkey/auth";

function isProviderUrl(value: string): boolean {
  try {
    const url = new URL(value);
    if (url.username || url.password || url.hash) return false;
    if (url.protocol === "https:") return true;
    return url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  } catch {
    return false;
  }
}

const endpoint = z.string().trim().max(2048).refine(isProviderUrl, "must be an https:// URL");
const path = z.string().trim().min(1).max(200).regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, "must be a dotted path like data.email");

const providerSchema = z
  .object({
    id: z
      .string()
      .regex(customProviderIdPattern, "must be 2–32 lower-case letters, digits or dashes, starting with a letter")
      .refine((id) => !reservedProviderIds.includes(id), "is the id of a built-in provider"),
    name: z.string().trim().min(1).max(60),
    iconUrl: z
      .string()
      .trim()
      .max(2048)
      .refine((value) => value.startsWith("/") || value.startsWith("https://"), "must be https:// or a path")
      .nullish(),
    authorizeUrl: endpoint,
    tokenUrl: endpoint,
    userinfoUrl: endpoint,
    clientId: z.string().trim().min(1).max(512),
    clientSecret: z.string().trim().min(1).max(4096),
    scopes: z.array(z.string().trim().min(1).max(200)).max(30).default([]),
    pkce: z.boolean().default(true),
    mapping: z
      .object({
        id: path,
        email: path,
        emailVerified: path.nullish(),
        firstName: path.nullish(),
        lastName: path.nullish(),
        username: path.nullish(),
        imageUrl: path.nullish(),
      })
      .strict(),
  })
  .strict();

const listSchema = z.array(providerSchema).max(20);

/** The providers, or problems naming the entry and field (never the secret's value). */
export function parseCustomProviders(json: string | undefined): { ok: true; providers: CustomOAuthProviderEnv[] } | { ok: false; problems: string[] } {
  if (!json) return { ok: true, providers: [] };
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { ok: false, problems: ["OAUTH_CUSTOM_PROVIDERS must be a JSON array of providers"] };
  }
  const parsed = listSchema.safeParse(value);
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.map((issue) => `OAUTH_CUSTOM_PROVIDERS[${issue.path.join(".")}] ${issue.message}`) };
  }
  const ids = parsed.data.map((provider) => provider.id);
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  if (duplicate) return { ok: false, problems: [`OAUTH_CUSTOM_PROVIDERS has two providers with the id ${duplicate}`] };
  return { ok: true, providers: parsed.data as CustomOAuthProviderEnv[] };
}
