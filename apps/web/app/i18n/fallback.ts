import type { Dictionary } from "./dictionary";

/**
 * The few en-US messages used when the root loader failed and sent no dictionary (the root error boundary, page
 * titles). The whole dictionary is not bundled for that case: it would add ~20 KB of JavaScript to every page, which
 * already receives its one dictionary from the root loader. Missing keys show as the key itself.
 * i18n.test.ts checks that these stay equal to en-US.
 */
export const fallbackMessages: Partial<Dictionary> = {
  "app.name": "Latchkey",
  "common.error": "Something went wrong. Please try again.",
  "error.title": "Something went wrong",
  "error.notFoundTitle": "Page not found",
  "error.notFound": "We couldn't find the page you were looking for.",
  "error.forbiddenTitle": "Access denied",
  "error.forbidden": "You don't have access to this page.",
  "error.status": "Error {status}",
  "error.backHome": "Go to the home page",
  "nav.main": "Main",
  "nav.skipToContent": "Skip to content",
  "nav.home": "Home",
  "nav.signIn": "Sign in",
  "nav.signUp": "Sign up",
};
