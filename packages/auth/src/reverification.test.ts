import { describe, expect, it } from "vitest";
import { isReverificationLevel, isReverified } from "./reverification.ts";

describe("reverification windows", () => {
  const checked = new Date("2026-09-01T12:00:00Z");
  const after = (minutes: number) => new Date(checked.getTime() + minutes * 60_000);

  it("are 10 minutes strict, 60 moderate and 24 hours lax", () => {
    expect(isReverified(checked, "strict", after(10))).toBe(true);
    expect(isReverified(checked, "strict", after(11))).toBe(false);
    expect(isReverified(checked, "moderate", after(60))).toBe(true);
    expect(isReverified(checked, "moderate", after(61))).toBe(false);
    expect(isReverified(checked, "lax", after(24 * 60))).toBe(true);
    expect(isReverified(checked, "lax", after(24 * 60 + 1))).toBe(false);
  });

  it("fail closed for a session never checked or a check dated in the future", () => {
    expect(isReverified(null, "lax", checked)).toBe(false);
    expect(isReverified(after(5), "lax", checked)).toBe(false);
  });

  it("know only the three levels", () => {
    expect(isReverificationLevel("strict")).toBe(true);
    expect(isReverificationLevel("toString")).toBe(false);
    expect(isReverificationLevel("none")).toBe(false);
  });
});
