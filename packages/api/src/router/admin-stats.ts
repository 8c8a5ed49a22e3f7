/**
 * Admin console: activity charts — sign-ups per day, daily and monthly active users, active sessions.
 */
import type { TRPCRouterRecord } from "@trpc/server";

export const adminStatsRouter = {} satisfies TRPCRouterRecord;
