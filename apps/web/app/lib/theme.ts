/** The colour theme a person picked: light or dark pinned, or `system` (follow the device; no cookie). */
export const themeChoices = ["system", "light", "dark"] as const;
export type ThemeChoice = (typeof themeChoices)[number];
export type Theme = Exclude<ThemeChoice, "system">;

export const THEME_COOKIE = "lk_theme";
const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;

export function parseTheme(value: unknown): Theme | null {
  return value === "light" || value === "dark" ? value : null;
}

export function parseThemeChoice(value: unknown): ThemeChoice | null {
  return value === "system" ? "system" : parseTheme(value);
}

/** The Set-Cookie value that remembers a choice for a year; `system` removes the cookie. */
export function serializeThemeCookie(choice: ThemeChoice, options: { secure: boolean }): string {
  const attributes =
    choice === "system"
      ? [`${THEME_COOKIE}=`, "Path=/", "Max-Age=0", "SameSite=Lax", "HttpOnly"]
      : [`${THEME_COOKIE}=${choice}`, "Path=/", `Max-Age=${ONE_YEAR_SECONDS}`, "SameSite=Lax", "HttpOnly"];
  if (options.secure) attributes.push("Secure");
  return attributes.join("; ");
}
