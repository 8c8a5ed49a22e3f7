import { consumeRateLimit, DEFAULT_IPV6_PREFIX, rateLimitAddress, type RateLimit } from "@latchkey/auth";
import type { Context } from "./context.ts";
import { tooManyRequests } from "./errors.ts";
import { recordAuditEvent } from "./audit.ts";

/**
 * The IPv6 prefix length per-IP limits count by: `RATE_LIMIT_IPV6_PREFIX` (16–128), else 64. The web app refuses to
 * start with a malformed value (env.server.ts); here a bad one falls back to the default.
 */
export function ipv6RateLimitPrefix(raw: string | undefined = process.env.RATE_LIMIT_IPV6_PREFIX): number {
  const value = raw?.trim() ? Number(raw) : Number.NaN;
  return Number.isInteger(value) && value >= 16 && value <= 128 ? value : DEFAULT_IPV6_PREFIX;
}

/**
 * The one place every per-IP key is made: a subject `ip:<address>` counts the client's network (IPv4 address, IPv6
 * /64 by default), so rotating addresses inside one IPv6 network doesn't make fresh buckets (ADR 026).
 */
export function rateLimitSubject(subject: string): string {
  return subject.startsWith("ip:") ? `ip:${rateLimitAddress(subject.slice(3), ipv6RateLimitPrefix())}` : subject;
}

/** Counts one attempt against a limit; over it, records the refusal and answers 429 with Retry-After. */
export async function enforceRateLimit(ctx: Context, limit: RateLimit, subject: string): Promise<void> {
  const result = await consumeRateLimit(ctx.db, limit, rateLimitSubject(subject), ctx.now());
  if (result.ok) return;
  await recordAuditEvent(ctx, { action: "rate_limit.exceeded", outcome: "denied", details: { limit: limit.name } });
  throw tooManyRequests(result.retryAfterSeconds);
}
