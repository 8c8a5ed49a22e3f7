/**
 * Instance-wide settings. The defaults live here; the `instance_settings` row holds only what an operator changed
 * (the admin console will edit it; until then `updateInstanceSettings` or SQL). Stored values are parsed leniently:
 * an unknown or malformed entry falls back to its default instead of breaking sign-up.
 */
import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { instanceSettings, type Database } from "@latchkey/db";

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
});

/** What may be changed, exactly typed: unknown keys and wrong types are refused. */
const patchSchema = z.strictObject({
  requireEmailVerification: z.boolean().optional(),
  maxMembershipsPerOrganization: z.number().int().positive().nullable().optional(),
  // webhooks
  allowPrivateWebhookTargets: z.boolean().optional(),
  allowHttpWebhookUrls: z.boolean().optional(),
  requireMfa: z.boolean().optional(),
});

export type InstanceSettings = z.infer<typeof settingsSchema>;

export const defaultInstanceSettings: InstanceSettings = settingsSchema.parse({});

export async function getInstanceSettings(db: Database): Promise<InstanceSettings> {
  const [row] = await db.select({ settings: instanceSettings.settings }).from(instanceSettings).where(eq(instanceSettings.id, "default"));
  const parsed = settingsSchema.safeParse(row?.settings ?? {});
  return parsed.success ? parsed.data : defaultInstanceSettings;
}

/** Merges `changes` into the stored settings, atomically. */
export async function updateInstanceSettings(db: Database, changes: Partial<InstanceSettings>): Promise<InstanceSettings> {
  const patch = patchSchema.parse(changes);
  await db
    .insert(instanceSettings)
    .values({ id: "default", settings: patch })
    .onConflictDoUpdate({
      target: instanceSettings.id,
      set: { settings: sql`${instanceSettings.settings} || ${JSON.stringify(patch)}::jsonb`, updatedAt: sql`now()` },
    });
  return getInstanceSettings(db);
}
