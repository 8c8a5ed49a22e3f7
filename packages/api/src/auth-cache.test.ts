/**
 * The auth cache against a real database: every kind of change the auth lookup depends on reaches the cache of the
 * instance that made it before its next request, and (on Postgres) the cache of a second instance — its own pool and
 * LISTEN connection — as soon as the notification arrives. On PGlite there is one instance.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { createDb, type DbHandle } from "@latchkey/db";
import { createInnerContext } from "./context.ts";
import { AuthCache, getAuthCache, startAuthCache, stopAuthCache, syncAuthCache } from "./auth-cache.ts";
import { authLookupSql, type ResolvedAuth } from "./auth-lookup.ts";
import { addMember, APP_URL, callerFor, createOrgWithMember, signUp, uniqueEmail } from "../test/helpers.ts";

const db = useTestDb();
const onPostgres = Boolean(process.env.DATABASE_URL);
let second: DbHandle | undefined;
const quiet = () => {};

beforeAll(async () => {
  await startAuthCache(db(), { log: quiet, heartbeatMs: 0 });
  if (onPostgres) {
    second = await createDb({ url: db().url!, max: 2 });
    await startAuthCache(second, { log: quiet, heartbeatMs: 0 });
  }
});

afterAll(async () => {
  if (second) {
    await stopAuthCache(second);
    await second.close();
  }
  await stopAuthCache(db());
});

const row = (n: number) => ({ sessionId: `s${n}`, userId: `u${n}`, orgId: null as string | null });

/** A cache whose (stand-in) listener is subscribed at once, for the bookkeeping tests. */
async function subscribedCache(maxEntries: number): Promise<AuthCache> {
  const cache = new AuthCache({ maxEntries, log: quiet });
  cache.setHeartbeat(0);
  const handle = {
    db: db().db,
    listen: async (_channel: string, handlers: { onUp: () => void }) => {
      handlers.onUp();
      return { reconnect: async () => {}, backendPid: () => null, close: async () => {} };
    },
  } as unknown as DbHandle;
  await cache.start(handle);
  return cache;
}

/** The instances under test: the one that makes the change first. */
function instances(): DbHandle[] {
  return second ? [db(), second] : [db()];
}

/** Who the token is on `handle`, through a request context as a procedure would see it. */
async function authOn(handle: DbHandle, token: string, orgSlug: string | null = null): Promise<ResolvedAuth | null> {
  return createInnerContext({ db: handle.db, sessionToken: token, orgSlug, appUrl: APP_URL }).getAuth();
}

/** Reads the auth twice on every instance, so the second read is a cache hit; checks it was one. */
async function warm(token: string, orgSlug: string | null): Promise<void> {
  for (const handle of instances()) {
    // The setup's own notifications are handled first: a fill racing one about its own user is (rightly) not kept.
    await syncAuthCache(handle.db);
    await authOn(handle, token, orgSlug);
    const before = getAuthCache(handle.db)!.status().hits;
    await authOn(handle, token, orgSlug);
    expect(getAuthCache(handle.db)!.status().hits).toBe(before + 1);
  }
}

/**
 * Asserts the change is seen at once on the first instance and, on the second, within the time a notification takes
 * (polled; a cache that never hears it fails after two seconds).
 */
