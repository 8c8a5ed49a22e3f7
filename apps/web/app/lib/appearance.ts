/**
 * Appearance in Clerk's vocabulary: `baseTheme`, `variables`, `elements` and `layout`, given once to
 * `<LatchkeyProvider appearance>` at the root and again, to override it, as the `appearance` prop of a component.
 * Everything here becomes markup (CSS custom properties, class names, inline styles) during server rendering, so it
 * holds without JavaScript.
 */
import type { CSSProperties } from "react";

export interface AppearanceVariables {
  colorPrimary: string;
  colorBackground: string;
  colorText: string;
  colorTextSecondary: string;
  colorInputBackground: string;
  colorInputText: string;
  colorDanger: string;
  borderRadius: string;
  fontFamily: string;
  fontSize: string;
}

/** The named parts of the prebuilt components that `elements` can restyle. */
export const appearanceElements = [
  "rootBox",
  "card",
  "logoImage",
  "headerTitle",
  "headerSubtitle",
  "formFieldLabel",
  "formFieldInput",
  "formFieldErrorText",
  "formButtonPrimary",
  "socialButtons",
  "socialButtonsBlockButton",
  "dividerRow",
  "dividerLine",
  "dividerText",
  "footer",
  "footerActionLink",
] as const;
export type AppearanceElement = (typeof appearanceElements)[number];

export interface AppearanceLayout {
  /** Social ("Continue with …") buttons above the form or below it. Default: bottom. */
  socialButtonsPlacement: "top" | "bottom";
  socialButtonsVariant: "blockButton" | "iconButton" | "auto";
  logoImageUrl: string;
  termsPageUrl: string;
  privacyPageUrl: string;
}

export interface Appearance {
  /** A pinned theme for the whole app (root only); a person's own choice in the account menu still wins. */
  baseTheme?: "light" | "dark" | "system";
  variables?: Partial<AppearanceVariables>;
  elements?: Partial<Record<AppearanceElement, string | CSSProperties>>;
  layout?: Partial<AppearanceLayout>;
}

/** Combines appearances; a later one (a component's prop) overrides an earlier one (the provider's) key by key. */
export function mergeAppearance(...appearances: (Appearance | null | undefined)[]): Appearance {
  const merged: Appearance = {};
  for (const appearance of appearances) {
    if (!appearance) continue;
    if (appearance.baseTheme) merged.baseTheme = appearance.baseTheme;
    if (appearance.variables) merged.variables = { ...merged.variables, ...appearance.variables };
    if (appearance.elements) merged.elements = { ...merged.elements, ...appearance.elements };
    if (appearance.layout) merged.layout = { ...merged.layout, ...appearance.layout };
  }
  return merged;
}

const variableProperties: Record<keyof AppearanceVariables, string[]> = {
  colorPrimary: ["--lk-primary", "--lk-focus"],
  colorBackground: ["--lk-bg"],
  colorText: ["--lk-fg"],
  colorTextSecondary: ["--lk-muted"],
  colorInputBackground: ["--lk-input-bg"],
  colorInputText: ["--lk-input-fg"],
  colorDanger: ["--lk-danger"],
  borderRadius: ["--lk-radius"],
  fontFamily: ["--lk-font"],
  fontSize: ["--lk-font-size"],
};

/** A value that can't break out of its declaration (no `;`, braces, angle brackets or quotes-balancing tricks). */
function isSafeCssValue(value: string): boolean {
  return value.length <= 200 && !/[;{}<>\\]/.test(value);
}

/** The `--lk-*` custom properties for `variables`, as a React style object; unsafe values are skipped. */
export function variablesToStyle(variables: Partial<AppearanceVariables> | undefined): CSSProperties {
  const style: Record<string, string> = {};
  if (!variables) return style;
  for (const [name, value] of Object.entries(variables) as [keyof AppearanceVariables, string | undefined][]) {
    const properties = variableProperties[name];
    if (!properties || typeof value !== "string" || !isSafeCssValue(value)) continue;
    for (const property of properties) style[property] = value;
    // The hover shade follows a custom primary colour.
    if (name === "colorPrimary") style["--lk-primary-hover"] = `color-mix(in srgb, ${value} 85%, black)`;
  }
  return style as CSSProperties;
}

/** Props for a named part: the component's own classes plus the appearance's class name or style. */
export function elementProps(
  appearance: Appearance,
  element: AppearanceElement,
  baseClassName = "",
): { className: string; style?: CSSProperties } {
  const custom = appearance.elements?.[element];
  if (typeof custom === "string") return { className: `${baseClassName} ${custom}`.trim() };
  if (custom && typeof custom === "object") return { className: baseClassName, style: custom };
  return { className: baseClassName };
}
