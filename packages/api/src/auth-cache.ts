/**
 * The in-process auth cache (ADR 023): the auth lookup's row kept per session and organization scope, so a warm
 * protected request costs no SQL. It is only as good as its invalidation, so it serves nothing unless its LISTEN
 * connection is subscribed: triggers (migration 0017) NOTIFY `latchkey_auth` on commit of any change to what the
 * lookup reads, and every instance drops exactly what changed. While the listener is down the cache is empty and
 * bypassed (every request reads the database, as before the cache).
 *
 * What the cache does NOT skip per request: the secret hash compared in constant time, banned/deleted, idle and
 * absolute expiry by the clock. A hit that would need the hourly idle-expiry write, or looks expired, goes to the
 * database like a miss, so the write and the sign-out happen on fresh data.
 */
import { randomUUID } from "node:crypto";
import type { Database, DbHandle, NotificationListener } from "@latchkey/db";

export const AUTH_CHANNEL = "latchkey_auth";

/** How many (session, scope) entries are kept: at ~1 KB each, the default is ~50 MB at most. */
const DEFAULT_MAX_ENTRIES = 50_000;
/** A sync marker not back by then means the listener is not hearing: it is reconnected and the cache flushed. */
const SYNC_TIMEOUT_MS = 2000;
/** A marker is sent this often when idle, so a silently dead LISTEN connection is noticed. */
const HEARTBEAT_MS = 5000;

/** The fields the cache indexes by; the rest of the lookup row is opaque here. */
export interface CacheableRow {
  sessionId: string;
  userId: string;
  orgId: string | null;
}

interface Entry<Row extends CacheableRow> {
  key: string;
  row: Row;
}

export type AuthCacheState = "up" | "down" | "closed";

export interface AuthCacheStatus {
  state: AuthCacheState;
  entries: number;
  /** Users whose organization list is kept. */
  userEntries: number;
  maxEntries: number;
  /** Why the listener is down, when it is. */
  reason: string | null;
  /** When the state last changed (ISO). */
  since: string;
  hits: number;
  misses: number;
  /** Notifications handled since start (eviction messages, not sync markers). */
  notifications: number;
}

export interface AuthCacheOptions {
  maxEntries?: number;
  log?: (line: string) => void;
  /** Sends a sync marker this often (ms); 0 turns the heartbeat off. */
  heartbeatMs?: number;
  /**
   * Tests only: sync before every lookup, so a write made any way at all (fixtures writing straight to the tables)
   * is applied before the next read; a stale answer can then only come from a missing or wrong invalidation.
   */
  syncBeforeLookup?: boolean;
}

export class AuthCache<Row extends CacheableRow = CacheableRow> {
  readonly maxEntries: number;
  readonly syncBeforeLookup: boolean;
  private notify: ((payload: string) => Promise<unknown>) | null = null;
  /** Bumped on every eviction and state change; a fill remembers it from before its read (see `set`). */
  generation = 0;
  /** The evictions since recent generations, so a fill can tell whether one of them concerned its row. */
  private recent: { generation: number; payload: string }[] = [];
  private readonly entries = new Map<string, Entry<Row>>();
  private readonly bySession = new Map<string, Set<string>>();
  private readonly byUser = new Map<string, Set<string>>();
  private readonly byOrg = new Map<string, Set<string>>();
  /** Entries of an explicit slug that named no organization: any organization change may make them wrong. */
  private readonly withoutOrg = new Set<string>();
  /** Per user, values derived from their memberships and organizations (the header's organization list). */
  private readonly perUser = new Map<string, unknown>();
  private state: AuthCacheState = "down";
  private reason: string | null = "not subscribed yet";
  private since = new Date();
  private hits = 0;
  private misses = 0;
  private notifications = 0;
  private readonly instance = randomUUID();
  private syncCounter = 0;
  private readonly pendingSyncs = new Map<string, () => void>();
  private listener: NotificationListener | null = null;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private readonly log: (line: string) => void;

  constructor(options: AuthCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.syncBeforeLookup = options.syncBeforeLookup ?? false;
    this.log = options.log ?? ((line) => console.warn(line));
  }

  /** True when entries may be served and stored: the listener is subscribed. */
  get usable(): boolean {
    return this.state === "up";
  }

  static keyOf(sessionId: string, orgSlug: string | null): string {
    // A slug never contains "/", so the active-organization scope ("") cannot collide with a slug's.
    return orgSlug === null ? `${sessionId}/` : `${sessionId}/${orgSlug}`;
  }

  get(sessionId: string, orgSlug: string | null): Row | undefined {
    if (this.state !== "up") return undefined;
    const key = AuthCache.keyOf(sessionId, orgSlug);
    const entry = this.entries.get(key);
    if (!entry) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Most recently used last: Map keeps insertion order, so the first key is the one to evict.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.row;
  }

