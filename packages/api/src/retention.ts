/**
 * Retention: rows past their keeping time are deleted in small batches (one short statement each, oldest first), so
 * pruning never holds long locks or bloats one transaction. The webhook worker prunes the outbox on every pass; the
 * same rules are ready for activity rows (`activityRetention`, off unless a number of days is given). ADR 024.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Database } from "@latchkey/db";

export const DAY_MS = 86_400_000;
/** Delivered outbox events are kept this long by default (`LATCHKEY_OUTBOX_RETENTION_DAYS`). */
export const DEFAULT_OUTBOX_RETENTION_DAYS = 30;
export const DEFAULT_PRUNE_BATCH = 500;

export interface RetentionRule {
  table: SQL;
  /** Which rows are past keeping at `cutoff`, and the order to take them in (oldest first, served by an index). */
  expired: (cutoff: Date) => SQL;
  order: SQL;
}

/**
 * Outbox events dispatched before the cut-off whose deliveries are all finished (succeeded or dead); the cascade takes
 * their deliveries and attempts along. The retries end after about 3.5 days, far inside any sensible retention.
 */
export const outboxRetention: RetentionRule = {
  table: sql`outbox_events`,
  expired: (cutoff) => sql`dispatched_at < ${cutoff.toISOString()}::timestamptz and not exists (
    select 1 from webhook_deliveries d where d.event_id = outbox_events.id and d.status in ('pending', 'failed'))`,
  order: sql`dispatched_at`,
};

/** Activity days (UTC) before the cut-off's day. The rollups (`activity_day_counts`, `last_active_on`) stay. */
export const activityRetention: RetentionRule = {
  table: sql`user_activity_days`,
  expired: (cutoff) => sql`day < (${cutoff.toISOString()}::timestamptz at time zone 'UTC')::date`,
  order: sql`day`,
};

/** The cut-off for keeping `days` days before `now`. */
export function retentionCutoff(now: Date, days: number): Date {
  return new Date(now.getTime() - days * DAY_MS);
}

/** Deletes one batch of expired rows; returns how many went (fewer than `batchSize`: nothing more to do now). */
export async function pruneBatch(db: Database, rule: RetentionRule, options: { cutoff: Date; batchSize?: number }): Promise<number> {
  const limit = options.batchSize ?? DEFAULT_PRUNE_BATCH;
  // By physical row address (a TID scan), whatever the table's key: a row that moved meanwhile is simply left for
  // the next batch.
  const result = (await db.execute(sql`delete from ${rule.table} where ctid = any(array(
    select ctid from ${rule.table} where ${rule.expired(options.cutoff)} order by ${rule.order} limit ${limit}))
    returning 1`)) as unknown;
  return (Array.isArray(result) ? result : ((result as { rows?: unknown[] }).rows ?? [])).length;
}

/** The outbox retention from the environment: a whole number of days ≥ 1, else the default. */
export function outboxRetentionDaysFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.LATCHKEY_OUTBOX_RETENTION_DAYS);
  return Number.isInteger(value) && value >= 1 ? value : DEFAULT_OUTBOX_RETENTION_DAYS;
}
