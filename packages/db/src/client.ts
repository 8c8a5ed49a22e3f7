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
  /** postgres.js: seconds a new connection may take before its query fails (a down or unreachable server). */
  connectTimeoutSeconds?: number;
  /**
   * postgres.js: the longest a statement may run (Postgres' `statement_timeout`), and, one second later, the longest
   * a query outside a transaction waits for an answer at all (a frozen or cut-off server never answers, so its own
   * timeout can't fire). 0 or absent: no limit (scripts, migrations); the app sets one.
   */
  statementTimeoutMs?: number;
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

interface PendingQuery {
  state: unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  cancel: () => unknown;
}

/**
 * Fails a postgres.js query that has no answer after `ms`, with an error `isDatabaseUnavailable` recognises. A query
 * still queued for a connection is cancelled (postgres.js drops it); one already sent is only rejected here, since a
 * cancel request to a frozen server would wait as well.
 */
function withDeadline<Q>(query: Q, ms: number): Q {
  if (ms <= 0) return query;
  const pending = query as unknown as PendingQuery;
  const timer = setTimeout(() => {
    if (pending.state) pending.reject(Object.assign(new Error("The database did not answer in time."), { code: "QUERY_DEADLINE" }));
    else pending.cancel();
  }, ms);
  timer.unref();
  const { resolve, reject } = pending;
  pending.resolve = (value) => (clearTimeout(timer), resolve(value));
  pending.reject = (error) => (clearTimeout(timer), reject(error));
  return query;
}

/**
 * `begin` with the same deadline for the whole transaction (queries inside it bypass `unsafe`). A transaction whose
 * turn comes after the deadline never runs its body (it would write for a request already answered 503); one cut
 * short mid-way is rolled back by the server's own statement timeout when it answers again.
 */
function transactionWithDeadline(begin: (...args: unknown[]) => Promise<unknown>, ms: number) {
  if (ms <= 0) return begin;
  return (...args: unknown[]) => {
    let expired = false;
    const body = args.at(-1) as (sql: unknown) => unknown;
    const running = begin(...args.slice(0, -1), (sql: unknown) => {
      if (expired) throw Object.assign(new Error("The database did not answer in time."), { code: "QUERY_DEADLINE" });
      return body(sql);
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        expired = true;
        reject(Object.assign(new Error("The database did not answer in time."), { code: "QUERY_DEADLINE" }));
      }, ms);
    });
    running.catch(() => undefined); // settles after the caller moved on; its outcome was already reported
    return Promise.race([running, deadline]).finally(() => clearTimeout(timer));
  };
}

export async function createDb(options: CreateDbOptions = {}): Promise<DbHandle> {
  const logger = new CountingLogger(options.onQuery);
  const url = options.url;
  if (url) {
    const { default: postgres } = await import("postgres");
    const { drizzle } = await import("drizzle-orm/postgres-js");
    const statementTimeoutMs = options.statementTimeoutMs ?? 0;
    const client = postgres(url, {
      max: options.max ?? 10,
      onnotice: () => {},
      connect_timeout: options.connectTimeoutSeconds ?? 30,
      // With bounds set, reconnect every half second: postgres.js' default backoff grows to 10–20 s after repeated
      // failures, so the app would stay down that long after Postgres is back (the debts branch owns reconnects).
      ...(statementTimeoutMs > 0 ? { backoff: () => 0.5 } : {}),
      connection: { application_name: "latchkey", ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}) },
    });
    // drizzle sends unnamed queries unprepared, which postgres.js does in two round trips and Postgres re-plans each
    // time. Every query drizzle builds has a fixed text with $n parameters, so preparing them all (postgres.js keeps
    // them per connection, keyed by text) makes each one a single round trip with a cached plan.
    const unsafe = client.unsafe.bind(client);
    const deadlineMs = statementTimeoutMs > 0 ? statementTimeoutMs + 1000 : 0;
    const prepared = ((query: string, params?: unknown[], opts?: { prepare?: boolean }) =>
      withDeadline(unsafe(query, params as never, { ...opts, prepare: true }), deadlineMs)) as typeof client.unsafe;
    const begin = transactionWithDeadline(client.begin.bind(client) as (...args: unknown[]) => Promise<unknown>, deadlineMs) as typeof client.begin;
    const db = drizzle(Object.assign(client, { unsafe: prepared, begin }), { schema, logger }) as unknown as Database;
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
