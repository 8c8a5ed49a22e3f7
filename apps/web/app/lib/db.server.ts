/**
 * The process's one database handle. PGlite has no lock across processes, and Vite re-evaluates modules on every
 * change in dev, so the handle lives on `globalThis`; migrations run once, on first use.
 */
import { createDb, migrate, type DbHandle } from "@latchkey/db";
import { getEnv } from "./env.server";

const HEALTH_TIMEOUT_MS = 2000;

/**
 * How long a request may wait on Postgres (ADR 026): 3 s to connect, 5 s for a statement, and 6 s for any answer at
 * all, so an outage costs a request a 503 within seconds rather than a hang.
 */
export const DATABASE_BOUNDS = { connectTimeoutSeconds: 3, statementTimeoutMs: 5_000 } as const;

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

/** Closes the shared handle (server.js calls it on shutdown, so PGlite flushes to disk). */
export async function closeDb(): Promise<void> {
  const opening = globalForDb.__latchkeyDb;
  globalForDb.__latchkeyDb = undefined;
  if (!opening) return;
  const handle = await opening.catch(() => null);
  await handle?.close();
}
