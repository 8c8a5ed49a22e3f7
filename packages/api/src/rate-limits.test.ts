/**
 * Per-IP limits count networks, not addresses (ADR 026): IPv6 clients by /64 (RATE_LIMIT_IPV6_PREFIX), IPv4 by
 * address. The addresses are what the web app passes as the client IP after believing a trusted proxy's
 * X-Forwarded-For (server.js, TRUSTED_PROXIES).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { callerFor, errorOf, PASSWORD, uniqueEmail } from "../test/helpers.ts";
import { ipv6RateLimitPrefix, rateLimitSubject } from "./rate-limits.ts";

const db = useTestDb();

afterEach(() => {
  vi.unstubAllEnvs();
});

/** One failed password sign-in from `ip` (a fresh address each time, so only the per-IP limit can trip). */
async function signInFrom(ip: string) {
  const error = await errorOf(callerFor(db(), { ip }).caller.auth.signIn({ email: uniqueEmail("rotating"), password: PASSWORD }));
  return error.code;
}

describe("per-IP rate limits", () => {
  it("refuse 60 sign-ins from 60 addresses of one IPv6 /64 after the 50 the limit allows", async () => {
    const codes: string[] = [];
    const hex = (n: number) => (n % 0x10000).toString(16);
    for (let i = 1; i <= 60; i++) codes.push(await signInFrom(`2001:db8:60:64:${hex(i)}:${hex(i * 7919)}::${hex(i)}`));
    expect(codes.slice(0, 50).every((code) => code === "UNAUTHORIZED")).toBe(true);
    expect(codes.slice(50)).toEqual(Array(10).fill("TOO_MANY_REQUESTS"));
    // Another /64 has a bucket of its own.
    expect(await signInFrom("2001:db8:60:65::1")).toBe("UNAUTHORIZED");
  }, 120_000);

  it("count IPv4 clients by address, and an IPv4-mapped IPv6 address as the same client", () => {
    expect(rateLimitSubject("ip:198.51.100.1")).toBe("ip:198.51.100.1");
    expect(rateLimitSubject("ip:198.51.100.2")).not.toBe(rateLimitSubject("ip:198.51.100.1"));
    expect(rateLimitSubject("ip:::ffff:198.51.100.1")).toBe("ip:198.51.100.1");
    expect(rateLimitSubject("email:a@example.test")).toBe("email:a@example.test");
  });

  it("take the IPv6 prefix length from RATE_LIMIT_IPV6_PREFIX, and 64 when it is unset or out of range", () => {
    expect(ipv6RateLimitPrefix(undefined)).toBe(64);
    expect(ipv6RateLimitPrefix("48")).toBe(48);
    expect(ipv6RateLimitPrefix("8")).toBe(64);
    expect(ipv6RateLimitPrefix("sixty")).toBe(64);
    vi.stubEnv("RATE_LIMIT_IPV6_PREFIX", "56");
    expect(rateLimitSubject("ip:2001:db8:abcd:12ff::1")).toBe("ip:2001:db8:abcd:1200::/56");
  });
});
