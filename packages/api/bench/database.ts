/**
 * Where the bench's database comes from, in order: a fresh `latchkey_bench_<random>` database on the server named by
 * DATABASE_URL; else a throwaway Postgres started with `scripts/postgres.sh`; else in-memory PGlite (flagged loudly).
 * BENCH_DRIVER=pglite skips straight to PGlite.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createDb } from "@latchkey/db";

export interface BenchDatabase {
  /** postgres:// URL of a fresh, empty database; undefined means PGlite. */
  url: string | undefined;
  /** How the database was obtained, for the report. */
  source: string;
  /** Drops the database / stops the server and removes its directory. Safe to call twice. */
  cleanup: () => Promise<void>;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const postgresScript = path.join(repoRoot, "scripts", "postgres.sh");

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

function randomName(): string {
  return `latchkey_bench_${Math.random().toString(36).slice(2, 10)}`;
}

/** Creates a fresh database on the server `url` points at; its cleanup drops it. */
async function freshDatabaseOn(url: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = randomName();
  const admin = await createDb({ url, max: 1 });
  try {
    await admin.query(`create database ${name}`);
  } catch (error) {
    await admin.close().catch(() => undefined);
    throw error;
  }
  return {
    url: withDatabase(url, name),
    drop: async () => {
      try {
        await admin.query(`drop database if exists ${name} with (force)`);
      } finally {
        await admin.close().catch(() => undefined);
      }
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function runScript(args: string[], detached: boolean): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // Detached: a Ctrl-C in the terminal reaches us, not the postmaster, so we stop it in order.
    const child = spawn("bash", [postgresScript, ...args], { detached, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A throwaway Postgres via scripts/postgres.sh in a temporary directory. */
async function startThrowawayPostgres(): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "latchkey-bench-pg-"));
  const stop = async () => {
    await runScript(["stop", dir], false).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    const result = await runScript(["start", dir, String(port)], true);
    const url = result.stdout.trim().split("\n").pop() ?? "";
    if (result.code !== 0 || !url.startsWith("postgres://")) {
      throw new Error(`scripts/postgres.sh start failed (exit ${result.code}): ${result.stderr.trim().split("\n").slice(-3).join(" | ")}`);
    }
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | null = null;
  return () => (done ??= fn());
}

export async function provisionDatabase(say: (line: string) => void): Promise<BenchDatabase> {
  if (process.env.BENCH_DRIVER === "pglite") {
    return { url: undefined, source: "in-memory PGlite (BENCH_DRIVER=pglite)", cleanup: async () => {} };
  }
  const given = process.env.DATABASE_URL;
  if (given) {
    try {
      const fresh = await freshDatabaseOn(given);
      return { url: fresh.url, source: "DATABASE_URL (fresh database, dropped at the end)", cleanup: once(fresh.drop) };
    } catch (error) {
      say(`DATABASE_URL is set but unusable (${(error as Error).message}); trying a throwaway Postgres.`);
    }
  }
  try {
    const started = Date.now();
    const server = await startThrowawayPostgres();
    try {
      const fresh = await freshDatabaseOn(server.url);
      const ms = Date.now() - started;
      return {
        url: fresh.url,
        source: `throwaway Postgres from scripts/postgres.sh (started in ${(ms / 1000).toFixed(1)} s)`,
        cleanup: once(async () => {
          await fresh.drop().catch(() => undefined);
          await server.stop();
        }),
      };
    } catch (error) {
      await server.stop();
      throw error;
    }
  } catch (error) {
    say(`Could not start a throwaway Postgres (${(error as Error).message}).`);
  }
  return { url: undefined, source: "in-memory PGlite (no Postgres available)", cleanup: async () => {} };
}
