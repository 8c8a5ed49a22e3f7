import type { Appearance } from "~/lib/appearance";

/**
 * The app's appearance, in Clerk's vocabulary (README "Appearance"): colours, radius and fonts in `variables`, class
 * names or styles on named parts in `elements`, `layout` for the social buttons and the logo, `baseTheme` to pin
 * light or dark. Empty means Latchkey's own look, following the device's light or dark setting.
 *
 *   export const appearance: Appearance = {
 *     variables: { colorPrimary: "#0f766e", borderRadius: "0.75rem" },
 *     elements: { card: "shadow-xl", formButtonPrimary: { textTransform: "uppercase" } },
 *     layout: { socialButtonsPlacement: "top", logoImageUrl: "/logo.svg" },
 *   };
 */
export const appearance: Appearance = {};