  /** Stores a row read from the database, unless anything was evicted since `generation` was taken before the read. */
  set(orgSlug: string | null, row: Row, generation: number): void {
    if (this.state !== "up" || this.changedSince(generation, orgSlug, row)) return;
    const key = AuthCache.keyOf(row.sessionId, orgSlug);
    this.drop(key);
    this.entries.set(key, { key, row });
    addTo(this.bySession, row.sessionId, key);
    addTo(this.byUser, row.userId, key);
    if (row.orgId !== null) addTo(this.byOrg, row.orgId, key);
    else if (orgSlug !== null) this.withoutOrg.add(key);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.drop(oldest);
    }
  }

  /**
   * Whether an eviction handled after `generation` may concern `row`: then the row may have been read before that
   * change committed, and keeping it would serve stale auth until the next change. Unrelated evictions (other
   * users' changes) don't stop the fill, so a busy instance still fills its cache.
   */
  private changedSince(generation: number, orgSlug: string | null, row: Row): boolean {
    if (generation === this.generation) return false;
    const oldest = this.recent[0];
    if (!oldest || oldest.generation > generation + 1) return true;
    for (let i = this.recent.length - 1; i >= 0; i--) {
      const { generation: seen, payload } = this.recent[i]!;
      if (seen <= generation) break;
      if (payload === "*") return true;
      const id = payload.slice(2);
      if (payload.startsWith("s:") && id === row.sessionId) return true;
      if (payload.startsWith("u:") && id === row.userId) return true;
      if (payload.startsWith("o:") && (id === row.orgId || (orgSlug !== null && row.orgId === null))) return true;
    }
    return false;
  }

  private bump(payload: string): void {
    this.generation++;
    this.recent.push({ generation: this.generation, payload });
    if (this.recent.length > 2048) this.recent = this.recent.slice(-1024);
  }

  /** Applies one notification payload (see migration 0017). */
  handle(payload: string): void {
    if (payload.startsWith("y:")) {
      const done = this.pendingSyncs.get(payload);
      if (done) {
        this.pendingSyncs.delete(payload);
        done();
      }
      return;
    }
    this.notifications++;
    this.bump(payload);
    const id = payload.slice(2);
    if (payload === "*") this.flush();
    else if (payload.startsWith("s:")) this.dropAll(this.bySession.get(id));
    else if (payload.startsWith("u:")) {
      this.dropAll(this.byUser.get(id));
      this.perUser.delete(id);
    } else if (payload.startsWith("o:")) {
      this.dropAll(this.byOrg.get(id));
      this.perUser.clear();
      this.dropAll(this.withoutOrg);
    } else this.flush();
  }

  /**
   * A value about a user that changes only with their memberships or an organization (the organization list of the
   * page header): dropped on `u:<user>`, any `o:` and `*`. Same rules as rows: nothing while the listener is down.
   */
  getForUser<T>(userId: string): T | undefined {
    if (this.state !== "up") return undefined;
    return this.perUser.get(userId) as T | undefined;
  }

  setForUser<T>(userId: string, value: T, generation: number): void {
    if (this.state !== "up") return;
    // As a row with no session and no organization under an explicit scope: any organization change concerns it.
    if (this.changedSince(generation, "", { sessionId: "", userId, orgId: null } as Row)) return;
    this.perUser.delete(userId);
    this.perUser.set(userId, value);
    while (this.perUser.size > this.maxEntries) {
      const oldest = this.perUser.keys().next().value;
      if (oldest === undefined) break;
      this.perUser.delete(oldest);
    }
  }

  /** Drops a session this instance just wrote (the lookup's own expiry sign-out or idle-expiry write). */
  evictSession(sessionId: string): void {
    this.handle(`s:${sessionId}`);
  }

  flush(): void {
    this.bump("*");
    this.entries.clear();
    this.bySession.clear();
    this.byUser.clear();
    this.byOrg.clear();
    this.withoutOrg.clear();
    this.perUser.clear();
  }

  status(): AuthCacheStatus {
    return {
      state: this.state,
      entries: this.entries.size,
      userEntries: this.perUser.size,
      maxEntries: this.maxEntries,
      reason: this.reason,
      since: this.since.toISOString(),
      hits: this.hits,
      misses: this.misses,
      notifications: this.notifications,
    };
  }

  /** Subscribes through `handle` and keeps the state in step with the listener. Never throws: down until subscribed. */
  async start(handle: DbHandle): Promise<void> {
    // Raw, not through drizzle: the marker is ours (uuid and counter), and it stays out of the query counts.
    this.notify = (payload) => handle.query(`select pg_notify('${AUTH_CHANNEL}', '${payload}')`);
    this.listener = await handle.listen(AUTH_CHANNEL, {
      onNotify: (payload) => this.handle(payload),
      onUp: () => this.setState("up", null),
      onDown: (reason) => this.setState("down", reason),
    });
    if (this.heartbeatMs > 0) {
      this.heartbeat = setInterval(() => void this.sync(), this.heartbeatMs);
      this.heartbeat.unref?.();
    }
  }

  private heartbeatMs = HEARTBEAT_MS;

  /** For tests: the heartbeat interval before `start`. */
  setHeartbeat(ms: number): void {
    this.heartbeatMs = ms;
  }

  /**
   * Waits until every notification committed before this call has been applied: a marker is NOTIFYed through the
   * pool and, notifications being delivered in commit order, its arrival means all earlier ones were handled. Called
   * after each mutation, so the instance that made a change never answers its next request from stale entries. A
   * marker that does not come back means the listener is deaf: the cache is flushed and the listener reconnected.
   */
  async sync(): Promise<void> {
    if (this.state !== "up" || !this.notify) return;
    const marker = `y:${this.instance}:${++this.syncCounter}`;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arrived = new Promise<boolean>((resolve) => {
      this.pendingSyncs.set(marker, () => resolve(true));
      timer = setTimeout(() => resolve(false), SYNC_TIMEOUT_MS);
      timer.unref?.();
    });
    try {
      await this.notify(marker);
    } catch {
      // The database is unreachable: the listener's own connection will notice; nothing can be stale-served from
      // a cache the next lookup cannot reach either way, but flush so no entry outlives an unheard change.
      this.pendingSyncs.delete(marker);
      clearTimeout(timer);
      this.flush();
      return;
    }
    const ok = await arrived;
    clearTimeout(timer);
    this.pendingSyncs.delete(marker);
    if (!ok && this.state === "up") {
      this.setState("down", "sync marker not received");
      await this.listener?.reconnect();
    }
  }

  /** The LISTEN connection's backend pid (tests terminate it). */
  listenerPid(): number | null {
    return this.listener?.backendPid() ?? null;
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.setState("closed", "closed");
    await this.listener?.close();
    this.listener = null;
  }

  private setState(state: AuthCacheState, reason: string | null): void {
    if (this.state === "closed") return;
    // Whatever the transition, entries from before it may have missed a notification (or are about to).
    this.flush();
    if (state === this.state) return;
    this.state = state;
    this.reason = reason;
    this.since = new Date();
    if (state === "down") this.log(`[auth-cache] listener down (${reason}): cache flushed and bypassed until it is back`);
    else if (state === "up") this.log("[auth-cache] listener subscribed: cache in use");
    for (const done of this.pendingSyncs.values()) done();
    this.pendingSyncs.clear();
  }

  private dropAll(keys: Set<string> | undefined): void {
    if (!keys) return;
    for (const key of [...keys]) this.drop(key);
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    this.withoutOrg.delete(key);
    if (!entry) return;
    this.entries.delete(key);
    removeFrom(this.bySession, entry.row.sessionId, key);
    removeFrom(this.byUser, entry.row.userId, key);
    if (entry.row.orgId !== null) removeFrom(this.byOrg, entry.row.orgId, key);
  }
}

