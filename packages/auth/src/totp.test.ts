import { describe, expect, it } from "vitest";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import {
  formatTotpKey,
  generateBackupCodes,
  generateTotp,
  generateTotpSecret,
  hashBackupCode,
  normalizeBackupCode,
  totpCodeAt,
  totpQrSvg,
  totpStepAt,
  totpUri,
  verifyTotp,
} from "./totp.ts";

const rfcKey = new TextEncoder().encode("12345678901234567890");

describe("TOTP", () => {
  it.each([
    [59, "94287082"],
    [1111111109, "07081804"],
    [1111111111, "14050471"],
    [1234567890, "89005924"],
    [2000000000, "69279037"],
    [20000000000, "65353130"],
  ])("gives the RFC 6238 SHA-1 code at T=%i", (seconds, code) => {
    expect(totpCodeAt(rfcKey, totpStepAt(new Date(seconds * 1000)), 8)).toBe(code);
  });

  it("uses the last six digits of the same HOTP value for the app's 6-digit codes", () => {
    expect(generateTotp(rfcKey, new Date(59_000))).toBe("287082");
  });

  it("makes a 160-bit secret whose key text decodes back to it", () => {
    const secret = generateTotpSecret();
    expect(secret.length * 8).toBe(160);
    expect(decodeBase32IgnorePadding(formatTotpKey(secret).replace(/ /g, ""))).toEqual(secret);
    expect(generateTotpSecret()).not.toEqual(secret);
  });

  it("accepts one step of drift either way and returns the matched step", () => {
    const secret = generateTotpSecret();
    const now = new Date(1_700_000_000_000);
    const step = totpStepAt(now);
    expect(verifyTotp(secret, totpCodeAt(secret, step), now)).toBe(step);
    expect(verifyTotp(secret, totpCodeAt(secret, step - 1), now)).toBe(step - 1);
    expect(verifyTotp(secret, totpCodeAt(secret, step + 1), now)).toBe(step + 1);
    expect(verifyTotp(secret, totpCodeAt(secret, step - 2), now)).toBeNull();
    expect(verifyTotp(secret, totpCodeAt(secret, step + 2), now)).toBeNull();
  });

  it("refuses malformed codes and tolerates spaces", () => {
    const secret = generateTotpSecret();
    const now = new Date();
    const code = generateTotp(secret, now);
    expect(verifyTotp(secret, `${code.slice(0, 3)} ${code.slice(3)}`, now)).toBe(totpStepAt(now));
    for (const bad of ["", "12345", "1234567", "abcdef", "12345a"]) expect(verifyTotp(secret, bad, now)).toBeNull();
  });

  it("builds an otpauth URI with issuer and email label, and an SVG QR code", async () => {
    const secret = generateTotpSecret();
    const uri = totpUri(secret, { issuer: "Latchkey", accountName: "ada@example.test" });
    expect(uri).toMatch(/^otpauth:\/\/totp\/Latchkey:ada%40example\.test\?secret=[A-Z2-7]{32}&issuer=Latchkey&algorithm=SHA1&digits=6&period=30$/);
    const svg = await totpQrSvg(uri);
    expect(svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).not.toContain("<script");
  });
});

describe("backup codes", () => {
  it("makes ten distinct readable codes of 50 bits", () => {
    const codes = generateBackupCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-7]{5}-[a-z2-7]{5}$/);
    // 10 characters of a 32-letter alphabet = 50 bits.
    expect(10 * Math.log2(32)).toBeGreaterThanOrEqual(50);
  });

  it("normalises what people type and stores SHA-256 hex", () => {
    expect(normalizeBackupCode(" ABCDE 23456 ")).toBe("abcde-23456");
    expect(normalizeBackupCode("abcde-23456")).toBe("abcde-23456");
    expect(normalizeBackupCode("abcde-2345")).toBeNull();
    expect(normalizeBackupCode("abcde-23451")).toBeNull();
    expect(hashBackupCode("abcde-23456")).toMatch(/^[0-9a-f]{64}$/);
    expect(hashBackupCode("abcde-23456")).not.toBe(hashBackupCode("abcde-23457"));
  });
});
