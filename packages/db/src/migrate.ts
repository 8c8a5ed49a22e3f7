import { createRequire } from "node:module";
import path from "node:path";
import type { DbHandle } from "./client.ts";

/**
 * The migrations folder, found through this package's own package.json: the package is inlined into the web app's
 * server build, so `import.meta.url` would point into `build/`.
 */
export function migrationsFolder(): string {
  const require = createRequire(path.join(process.cwd(), "noop.js"));
  return path.join(path.dirname(require.resolve("@latchkey/db/package.json")), "migrations");
}

/** Applies pending migrations. On Postgres an advisory lock keeps concurrent starters from racing. */
export async function migrate(handle: DbHandle): Promise<void> {
  const migrationsFolderPath = migrationsFolder();
  if (handle.kind === "pglite") {
    const { migrate: run } = await import("drizzle-orm/pglite/migrator");
    await run(handle.db as never, { migrationsFolder: migrationsFolderPath });
    return;
  }
  const { migrate: run } = await import("drizzle-orm/postgres-js/migrator");
  const { drizzle } = await import("drizzle-orm/postgres-js");
  const { default: postgres } = await import("postgres");
  // One dedicated connection, so the advisory lock and the migration share a session.
  const client = postgres(handle.url ?? "", { max: 1, onnotice: () => {} });
  try {
    await client`select pg_advisory_lock(727274)`;
    await run(drizzle(client), { migrationsFolder: migrationsFolderPath });
  } finally {
    await client.end({ timeout: 5 });
  }
}
