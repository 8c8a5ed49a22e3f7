/**
 * Impersonation: an instance admin views the app as a user, in a short-lived, audited session.
 */
import type { TRPCRouterRecord } from "@trpc/server";

export const impersonationRouter = {} satisfies TRPCRouterRecord;
