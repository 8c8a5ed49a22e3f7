/**
 * The web server, for dev (`node server.js --dev`, or any NODE_ENV other than production: Vite in middleware mode)
 * and production (`NODE_ENV=production node server.js`: the build in ./build).
 *
 * Every request: security headers with a fresh CSP nonce → static files → the entry module's `guardRequest` →
 * Remix. Configuration is validated by the entry module's `parseEnv` before listening.
 */
import http from "node:http";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequestHandler } from "@remix-run/node";
import compression from "compression";
import express from "express";
import { createGuardedRequestHandler } from "./server/remix-handler.js";
import { securityHeadersMiddleware } from "./server/security-headers.js";

/**
 * @typedef {import("@remix-run/node").ServerBuild} ServerBuild
 * @typedef {{ ok: true, env: { NODE_ENV: string, PORT: number, HOST?: string, APP_URL: string } } | { ok: false, problems: string[] }} ParseEnvResult
 * @typedef {object} EntryHooks the extra exports of app/entry.server.tsx
 * @property {(source: Record<string, string | undefined>) => ParseEnvResult} parseEnv
 * @property {() => Promise<void>} [startDatabase]
 * @property {() => Promise<void>} [closeDb]
 * @property {() => Promise<void>} [startWorkers]
 * @property {() => Promise<void>} [stopWorkers]
 * @property {(error: unknown) => string} [describeErrorForLog]
 * @property {(build: ServerBuild) => ServerBuild} [protectRoutes]
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const DEV = process.argv.includes("--dev") || process.env.NODE_ENV !== "production";
process.env.NODE_ENV ??= DEV ? "development" : "production";

const httpServer = http.createServer();

const vite = DEV
  ? await import("vite").then(({ createServer }) =>
      createServer({ root: here, server: { middlewareMode: true, hmr: { server: httpServer } } }),
    )
  : undefined;

/** @type {() => Promise<ServerBuild>} */
const getBuild = vite
  ? () => /** @type {Promise<ServerBuild>} */ (vite.ssrLoadModule("virtual:remix/server-build"))
  : await loadProductionBuild();

/** @returns {Promise<EntryHooks>} */
async function getHooks() {
  // In dev, load only the entry module (not every route), so a broken route does not stop the server starting.
  const entry = vite ? await vite.ssrLoadModule("/app/entry.server.tsx") : (await getBuild()).entry.module;
  return /** @type {EntryHooks} */ (/** @type {unknown} */ (entry));
}

const parsed = (await getHooks()).parseEnv(process.env);
if (!parsed.ok) {
  for (const problem of parsed.problems) console.error(`Invalid configuration: ${problem}`);
  await vite?.close();
  process.exit(1);
}
const env = parsed.env;

const app = express();
app.disable("x-powered-by");
// X-Forwarded-For is believed only from the proxies listed in TRUSTED_PROXIES (addresses, CIDRs or "loopback");
// by default nobody is trusted and the socket address is the client's.
app.set("trust proxy", trustedProxies(process.env.TRUSTED_PROXIES));
if (!DEV) app.use(compression());
app.use(securityHeadersMiddleware({ dev: DEV, production: env.NODE_ENV === "production", appUrl: env.APP_URL }));

if (vite) {
  app.use(vite.middlewares);
} else {
  // Vite fingerprints everything under /assets, so those can be cached for good.
  app.use("/assets", express.static(path.join(here, "build/client/assets"), { immutable: true, maxAge: "1y" }));
  app.use(express.static(path.join(here, "build/client"), { maxAge: "1h" }));
}

// Every loader and action answers a database outage with a 503 page instead of a 500 (app/lib/outage.server.ts).
const getProtectedBuild = async () => {
  const build = await getBuild();
  const entry = /** @type {EntryHooks} */ (/** @type {unknown} */ (build.entry.module));
  return entry.protectRoutes ? entry.protectRoutes(build) : build;
};
const handleRemixRequest = createRequestHandler(getProtectedBuild, DEV ? "development" : "production");

// Security headers and static files above; the guard hook, then Remix (see server/remix-handler.js).
app.all("*", createGuardedRequestHandler({ getBuild, handleRequest: handleRemixRequest }));

app.use(
  /** @type {import("express").ErrorRequestHandler} */
  (error, _req, res, next) => {
    void logError(error);
    if (res.headersSent) return next(error);
    res.status(500).type("text/plain").send("Internal Server Error");
  },
);

httpServer.on("request", app);
httpServer.listen(env.PORT, env.HOST, () => {
  const address = `http://${env.HOST ?? "localhost"}:${env.PORT}`;
  console.log(`Latchkey ${DEV ? "dev server" : "server"} listening on ${address} (APP_URL ${env.APP_URL})`);
  // The webhook delivery worker starts once the database is up (WEBHOOK_WORKER=off leaves it to `npm run worker`).
  void getHooks().then(async (hooks) => {
    await hooks.startDatabase?.();
    await hooks.startWorkers?.();
  });
});

let closing = false;
/** @param {NodeJS.Signals} signal */
async function shutdown(signal) {
  if (closing) return;
  closing = true;
  console.log(`${signal} received, shutting down.`);
  const forced = setTimeout(() => process.exit(1), 10_000);
  forced.unref();
  httpServer.close();
  httpServer.closeIdleConnections();
  try {
    await (await getHooks()).stopWorkers?.();
    await (await getHooks()).closeDb?.();
    await vite?.close();
  } catch (error) {
    await logError(error);
  }
  process.exit(0);
}
process.once("SIGINT", shutdown);
process.once("SIGTERM", shutdown);

/** Logs through the app's sanitiser: database errors carry SQL and parameters in their messages. */
/** @param {unknown} error */
async function logError(error) {
  const hooks = await getHooks().catch(() => null);
  console.error(hooks?.describeErrorForLog?.(error) ?? (error instanceof Error ? error.name : "error"));
}

/**
 * @param {string | undefined} value
 * @returns {string[] | false}
 */
function trustedProxies(value) {
  const list = (value ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  return list.length > 0 ? list : false;
}

/** @returns {Promise<() => Promise<ServerBuild>>} */
async function loadProductionBuild() {
  const file = path.join(here, "build/server/index.js");
  try {
    /** @type {ServerBuild} */
    const build = await import(pathToFileURL(file).href);
    return async () => build;
  } catch (error) {
    console.error(`Cannot load the server build at ${file}; run \`npm run build\` first.`);
    throw error;
  }
}
