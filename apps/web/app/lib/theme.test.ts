import { describe, expect, test } from "vitest";
import { parseTheme, parseThemeChoice, serializeThemeCookie } from "./theme";

describe("theme choices", () => {
  test("only light and dark pin a theme; anything else follows the system", () => {
    expect(parseTheme("dark")).toBe("dark");
    expect(parseTheme("light")).toBe("light");
    expect(parseTheme("system")).toBeNull();
    expect(parseTheme("<script>")).toBeNull();
    expect(parseTheme(undefined)).toBeNull();
  });

  test("a choice is one of system, light or dark", () => {
    expect(parseThemeChoice("system")).toBe("system");
    expect(parseThemeChoice("dark")).toBe("dark");
    expect(parseThemeChoice("blue")).toBeNull();
  });

  test("a pinned theme is remembered for a year in an HttpOnly cookie, Secure over https", () => {
    expect(serializeThemeCookie("dark", { secure: true })).toBe("lk_theme=dark; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly; Secure");
    expect(serializeThemeCookie("light", { secure: false })).not.toContain("Secure");
  });

  test("choosing the system theme removes the cookie", () => {
    expect(serializeThemeCookie("system", { secure: false })).toBe("lk_theme=; Path=/; Max-Age=0; SameSite=Lax; HttpOnly");
  });
});
