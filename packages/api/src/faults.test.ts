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
