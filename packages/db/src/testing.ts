/**
 * Test databases: one fresh, migrated database per test file, on PGlite by default or on real Postgres when
 * `DATABASE_URL` is set. A Vitest global setup migrates once (`prepareTestTemplate`); each file clones it
 * (`createTestDb`), which takes about a second on PGlite and a tenth of that on Postgres.
 */
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll } from "vitest";
import { createDb, type DbHandle } from "./client.ts";
import { migrate } from "./migrate.ts";

const TEMPLATE_DB = "latchkey_test_template";
const ENV_KEY = "LATCHKEY_TEST_TEMPLATE";
const EMBEDDED_ENV_KEY = "LATCHKEY_TEST_PGLITE_TEMPLATE";

export interface TestDbOptions {
  /** Always embedded PGlite, even when `DATABASE_URL` is set (the web app's route tests run on in-memory PGlite). */
  embedded?: boolean;
}

function adminUrl(url: string, database = "postgres"): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Run once per test run (Vitest `globalSetup`): builds the migrated template and tells workers where it is. */
export async function prepareTestTemplate(options: TestDbOptions = {}): Promise<() => Promise<void>> {
  const url = options.embedded ? undefined : process.env.DATABASE_URL;
  if (url) {
    const { default: postgres } = await import("postgres");
    const admin = postgres(adminUrl(url), { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
      await admin.unsafe(`CREATE DATABASE ${TEMPLATE_DB}`);
    } finally {
      await admin.end();
    }
    const handle = await createDb({ url: adminUrl(url, TEMPLATE_DB), max: 1 });
    await migrate(handle);
    await handle.close();
    process.env[ENV_KEY] = TEMPLATE_DB;
    return async () => {};
  }
  const handle = await createDb({ dataDir: "memory://" });
  await migrate(handle);
  const client = (handle.db as unknown as { $client: PGlite }).$client;
  const dump = await client.dumpDataDir("none");
  await handle.close();
  const file = path.join(tmpdir(), `latchkey-test-template-${process.pid}-${Date.now()}.tar`);
  await writeFile(file, Buffer.from(await dump.arrayBuffer()));
  process.env[options.embedded ? EMBEDDED_ENV_KEY : ENV_KEY] = file;
  return async () => {
    const { rm } = await import("node:fs/promises");
    await rm(file, { force: true });
  };
}

/** A fresh migrated database for one test file. Call `close()` in `afterAll`. */
export async function createTestDb(options: TestDbOptions = {}): Promise<DbHandle> {
  const url = options.embedded ? undefined : process.env.DATABASE_URL;
  if (url) {
    const template = process.env[ENV_KEY] ?? TEMPLATE_DB;
    const name = `latchkey_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    const { default: postgres } = await import("postgres");
    const admin = postgres(adminUrl(url), { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    const handle = await createDb({ url: adminUrl(url, name), max: 4 });
    return {
      ...handle,
      close: async () => {
        await handle.close();
        await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      },
    };
  }
  const file = process.env[options.embedded ? EMBEDDED_ENV_KEY : ENV_KEY];
  if (!file) {
    // No global setup ran: migrate from scratch (slower, but correct).
    const handle = await createDb({ dataDir: "memory://" });
    await migrate(handle);
    return handle;
  }
  const blob = new Blob([await readFile(file)]);
  return createDb({ dataDir: "memory://", loadDataDir: blob });
}

/**
 * Set by a package's Vitest setup file to run something on every test database (the API's runs its tests with the
 * auth cache on when LATCHKEY_TEST_AUTH_CACHE=1).
 */
export const testDbHooks: { afterOpen?: (handle: DbHandle) => Promise<void>; beforeClose?: (handle: DbHandle) => Promise<void> } = {};

/**
 * A fresh database for the test file that calls it: `const db = useTestDb();` then `db().db` inside tests.
 * Registers the Vitest hooks that create it before the file's tests and drop it after them.
 */
export function useTestDb(): () => DbHandle {
  let handle: DbHandle | undefined;
  beforeAll(async () => {
    handle = await createTestDb();
    await testDbHooks.afterOpen?.(handle);
  });
  afterAll(async () => {
    if (handle) await testDbHooks.beforeClose?.(handle);
    await handle?.close();
  });
  return () => {
    if (!handle) throw new Error("useTestDb(): the database exists only inside tests and hooks");
    return handle;
  };
}
