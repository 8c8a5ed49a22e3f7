/**
 * Admin console: reading and changing the instance settings (effective on the next request).
 */
import type { TRPCRouterRecord } from "@trpc/server";

export const instanceSettingsRouter = {} satisfies TRPCRouterRecord;
