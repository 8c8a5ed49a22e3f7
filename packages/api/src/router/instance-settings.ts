/**
 * Admin console: reading and changing the instance settings (effective on the next request). Instance administrators
 * only. A change is validated as a whole against what is stored (an idle lifetime longer than the absolute one, or
 * every sign-in method off, is refused), written in one transaction and audited `instance_settings.updated` with the
 * keys that changed, before and after. The settings hold no secrets, so the values go to the audit log as they are.
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { eq } from "drizzle-orm";
import { instanceSettings as instanceSettingsTable } from "@latchkey/db";
import { instanceAdminProcedure } from "../trpc.ts";
import { ApiError, fieldError } from "../errors.ts";
import { recordAuditEvent } from "../audit.ts";
import {
  getInstanceSettings,
  instanceSettingsPatchSchema,
  updateInstanceSettings,
  type InstanceSettings,
} from "../instance-settings.ts";

/** The keys whose value differs, compared as JSON (lists and objects by content). */
function changedKeys(before: InstanceSettings, after: InstanceSettings): (keyof InstanceSettings)[] {
  return (Object.keys(after) as (keyof InstanceSettings)[]).filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
}

/** Cross-field rules, on the settings as they would be after the change; each error names the field the form shows. */
function checkCombination(next: InstanceSettings, patch: Partial<InstanceSettings>): void {
  if (next.sessionIdleMinutes > next.sessionLifetimeMinutes) {
    const field = patch.sessionIdleMinutes !== undefined || patch.sessionLifetimeMinutes === undefined ? "sessionIdleMinutes" : "sessionLifetimeMinutes";
    throw fieldError(
      field,
      field === "sessionIdleMinutes"
        ? "The idle lifetime can't be longer than the absolute lifetime."
        : "The absolute lifetime can't be shorter than the idle lifetime.",
    );
  }
  if (!Object.values(next.signInMethods).some(Boolean)) {
    throw fieldError("signInMethods", "Keep at least one sign-in method on, or nobody (admins included) can sign in.");
  }
}

export const instanceSettingsRouter = {
  /** The effective settings: what is stored, with the defaults filled in. */
  get: instanceAdminProcedure.query(async ({ ctx }) => {
    return getInstanceSettings(ctx.db);
  }),

  /**
   * Changes some settings (the others stay). Bad input is a 400 naming the path (`allowlist.2`,
   * `sessionIdleMinutes`); nothing is written then. Returns the effective settings and the keys that changed.
   */
  update: instanceAdminProcedure
    .input(instanceSettingsPatchSchema)
    .mutation(async ({ ctx, input }) => {
      const patch = input as Partial<InstanceSettings>;
      const { user, session } = ctx;
      // As the organization switch does: an admin without a second factor would lock themselves out of this page.
      if (patch.requireMfa === true && !ctx.auth.mfa.hasSecondFactor) {
        throw new ApiError({ code: "FORBIDDEN", reason: "MFA_REQUIRED", field: "requireMfa", message: "requireMfa: Set up a second factor for yourself first." });
      }
      return ctx.db.transaction(async (tx) => {
        // Serialises concurrent changes when the row exists (it is created by the first change).
        await tx.select({ id: instanceSettingsTable.id }).from(instanceSettingsTable).where(eq(instanceSettingsTable.id, "default")).for("update");
        const before = await getInstanceSettings(tx);
        checkCombination({ ...before, ...patch }, patch);
        const changed = changedKeys(before, { ...before, ...patch });
        if (changed.length === 0) return { settings: before, changed };
        const after = await updateInstanceSettings(tx, patch);
        await recordAuditEvent(
          ctx,
          {
            action: "instance_settings.updated",
            outcome: "success",
            actorUserId: user.id,
            actorSessionId: session.id,
            targetType: "instance_settings",
            targetId: "default",
            details: {
              changed,
              before: Object.fromEntries(changed.map((key) => [key, before[key]])),
              after: Object.fromEntries(changed.map((key) => [key, after[key]])),
            },
          },
          tx,
        );
        return { settings: after, changed };
      });
    }),
} satisfies TRPCRouterRecord;
