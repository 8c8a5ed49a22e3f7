/**
 * The Express handler that hands requests to Remix, with the guard hook in front:
 *
 *   request = Fetch Request built once from the Express request
 *   context = { cspNonce }                        (the same object Remix's loaders get)
 *   result  = await build.entry.module.guardRequest?.(request, context)
 *   Response (returned or thrown) → sent as is: status, headers, every Set-Cookie, body
 *   null / undefined              → Remix handles the SAME request and context objects
 *   anything else thrown          → next(error) → 500
 */
import { createReadableStreamFromReadable, writeReadableStreamToWritable } from "@remix-run/node";

/**
 * @typedef {{ cspNonce: string, clientIp: string | null }} LoadContext
 * @typedef {(request: Request, context: LoadContext) => Promise<Response | null | undefined>} GuardRequest
 * @typedef {{ entry: { module: object } }} BuildLike
 */

/**
 * @param {{
 *   getBuild: () => Promise<BuildLike>,
 *   handleRequest: (request: Request, context: LoadContext) => Promise<Response>,
 * }} options
 * @returns {import("express").RequestHandler}
 */
export function createGuardedRequestHandler({ getBuild, handleRequest }) {
  return async (req, res, next) => {
    try {
      const build = await getBuild();
      const request = createFetchRequest(req, res);
      /** @type {LoadContext} */
      const context = { cspNonce: String(res.locals.cspNonce ?? ""), clientIp: req.ip ?? null };
      const guard = /** @type {{ guardRequest?: GuardRequest }} */ (build.entry.module).guardRequest;
      const guarded = await runGuard(guard, request, context);
      const response = guarded ?? (await handleRequest(request, context));
      await sendFetchResponse(res, response);
    } catch (error) {
      next(error);
    }
  };
}

/**
 * @param {GuardRequest | undefined} guard
 * @param {Request} request
 * @param {LoadContext} context
 * @returns {Promise<Response | null>}
 */
async function runGuard(guard, request, context) {
  if (!guard) return null;
  try {
    return (await guard(request, context)) ?? null;
  } catch (error) {
    if (error instanceof Response) return error;
    throw error;
  }
}

/**
 * The Fetch Request for an Express request, as `@remix-run/express` builds it (its helper is not exported).
 * @param {import("express").Request} req
 * @param {import("express").Response} res
 * @returns {Request}
 */
export function createFetchRequest(req, res) {
  // req.hostname has no port: take it from X-Forwarded-Host or Host.
  const forwardedPort = Number.parseInt(req.get("X-Forwarded-Host")?.split(":")[1] ?? "", 10);
  const hostPort = Number.parseInt(req.get("Host")?.split(":")[1] ?? "", 10);
  const port = Number.isSafeInteger(forwardedPort) ? forwardedPort : Number.isSafeInteger(hostPort) ? hostPort : "";
  const url = new URL(`${req.protocol}://${req.hostname}${port ? `:${port}` : ""}${req.originalUrl}`);

  const headers = new Headers();
  for (const [key, values] of Object.entries(req.headers)) {
    if (values === undefined) continue;
    for (const value of Array.isArray(values) ? values : [values]) headers.append(key, value);
  }

  // Abort loaders and actions when the client goes away before the response is finished.
  /** @type {AbortController | null} */
  let controller = new AbortController();
  const signal = controller.signal;
  res.on("finish", () => (controller = null));
  res.on("close", () => controller?.abort());

  /** @type {RequestInit & { duplex?: "half" }} */
  const init = { method: req.method, headers, signal };
  if (req.method !== "GET" && req.method !== "HEAD") {
    init.body = createReadableStreamFromReadable(req);
    init.duplex = "half";
  }
  return new Request(url.href, init);
}

/**
 * Sends a Fetch Response through Express. Headers set by the response replace the defaults set earlier (a route may
 * need its own CSP); every Set-Cookie is kept.
 * @param {import("express").Response} res
 * @param {Response} response
 */
export async function sendFetchResponse(res, response) {
  if (response.statusText) res.statusMessage = response.statusText;
  res.status(response.status);
  for (const [key, value] of response.headers) {
    if (key.toLowerCase() !== "set-cookie") res.setHeader(key, value);
  }
  // Pages and data here depend on the session and the language: no shared or browser cache keeps them unless a
  // route says otherwise.
  if (!response.headers.has("Cache-Control")) res.setHeader("Cache-Control", "no-store");
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("Set-Cookie", cookies);
  if (response.headers.get("Content-Type")?.match(/text\/event-stream/i)) res.flushHeaders();
  if (response.body) {
    await writeReadableStreamToWritable(response.body, res);
  } else {
    res.end();
  }
}
