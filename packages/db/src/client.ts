import { mkdirSync } from "node:fs";
import path from "node:path";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type { Logger } from "drizzle-orm/logger";
import * as schema from "./schema.ts";
import { listenOnPglite, listenOnPostgres, type ListenerHandlers, type NotificationListener } from "./listener.ts";

export type Schema = typeof schema;
/** The common type of the postgres.js and PGlite drizzle databases. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;

export interface DbHandle {
  db: Database;
  kind: "postgres" | "pglite";
  /** The postgres:// URL, when on Postgres. */
  url?: string;
  /** Counts statements sent through drizzle; benchmarks and the one-round-trip test read it. */
  queryCount: () => number;
  /** Runs raw SQL and returns rows the same way on both drivers. */
  query: <T = Record<string, unknown>>(text: string) => Promise<T[]>;
  close: () => Promise<void>;
  /** LISTENs on `channel` over a dedicated connection (Postgres) or the one connection (PGlite); see listener.ts. */
  listen: (channel: string, handlers: ListenerHandlers) => Promise<NotificationListener>;
}

export interface CreateDbOptions {
  /** postgres:// URL; when absent, embedded PGlite is used. */
  url?: string | undefined;
  /** PGlite data directory; `memory://` for an in-memory database. Defaults to `<cwd>/.data/pglite`. */
  dataDir?: string | undefined;
  /** A PGlite dump (from `dumpDataDir`) to start from, so tests skip migrating. */
  loadDataDir?: Blob | File | undefined;
  /** Size of the postgres.js pool. */
  max?: number;
  onQuery?: (query: string) => void;
}

class CountingLogger implements Logger {
  count = 0;
  constructor(private readonly onQuery?: (query: string) => void) {}
  logQuery(query: string): void {
    this.count++;
    this.onQuery?.(query);
  }
}

export function defaultDataDir(): string {
  return process.env.LATCHKEY_DATA_DIR ?? path.join(findRoot(), ".data", "pglite");
}

/** The repository root (where `.data/` lives), found from the working directory: npm workspaces run scripts in the package folder. */
function findRoot(): string {
  const cwd = process.cwd();
  const marker = `${path.sep}apps${path.sep}`;
  const pkgMarker = `${path.sep}packages${path.sep}`;
  for (const m of [marker, pkgMarker]) {
    const i = cwd.lastIndexOf(m);
    if (i !== -1) return cwd.slice(0, i);
  }
  return cwd;
}

export async function createDb(options: CreateDbOptions = {}): Promise<DbHandle> {
  const logger = new CountingLogger(options.onQuery);
  const url = options.url;
  if (url) {
    const { default: postgres } = await import("postgres");
    const { drizzle } = await import("drizzle-orm/postgres-js");
    const client = postgres(url, {
      max: options.max ?? 10,
      onnotice: () => {},
      connection: { application_name: "latchkey" },
    });
    // drizzle sends unnamed queries unprepared, which postgres.js does in two round trips and Postgres re-plans each
    // time. Every query drizzle builds has a fixed text with $n parameters, so preparing them all (postgres.js keeps
    // them per connection, keyed by text) makes each one a single round trip with a cached plan.
    const unsafe = client.unsafe.bind(client);
    const prepared = ((query: string, params?: unknown[], opts?: { prepare?: boolean }) =>
      unsafe(query, params as never, { ...opts, prepare: true })) as typeof client.unsafe;
    const db = drizzle(Object.assign(client, { unsafe: prepared }), { schema, logger }) as unknown as Database;
    return {
      db,
      kind: "postgres",
      url,
      queryCount: () => logger.count,
      query: async <T>(text: string) => (await unsafe(text)) as unknown as T[],
      close: () => client.end({ timeout: 5 }),
      listen: (channel, handlers) => listenOnPostgres(url, channel, handlers),
    };
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const { pg_trgm } = await import("@electric-sql/pglite/contrib/pg_trgm");
  const { drizzle } = await import("drizzle-orm/pglite");
  const dataDir = options.dataDir ?? defaultDataDir();
  if (!dataDir.startsWith("memory://")) mkdirSync(dataDir, { recursive: true });
  // pg_trgm: the search indexes (migration 0018) need the extension loaded in every PGlite that opens the database.
  const extensions = { pg_trgm };
  const client = await PGlite.create(dataDir, options.loadDataDir ? { loadDataDir: options.loadDataDir, extensions } : { extensions });
  const db = drizzle(client, { schema, logger }) as unknown as Database;
  return {
    db,
    kind: "pglite",
    queryCount: () => logger.count,
    query: async <T>(text: string) => (await client.query<T>(text)).rows,
    close: () => client.close(),
    listen: (channel, handlers) => listenOnPglite(client, channel, handlers),
  };
}
