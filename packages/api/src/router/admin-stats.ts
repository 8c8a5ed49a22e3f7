/**
 * Admin console: activity charts — sign-ups per day, daily and monthly active users, active sessions. Instance
 * administrators only; read-only, so nothing is audited. The SQL lives in ../activity-stats.ts.
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { getActivityOverview } from "../activity-stats.ts";
import { instanceAdminProcedure } from "../trpc.ts";

export const OVERVIEW_DAYS = { min: 7, max: 90, default: 30 } as const;

const daysSchema = z
  .number("Enter a number of days from 7 to 90.")
  .int("Use a whole number of days.")
  .min(OVERVIEW_DAYS.min, "At least 7 days.")
  .max(OVERVIEW_DAYS.max, "At most 90 days.");

export const adminStatsRouter = {
  /** The overview page's charts and headline numbers over the last `days` UTC days (today included). */
  overview: instanceAdminProcedure
    .input(z.object({ days: daysSchema.optional() }).optional())
    .query(async ({ ctx, input }) =>
      getActivityOverview(ctx.db, { now: ctx.now(), days: input?.days ?? OVERVIEW_DAYS.default }),
    ),
} satisfies TRPCRouterRecord;
