/**
 * Test databases: one fresh, migrated database per test file, on PGlite by default or on real Postgres when
 * `DATABASE_URL` is set. A Vitest global setup migrates once (`prepareTestTemplate`); each file clones it
 * (`createTestDb`), which takes about a second on PGlite and a tenth of that on Postgres.
 *
 * The PGlite template is kept in the temporary directory under a hash of the migrations and the PGlite version, so
 * the packages' runs (and the next `npm test`) load it instead of migrating again; a changed migration is a new hash.
 * The Postgres template is named per run, so packages can run their tests at the same time.
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll } from "vitest";
import { createDb, type DbHandle } from "./client.ts";
import { migrate, migrationsFolder } from "./migrate.ts";

const TEMPLATE_DB_PREFIX = "latchkey_test_template";
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
    // Per run: two packages testing at once each have their own (a shared name would be dropped under the other).
    const template = `${TEMPLATE_DB_PREFIX}_${process.pid}`;
    const { default: postgres } = await import("postgres");
    const admin = postgres(adminUrl(url), { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
      await admin.unsafe(`CREATE DATABASE ${template}`);
    } finally {
      await admin.end();
    }
    const handle = await createDb({ url: adminUrl(url, template), max: 1 });
    await migrate(handle);
    await handle.close();
    process.env[ENV_KEY] = template;
    return async () => {
      const cleanup = postgres(adminUrl(url), { max: 1, onnotice: () => {} });
      try {
        await cleanup.unsafe(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
      } finally {
        await cleanup.end();
      }
    };
  }
  process.env[options.embedded ? EMBEDDED_ENV_KEY : ENV_KEY] = await preparePgliteTemplate();
  return async () => {};
}

/** A hash of every migration file and of the PGlite version: the name of the template they produce. */
async function templateKey(): Promise<string> {
  const hash = createHash("sha256");
  const require = createRequire(path.join(process.cwd(), "noop.js"));
  // PGlite exports no package.json: walk up from its entry point to find its version.
  let dir = path.dirname(require.resolve("@electric-sql/pglite"));
  while (!(await stat(path.join(dir, "package.json")).catch(() => null)) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  hash.update(JSON.parse(await readFile(path.join(dir, "package.json"), "utf8")).version as string);
  const folder = migrationsFolder();
  const files = (await readdir(folder, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
  const names = files.map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name))).sort();
  for (const name of names) hash.update(`\0${name}\0`).update(await readFile(path.join(folder, name)));
  return hash.digest("hex").slice(0, 16);
}

/** The migrated PGlite data directory as a tarball: the cached one when the migrations are unchanged, else built. */
async function preparePgliteTemplate(): Promise<string> {
  const dir = path.join(tmpdir(), "latchkey-test-templates");
  const file = path.join(dir, `${await templateKey()}.tar`);
  const built = await stat(file).catch(() => null);
  if (built && built.size > 0) return file;
  const handle = await createDb({ dataDir: "memory://" });
  await migrate(handle);
  const client = (handle.db as unknown as { $client: PGlite }).$client;
  const dump = await client.dumpDataDir("none");
  await handle.close();
  await mkdir(dir, { recursive: true });
  // Written aside and renamed, so a package starting meanwhile never reads half a file.
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
  await rename(partial, file);
  return file;
}

/** A fresh migrated database for one test file. Call `close()` in `afterAll`. */
export async function createTestDb(options: TestDbOptions = {}): Promise<DbHandle> {
  const url = options.embedded ? undefined : process.env.DATABASE_URL;
  if (url) {
    const template = process.env[ENV_KEY] ?? TEMPLATE_DB_PREFIX;
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
