/**
 * Server entry. Besides rendering documents, its exports are the hooks server.js calls (it reads them from
 * `build.entry.module`, so they work the same in dev and in the production build):
 * - `parseEnv(process.env)` before listening, to refuse to start on bad configuration;
 * - `startDatabase()` after listening, so PGlite opens and migrations run at start-up rather than on the first request;
 * - `guardRequest(request, context)` before Remix sees a request;
 * - `protectRoutes(build)` on the build Remix serves, so a database outage in any loader or action is a 503 page;
 * - `closeDb()` on shutdown.
 */
import { PassThrough } from "node:stream";
import type { AppLoadContext, EntryContext, HandleErrorFunction } from "@remix-run/node";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { isRouteErrorResponse, RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToPipeableStream } from "react-dom/server";
import { getDictionary } from "~/i18n/locales";
import { provideServerDictionaries } from "~/i18n/server-dictionaries";
import { getDb } from "~/lib/db.server";
import type { LatchkeyLoadContext } from "~/lib/load-context";
import { NonceProvider } from "~/lib/nonce";
import { guardRequest as runGuard } from "~/lib/guard.server";
import { describeErrorForLog } from "@latchkey/db";
import { setOutageHeaders } from "~/lib/outage.server";

export { parseEnv } from "~/lib/env.server";
export { closeDb } from "~/lib/db.server";
// webhooks: server.js starts the delivery worker after the database and stops it on shutdown
export { startWorkers, stopWorkers } from "~/lib/webhook-worker.server";
/** server.js logs its own errors through this too, so no SQL or parameters reach a log line. */
export { describeErrorForLog } from "@latchkey/db";

// Pages select their strings from the whole dictionaries while rendering here; the browser gets only those (ADR 029).
provideServerDictionaries(getDictionary);
export { protectRoutes } from "~/lib/outage.server";

/** How long a streamed response may stay open for deferred data. */
export const streamTimeout = 5_000;

/**
 * Runs before Remix handles a request. Return a Response to answer the request yourself (a redirect, a 403, …) or
 * null to let Remix handle it with the same `request` and `context` objects, so anything memoised on them is reused.
 * The rules live in `~/lib/route-rules.ts`; the checks in `~/lib/guard.server.ts`.
 */
export async function guardRequest(request: Request, context: LatchkeyLoadContext): Promise<Response | null> {
  return runGuard(request, context);
}

/** Logs server errors, except aborted requests and unknown URLs (a 404 page is not a server fault). */
export const handleError: HandleErrorFunction = (error, { request }) => {
  if (request.signal.aborted) return;
  if (isRouteErrorResponse(error) && error.status === 404) return;
  console.error(describeErrorForLog(error));
};

/** Data requests (single fetch) answered 503 by an outage carry Retry-After like the pages do. */
export function handleDataRequest(response: Response): Response {
  if (response.status === 503) setOutageHeaders(response.headers);
  return response;
}

/** Opens the database and applies migrations; logs instead of throwing, since /health reports the outcome. */
export async function startDatabase(): Promise<void> {
  try {
    const handle = await getDb();
    console.info(`Database ready (${handle.kind}).`);
  } catch (error) {
    console.error(`Database not ready yet: ${describeErrorForLog(error)}`);
  }
}

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  const nonce = loadContext.cspNonce;
  // A loader or action met a database outage (outage.server.ts): the error page says when to come back.
  if (responseStatusCode === 503) setOutageHeaders(responseHeaders);
  // Bots and no-JS crawlers get the whole document at once; browsers get it streamed.
  const readyEvent = isbot(request.headers.get("user-agent") ?? "") ? "onAllReady" : "onShellReady";

  return new Promise<Response>((resolve, reject) => {
    let shellRendered = false;
    const { pipe, abort } = renderToPipeableStream(
      <NonceProvider value={nonce}>
        <RemixServer context={remixContext} url={request.url} nonce={nonce} />
      </NonceProvider>,
      {
        nonce,
        [readyEvent]() {
          shellRendered = true;
          const body = new PassThrough();
          responseHeaders.set("Content-Type", "text/html; charset=utf-8");
          // The language depends on these; shared caches must not mix them up.
          responseHeaders.append("Vary", "Cookie, Accept-Language");
          resolve(
            new Response(createReadableStreamFromReadable(body), {
              headers: responseHeaders,
              status: responseStatusCode,
            }),
          );
          pipe(body);
        },
        onShellError(error: unknown) {
          reject(error);
        },
        onError(error: unknown) {
          responseStatusCode = 500;
          // Errors while streaming after the shell are logged here; errors before it are logged by onShellError.
          if (shellRendered) console.error(describeErrorForLog(error));
        },
      },
    );
    setTimeout(abort, streamTimeout + 1000);
  });
}
