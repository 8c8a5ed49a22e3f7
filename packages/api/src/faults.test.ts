/**
 * Postgres going away and coming back, for real: a server of our own is stopped under the app and started again.
 * Skipped where no PostgreSQL server binaries exist (CI installs them).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, migrate, type DbHandle } from "@latchkey/db";
import { handleTrpcRequest } from "./http.ts";
import { createInnerContext } from "./context.ts";
import { startAuthCache, stopAuthCache, type AuthCache } from "./auth-cache.ts";
import { APP_URL, signUp } from "../test/helpers.ts";

const script = path.resolve(import.meta.dirname, "../../../scripts/postgres.sh");

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
let dir = "";
let port = 0;
let handle: DbHandle | undefined;

const pg = (...args: string[]) => execFileSync("bash", [script, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

beforeAll(async () => {
  if (!available) return;
  dir = mkdtempSync(path.join(tmpdir(), "latchkey-faults-"));
  port = await freePort();
  const url = pg("start", dir, String(port)).trim();
  handle = await createDb({ url, max: 2 });
  await migrate(handle);
}, 60_000);

afterAll(async () => {
  await handle?.close().catch(() => undefined);
  if (dir) {
    try {
      pg("stop", dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

const logs: string[] = [];
function request(path: string, init: RequestInit = {}) {
  return handleTrpcRequest(new Request(`${APP_URL}/api/trpc/${path}`, init), {
    db: handle!.db,
    appUrl: APP_URL,
    log: (line) => logs.push(line),
  });
}

describe.skipIf(!available)("when Postgres goes down", () => {
  it("answers 503 without details, keeps protected procedures closed, and recovers by itself when it returns", async () => {
    const { token } = await signUp(handle!);
    const cookie = `latchkey_session=${token}`;
    expect((await request("user.me", { headers: { cookie } })).status).toBe(200);

    pg("stop", dir);
    const down = await request("user.me", { headers: { cookie } });
    expect(down.status).toBe(503);
    const body = await down.text();
    expect(body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres|select/i);
    expect((await request("auth.session", { headers: { cookie } })).status).toBe(503);

    pg("start", dir, String(port));
    // postgres.js reconnects on the next query; no restart of the app is needed.
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await request("user.me", { headers: { cookie } })).status);
    expect(statuses).toEqual([200, 200, 200]);
    expect(logs.join("\n")).not.toMatch(/secret_hash|select/i);
  }, 60_000);
});

/** Polls `check` every 10 ms until it holds; fails after `ms`. */
async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`still not ${what} after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.skipIf(!available)("when the auth cache's LISTEN connection is lost", () => {
  const lines: string[] = [];
  let cache: AuthCache;
  const signedIn = async (token: string) =>
    (await createInnerContext({ db: handle!.db, sessionToken: token, appUrl: APP_URL }).getAuth()) !== null;
  /** A change made behind the instance's back (another instance, whose notification this one may miss). */
  const revoke = async (token: string) => {
    const other = await createDb({ url: handle!.url!, max: 1 });
    try {
      await other.query(`delete from sessions where id = '${token.split(".")[0]}'`);
    } finally {
      await other.close();
    }
  };

  beforeAll(async () => {
    cache = await startAuthCache(handle!, { log: (line) => lines.push(line), heartbeatMs: 0 });
  });
  afterAll(async () => {
    await stopAuthCache(handle!);
  });

  it("flushes and bypasses the cache while it is down, and comes back by itself (pg_terminate_backend)", async () => {
    const [a, b] = [await signUp(handle!), await signUp(handle!)];
    await until(() => cache.status().state === "up", 5000, "subscribed");
    expect(await signedIn(a.token)).toBe(true);
    expect(await signedIn(a.token)).toBe(true);
    expect(cache.status().entries).toBeGreaterThan(0);

    const pid = cache.listenerPid();
    expect(pid).not.toBeNull();
    await handle!.query(`select pg_terminate_backend(${pid})`);
    await until(() => cache.status().state === "down", 2000, "down");
    expect(cache.status().entries).toBe(0);
    expect(lines.join("\n")).toMatch(/listener down/);

    // Missed by the listener: the next answer still reads the database.
    await revoke(a.token);
    expect(await signedIn(a.token)).toBe(false);

    await until(() => cache.status().state === "up", 5000, "back up");
    expect(cache.listenerPid()).not.toBe(pid);
    await cache.sync();
    const hits = cache.status().hits;
    expect(await signedIn(b.token)).toBe(true);
    expect(await signedIn(b.token)).toBe(true);
    expect(cache.status().hits).toBe(hits + 1);
    // And it hears again.
    await revoke(b.token);
    await until(async () => !(await signedIn(b.token)), 2000, "refused after the notification");
  }, 30_000);

  it("survives a real Postgres restart: no stale answer, then the cache is back in use", async () => {
    const user = await signUp(handle!);
    expect(await signedIn(user.token)).toBe(true);
    expect(await signedIn(user.token)).toBe(true);

    pg("stop", dir);
    await until(() => cache.status().state === "down", 5000, "down");
    expect(cache.status().entries).toBe(0);
    pg("start", dir, String(port));
    // Revoked before the listener may be back: whatever the timing, it must not be answered from the cache.
    await revoke(user.token);
    expect(await signedIn(user.token)).toBe(false);

    await until(() => cache.status().state === "up", 10_000, "back up");
    const fresh = await signUp(handle!);
    // Its own notifications first: a read racing one about its user is (rightly) not kept.
    await cache.sync();
    const hits = cache.status().hits;
    expect(await signedIn(fresh.token)).toBe(true);
    expect(await signedIn(fresh.token)).toBe(true);
    expect(cache.status().hits).toBe(hits + 1);
    expect(await signedIn(user.token)).toBe(false);
  }, 60_000);
});
