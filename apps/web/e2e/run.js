/**
 * Browser tests end to end: build, start the production server on a free port with a fresh database, wait for
 * /health, run `vitest.e2e.config.ts` against it, then stop the server and drop the database, pass or fail.
 *
 *   npm run test:e2e -w @latchkey/web                 everything
 *   npm run test:e2e -w @latchkey/web -- shell        extra arguments go to Vitest (here: a file filter)
 *   E2E_SKIP_BUILD=1 npm run test:e2e -w @latchkey/web reuse ./build
 *
 * The database: a new PGlite directory in the temp folder, or, when DATABASE_URL is set, a new database
 * `latchkey_e2e_<random>` on that server. The server's output goes to test-results/e2e-server.log.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startMailSink } from "./mail-sink.js";

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const STARTUP_TIMEOUT_MS = 90_000;

/** @type {Array<() => Promise<void>>} */
const cleanups = [];
let cleaningUp = false;

async function cleanUp() {
  if (cleaningUp) return;
  cleaningUp = true;
  for (const step of cleanups.reverse()) {
    try {
      await step();
    } catch (error) {
      console.error("[e2e] clean-up step failed:", error);
    }
  }
}

for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM"])) {
  process.once(signal, () => {
    void cleanUp().finally(() => process.exit(130));
  });
}

/** @param {string} name */
function bin(name) {
  for (const dir of [webDir, path.resolve(webDir, "../..")]) {
    const file = path.join(dir, "node_modules", ".bin", name);
    if (existsSync(file)) return file;
  }
  throw new Error(`Cannot find ${name} in node_modules/.bin; run npm install at the repository root.`);
}

/**
 * Runs a command to completion with inherited output; resolves with its exit code.
 * @param {string} command
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {Promise<number>}
 */
function run(command, args, env = process.env) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: webDir, env, stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** @returns {Promise<number>} a port that was free a moment ago */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A fresh database for the server: its environment variables.
 * @returns {Promise<Record<string, string>>}
 */
async function createFreshDatabase() {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "latchkey-e2e-"));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    console.log(`[e2e] PGlite in ${dataDir}`);
    return { LATCHKEY_DATA_DIR: dataDir };
  }
  const { default: postgres } = await import("postgres");
  const name = `latchkey_e2e_${randomBytes(6).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  cleanups.push(async () => {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end({ timeout: 5 });
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  console.log(`[e2e] Postgres database ${name}`);
  return { DATABASE_URL: url.toString() };
}

/**
 * Starts `node server.js` in production mode; resolves once it is listening (or rejects if it exits).
 * @param {number} port
 * @param {Record<string, string>} databaseEnv
 * @param {Record<string, string>} mailEnv
 */
async function startServer(port, databaseEnv, mailEnv) {
  const logFile = path.join(webDir, "test-results", "e2e-server.log");
  await mkdir(path.dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile);
  /** @type {NodeJS.ProcessEnv} */
  const env = {
    ...process.env,
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: String(port),
    // A name, not an IP address: WebAuthn refuses IP addresses as relying-party ids, and the passkey tests need one.
    // The server still listens on 127.0.0.1 only; Chromium and Node resolve `localhost` to the loopback interface.
    APP_URL: `http://localhost:${port}`,
    // Browser contexts send X-Forwarded-For (e2e/browser.ts), as a reverse proxy on this machine would.
    TRUSTED_PROXIES: "loopback",
    // /dev/components, where the appearance test gives a component its own `appearance`.
    LATCHKEY_COMPONENT_GALLERY: "1",
    // A fresh key per run, as production requires one.
    LATCHKEY_ENCRYPTION_KEY: randomBytes(32).toString("base64url"),
    ...databaseEnv,
    ...mailEnv,
  };
  if (!databaseEnv.DATABASE_URL) delete env.DATABASE_URL;
  const server = spawn(process.execPath, ["server.js"], { cwd: webDir, env, stdio: ["ignore", "pipe", "pipe"] });
  server.stdout.pipe(log);
  server.stderr.pipe(log);
  /** @type {Promise<void>} */
  const exited = new Promise((resolve) => server.once("exit", () => resolve()));
  cleanups.push(async () => {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill("SIGTERM");
      const timer = setTimeout(() => server.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    log.end();
  });
  console.log(`[e2e] server on http://localhost:${port} (log: ${path.relative(process.cwd(), logFile)})`);
  return { server, exited, logFile };
}

/**
 * @param {string} baseUrl
 * @param {Promise<void>} exited
 */
