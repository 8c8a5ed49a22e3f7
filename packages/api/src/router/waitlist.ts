/**
 * Sign-up modes: the waitlist and instance invitations (invite-only and approved waitlist entries).
 */
import type { TRPCRouterRecord } from "@trpc/server";

export const waitlistRouter = {} satisfies TRPCRouterRecord;
