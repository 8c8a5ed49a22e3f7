/**
 * Instance-wide settings. The defaults live here; the `instance_settings` row holds only what an operator changed
 * (the admin console's settings page, `npm run settings -- key=value`, or `updateInstanceSettings`). Every read goes to
 * the database, so a change takes effect on the next request, without a restart. Stored values are parsed leniently:
 * an unknown or malformed entry falls back to its default instead of breaking sign-up.
 */
import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { instanceSettings, type Database } from "@latchkey/db";
import { defaultSessionPolicy, type SessionPolicy } from "@latchkey/auth";
import { parseStoredSessionClaims, validateSessionClaims } from "./session-claims.ts";

/** How each optional sign-up field is treated by `/sign-up`. */
export const signUpFieldModes = ["hidden", "optional", "required"] as const;
export type SignUpFieldMode = (typeof signUpFieldModes)[number];
const fieldMode = z.enum(signUpFieldModes);

export const signUpModes = ["public", "invite_only", "waitlist"] as const;
/** bot protection: when sign-up, sign-in, the waitlist and password reset ask for proof of a human (ADR 027). */
export const botProtectionModes = ["off", "always", "near_limit"] as const;
export type BotProtectionMode = (typeof botProtectionModes)[number];
export type SignUpMode = (typeof signUpModes)[number];

/** An allow- or blocklist entry: a whole address (`ann@example.com`) or a domain (`example.com`), lower-cased. */
const listEntry = z
  .string()
  .trim()
  .toLowerCase()
  .max(320, "At most 320 characters.")
  .regex(/^(?:[^\s@]+@)?[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)+$/, "Use an address (ann@example.com) or a domain (example.com).");
const addressList = z.array(listEntry).max(1000, "At most 1,000 entries.");

const MINUTE_BOUNDS = { min: 5, max: 60 * 24 * 365 } as const;

const settingsSchema = z.object({
  /**
   * true (the default): a sign-up becomes an account only once its email address is confirmed, and a password
   * sign-in to an account without a verified address is refused until it is. false: a new user is signed in at once
   * and asked to verify later (a sign-up then reveals whether its address already had an account — ADR 005).
   */
  requireEmailVerification: z.boolean().catch(true),
  /**
   * How many members an organization may have, unless the organization sets its own `max_memberships`. null (the
   * default): no limit. Checked when inviting (members + pending invitations) and when an invitation is accepted.
   */
  maxMembershipsPerOrganization: z.number().int().positive().nullable().catch(null),
  // webhooks ---------------------------------------------------------------------------------------------------------
  /** Development only: let webhooks reach private, loopback and link-local addresses (SSRF guard off). */
  allowPrivateWebhookTargets: z.boolean().catch(false),
  /** Development only: accept `http://` webhook URLs (otherwise https only). */
  allowHttpWebhookUrls: z.boolean().catch(false),
  /**
   * true: every signed-in user must have a second factor (TOTP, passkey or MFA phone); one without is sent to set one
   * up before going further. Read by the one-query auth lookup (auth-lookup.ts), not by this function.
   */
  requireMfa: z.boolean().catch(false),
  // admin console: sign-up, sign-in, sessions ------------------------------------------------------------------------
  /** public: anyone may sign up; invite_only: only with an instance (or organization) invitation; waitlist: others join a waitlist an admin approves. */
  signUpMode: z.enum(signUpModes).catch("public"),
  /** When not empty, only these addresses and domains may sign up (and sign in). */
  allowlist: addressList.catch([]),
  /** These addresses and domains may not sign up or sign in. Checked after the allowlist. */
  blocklist: addressList.catch([]),
  /** Which sign-in methods `/sign-in` offers and the API accepts. */
  signInMethods: z
    .object({
      password: z.boolean().catch(true),
      emailCode: z.boolean().catch(true),
      emailLink: z.boolean().catch(true),
      passkey: z.boolean().catch(true),
      oauth: z.boolean().catch(true),
    })
    .catch({ password: true, emailCode: true, emailLink: true, passkey: true, oauth: true }),
  /** A session unused for this many minutes ends (default 7 days). */
  sessionIdleMinutes: z.number().int().min(MINUTE_BOUNDS.min).max(MINUTE_BOUNDS.max).catch(7 * 24 * 60),
  /** A session ends this many minutes after sign-in, however active (default 30 days). */
  sessionLifetimeMinutes: z.number().int().min(MINUTE_BOUNDS.min).max(MINUTE_BOUNDS.max).catch(30 * 24 * 60),
  /** Minimum length of a new password (8 to 256; existing passwords keep working). */
  minPasswordLength: z.number().int().min(8).max(256).catch(8),
  /** The optional sign-up fields and whether `/sign-up` hides, offers or requires them. */
  signUpFields: z
    .object({
      username: fieldMode.catch("hidden"),
      firstName: fieldMode.catch("optional"),
      lastName: fieldMode.catch("optional"),
      phone: fieldMode.catch("hidden"),
    })
    .catch({ username: "hidden", firstName: "optional", lastName: "optional", phone: "hidden" }),
  // bot protection -----------------------------------------------------------------------------------------------------
  /**
   * off; always; or near_limit: only when the address or IP has used half of a flow's rate limit. A honeypot is
   * checked whatever the mode. `blockDisposableEmails` refuses sign-ups and waitlist entries from throwaway domains.
   */
  botProtection: z
    .object({ mode: z.enum(botProtectionModes).catch("off"), blockDisposableEmails: z.boolean().catch(false) })
    .catch({ mode: "off", blockDisposableEmails: false }),
  /** Custom claims of every session token and of `getAuth().sessionClaims`, with template placeholders (session-claims.ts). */
  sessionClaims: z.unknown().optional().transform(parseStoredSessionClaims),
  /**
   * Test mode (test-mode.ts: `+latchkey_test` addresses and 555-01XX numbers get no message and the code 424242) is on
   * outside production; true turns it on in production too, and the admin console warns while it is.
   */
  testModeInProduction: z.boolean().catch(false),
});

