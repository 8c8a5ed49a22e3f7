/**
 * Admin console: users — list, search, filters, detail, create, ban, lock, delete, export (instance admins only).
 */
import type { TRPCRouterRecord } from "@trpc/server";

export const adminUserRouter = {} satisfies TRPCRouterRecord;
