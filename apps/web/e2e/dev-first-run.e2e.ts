/**
 * A newcomer's first run: `npm run dev` with an empty Vite cache, then an organization page with JavaScript on.
 * Vite used to discover React Query and the tRPC client only on that first visit, re-optimize and reload, and the
 * page crashed with two copies of React. This test starts its own dev server (not the production one the other
 * browser tests use), on a fresh PGlite directory filled by `npm run db:seed`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { useBrowser } from "./browser";

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const browser = useBrowser();

let server: ChildProcess | undefined;
let output = "";
let devUrl = "";
let tempDir = "";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function runToEnd(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: webDir, env, stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    child.stdout?.on("data", (chunk: Buffer) => (log += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} exited ${code}:\n${log}`))));
  });
}

async function waitForHealth(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server?.exitCode !== null && server?.exitCode !== undefined) throw new Error(`dev server exited:\n${output}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`dev server did not answer /health within ${timeoutMs} ms:\n${output}`);
}

beforeAll(async () => {
  tempDir = await mkdtemp(path.join(os.tmpdir(), "latchkey-first-run-"));
  const port = await freePort();
  devUrl = `http://localhost:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "development",
    PORT: String(port),
    APP_URL: devUrl,
    LATCHKEY_DATA_DIR: path.join(tempDir, "pglite"),
    LATCHKEY_VITE_CACHE_DIR: path.join(tempDir, "vite-cache"),
  };
  delete env.DATABASE_URL;
  delete env.SMTP_URL;
  delete env.TRUSTED_PROXIES;
  await runToEnd("npm", ["run", "db:seed", "-w", "@latchkey/api"], env);
  server = spawn(process.execPath, ["server.js", "--dev"], { cwd: webDir, env, stdio: ["ignore", "pipe", "pipe"] });
  server.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  server.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await waitForHealth(devUrl, 90_000);
}, 180_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server?.once("exit", resolve));
    server.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (server.exitCode === null) server.kill("SIGKILL");
  }
  if (tempDir) await rm(tempDir, { recursive: true, force: true });
});

describe("a newcomer's first run of the dev server", () => {
  test("an organization page opened from an empty Vite cache hydrates without an error or a reload", async () => {
    const page = await browser.newPage({ extraHTTPHeaders: {} });
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") pageErrors.push(message.text());
    });

    await page.goto(`${devUrl}/sign-in`);
    await page.getByLabel("Email address").fill("alice@latchkey.test");
    await page.getByLabel("Password", { exact: true }).fill("latchkey-dev-password");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/sign-in"), { timeout: 60_000 });

    await page.goto(`${devUrl}/org/acme`);
    await page.getByRole("heading", { name: "Acme Inc", level: 1 }).waitFor({ timeout: 60_000 });
    // The tRPC provider renders the project list on the client; it must appear and stay (no optimize-and-reload).
    await page.getByText("Anvil redesign").waitFor({ timeout: 30_000 });
    await page.waitForLoadState("networkidle");

    expect(pageErrors).toEqual([]);
    expect(output).not.toContain("optimized dependencies changed");
    expect(output).not.toContain("new dependencies optimized");
  }, 120_000);
});
