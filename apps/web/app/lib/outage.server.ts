/**
 * Database outages on pages (ADR 026). Every loader and action of the server build is wrapped once
 * (`protectRoutes`, applied by server.js), so a database that can't be reached or doesn't answer in time becomes a
 * 503 with Retry-After and a localized message, never a 500, SQL or a stack, whichever route met it and however: a
 * driver error, a tRPC SERVICE_UNAVAILABLE from a caller, or getAuth's 503.
 */
import type { ServerBuild } from "@remix-run/node";
import { TRPCError } from "@trpc/server";
import { isDatabaseUnavailable } from "@latchkey/db";
import { t, type Locale } from "~/i18n/locales";
import { resolveLocale } from "~/i18n/resolve-locale";

/** What the 503 answers tell clients: try again after this many seconds. */
export const RETRY_AFTER_SECONDS = 5;

/** The data of a thrown outage answer; the root error boundary shows it (it may render without the root's data). */
export interface OutageData {
  outage: true;
  locale: Locale;
  title: string;
  message: string;
}

export function isOutage(error: unknown): boolean {
  if (error instanceof Response) return error.status === 503;
  if (error instanceof TRPCError && error.code === "SERVICE_UNAVAILABLE") return true;
  return isDatabaseUnavailable(error);
}

export function setOutageHeaders(headers: Headers): Headers {
  headers.set("Retry-After", String(RETRY_AFTER_SECONDS));
  headers.set("Cache-Control", "no-store");
  return headers;
}

function outageData(request: Request): OutageData {
  const locale = resolveLocale(request, null);
  return { outage: true, locale, title: t(locale, "error.unavailableTitle"), message: t(locale, "error.unavailable") };
}

/** What a loader or action throws: Remix renders the nearest error boundary with this data and status 503. */
export function outageResponse(request: Request): Response {
  return Response.json(outageData(request), { status: 503, headers: setOutageHeaders(new Headers()) });
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A page of its own, for answers sent before Remix runs (the request guard): HTML for a page, text otherwise. */
export function outagePage(request: Request): Response {
  const data = outageData(request);
  const headers = setOutageHeaders(new Headers());
  if (request.method !== "GET" || new URL(request.url).pathname.endsWith(".data")) {
    headers.set("Content-Type", "text/plain; charset=utf-8");
    return new Response(data.message, { status: 503, headers });
  }
  headers.set("Content-Type", "text/html; charset=utf-8");
  const body = `<!doctype html><html lang="${data.locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(data.title)}</title></head><body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem"><main><h1>${escapeHtml(data.title)}</h1><p>${escapeHtml(data.message)}</p></main></body></html>`;
  return new Response(body, { status: 503, headers });
}

/** The driver's or Postgres' code (ECONNREFUSED, 57014…) along the cause chain: never the message, which holds SQL. */
function causeCode(error: unknown): string {
  for (let current = error, depth = 0; current && typeof current === "object" && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^[A-Z0-9_]{1,40}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return "unavailable";
}

/** One line per refused request, without SQL, parameters or a stack. */
function logOutage(request: Request, error: unknown): void {
  console.warn(`[outage] ${request.method} ${new URL(request.url).pathname} answered 503: database ${causeCode(error)}`);
}

type Handler = (args: { request: Request }) => unknown;

function protectHandler(handler: Handler): Handler {
  return async (args) => {
    try {
      return await handler(args);
    } catch (error) {
      if (!isOutage(error)) throw error;
      logOutage(args.request, error);
      throw outageResponse(args.request);
    }
  };
}

const protectedBuilds = new WeakMap<ServerBuild, ServerBuild>();

/** The same build with every loader and action turning an outage into `outageResponse` (memoised per build). */
export function protectRoutes(build: ServerBuild): ServerBuild {
  const known = protectedBuilds.get(build);
  if (known) return known;
  const routes: ServerBuild["routes"] = {};
  for (const [id, route] of Object.entries(build.routes)) {
    const module = route.module as typeof route.module & { loader?: Handler; action?: Handler };
    routes[id] =
      module.loader || module.action
        ? {
            ...route,
            module: {
              ...module,
              ...(module.loader ? { loader: protectHandler(module.loader) } : {}),
              ...(module.action ? { action: protectHandler(module.action) } : {}),
            } as typeof route.module,
          }
        : route;
  }
  const protectedBuild = { ...build, routes };
  protectedBuilds.set(build, protectedBuild);
  return protectedBuild;
}
