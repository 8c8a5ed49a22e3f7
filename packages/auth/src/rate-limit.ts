/**
 * Rate limits kept in Postgres: a fixed-window counter per (limit, subject), counted in one atomic statement, so
 * concurrent requests, restarts and several instances all see the same count. Declare a limit next to the flow it
 * guards: `const signInPerIp = defineRateLimit("sign-in:ip", 50, 15 * MINUTE)`.
 */
import { eq, sql } from "drizzle-orm";
import ipaddr from "ipaddr.js";
import { rateLimitBuckets, type Database } from "@latchkey/db";

export interface RateLimit {
  name: string;
  /** Events allowed per window. */
  max: number;
  windowMs: number;
}

export type RateLimitResult = { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number };

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

export function defineRateLimit(name: string, max: number, windowMs: number): RateLimit {
  return { name, max, windowMs };
}

/** IPv6 clients are counted per /64 by default: a subscriber usually gets a whole /64 (or more) to pick from. */
export const DEFAULT_IPV6_PREFIX = 64;

/**
 * What a per-IP limit counts for a client address (ADR 026): an IPv4 address as it is (also when written IPv4-mapped,
 * `::ffff:192.0.2.1`), an IPv6 address as its network of `ipv6Prefix` bits (`2001:db8:1:2::/64`), so addresses
 * rotated inside one network share one bucket. Anything else is returned as given (the key length is bounded anyway).
 */
export function rateLimitAddress(ip: string, ipv6Prefix: number = DEFAULT_IPV6_PREFIX): string {
  const address = ip.trim().replace(/%.*$/, ""); // an IPv6 zone (`fe80::1%eth0`) names an interface, not a client
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) return ipaddr.IPv4.parse(address).toString();
  if (!ipaddr.IPv6.isValid(address)) return ip;
  const v6 = ipaddr.IPv6.parse(address);
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  const prefix = Math.min(128, Math.max(0, Math.trunc(ipv6Prefix)));
  const bytes = v6.toByteArray().map((byte, i) => {
    const kept = Math.min(8, Math.max(0, prefix - i * 8));
    return byte & ((0xff << (8 - kept)) & 0xff);
  });
  return `${ipaddr.fromByteArray(bytes).toString()}/${prefix}`;
}

/** Subjects are bounded, so a huge header or address can't make a huge key. */
function keyOf(limit: RateLimit, subject: string): string {
  return `${limit.name}:${subject.slice(0, 320)}`;
}

function resultOf(limit: RateLimit, count: number, windowStart: Date, now: Date): RateLimitResult {
  if (count <= limit.max) return { ok: true, remaining: limit.max - count };
  const retryAfterMs = windowStart.getTime() + limit.windowMs - now.getTime();
  return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) };
}

/** Counts one event and says whether it is within the limit. */
export async function consumeRateLimit(
  db: Database,
  limit: RateLimit,
  subject: string,
  now: Date = new Date(),
): Promise<RateLimitResult> {
  const nowSql = sql`${now.toISOString()}::timestamptz`;
  const cutoff = sql`${new Date(now.getTime() - limit.windowMs).toISOString()}::timestamptz`;
  const expired = sql`${rateLimitBuckets.windowStart} <= ${cutoff}`;
  const [row] = await db
    .insert(rateLimitBuckets)
    .values({ key: keyOf(limit, subject), windowStart: now, count: 1 })
    .onConflictDoUpdate({
      target: rateLimitBuckets.key,
      set: {
        count: sql`case when ${expired} then 1 else ${rateLimitBuckets.count} + 1 end`,
        windowStart: sql`case when ${expired} then ${nowSql} else ${rateLimitBuckets.windowStart} end`,
      },
    })
    .returning({ count: rateLimitBuckets.count, windowStart: rateLimitBuckets.windowStart });
  // Now and then, drop windows that ended a day ago, so the table stays the size of current traffic.
  if (Math.random() < 0.001) void pruneRateLimits(db, new Date(now.getTime() - 24 * HOUR)).catch(() => undefined);
  return resultOf(limit, row!.count, row!.windowStart, now);
}

/** How many events a subject has used in its current window, without counting one (0 when none or the window ended). */
export async function peekRateLimit(db: Database, limit: RateLimit, subject: string, now: Date = new Date()): Promise<number> {
  const [row] = await db
    .select({ count: rateLimitBuckets.count, windowStart: rateLimitBuckets.windowStart })
    .from(rateLimitBuckets)
    .where(eq(rateLimitBuckets.key, keyOf(limit, subject)));
  if (!row || row.windowStart.getTime() <= now.getTime() - limit.windowMs) return 0;
  return row.count;
}

/** Forgets a subject's count, e.g. the failure count after a successful sign-in. */
export async function resetRateLimit(db: Database, limit: RateLimit, subject: string): Promise<void> {
  await db.delete(rateLimitBuckets).where(eq(rateLimitBuckets.key, keyOf(limit, subject)));
}

/** Deletes windows that ended before `olderThan`; run it now and then to keep the table small. */
export async function pruneRateLimits(db: Database, olderThan: Date): Promise<void> {
  await db.delete(rateLimitBuckets).where(sql`${rateLimitBuckets.windowStart} < ${olderThan.toISOString()}::timestamptz`);
}