/** What may be changed, exactly typed: unknown keys and wrong types are refused. */
const patchSchema = z.strictObject({
  requireEmailVerification: z.boolean().optional(),
  maxMembershipsPerOrganization: z.number().int().positive().nullable().optional(),
  // webhooks
  allowPrivateWebhookTargets: z.boolean().optional(),
  allowHttpWebhookUrls: z.boolean().optional(),
  requireMfa: z.boolean().optional(),
  // admin console
  signUpMode: z.enum(signUpModes, "Choose public, invite_only or waitlist.").optional(),
  allowlist: addressList.optional(),
  blocklist: addressList.optional(),
  signInMethods: z
    .strictObject({
      password: z.boolean(),
      emailCode: z.boolean(),
      emailLink: z.boolean(),
      passkey: z.boolean(),
      oauth: z.boolean(),
    })
    .optional(),
  sessionIdleMinutes: z.number().int().min(MINUTE_BOUNDS.min, `At least ${MINUTE_BOUNDS.min} minutes.`).max(MINUTE_BOUNDS.max, "At most 365 days.").optional(),
  sessionLifetimeMinutes: z.number().int().min(MINUTE_BOUNDS.min, `At least ${MINUTE_BOUNDS.min} minutes.`).max(MINUTE_BOUNDS.max, "At most 365 days.").optional(),
  minPasswordLength: z.number().int().min(8, "At least 8.").max(256, "At most 256.").optional(),
  signUpFields: z
    .strictObject({ username: fieldMode, firstName: fieldMode, lastName: fieldMode, phone: fieldMode })
    .optional(),
  // bot protection
  botProtection: z
    .strictObject({ mode: z.enum(botProtectionModes, "Choose off, always or near_limit."), blockDisposableEmails: z.boolean() })
    .optional(),
  // Checked by updateInstanceSettings (validateSessionClaims), so its 400 names the claim and gives its reason.
  sessionClaims: z.unknown().optional(),
  testModeInProduction: z.boolean().optional(),
});

/** The shape `updateInstanceSettings` accepts; the admin console validates its form with it (field errors by path). */
export const instanceSettingsPatchSchema = patchSchema;

export type InstanceSettings = z.infer<typeof settingsSchema>;

export const defaultInstanceSettings: InstanceSettings = settingsSchema.parse({});

/** Parses a stored settings object (from the row, or from the auth lookup's copy of it), filling in defaults. */
export function parseInstanceSettings(stored: unknown): InstanceSettings {
  const parsed = settingsSchema.safeParse(stored ?? {});
  return parsed.success ? parsed.data : defaultInstanceSettings;
}

export async function getInstanceSettings(db: Database): Promise<InstanceSettings> {
  const [row] = await db.select({ settings: instanceSettings.settings }).from(instanceSettings).where(eq(instanceSettings.id, "default"));
  return parseInstanceSettings(row?.settings);
}

/** The session lifetimes the settings ask for, as the policy `createSession` and the auth lookup use. */
export function sessionPolicyFromSettings(settings: InstanceSettings): SessionPolicy {
  return {
    ...defaultSessionPolicy,
    idleMs: settings.sessionIdleMinutes * 60_000,
    absoluteMs: settings.sessionLifetimeMinutes * 60_000,
  };
}

/**
 * Whether an address may sign up or sign in under the allow- and blocklists: `"allowed"`, or why not. An entry with
 * an `@` matches the whole address; one without matches the domain and its subdomains.
 */
export function checkAddressLists(settings: Pick<InstanceSettings, "allowlist" | "blocklist">, email: string): "allowed" | "not_allowlisted" | "blocklisted" {
  const address = email.trim().toLowerCase();
  const domain = address.slice(address.lastIndexOf("@") + 1);
  const matches = (entry: string) =>
    entry.includes("@") ? entry === address : domain === entry || domain.endsWith(`.${entry}`);
  if (settings.allowlist.length > 0 && !settings.allowlist.some(matches)) return "not_allowlisted";
  if (settings.blocklist.some(matches)) return "blocklisted";
  return "allowed";
}

/** Merges `changes` into the stored settings, atomically. */
export async function updateInstanceSettings(db: Database, changes: Partial<InstanceSettings>): Promise<InstanceSettings> {
  const patch = patchSchema.parse(changes);
  if (patch.sessionClaims !== undefined) validateSessionClaims(patch.sessionClaims);
  await db
    .insert(instanceSettings)
    .values({ id: "default", settings: patch })
    .onConflictDoUpdate({
      target: instanceSettings.id,
      set: { settings: sql`${instanceSettings.settings} || ${JSON.stringify(patch)}::jsonb`, updatedAt: sql`now()` },
    });
  return getInstanceSettings(db);
}
