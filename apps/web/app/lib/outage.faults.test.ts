/**
 * A fault test with a real Postgres (ADR 026): a throwaway server of our own (scripts/postgres.sh, its own port and
 * directory) is stopped under load and started again, then frozen (SIGSTOP) and thawed, while pages (GET and
 * no-JavaScript form posts, through the real Remix handler and the request guard) and tRPC calls keep coming.
 * While it is down every answer is a 503; afterwards the same process answers 200 again (no restart); and no request
 * waits longer than the pool's bound. Skipped where no PostgreSQL server binaries exist (CI installs them).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createDb, migrate, type DbHandle } from "@latchkey/db";
import { signUpConfirmed } from "@latchkey/api/testing";
import { DATABASE_BOUNDS, REQUEST_BOUND_MS } from "~/lib/db.server";
import { createRemixServer } from "~/test/remix-server";

const APP_URL = "http://localhost:3000";
const script = path.resolve(import.meta.dirname, "../../../../scripts/postgres.sh");
/** The longest any request may take: the app's bound (db.server.ts) and some slack for a busy machine. */
const BOUND_MS = REQUEST_BOUND_MS + 3000;

function hasPostgres(): boolean {
  try {
    execFileSync("sh", ["-c", "command -v initdb"], { stdio: "ignore" });
    return true;
  } catch {
    const root = "/usr/lib/postgresql";
    return existsSync(root) && readdirSync(root).some((v) => existsSync(path.join(root, v, "bin", "initdb")));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const available = hasPostgres();
const pg = (...args: string[]) => execFileSync("bash", [script, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
type Globals = typeof globalThis & { __latchkeyDb?: Promise<DbHandle> };
const globals = globalThis as Globals;
let dir = "";
let port = 0;
let handle: DbHandle | undefined;
let cookie = "";

beforeAll(async () => {
  if (!available) return;
  vi.stubEnv("NODE_ENV", "test");
  vi.stubEnv("APP_URL", APP_URL);
  dir = mkdtempSync(path.join(tmpdir(), "latchkey-web-faults-"));
  port = await freePort();
  const url = pg("start", dir, String(port)).trim();
  handle = await createDb({ url, max: 4, ...DATABASE_BOUNDS });
  await migrate(handle);
  globals.__latchkeyDb = Promise.resolve(handle);
  const { token } = await signUpConfirmed(handle.db, { email: `faults-${Date.now()}@example.test`, password: "correct horse battery staple" }, { appUrl: APP_URL });
  cookie = `latchkey_session=${token}`;
}, 120_000);

afterAll(async () => {
  globals.__latchkeyDb = undefined;
  vi.unstubAllEnvs();
  await handle?.close().catch(() => undefined);
  if (dir) {
    thaw();
    try {
      pg("stop", dir);
    } catch {
      // already stopped
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The server's processes (postmaster and its children): ours, started above. */
function serverPids(): string[] {
  const postmaster = readFileSync(path.join(dir, "postmaster.pid"), "utf8").split("\n")[0]!.trim();
  const children = execFileSync("ps", ["-o", "pid=", "--ppid", postmaster], { encoding: "utf8" }).split("\n").map((s) => s.trim()).filter(Boolean);
  return [postmaster, ...children];
}
let frozen: string[] = [];
function freeze() {
  frozen = serverPids();
  execFileSync("kill", ["-STOP", ...frozen]);
}
function thaw() {
  if (frozen.length === 0) return;
  execFileSync("kill", ["-CONT", ...frozen]);
  frozen = [];
}

const form = (fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { origin: APP_URL, host: "localhost:3000", "content-type": "application/x-www-form-urlencoded", ...headers },
  body: new URLSearchParams(fields),
});

/** Each kind of request the app serves, every one of which needs the database. */
const requests: Array<[string, () => Request]> = [
  ["GET /sign-in", () => new Request(`${APP_URL}/sign-in`)],
  ["POST /sign-in", () => new Request(`${APP_URL}/sign-in`, form({ email: "nobody@example.test", password: "wrong password here" }))],
  ["POST /forgot-password", () => new Request(`${APP_URL}/forgot-password`, form({ email: "nobody@example.test" }))],
  ["GET /orgs/new", () => new Request(`${APP_URL}/orgs/new`, { headers: { cookie } })],
  ["GET /sign-in.data", () => new Request(`${APP_URL}/sign-in.data`)],
  ["tRPC user.me", () => new Request(`${APP_URL}/api/trpc/user.me`, { headers: { cookie } })],
];

interface Outcome {
  name: string;
  status: number;
  startedAt: number;
  ms: number;
}

describe.skipIf(!available)("when Postgres stops and starts again under load", () => {
  it("pages and tRPC answer only 503s while it is down or frozen, recover without a restart, and never wait past the bound", async () => {
    const server = createRemixServer({
      "routes/sign-in": { path: "sign-in", module: await import("~/routes/sign-in") },
      "routes/forgot-password": { path: "forgot-password", module: await import("~/routes/forgot-password") },
      "routes/orgs.new": { path: "orgs/new", module: await import("~/routes/orgs.new") },
      "routes/api.trpc.$": { path: "api/trpc/*", module: await import("~/routes/api.trpc.$") },
    });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const outcomes: Outcome[] = [];
    let running = true;
    async function worker(offset: number) {
      for (let i = offset; running; i++) {
        const [name, make] = requests[i % requests.length]!;
        const startedAt = Date.now();
        const response = await server.fetch(make());
        await response.text();
        outcomes.push({ name, status: response.status, startedAt, ms: Date.now() - startedAt });
      }
    }
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const between = (from: number, to: number) => outcomes.filter((o) => o.startedAt >= from && o.startedAt + o.ms <= to);
    /** One request of every kind at once, beside the load: each must meet the outage. */
    const probe = () =>
      Promise.all(
        requests.map(async ([name, make]) => {
          const startedAt = Date.now();
          const response = await server.fetch(make());
          const body = await response.text();
          return { name, status: response.status, startedAt, ms: Date.now() - startedAt, body };
        }),
      );

    try {
      const workers = Array.from({ length: 4 }, (_, i) => worker(i));
      await sleep(1500);
      const up = Date.now();

      pg("stop", dir);
      const stopped = Date.now();
      const [whileDown] = await Promise.all([probe(), sleep(2000)]);
      const restarting = Date.now();
      pg("start", dir, String(port));
      const restarted = Date.now();
      await sleep(2500);

      freeze();
      const frozeAt = Date.now();
      const [whileFrozen] = await Promise.all([probe(), sleep(REQUEST_BOUND_MS + 3500)]);
      const thawing = Date.now();
      thaw();
      // A thawed server first works through the connection attempts queued while it was frozen.
      await sleep(6000);
      running = false;
      await Promise.all(workers);
      const end = Date.now();

      const summary = (list: Outcome[]) => list.map((o) => `${o.name} ${o.status} ${o.ms}ms`).join("\n");
      if (process.env.FAULTS_DEBUG) console.info(outcomes.map((o) => `${o.startedAt - up} ${o.name} ${o.status} ${o.ms}ms`).join("\n"), { stopped: stopped - up, restarting: restarting - up, restarted: restarted - up, frozeAt: frozeAt - up, thawing: thawing - up, end: end - up });
      const before = between(0, up);
      expect(before.length).toBeGreaterThan(0);
      expect(before.filter((o) => o.status >= 500), summary(before)).toEqual([]);

      const down = between(stopped, restarting);
      expect(down.length).toBeGreaterThan(0);
      expect(down.filter((o) => o.status !== 503), summary(down)).toEqual([]);

      // Recovered by itself: the last second before the freeze is all answers from a working database.
      const recovered = between(restarted + 1500, frozeAt);
      expect(recovered.length).toBeGreaterThan(0);
      expect(recovered.filter((o) => o.status >= 500), summary(recovered)).toEqual([]);

      // Frozen: nothing answers, so only the pool's deadline ends the wait — with a 503.
      const hung = outcomes.filter((o) => o.startedAt >= frozeAt && o.startedAt < thawing - REQUEST_BOUND_MS - 500);
      expect(hung.length).toBeGreaterThan(0);
      expect(hung.filter((o) => o.status !== 503), summary(hung)).toEqual([]);

      // Recovered again: the last requests (a thawed server on a busy machine first catches up with its backlog).
      const after = outcomes.filter((o) => o.startedAt >= end - 2500 && o.startedAt >= thawing + 3000);
      expect(after.length).toBeGreaterThan(0);
      expect(after.filter((o) => o.status >= 500), summary(after)).toEqual([]);

      // Every kind of request met the outage and answered 503, without SQL, an address or a stack.
      for (const probed of [whileDown, whileFrozen]) {
        expect(probed.map((o) => `${o.name} ${o.status}`)).toEqual(requests.map(([name]) => `${name} 503`));
        for (const o of probed) expect(o.body).not.toMatch(/select\s+"|instance_settings|Failed query|ECONNREFUSED|127\.0\.0\.1|\n\s+at /i);
        outcomes.push(...probed);
      }
      const slowest = Math.max(...outcomes.map((o) => o.ms));
      expect(slowest, `slowest request ${slowest} ms`).toBeLessThan(BOUND_MS);
      console.info(`[faults] ${outcomes.length} requests; while down ${down.length + whileDown.length} × 503, while frozen ${hung.length + whileFrozen.length} × 503; slowest ${slowest} ms (bound ${BOUND_MS} ms)`);
    } finally {
      running = false;
      thaw();
      warn.mockRestore();
    }
  }, 120_000);
});