function addTo(index: Map<string, Set<string>>, id: string, key: string): void {
  let keys = index.get(id);
  if (!keys) index.set(id, (keys = new Set()));
  keys.add(key);
}

function removeFrom(index: Map<string, Set<string>>, id: string, key: string): void {
  const keys = index.get(id);
  if (!keys) return;
  keys.delete(key);
  if (keys.size === 0) index.delete(id);
}

const caches = new WeakMap<Database, AuthCache<never>>();

/**
 * Starts the auth cache for a database handle: every lookup through `handle.db` uses it from then on. Call once per
 * process per handle (the web app does, in db.server.ts); without it, lookups read the database every time.
 */
export async function startAuthCache(handle: DbHandle, options: AuthCacheOptions = {}): Promise<AuthCache> {
  const existing = caches.get(handle.db);
  if (existing) return existing as AuthCache;
  const cache = new AuthCache(options);
  if (options.heartbeatMs !== undefined) cache.setHeartbeat(options.heartbeatMs);
  caches.set(handle.db, cache as AuthCache<never>);
  await cache.start(handle);
  return cache;
}

/** Stops and forgets the cache of `handle` (tests, shutdown). */
export async function stopAuthCache(handle: DbHandle): Promise<void> {
  const cache = caches.get(handle.db);
  caches.delete(handle.db);
  await cache?.close();
}

/** The cache serving `db`, if one was started. */
export function getAuthCache<Row extends CacheableRow>(db: Database): AuthCache<Row> | undefined {
  return caches.get(db) as AuthCache<Row> | undefined;
}

/** Applies this instance's own committed changes to its cache before answering (no-op without a cache). */
export async function syncAuthCache(db: Database): Promise<void> {
  await getAuthCache(db)?.sync();
}
