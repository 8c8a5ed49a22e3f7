import { createRequire } from "node:module";
import path from "node:path";
import { sql } from "drizzle-orm";
import type { DbHandle } from "./client.ts";
// The grants declared in code. A relative import, not a package one: @latchkey/auth depends on this package, and the
// declarations module is plain data with no imports of its own.
import { defaultRolePermissions } from "../../auth/src/permissions.ts";

/**
 * The migrations folder, found through this package's own package.json: the package is inlined into the web app's
 * server build, so `import.meta.url` would point into `build/`.
 */
export function migrationsFolder(): string {
  const require = createRequire(path.join(process.cwd(), "noop.js"));
  return path.join(path.dirname(require.resolve("@latchkey/db/package.json")), "migrations");
}

interface SqlRunner {
  execute(query: ReturnType<typeof sql>): Promise<unknown>;
}

/**
 * Grants in code: gives each system role every permission `defaultRolePermissions` (auth's permissions.ts) lists and
 * it lacks. Idempotent, and it only ever adds: a custom permission an instance admin granted a system role stays.
 * A role row changes only when something is missing, and its `roles_refresh_rights` trigger (ADR 004) then refreshes
 * the rights materialised on its memberships in the same statement.
 */
export async function syncSystemRoleGrants(db: SqlRunner, grants: Record<string, readonly string[]> = defaultRolePermissions): Promise<void> {
  for (const [key, permissions] of Object.entries(grants)) {
    if (permissions.length === 0) continue;
    const declared = sql`ARRAY[${sql.join(permissions.map((p) => sql`${p}`), sql`, `)}]::text[]`;
    await db.execute(sql`
      UPDATE roles SET
        permissions = (SELECT array_agg(DISTINCT p ORDER BY p) FROM unnest(permissions || ${declared}) AS p),
        updated_at = now()
      WHERE key = ${key} AND is_system AND NOT (permissions @> ${declared})`);
  }
}

/**
 * Applies pending migrations, then the system roles' grants declared in code (`syncSystemRoleGrants`), so tests, dev
 * and production all get a newly declared grant without a hand-written migration. On Postgres an advisory lock keeps
 * concurrent starters from racing.
 */
export async function migrate(handle: DbHandle): Promise<void> {
  const migrationsFolderPath = migrationsFolder();
  if (handle.kind === "pglite") {
    const { migrate: run } = await import("drizzle-orm/pglite/migrator");
    await run(handle.db as never, { migrationsFolder: migrationsFolderPath });
    await syncSystemRoleGrants(handle.db as unknown as SqlRunner);
    return;
  }
  const { migrate: run } = await import("drizzle-orm/postgres-js/migrator");
  const { drizzle } = await import("drizzle-orm/postgres-js");
  const { default: postgres } = await import("postgres");
  // One dedicated connection, so the advisory lock and the migration share a session.
  const client = postgres(handle.url ?? "", { max: 1, onnotice: () => {} });
  try {
    await client`select pg_advisory_lock(727274)`;
    const db = drizzle(client);
    await run(db, { migrationsFolder: migrationsFolderPath });
    await syncSystemRoleGrants(db);
  } finally {
    await client.end({ timeout: 5 });
  }
}
