/**
 * The request-level guard server.js runs before Remix: an Origin check on every state-changing request, then the
 * rules of `route-rules.ts`. Document requests are redirected to /sign-in; Remix data requests get the redirect in
 * single-fetch form so client-side navigation lands on /sign-in too.
 */
import { checkRequestOrigin } from "@latchkey/auth";
import { UNSAFE_SingleFetchRedirectSymbol } from "@remix-run/server-runtime";
import { encode } from "turbo-stream";
import { getAuth, getAuthHeaders, signInUrl } from "./auth.server";
import { getEnv } from "./env.server";
import { resolveLocale } from "~/i18n/resolve-locale";
import { t } from "~/i18n/locales";
import { isOutage, outagePage } from "./outage.server";
import { createRouteMatcher, compileRoutePattern, mfaSetupRoutes, pagePathOf, protectedRoutes, publicRoutes } from "./route-rules";

const isPublic = createRouteMatcher(publicRoutes);
/** Where a user held back by an MFA policy may still go: the setup page and the password check it needs. */
const isMfaSetupPath = createRouteMatcher(mfaSetupRoutes);

/** The MFA setup page, keeping where the user wanted to go. */
function mfaSetupUrl(request: Request): string {
  return signInUrl(request).replace(/^\/sign-in/, "/user/mfa");
}
const rules = protectedRoutes.map((rule) => ({ ...rule, regex: compileRoutePattern(rule.pattern) }));

function isDataRequest(url: URL): boolean {
  return url.pathname.endsWith(".data");
}

/** A redirect a Remix single-fetch client follows (a plain 302 would be fetched as HTML and fail to decode). */
async function dataRedirect(location: string, headers: Headers): Promise<Response> {
  const payload = { [UNSAFE_SingleFetchRedirectSymbol]: { redirect: location, status: 302, revalidate: true, reload: true, replace: false } };
  const stream = encode(payload, {
    plugins: [
      (value: unknown) =>
        value && typeof value === "object" && UNSAFE_SingleFetchRedirectSymbol in value
          ? ["SingleFetchRedirect", (value as Record<symbol, unknown>)[UNSAFE_SingleFetchRedirectSymbol]]
          : undefined,
    ],
  });
  const out = new Headers(headers);
  out.set("Content-Type", "text/x-script");
  out.set("X-Remix-Response", "yes");
  out.set("Cache-Control", "no-store");
  return new Response(stream, { status: 202, headers: out });
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A small localized 403 page; data and form requests get plain text. Nothing about the organization is revealed. */
function forbidden(request: Request, headers: Headers, userLocale: string | null): Response {
  const out = new Headers(headers);
  out.set("Cache-Control", "no-store");
  const url = new URL(request.url);
  if (isDataRequest(url) || request.method !== "GET") {
    out.set("Content-Type", "text/plain; charset=utf-8");
    return new Response("Forbidden", { status: 403, headers: out });
  }
  const locale = resolveLocale(request, userLocale);
  out.set("Content-Type", "text/html; charset=utf-8");
  const body = `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(t(locale, "error.forbidden"))}</title></head><body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem"><main><h1>${escapeHtml(t(locale, "error.forbidden"))}</h1><p><a href="/">${escapeHtml(t(locale, "nav.home"))}</a></p></main></body></html>`;
  return new Response(body, { status: 403, headers: out });
}

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * The host Remix compares with the Origin of a form post before running an action (the first X-Forwarded-Host, else
 * Host), and whether they differ. Remix throws on a mismatch, which would be a 500; we answer it first.
 */
function proxyHostMismatch(request: Request): { origin: string; header: string; value: string } | null {
  if (!STATE_CHANGING.has(request.method)) return null;
  const origin = request.headers.get("origin");
  if (!origin || origin === "null") return null;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return null;
  }
  const forwarded = request.headers.get("x-forwarded-host")?.split(",")[0]?.trim();
  const header = forwarded ? "X-Forwarded-Host" : "Host";
  const value = forwarded || request.headers.get("host") || "";
  return value === originHost ? null : { origin: originHost, header, value };
}