async function expectSeen(token: string, orgSlug: string | null, changed: (auth: ResolvedAuth | null) => boolean) {
  const [first, other] = instances();
  expect(changed(await authOn(first!, token, orgSlug))).toBe(true);
  if (!other) return;
  const started = Date.now();
  while (!changed(await authOn(other, token, orgSlug))) {
    if (Date.now() - started > 2000) throw new Error("the second instance still serves the old auth after 2 s");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** A change made with SQL through the first instance, then what every mutation does before answering. */
async function changeWithSql(text: string): Promise<void> {
  await db().query(text);
  await syncAuthCache(db().db);
}

async function instanceAdmin() {
  const admin = await signUp(db(), uniqueEmail("root"));
  await db().query(`update users set is_instance_admin = true where id = '${admin.userId}'`);
  return admin;
}

describe("the auth cache", () => {
  it("answers a warm request with no SQL and the first one with one statement", async () => {
    const { token } = await signUp(db());
    // The sign-up's own notifications first: a read racing one about its own user is (rightly) not kept.
    await syncAuthCache(db().db);
    const count = db().queryCount();
    await authOn(db(), token);
    expect(db().queryCount() - count).toBe(1);
    await authOn(db(), token);
    await authOn(db(), token);
    expect(db().queryCount() - count).toBe(1);
  });

  it("still refuses a wrong secret for a cached session", async () => {
    const { token } = await signUp(db());
    await warm(token, null);
    const [id] = token.split(".");
    const forged = `${id}.${"a".repeat(token.length - id!.length - 1)}`;
    for (const handle of instances()) {
      const ctx = createInnerContext({ db: handle.db, sessionToken: forged, appUrl: APP_URL });
      expect(await ctx.getAuth()).toBeNull();
      expect(await ctx.getSignedOutReason()).toBe("bad_secret");
    }
  });

  it("enforces expiry by the clock on a cached session without reading the database", async () => {
    const { token } = await signUp(db());
    await warm(token, null);
    const later = new Date(Date.now() + 40 * 24 * 3600_000);
    const ctx = createInnerContext({ db: db().db, sessionToken: token, appUrl: APP_URL, now: () => later });
    expect(await ctx.getAuth()).toBeNull();
    expect(await ctx.getSignedOutReason()).toBe("expired");
    expect(await authOn(db(), token)).toBeNull();
  });

  it("keeps the hourly idle-expiry write: a cached hit due for it reads and writes the database", async () => {
    const { token, sessionId } = await signUp(db());
    await warm(token, null);
    const later = new Date(Date.now() + 2 * 3600_000);
    const auth = await createInnerContext({ db: db().db, sessionToken: token, appUrl: APP_URL, now: () => later }).getAuth();
    expect(auth?.session.lastActiveAt.getTime()).toBe(later.getTime());
    const [row] = await db().query<{ last_active_at: string | Date }>(`select last_active_at from sessions where id = '${sessionId}'`);
    expect(new Date(row!.last_active_at).getTime()).toBe(later.getTime());
  });

  it("evicts the least recently used entry past its size cap", async () => {
    const cache = await subscribedCache(2);
    cache.set(null, row(1), cache.generation);
    cache.set(null, row(2), cache.generation);
    expect(cache.get("s1", null)).toBeDefined();
    cache.set(null, row(3), cache.generation);
    expect(cache.status().entries).toBe(2);
    expect(cache.get("s2", null)).toBeUndefined();
    expect(cache.get("s1", null)).toBeDefined();
    expect(cache.get("s3", null)).toBeDefined();
  });

  it("does not keep a row read before a change to it was handled, but keeps rows of others", async () => {
    const cache = await subscribedCache(10);
    const before = cache.generation;
    cache.handle("u:u1");
    cache.set(null, row(1), before);
    cache.set(null, row(2), before);
    expect(cache.get("s1", null)).toBeUndefined();
    expect(cache.get("s2", null)).toBeDefined();
    const again = cache.generation;
    cache.handle("o:org_9");
    cache.set("gone", row(3), again);
    expect(cache.get("s3", "gone")).toBeUndefined();
  });

  it("drops by session, user and organization, and everything on '*'", async () => {
    const cache = await subscribedCache(10);
    cache.set("acme", { ...row(1), orgId: "org_1" }, cache.generation);
    cache.set(null, row(1), cache.generation);
    cache.set(null, row(2), cache.generation);
    cache.set("unknown", row(4), cache.generation);
    cache.handle("o:org_1");
    expect(cache.get("s1", "acme")).toBeUndefined();
    expect(cache.get("s4", "unknown")).toBeUndefined();
    expect(cache.get("s1", null)).toBeDefined();
    cache.handle("s:s1");
    expect(cache.get("s1", null)).toBeUndefined();
    cache.handle("u:u2");
    expect(cache.get("s2", null)).toBeUndefined();
    cache.set(null, row(5), cache.generation);
    cache.handle("*");
    expect(cache.status().entries).toBe(0);
  });

  it("serves nothing and stores nothing until its listener is subscribed", async () => {
    const cache = new AuthCache({ log: quiet });
    cache.set(null, row(1), cache.generation);
    expect(cache.get("s1", null)).toBeUndefined();
    expect(cache.status()).toMatchObject({ state: "down", entries: 0 });
  });
});

describe("a change on one instance", () => {
  it("ends a session revoked from another device (session.revoke)", async () => {
    const { token, email } = await signUp(db());
    const other = await signUp(db(), uniqueEmail("other"));
    void other;
    const { caller, resHeaders } = callerFor(db());
    await caller.auth.signIn({ email, password: "correct horse battery staple" });
    const laptop = /latchkey_session=([^;]*)/.exec(resHeaders.getSetCookie().join("\n"))![1]!;
    const laptopToken = decodeURIComponent(laptop);
    await warm(token, null);
    await callerFor(db(), { token: laptopToken }).caller.session.revoke({ sessionId: token.split(".")[0]! });
    await expectSeen(token, null, (auth) => auth === null);
  });

  it("ends a session expired early in the database", async () => {
    const { token, sessionId } = await signUp(db());
    await warm(token, null);
    await changeWithSql(`update sessions set expires_at = now() - interval '1 second' where id = '${sessionId}'`);
    await expectSeen(token, null, (auth) => auth === null);
  });

  it("signs out a user an instance admin banned (adminUser.ban)", async () => {
    const admin = await instanceAdmin();
    const user = await signUp(db());
    await warm(user.token, null);
    await callerFor(db(), { token: admin.token }).caller.adminUser.ban({ userId: user.userId });
    await expectSeen(user.token, null, (auth) => auth === null);
  });

  it("signs out a user banned by a write to users alone (sessions kept)", async () => {
    const user = await signUp(db());
    await warm(user.token, null);
    await changeWithSql(`update users set banned_at = now() where id = '${user.userId}'`);
    await expectSeen(user.token, null, (auth) => auth === null);
  });

  it("signs out a user deleted by a write to users alone", async () => {
    const user = await signUp(db());
    await warm(user.token, null);
    await changeWithSql(`update users set deleted_at = now() where id = '${user.userId}'`);
    await expectSeen(user.token, null, (auth) => auth === null);
  });

  it("drops the instance admin flag", async () => {
    const admin = await instanceAdmin();
    await warm(admin.token, null);
    await changeWithSql(`update users set is_instance_admin = false where id = '${admin.userId}'`);
    await expectSeen(admin.token, null, (auth) => auth?.user.isInstanceAdmin === false);
  });

  it("sees a second factor added (has_second_factor)", async () => {
    const user = await signUp(db());
    await warm(user.token, null);
    await changeWithSql(`update users set has_second_factor = true where id = '${user.userId}'`);
    await expectSeen(user.token, null, (auth) => auth?.mfa.hasSecondFactor === true);
  });

  it("sees the name and the primary email address change", async () => {
    const user = await signUp(db());
    await warm(user.token, null);
    await changeWithSql(`update users set first_name = 'Renamed' where id = '${user.userId}'`);
    await expectSeen(user.token, null, (auth) => auth?.user.firstName === "Renamed");
    await warm(user.token, null);
    const email = uniqueEmail("moved");
    await changeWithSql(`update email_addresses set email = '${email}' where user_id = '${user.userId}'`);
    await expectSeen(user.token, null, (auth) => auth?.user.primaryEmail === email);
  });

  it("refuses a member removed from the organization (member.remove)", async () => {
    const { admin, member, org } = await createOrgWithMember(db());
    await warm(member.token, org.slug);
    const [m] = await db().query<{ id: string }>(`select id from memberships where user_id = '${member.userId}'`);
    await callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller.member.remove({ membershipId: m!.id });
    await expectSeen(member.token, org.slug, (auth) => auth !== null && auth.membership === null);
  });

  it("lowers a member's rights when their role is lowered (member.setRole)", async () => {
    const { admin, org } = await createOrgWithMember(db());
    const other = await signUp(db(), uniqueEmail("second-admin"));
    const membershipId = await addMember(db(), org.id, other.userId, "org:admin");
    await warm(other.token, org.slug);
    await callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller.member.setRole({ membershipId, roleKey: "org:member" });
    await expectSeen(other.token, org.slug, (auth) => auth?.membership?.roles.join() === "org:member");
  });

  it("follows a role's permissions changing for every holder", async () => {
    const { org } = await createOrgWithMember(db());
    const key = `org:cache_${Math.random().toString(36).slice(2, 8)}`;
    await db().query(`insert into roles (id, key, name, permissions) values ('role_${key.slice(4)}', '${key}', 'Cache test', '{org:sys_profile:read}')`);
    const holder = await signUp(db(), uniqueEmail("holder"));
    await addMember(db(), org.id, holder.userId, key);
    await warm(holder.token, org.slug);
    expect((await authOn(db(), holder.token, org.slug))?.membership?.permissions).toEqual(["org:sys_profile:read"]);
    await changeWithSql(`update roles set permissions = '{}' where key = '${key}'`);
    await expectSeen(holder.token, org.slug, (auth) => auth?.membership?.permissions.length === 0);
  });

  it("sees an organization start requiring MFA, and its deletion", async () => {
    const { member, org } = await createOrgWithMember(db());
    await warm(member.token, org.slug);
    await changeWithSql(`update organizations set require_mfa = true where id = '${org.id}'`);
    await expectSeen(member.token, org.slug, (auth) => auth?.mfa.organizationRequired === true);
    await warm(member.token, org.slug);
    await changeWithSql(`delete from organizations where id = '${org.id}'`);
    await expectSeen(member.token, org.slug, (auth) => auth !== null && auth.organization === null);
  });

  it("does not keep 'no such organization' once a member's organization takes that slug", async () => {
    const { member, org } = await createOrgWithMember(db());
    const slug = `renamed-${Math.random().toString(36).slice(2, 8)}`;
    await warm(member.token, slug);
    expect((await authOn(db(), member.token, slug))?.organization).toBeNull();
    await changeWithSql(`update organizations set slug = '${slug}' where id = '${org.id}'`);
    await expectSeen(member.token, slug, (auth) => auth?.organization?.id === org.id);
  });

  it("follows the session's active organization (organization.setActive)", async () => {
    const { member, org } = await createOrgWithMember(db());
    await warm(member.token, null);
    expect((await authOn(db(), member.token))?.organization).toBeNull();
    await callerFor(db(), { token: member.token }).caller.organization.setActive({ organizationId: org.id });
    await expectSeen(member.token, null, (auth) => auth?.organization?.id === org.id);
  });

  it("applies instance settings at once (requireMfa)", async () => {
    const user = await signUp(db());
    await warm(user.token, null);
    try {
      await changeWithSql(
        `insert into instance_settings (id, settings) values ('default', '{"requireMfa": true}') on conflict (id) do update set settings = excluded.settings`,
      );
      await expectSeen(user.token, null, (auth) => auth?.mfa.instanceRequired === true);
    } finally {
      await db().query(`delete from instance_settings`);
    }
  });
});

interface NotifyTrigger {
  table: string;
  tgtype: number;
  columns: string[];
}

/** Which "table"."column" the lookup's SQL reads (select list, joins, where). */
function columnsReadByLookup(): Map<string, Set<string>> {
  const read = new Map<string, Set<string>>();
  for (const text of authLookupSql(db().db)) {
    for (const [, table, column] of text.matchAll(/"(\w+)"\."(\w+)"/g)) {
      if (!read.has(table!)) read.set(table!, new Set());
      read.get(table!)!.add(column!);
    }
    // The settings row is read by a subquery of its own (raw SQL, not qualified): any change to it counts.
    if (text.includes("instance_settings")) read.set("instance_settings", new Set(["settings"]));
  }
  return read;
}

async function notifyTriggers(): Promise<NotifyTrigger[]> {
  const rows = await db().query<{ table_name: string; tgtype: number; columns: string[] | string | null }>(`
    select c.relname as table_name, t.tgtype::int as tgtype,
           array(select a.attname::text from pg_attribute a where a.attrelid = t.tgrelid and a.attnum = any(t.tgattr)) as columns
    from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_proc p on p.oid = t.tgfoid
    where p.proname like 'latchkey_auth_notify%' and not t.tgisinternal`);
  return rows.map((r) => ({ table: r.table_name, tgtype: Number(r.tgtype), columns: Array.isArray(r.columns) ? r.columns : parseArray(r.columns) }));
}

/** Columns read with no trigger firing on their update, and tables read with no trigger on delete. */
function uncovered(read: Map<string, Set<string>>, triggers: NotifyTrigger[]): string[] {
  const UPDATE = 16;
  const DELETE = 8;
  const missing: string[] = [];
  for (const [table, columns] of read) {
    const mine = triggers.filter((t) => t.table === table);
    if (!mine.some((t) => (t.tgtype & DELETE) !== 0)) missing.push(`${table} (delete)`);
    for (const column of columns) {
      const covered = mine.some((t) => (t.tgtype & UPDATE) !== 0 && (t.columns.length === 0 || t.columns.includes(column)));
      if (!covered) missing.push(`${table}.${column}`);
    }
  }
  return missing;
}

describe("the invalidation triggers", () => {
  it("cover every column the auth lookup reads, on update and delete", async () => {
    const read = columnsReadByLookup();
    expect([...read.keys()].sort()).toEqual(["email_addresses", "instance_settings", "memberships", "organizations", "sessions", "users"]);
    expect(read.get("users")).toContain("banned_at");
    expect(uncovered(read, await notifyTriggers())).toEqual([]);
  });

  it("report a column read without a trigger (the check can fail)", async () => {
    const triggers = (await notifyTriggers()).map((t) => (t.table === "users" ? { ...t, columns: t.columns.filter((c) => c !== "banned_at") } : t));
    const read = columnsReadByLookup();
    read.get("sessions")!.add("ip");
    expect(uncovered(read, triggers)).toEqual(["sessions.ip", "users.banned_at"]);
  });
});

/** A Postgres text array as PGlite may return it ("{a,b}"). */
function parseArray(value: string | null): string[] {
  if (!value || value === "{}") return [];
  return value.replace(/^\{|\}$/g, "").split(",");
}

describe("the header's organization list (organization.listMine)", () => {
  const listOn = (handle: DbHandle, token: string) => callerFor(handle, { token }).caller.organization.listMine();

  it("is read once, then follows a rename and a removal on every instance", async () => {
    const { admin, member, org } = await createOrgWithMember(db());
    for (const handle of instances()) {
      await syncAuthCache(handle.db);
      await listOn(handle, member.token);
    }
    const count = db().queryCount();
    expect((await listOn(db(), member.token)).map((o) => o.slug)).toEqual([org.slug]);
    expect(db().queryCount() - count).toBe(0);

    await changeWithSql(`update organizations set name = 'Renamed Inc' where id = '${org.id}'`);
    for (const handle of instances()) {
      await expectEventually(async () => (await listOn(handle, member.token))[0]?.name === "Renamed Inc");
    }
    const [m] = await db().query<{ id: string }>(`select id from memberships where user_id = '${member.userId}'`);
    await callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller.member.remove({ membershipId: m!.id });
    expect(await listOn(db(), member.token)).toEqual([]);
    for (const handle of instances()) {
      await expectEventually(async () => (await listOn(handle, member.token)).length === 0);
    }
  });
});

async function expectEventually(check: () => Promise<boolean>): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > 2000) throw new Error("still stale after 2 s");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
