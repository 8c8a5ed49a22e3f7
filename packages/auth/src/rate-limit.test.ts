import { describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { consumeRateLimit, defineRateLimit, MINUTE, peekRateLimit, pruneRateLimits, rateLimitAddress, resetRateLimit } from "./rate-limit.ts";

const db = useTestDb();
const limit = defineRateLimit("test", 3, 10 * MINUTE);
const t0 = new Date("2026-07-01T12:00:00Z");
const at = (ms: number) => new Date(t0.getTime() + ms);

describe("rate limits", () => {
  it("allow the limit, then refuse with the seconds until the window ends", async () => {
    for (let i = 0; i < 3; i++) expect((await consumeRateLimit(db().db, limit, "ip:a", at(i * 1000))).ok).toBe(true);
    const refused = await consumeRateLimit(db().db, limit, "ip:a", at(60_000));
    expect(refused).toEqual({ ok: false, retryAfterSeconds: 9 * 60 });
    expect((await consumeRateLimit(db().db, limit, "ip:b", at(60_000))).ok).toBe(true);
  });

  it("start counting again when the window has passed", async () => {
    for (let i = 0; i < 4; i++) await consumeRateLimit(db().db, limit, "ip:c", t0);
    expect((await consumeRateLimit(db().db, limit, "ip:c", at(10 * MINUTE))).ok).toBe(true);
  });

  it("peek at a subject's count without counting, and read 0 once its window has passed", async () => {
    expect(await peekRateLimit(db().db, limit, "ip:peek", t0)).toBe(0);
    await consumeRateLimit(db().db, limit, "ip:peek", t0);
    await consumeRateLimit(db().db, limit, "ip:peek", at(1000));
    expect(await peekRateLimit(db().db, limit, "ip:peek", at(2000))).toBe(2);
    expect(await peekRateLimit(db().db, limit, "ip:peek", at(2000))).toBe(2);
    expect(await peekRateLimit(db().db, limit, "ip:peek", at(10 * MINUTE))).toBe(0);
  });

  it("count concurrent events exactly", async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => consumeRateLimit(db().db, limit, "ip:d", t0)));
    expect(results.filter((r) => r.ok)).toHaveLength(3);
  });

  it("forget a subject on reset and drop old windows on prune", async () => {
    for (let i = 0; i < 4; i++) await consumeRateLimit(db().db, limit, "user:e", t0);
    await resetRateLimit(db().db, limit, "user:e");
    expect((await consumeRateLimit(db().db, limit, "user:e", t0)).ok).toBe(true);
    await pruneRateLimits(db().db, at(MINUTE));
    expect(await db().query("select * from rate_limit_buckets where key = 'test:user:e'")).toEqual([]);
  });
});

describe("the address a per-IP limit counts", () => {
  it("is an IPv4 address as it is, also when written IPv4-mapped", () => {
    expect(rateLimitAddress("203.0.113.7")).toBe("203.0.113.7");
    expect(rateLimitAddress("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(rateLimitAddress("::ffff:cb00:7107")).toBe("203.0.113.7");
  });

  it("is an IPv6 address's /64 by default, however the address is written", () => {
    expect(rateLimitAddress("2001:db8:1:2:aaaa:bbbb:cccc:dddd")).toBe("2001:db8:1:2::/64");
    expect(rateLimitAddress("2001:DB8:1:2::1")).toBe("2001:db8:1:2::/64");
    expect(rateLimitAddress("2001:0db8:0001:0002:0000:0000:0000:0001")).toBe("2001:db8:1:2::/64");
    expect(rateLimitAddress("fe80::1%eth0")).toBe("fe80::/64");
    expect(rateLimitAddress("2001:db8:1:3::1")).not.toBe(rateLimitAddress("2001:db8:1:2::1"));
  });

  it("uses the prefix length it is given, to the bit", () => {
    expect(rateLimitAddress("2001:db8:abcd:12ff::1", 56)).toBe("2001:db8:abcd:1200::/56");
    expect(rateLimitAddress("2001:db8:abcd:12ff::1", 48)).toBe("2001:db8:abcd::/48");
    expect(rateLimitAddress("2001:db8::1", 128)).toBe("2001:db8::1/128");
  });

  it("leaves anything that is not an address as it was given", () => {
    expect(rateLimitAddress("unknown")).toBe("unknown");
    expect(rateLimitAddress("0x7f.1")).toBe("0x7f.1");
  });
});
