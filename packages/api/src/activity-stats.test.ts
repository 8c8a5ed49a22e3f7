/**
 * The overview's queries read counters and ranges of indexes, never whole tables: rather than a timed test, the plans
 * at tens of thousands of rows must name them (ADR 024 has the 1M-user plans and timings).
 */
import { sql, type SQL } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { activityDay } from "@latchkey/auth";
import { addDays, dailySeriesQuery, getActivityOverview, headlineQuery } from "./activity-stats.ts";

const db = useTestDb();
const NOW = new Date("2026-06-30T12:00:00Z");
const TODAY = activityDay(NOW);

async function plan(query: SQL): Promise<string> {
  const result = (await db().db.execute(sql`explain ${query}`)) as unknown;
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<Record<string, string>>;
  return rows.map((row) => Object.values(row)[0]).join("\n");
}

beforeAll(async () => {
  // 20,000 users over 1,000 days, 365 days × 100 active users, 20,000 sessions mostly long expired. Bulk rows
  // without the outbox triggers (replica role, this transaction only): they would add an event per row.
  await db().db.transaction(async (tx) => {
    await tx.execute(sql`set local session_replication_role = replica`);
    await tx.execute(sql`insert into users (id, created_at)
      select 'user_p' || g, timestamptz '2026-06-30T12:00:00Z' - (g * interval '4320 seconds') from generate_series(1, 20000) g`);
    await tx.execute(sql`insert into user_activity_days (day, user_id)
      select date '2026-06-30' - d, 'user_p' || (1 + (g * 7919 + d * 31) % 20000) from generate_series(0, 364) d, generate_series(1, 100) g`);
    await tx.execute(sql`insert into sessions (id, secret_hash, user_id, idle_expires_at, expires_at, impersonator_user_id)
      select 'sess_p' || g, 'x', 'user_p' || g, timestamptz '2026-06-30T12:00:00Z' - (g * interval '1 hour') + interval '3 days',
        timestamptz '2026-06-30T12:00:00Z' - (g * interval '1 hour') + interval '30 days', null
      from generate_series(1, 20000) g`);
    // The trigger that keeps the rollups was off too: rebuild them as `npm run db:seed:large` does.
    await tx.execute(sql`insert into activity_day_counts (day, active_users) select day, count(*)::int from user_activity_days group by day`);
    await tx.execute(sql`update users u set last_active_on = a.last_day
      from (select user_id, max(day) as last_day from user_activity_days group by user_id) a where u.id = a.user_id`);
    // So were the user counters' triggers (migration 0018).
    await tx.execute(sql`select latchkey_recount_users()`);
  });
  await db().query("vacuum analyze users");
  await db().query("vacuum analyze user_activity_days");
  await db().query("vacuum analyze sessions");
  await db().query("vacuum analyze activity_day_counts");
}, 300_000);

describe("the overview queries at 20,000 users", () => {
  it("read sign-ups and daily active users from the per-day counters, never the users or the activity rows", async () => {
    const text = await plan(dailySeriesQuery({ from: addDays(TODAY, -29), days: 30 }));
    expect(text).toContain("row_counts");
    expect(text).toContain("activity_day_counts");
    expect(text).not.toContain("user_activity_days");
    expect(text).not.toMatch(/ on users\b/);
  });

  it("read the users total and monthly active users from the counters, and live sessions through sessions_expires_at_idx", async () => {
    const text = await plan(headlineQuery({ today: TODAY, now: NOW }));
    expect(text).toContain("row_counts");
    expect(text).toContain("sessions_expires_at_idx");
    expect(text).not.toContain("user_activity_days");
    expect(text).not.toMatch(/ on users\b/);
    expect(text).not.toMatch(/Seq Scan on sessions/);
  });

  it("give the same numbers as counting the tables", async () => {
    const overview = await getActivityOverview(db().db, { now: NOW, days: 30 });
    const [counted] = await db().query<{ users: number; mau: number }>(`select
      (select count(*)::int from users where deleted_at is null) as users,
      (select count(*)::int from users where last_active_on > date '${TODAY}' - 30 and last_active_on <= date '${TODAY}') as mau`);
    expect(overview.totals.users).toBe(Number(counted!.users));
    expect(overview.monthlyActiveUsers).toBe(Number(counted!.mau));
    const signUps = await db().query<{ day: string; n: number }>(`select (created_at at time zone 'UTC')::date::text as day, count(*)::int as n
      from users where created_at >= timestamptz '${overview.from}T00:00:00Z' group by 1`);
    const byDay = new Map(signUps.map((row) => [row.day, Number(row.n)]));
    expect(overview.signUpsPerDay).toEqual(overview.signUpsPerDay.map((d) => ({ day: d.day, count: byDay.get(d.day) ?? 0 })));
    expect(overview.signUpsPerDay.reduce((sum, d) => sum + d.count, 0)).toBeGreaterThan(0);
  });
});
