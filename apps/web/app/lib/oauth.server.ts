/**
 * oauth: the sign-in providers configured by environment variables (env.server.ts), and the small HTML page the start
 * route answers with. The page moves on to the provider with a meta refresh rather than a redirect: the app's CSP has
 * `form-action 'self'`, which browsers also apply to the redirects that follow a form post, while a refresh is a new
 * navigation. It works without JavaScript.
 */
import { configuredProviders, type ConfiguredProvider } from "@latchkey/api";
import { getEnv } from "./env.server";
import { resolveLocale } from "~/i18n/resolve-locale";
import { t } from "~/i18n/locales";

let cached: ConfiguredProvider[] | undefined;

export function getOAuthProviders(): ConfiguredProvider[] {
  cached ??= configuredProviders(getEnv().oauth);
  return cached;
}

/** What the buttons need: ids and names, never credentials. */
export function oauthButtons(): { id: string; label: string; iconUrl?: string | null }[] {
  return getOAuthProviders().map(({ id, label, iconUrl }) => (iconUrl ? { id, label, iconUrl } : { id, label }));
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A page that sends the browser on to `url` at once (meta refresh), with a link for the rest. */
export function continueToProvider(request: Request, url: string, label: string, headers: Headers): Response {
  const locale = resolveLocale(request, null);
  const text = t(locale, "oauth.continueWith", { provider: label });
  const out = new Headers(headers);
  out.set("Content-Type", "text/html; charset=utf-8");
  out.set("Cache-Control", "no-store");
  out.set("Refresh", `0; url=${url}`);
  const href = escapeHtml(url);
  const body = `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=${href}"><meta name="referrer" content="no-referrer"><title>${escapeHtml(text)}</title></head><body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem"><main><p><a href="${href}">${escapeHtml(text)}</a></p></main></body></html>`;
  return new Response(body, { status: 200, headers: out });
}
