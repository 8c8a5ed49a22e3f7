/**
 * The process's one database handle. PGlite has no lock across processes, and Vite re-evaluates modules on every
 * change in dev, so the handle lives on `globalThis`; migrations run once, on first use.
 */
import { createDb, migrate, type DbHandle } from "@latchkey/db";
import { getAuthCache, startAuthCache, stopAuthCache, type AuthCacheStatus } from "@latchkey/api/auth-cache";
import { getEnv } from "./env.server";

const HEALTH_TIMEOUT_MS = 2000;

/**
 * How long the app waits on Postgres (ADR 026): 3 s to connect, 3 s for a statement, and 4 s for any answer at all,
 * so an outage costs a request a 503 within seconds rather than a hang.
 */
export const DATABASE_BOUNDS = { connectTimeoutSeconds: 3, statementTimeoutMs: 3_000 } as const;
/**
 * The longest a request waits while the database is frozen: two answer deadlines, since the auth lookup retries once
 * after a failed read (auth-lookup.ts).
 */
export const REQUEST_BOUND_MS = 2 * (DATABASE_BOUNDS.statementTimeoutMs + 1000);

const globalForDb = globalThis as typeof globalThis & {
  __latchkeyDb?: Promise<DbHandle>;
};

async function openDb(): Promise<DbHandle> {
  const env = getEnv();
  const handle = await createDb({ url: env.DATABASE_URL, dataDir: env.LATCHKEY_DATA_DIR, ...DATABASE_BOUNDS });
  try {
    await migrate(handle);
  } catch (error) {
    await handle.close().catch(() => {});
    throw error;
  }
  // The auth cache (ADR 023) serves signed-in requests without SQL while its LISTEN connection is subscribed; until
  // then, and whenever that connection is lost, every request reads the database as before.
  await startAuthCache(handle);
  return handle;
}

/** The shared, migrated database handle. A failed start is not cached, so the next call tries again. */
export function getDb(): Promise<DbHandle> {
  if (!globalForDb.__latchkeyDb) {
    const opening = openDb();
    globalForDb.__latchkeyDb = opening;
    opening.catch(() => {
      if (globalForDb.__latchkeyDb === opening) globalForDb.__latchkeyDb = undefined;
    });
  }
  return globalForDb.__latchkeyDb;
}

/** True when the database answers `select 1` within two seconds; never throws. */
export async function checkDatabase(timeoutMs = HEALTH_TIMEOUT_MS): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const check = (async () => {
    const handle = await getDb();
    await handle.query("select 1");
    return true;
  })().catch(() => false);
  try {
    return await Promise.race([check, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The auth cache's state for /health: whether it is in use and how full, never the reason text (it may name hosts). */
export async function getAuthCacheHealth(): Promise<Pick<AuthCacheStatus, "state" | "since" | "entries"> | null> {
  const handle = await getDb().catch(() => null);
  const status = handle ? getAuthCache(handle.db)?.status() : undefined;
  return status ? { state: status.state, since: status.since, entries: status.entries } : null;
}

/** Closes the shared handle (server.js calls it on shutdown, so PGlite flushes to disk). */
export async function closeDb(): Promise<void> {
  const opening = globalForDb.__latchkeyDb;
  globalForDb.__latchkeyDb = undefined;
  if (!opening) return;
  const handle = await opening.catch(() => null);
  if (!handle) return;
  await stopAuthCache(handle);
  await handle.close();
}