/** 400 with one log line naming the headers (quoted and cut short: they come from the client). */
function refuseProxyMismatch(request: Request, mismatch: { origin: string; header: string; value: string }): Response {
  const quote = (s: string) => JSON.stringify(s.slice(0, 100));
  console.warn(
    `[proxy] ${request.method} ${new URL(request.url).pathname} refused (400): ${mismatch.header} ${quote(mismatch.value)} differs from the Origin's host ${quote(mismatch.origin)}; a proxy must forward the public host (README: Behind a proxy)`,
  );
  return new Response("Bad request: the Host or X-Forwarded-Host header does not match the Origin.", {
    status: 400,
    headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
  });
}

export async function guardRequest(request: Request, context: object): Promise<Response | null> {
  try {
    return await guard(request, context);
  } catch (error) {
    // getAuth meets a database outage as a 503 Response: answer with the localized page (ADR 026).
    if (isOutage(error)) return outagePage(request);
    throw error;
  }
}

async function guard(request: Request, context: object): Promise<Response | null> {
  const url = new URL(request.url);
  const origin = checkRequestOrigin(request, { appUrl: getEnv().APP_URL });
  // oauth: Apple posts its answer from appleid.apple.com (response_mode=form_post); that action changes nothing, it
  // only turns the POST into a GET of the same callback, where the state and its cookie are checked.
  const applePost = request.method === "POST" && url.pathname === "/sign-in/oauth/apple/callback";
  // saml: the IdP's page posts the response to the ACS from its own origin; the response itself is what is checked.
  const samlPost = request.method === "POST" && /^\/sign-in\/saml\/saml_[a-z0-9]+\/acs$/.test(url.pathname);
  if (!origin.ok && !applePost && !samlPost) {
    return new Response("Cross-origin request refused.", {
      status: 403,
      headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
    });
  }
  // tRPC has its own Origin check and no Remix CSRF guard; every other form post meets Remix's.
  // The provider callbacks above are posted from the provider's origin by design, so their Origin never matches.
  const mismatch = url.pathname.startsWith("/api/") || applePost || samlPost ? null : proxyHostMismatch(request);
  if (mismatch) return refuseProxyMismatch(request, mismatch);
  const path = pagePathOf(url);
  if (isPublic(path)) return null;

  const args = { request, context };
  const auth = await getAuth(args);
  const headers = await getAuthHeaders(args);
  if (!auth.userId) {
    const location = signInUrl(request);
    if (isDataRequest(url)) return dataRedirect(location, headers);
    if (request.method !== "GET" && request.method !== "HEAD") return new Response("Unauthorized", { status: 401, headers });
    const out = new Headers(headers);
    out.set("Location", location);
    out.set("Cache-Control", "no-store");
    return new Response(null, { status: 302, headers: out });
  }
  const rule = rules.find((r) => r.regex.test(path));
  const needsOrg = rule !== undefined && (rule.organization || rule.permission !== undefined || rule.role !== undefined);
  // MFA policies: the instance's holds everywhere, an organization's on its own pages; only the setup stays open.
  const mfaHold = !auth.mfa.hasSecondFactor && (auth.mfa.instanceRequired || (needsOrg && auth.mfa.organizationRequired));
  if (mfaHold && !isMfaSetupPath(path)) {
    const location = mfaSetupUrl(request);
    if (isDataRequest(url)) return dataRedirect(location, headers);
    if (request.method !== "GET" && request.method !== "HEAD") return forbidden(request, headers, auth.user.locale);
    const out = new Headers(headers);
    out.set("Location", location);
    out.set("Cache-Control", "no-store");
    return new Response(null, { status: 302, headers: out });
  }
  if (!rule) return null;
  const deny = () => forbidden(request, headers, auth.user.locale);
  if (needsOrg && !auth.orgId) return deny();
  if (rule.permission !== undefined && !auth.has({ permission: rule.permission })) return deny();
  if (rule.role !== undefined && !auth.has({ role: rule.role })) return deny();
  if (rule.instanceAdmin && !auth.user.isInstanceAdmin) return deny();
  return null;
}