async function waitForHealth(baseUrl, exited) {
  let serverExited = false;
  void exited.then(() => (serverExited = true));
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (serverExited) throw new Error("The server exited before it became healthy; see the server log.");
    try {
      const response = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(5000) });
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`The server was not healthy after ${STARTUP_TIMEOUT_MS / 1000} s; see the server log.`);
}

/**
 * oauth: the development OpenID provider (`npm run dev:idp`) on a free port, registered for this run's app URL.
 * @param {string} appUrl
 * @returns {Promise<Record<string, string>>} the OAUTH_OIDC_* variables for the server
 */
async function startIdp(appUrl) {
  const port = await freePort();
  const samlPort = await freePort();
  const script = path.resolve(webDir, "../../packages/api/cli/dev-idp.ts");
  const args = ["--import", "tsx", script, "--port", String(port), "--saml-port", String(samlPort), "--app-url", appUrl];
  const idp = spawn(process.execPath, [...args, "--client-id", "latchkey-e2e", "--client-secret", "latchkey-e2e-secret"], {
    cwd: webDir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  cleanups.push(async () => {
    if (idp.exitCode === null) idp.kill("SIGTERM");
  });
  await new Promise((resolve, reject) => {
    let output = "";
    idp.stdout.on("data", (chunk) => {
      output += String(chunk);
      if (output.includes("Ready.")) resolve(undefined);
    });
    idp.once("exit", (code) => reject(new Error(`the development IdP exited (${code}): ${output}`)));
  });
  console.log(`[e2e] OpenID provider on http://127.0.0.1:${port}, SAML IdP on http://127.0.0.1:${samlPort}`);
  return {
    OAUTH_OIDC_ISSUER: `http://127.0.0.1:${port}`,
    OAUTH_OIDC_CLIENT_ID: "latchkey-e2e",
    OAUTH_OIDC_CLIENT_SECRET: "latchkey-e2e-secret",
    OAUTH_OIDC_NAME: "Dev IdP",
    // saml: read by the browser test only (the app learns the IdP from the metadata URL an admin pastes)
    E2E_SAML_METADATA_URL: `http://127.0.0.1:${samlPort}/saml/metadata`,
  };
}

async function main() {
  if (process.env.E2E_SKIP_BUILD !== "1") {
    const code = await run(bin("remix"), ["vite:build"]);
    if (code !== 0) return code;
  }
  const port = await freePort();
  const baseUrl = `http://localhost:${port}`;
  const databaseEnv = await createFreshDatabase();
  const mailLog = path.join(webDir, "test-results", "e2e-mail.jsonl");
  await mkdir(path.dirname(mailLog), { recursive: true });
  await rm(mailLog, { force: true });
  // webhooks: an instance admin and the development webhook settings, written before the server opens the database.
  const prepared = await run(bin("tsx"), ["e2e/webhooks-prepare.ts"], { ...process.env, ...databaseEnv, NODE_ENV: "production" });
  if (prepared !== 0) return prepared;
  const sink = await startMailSink(mailLog);
  cleanups.push(sink.close);
  const idpEnv = await startIdp(baseUrl);
  const { exited, logFile } = await startServer(port, databaseEnv, { SMTP_URL: sink.url, MAIL_FROM: "Latchkey e2e <e2e@latchkey.test>", ...idpEnv });
  try {
    await waitForHealth(baseUrl, exited);
  } catch (error) {
    console.error(`[e2e] ${error instanceof Error ? error.message : error} (${logFile})`);
    await printTail(logFile);
    return 1;
  }
  const code = await run(bin("vitest"), ["run", "--config", "vitest.e2e.config.ts", ...process.argv.slice(2)], {
    ...process.env,
    E2E_BASE_URL: baseUrl,
    E2E_MAIL_LOG: mailLog,
    E2E_IDP_ISSUER: idpEnv.OAUTH_OIDC_ISSUER,
    E2E_SAML_METADATA_URL: idpEnv.E2E_SAML_METADATA_URL,
  });
  if (code !== 0) await printTail(logFile);
  return code;
}

/** @param {string} file */
async function printTail(file, lines = 40) {
  const text = await readFile(file, "utf8").catch(() => "");
  const tail = text.trimEnd().split("\n").slice(-lines).join("\n");
  if (tail) console.error(`[e2e] last lines of the server log:\n${tail}`);
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  console.error("[e2e]", error);
} finally {
  await cleanUp();
}
process.exit(exitCode);
