import type { Database } from "@latchkey/db";

/**
 * A query built once per database and kept as a named prepared statement: for hot paths, it skips rebuilding the SQL
 * on every request and lets Postgres reuse its plan. Use `sql.placeholder("name")` for the values.
 *
 *   const listThings = preparedStatement((db) => db.select().from(things)
 *     .where(eq(things.organizationId, sql.placeholder("orgId"))).prepare("latchkey_list_things"));
 *   await listThings(ctx.db).execute({ orgId: ctx.organization.id });
 */
export function preparedStatement<T>(build: (db: Database) => T): (db: Database) => T {
  const cache = new WeakMap<Database, T>();
  return (db) => {
    let statement = cache.get(db);
    if (statement === undefined) {
      statement = build(db);
      cache.set(db, statement);
    }
    return statement;
  };
}
