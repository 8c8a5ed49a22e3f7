/**
 * The admin overview's numbers, in two statements that read a few hundred rows at any scale (activity-stats.test.ts
 * checks the plans):
 *
 * - per-day series: sign-ups per day are `row_counts` rows (counter `sign_ups`, kept by a trigger on `users`,
 *   migration 0018), daily active users the rows of `activity_day_counts` (kept by a trigger on
 *   `user_activity_days`, migration 0015); `generate_series` fills days without data with 0;
 * - headline numbers: monthly active users (users whose `last_active_on` — kept by the activity trigger — falls in
 *   the last 30 days: the `last_active` counter's rows for those days), active sessions (a range scan of
 *   `sessions_expires_at_idx`), users not deleted (the `users` counter), organizations.
 *
 * The counters are exact: the same transaction that changes a user changes its counts (ADR 024). Counting the
 * tables instead took 424 ms at 1M users; the counters make the page a few milliseconds.
 *
 * Days are UTC. A deleted user still counts as a sign-up on the day they signed up (the sign-up happened; the chart
 * must not change its past), but not in the users total. See docs/decisions/017-activity-counts.md.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Database } from "@latchkey/db";
import { activityDay } from "@latchkey/auth";

/** Monthly active users: distinct users active today and the 29 days before it. */
export const MAU_WINDOW_DAYS = 30;

export interface DayCount {
  /** The UTC day, YYYY-MM-DD. */
  day: string;
  count: number;
}

export interface ActivityOverview {
  days: number;
  /** First and last day of the series (UTC, inclusive). */
  from: string;
  to: string;
  signUpsPerDay: DayCount[];
  dailyActiveUsers: DayCount[];
  monthlyActiveUsers: number;
  activeSessions: number;
  totals: { users: number; organizations: number };
  generatedAt: Date;
}

/** `day` (YYYY-MM-DD) moved by `delta` days. */
export function addDays(day: string, delta: number): string {
  return activityDay(new Date(Date.parse(`${day}T00:00:00Z`) + delta * 86_400_000));
}

export interface SeriesParams {
  /** First day, YYYY-MM-DD (UTC). */
  from: string;
  days: number;
}

/** One row per day from `from`, `days` rows: the day, its sign-ups and its active users. */
export function dailySeriesQuery({ from, days }: SeriesParams): SQL {
  const to = addDays(from, days - 1);
  return sql`
    with series as (
      select ${from}::date + i as day from generate_series(0, ${days - 1}::int) as i
    ),
    sign_ups as (
      select bucket::date as day, sum(n)::int as n
      from row_counts
      where counter = 'sign_ups' and bucket >= ${from} and bucket <= ${to}
      group by bucket
    ),
    active as (
      select day, active_users as n
      from activity_day_counts
      where day >= ${from}::date and day <= ${to}::date
    )
    select series.day::text as day, coalesce(sign_ups.n, 0)::int as sign_ups, coalesce(active.n, 0)::int as active_users
    from series
    left join sign_ups on sign_ups.day = series.day
    left join active on active.day = series.day
    order by series.day`;
}

export interface HeadlineParams {
  /** Today, YYYY-MM-DD (UTC). */
  today: string;
  now: Date;
}

/** The headline numbers in one row. */
export function headlineQuery({ today, now }: HeadlineParams): SQL {
  const at = now.toISOString();
  return sql`
    select
      (select coalesce(sum(n), 0)::int from row_counts
        where counter = 'last_active' and bucket > ${addDays(today, -MAU_WINDOW_DAYS)} and bucket <= ${today}) as monthly_active_users,
      -- Impersonation sessions are an admin viewing as someone, not the user's own.
      (select count(*)::int from sessions
        where expires_at > ${at}::timestamptz and idle_expires_at > ${at}::timestamptz and impersonator_user_id is null) as active_sessions,
      (select coalesce(sum(n), 0)::int from row_counts where counter = 'users') as users,
      (select count(*)::int from organizations) as organizations`;
}

/** `db.execute` answers an array on postgres.js and `{ rows }` on PGlite. */
async function rowsOf<T>(db: Database, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown;
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

export async function getActivityOverview(db: Database, options: { now: Date; days: number }): Promise<ActivityOverview> {
  const today = activityDay(options.now);
  const from = addDays(today, -(options.days - 1));
  const series = await rowsOf<{ day: string; sign_ups: number; active_users: number }>(db, dailySeriesQuery({ from, days: options.days }));
  const [headline] = await rowsOf<{ monthly_active_users: number; active_sessions: number; users: number; organizations: number }>(
    db,
    headlineQuery({ today, now: options.now }),
  );
  return {
    days: options.days,
    from,
    to: today,
    signUpsPerDay: series.map((row) => ({ day: row.day, count: Number(row.sign_ups) })),
    dailyActiveUsers: series.map((row) => ({ day: row.day, count: Number(row.active_users) })),
    monthlyActiveUsers: Number(headline?.monthly_active_users ?? 0),
    activeSessions: Number(headline?.active_sessions ?? 0),
    totals: { users: Number(headline?.users ?? 0), organizations: Number(headline?.organizations ?? 0) },
    generatedAt: options.now,
  };
}
