import { consumeRateLimit, type RateLimit } from "@latchkey/auth";
import type { Context } from "./context.ts";
import { tooManyRequests } from "./errors.ts";
import { recordAuditEvent } from "./audit.ts";

/** Counts one attempt against a limit; over it, records the refusal and answers 429 with Retry-After. */
export async function enforceRateLimit(ctx: Context, limit: RateLimit, subject: string): Promise<void> {
  const result = await consumeRateLimit(ctx.db, limit, subject, ctx.now());
  if (result.ok) return;
  await recordAuditEvent(ctx, { action: "rate_limit.exceeded", outcome: "denied", details: { limit: limit.name } });
  throw tooManyRequests(result.retryAfterSeconds);
}
