import { describe, expect, it } from "vitest";
import commonPasswordList from "./common-passwords.ts";
import { checkPasswordPolicy, isCommonPassword, passwordLimits } from "./password-policy.ts";

describe("checkPasswordPolicy", () => {
  it("a long, uncommon password passes", () => {
    expect(checkPasswordPolicy("violet tractor umbrella 93")).toEqual({ ok: true });
  });

  it("no composition rules: lowercase letters alone are fine", () => {
    expect(checkPasswordPolicy("quietmorningriver")).toEqual({ ok: true });
  });

  it("seven characters are too short and eight are enough", () => {
    expect(checkPasswordPolicy("xq7!kzw")).toMatchObject({ ok: false, code: "PASSWORD_TOO_SHORT" });
    expect(checkPasswordPolicy("xq7!kzwm")).toEqual({ ok: true });
    expect(checkPasswordPolicy("")).toMatchObject({ ok: false, code: "PASSWORD_TOO_SHORT" });
  });

  it("256 characters pass and 257 are too long", () => {
    expect(checkPasswordPolicy("ab3".repeat(85) + "z")).toEqual({ ok: true });
    expect(checkPasswordPolicy("ab3".repeat(85) + "zz")).toMatchObject({ ok: false, code: "PASSWORD_TOO_LONG" });
  });

  it("length counts code points, not UTF-16 units", () => {
    // Four emoji are eight UTF-16 units but four characters.
    expect(checkPasswordPolicy("🔑🚪🏠🌙")).toMatchObject({ ok: false, code: "PASSWORD_TOO_SHORT" });
    expect(checkPasswordPolicy("🔑🚪🏠🌙🔑🚪🏠🌙")).toEqual({ ok: true });
    // 256 emoji are 512 UTF-16 units but still allowed.
    expect(checkPasswordPolicy("🔑🚪🏠🌙".repeat(64))).toEqual({ ok: true });
    expect(checkPasswordPolicy("🔑🚪🏠🌙".repeat(64) + "x")).toMatchObject({ ok: false, code: "PASSWORD_TOO_LONG" });
  });

  it("a common password is rejected whatever its case", () => {
    for (const password of ["password", "PASSWORD", "Password", "12345678", "qwertyuiop", "iloveyou1", "Pa$$w0rd"]) {
      expect(checkPasswordPolicy(password), password).toMatchObject({ ok: false, code: "PASSWORD_TOO_COMMON" });
    }
  });

  it("a common password padded with spaces is still common", () => {
    expect(checkPasswordPolicy(" password ")).toMatchObject({ ok: false, code: "PASSWORD_TOO_COMMON" });
  });

  it("every violation carries a message a person can read", () => {
    const result = checkPasswordPolicy("short");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toBe("Use at least 8 characters.");
  });

  it("minLength can raise the minimum", () => {
    expect(checkPasswordPolicy("xq7!kzwmab", { minLength: 12 })).toMatchObject({
      ok: false,
      code: "PASSWORD_TOO_SHORT",
      message: "Use at least 12 characters.",
    });
    expect(checkPasswordPolicy("xq7!kzwmabcd", { minLength: 12 })).toEqual({ ok: true });
  });

  it("minLength can never lower the minimum below 8, nor disable it", () => {
    for (const minLength of [4, 0, -1, Number.NaN, Number.NEGATIVE_INFINITY]) {
      expect(checkPasswordPolicy("xq7!kzw", { minLength }), String(minLength)).toMatchObject({
        code: "PASSWORD_TOO_SHORT",
      });
    }
  });

  it("a value that is not a string fails instead of throwing", () => {
    expect(checkPasswordPolicy(12345678 as unknown as string)).toMatchObject({ ok: false, code: "PASSWORD_TOO_SHORT" });
  });

  it("the limits are 8 and 256", () => {
    expect(passwordLimits).toEqual({ min: 8, max: 256 });
  });
});

describe("the common-password list", () => {
  const entries = commonPasswordList.split("\n").filter(Boolean);

  it("holds thousands of lowercase entries of at least eight characters", () => {
    expect(entries.length).toBeGreaterThan(10_000);
    expect(entries.filter((e) => [...e].length < 8)).toEqual([]);
    expect(entries.filter((e) => e !== e.toLowerCase())).toEqual([]);
  });

  it("has no duplicates and no stray whitespace", () => {
    expect(new Set(entries).size).toBe(entries.length);
    expect(entries.filter((e) => e !== e.trim())).toEqual([]);
  });

  it("keeps entries with dollar signs intact", () => {
    expect(isCommonPassword("pa$$w0rd")).toBe(true);
  });

  it("an uncommon password is not on it", () => {
    expect(isCommonPassword("violet tractor umbrella 93")).toBe(false);
  });
});
