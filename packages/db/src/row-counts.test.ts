import { describe, expect, it } from "vitest";
import { eq, inArray, sql } from "drizzle-orm";
import { useTestDb } from "./testing.ts";
import { users } from "./schema.ts";

const db = useTestDb();

/** What the counters say next to what counting the table says, for every counter and bucket. */
async function compare() {
  const [counted] = await db().query<{ counters: string; table: string }>(`select
    (select coalesce(json_agg(json_build_array(counter, bucket, n) order by counter, bucket), '[]')::text from (
      select counter, bucket, sum(n)::int as n from row_counts group by counter, bucket having sum(n) <> 0) c) as counters,
    (select coalesce(json_agg(json_build_array(counter, bucket, n) order by counter, bucket), '[]')::text from (
      select 'users' as counter, '' as bucket, count(*)::int as n from users where deleted_at is null having count(*) > 0
      union all select 'sign_ups', to_char(created_at at time zone 'UTC', 'YYYY-MM-DD'), count(*)::int from users group by 2
      union all select 'last_active', to_char(last_active_on, 'YYYY-MM-DD'), count(*)::int from users where last_active_on is not null group by 2
    ) t) as table`);
  return { counters: JSON.parse(counted!.counters) as unknown[], table: JSON.parse(counted!.table) as unknown[] };
}

describe("user counters kept by triggers", () => {
  it("match counting the table through sign-ups, deletions, restores, activity and hard deletes", async () => {
    const created = await db()
      .db.insert(users)
      .values([
        { createdAt: new Date("2026-03-01T23:59:59Z") },
        { createdAt: new Date("2026-03-02T00:00:00Z") },
        { createdAt: new Date("2026-03-02T12:00:00Z"), lastActiveOn: "2026-03-05" },
        {},
      ])
      .returning({ id: users.id });
    const ids = created.map((u) => u.id);
    let { counters, table } = await compare();
    expect(counters).toEqual(table);
    expect(counters).toContainEqual(["users", "", 4]);

    await db().db.update(users).set({ deletedAt: new Date() }).where(eq(users.id, ids[0]!));
    await db().db.update(users).set({ lastActiveOn: "2026-03-06" }).where(inArray(users.id, [ids[2]!, ids[3]!]));
    await db().db.update(users).set({ createdAt: new Date("2026-02-01T00:00:00Z") }).where(eq(users.id, ids[1]!));
    ({ counters, table } = await compare());
    expect(counters).toEqual(table);
    expect(counters).toContainEqual(["users", "", 3]);
    expect(counters).toContainEqual(["last_active", "2026-03-06", 2]);

    await db().db.update(users).set({ deletedAt: null }).where(eq(users.id, ids[0]!));
    await db().db.delete(users).where(inArray(users.id, [ids[2]!, ids[3]!]));
    ({ counters, table } = await compare());
    expect(counters).toEqual(table);
    expect(counters).toContainEqual(["users", "", 2]);
  });

  it("stay exact under 40 concurrent sign-ups", async () => {
    const before = await compare();
    expect(before.counters).toEqual(before.table);
    await Promise.all(Array.from({ length: 40 }, () => db().db.insert(users).values({})));
    const after = await compare();
    expect(after.counters).toEqual(after.table);
  });

  it("are rebuilt from the table by latchkey_recount_users() after a bulk load with triggers off", async () => {
    await db().db.transaction(async (tx) => {
      await tx.execute(sql`set local session_replication_role = replica`);
      await tx.execute(sql`insert into users (id, created_at) select 'user_bulk' || g, now() from generate_series(1, 25) g`);
    });
    expect((await compare()).counters).not.toEqual((await compare()).table);
    await db().query("select latchkey_recount_users()");
    const { counters, table } = await compare();
    expect(counters).toEqual(table);
  });
});
