/**
 * Admin console: organizations — list, search, detail, membership limit, delete (instance admins only).
 */
import type { TRPCRouterRecord } from "@trpc/server";

export const adminOrganizationRouter = {} satisfies TRPCRouterRecord;
