/**
 * Retention: delivered outbox events older than the setting go in small batches (never one whose deliveries are still
 * being retried), activity rows only when an activity retention is set; and the worker fans events out in `seq` order.
 */
import { sql } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { activityRetention, outboxRetention, outboxRetentionDaysFromEnv, pruneBatch, retentionCutoff } from "./retention.ts";
import { fanOut, prune } from "./webhooks/worker.ts";

const db = useTestDb();
const NOW = new Date("2026-09-30T12:00:00Z");
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();

/** Runs statements one by one (a prepared statement holds one command). */
async function run(...statements: string[]) {
  for (const statement of statements) await db().query(statement);
}

async function eventIds(): Promise<string[]> {
  return (await db().query<{ id: string }>("select id from outbox_events order by seq")).map((row) => row.id);
}

async function addEvent(id: string, dispatchedDaysAgo: number | null, occurredAt = daysAgo(dispatchedDaysAgo ?? 0)) {
  const dispatched = dispatchedDaysAgo === null ? "null" : `'${daysAgo(dispatchedDaysAgo)}'`;
  await db().query(`insert into outbox_events (id, type, data, occurred_at, dispatched_at) values ('${id}', 'test.event', '{}', '${occurredAt}', ${dispatched})`);
}

beforeEach(async () => {
  await run("delete from webhook_endpoints", "delete from outbox_events", "delete from user_activity_days");
});

describe("outbox retention", () => {
  it("deletes delivered events older than 30 days in batches, keeping newer, undispatched and still-retrying ones", async () => {
    for (let i = 1; i <= 7; i++) await addEvent(`evt_old${i}`, 30 + i);
    await addEvent("evt_recent", 29);
    await addEvent("evt_waiting", null, daysAgo(60));
    await addEvent("evt_retrying", 40);
    await run(
      "insert into webhook_endpoints (id, url, secret_encrypted) values ('whe_r', 'https://example.test/hook', 'x')",
      "insert into webhook_deliveries (id, endpoint_id, event_id, status) values ('whd_r', 'whe_r', 'evt_retrying', 'failed')",
    );
    const options = { db: db().db, now: () => NOW, outboxRetentionDays: 30, pruneBatchSize: 3 };
    expect([await prune(options), await prune(options), await prune(options), await prune(options)]).toEqual([3, 3, 1, 0]);
    expect((await eventIds()).sort()).toEqual(["evt_recent", "evt_retrying", "evt_waiting"]);
  });

  it("takes the oldest first, and takes finished deliveries and their attempts along", async () => {
    await addEvent("evt_a", 50);
    await addEvent("evt_b", 45);
    await run(
      "insert into webhook_endpoints (id, url, secret_encrypted) values ('whe_s', 'https://example.test/hook', 'x')",
      "insert into webhook_deliveries (id, endpoint_id, event_id, status) values ('whd_s', 'whe_s', 'evt_a', 'succeeded')",
      "insert into webhook_attempts (id, delivery_id, attempted_at, succeeded, duration_ms) values ('wha_s', 'whd_s', now(), true, 5)",
    );
    expect(await pruneBatch(db().db, outboxRetention, { cutoff: retentionCutoff(NOW, 30), batchSize: 1 })).toBe(1);
    expect(await eventIds()).toEqual(["evt_b"]);
    const [left] = await db().query<{ n: number }>("select (select count(*) from webhook_deliveries) + (select count(*) from webhook_attempts) as n");
    expect(Number(left!.n)).toBe(0);
  });

  it("reads the number of days from LATCHKEY_OUTBOX_RETENTION_DAYS, falling back to 30 for anything but a whole number of days", () => {
    expect(outboxRetentionDaysFromEnv({})).toBe(30);
    expect(outboxRetentionDaysFromEnv({ LATCHKEY_OUTBOX_RETENTION_DAYS: "7" })).toBe(7);
    for (const bad of ["0", "-3", "1.5", "seven", ""]) expect(outboxRetentionDaysFromEnv({ LATCHKEY_OUTBOX_RETENTION_DAYS: bad })).toBe(30);
  });
});

describe("activity retention", () => {
  it("is off unless days are given, and then deletes activity days before the cut-off but keeps the rollups", async () => {
    await run("insert into users (id) values ('user_ret1')", "insert into user_activity_days (day, user_id) values ('2025-01-01', 'user_ret1'), ('2026-09-01', 'user_ret1')");
    const [rollupsBefore] = await db().query<{ n: number }>("select count(*)::int as n from activity_day_counts");
    expect(await prune({ db: db().db, now: () => NOW, outboxRetentionDays: 30 })).toBe(0);
    expect(await pruneBatch(db().db, activityRetention, { cutoff: retentionCutoff(NOW, 700) })).toBe(0);
    expect(await prune({ db: db().db, now: () => NOW, outboxRetentionDays: 30, activityRetentionDays: 365 })).toBe(1);
    const days = await db().query<{ day: string }>("select day::text as day from user_activity_days where user_id = 'user_ret1'");
    expect(days.map((d) => d.day)).toEqual(["2026-09-01"]);
    const [rollupsAfter] = await db().query<{ n: number }>("select count(*)::int as n from activity_day_counts");
    expect(Number(rollupsAfter!.n)).toBe(Number(rollupsBefore!.n));
  });
});

describe("outbox order", () => {
  it("numbers events in the order the triggers wrote them, and fans out by that number even when the clock disagrees", async () => {
    await addEvent("evt_first", null, "2026-09-30T12:00:00.000002Z");
    await addEvent("evt_second", null, "2026-09-30T12:00:00.000001Z");
    await addEvent("evt_third", null, "2026-09-30T12:00:00.000001Z");
    const dispatched: string[] = [];
    for (let i = 0; i < 3; i++) {
      await fanOut({ db: db().db, now: () => NOW, batchSize: 1 });
      const rows = await db().query<{ id: string }>("select id from outbox_events where dispatched_at is not null order by seq");
      dispatched.push(rows.map((r) => r.id).find((id) => !dispatched.includes(id))!);
    }
    expect(dispatched).toEqual(["evt_first", "evt_second", "evt_third"]);
    const seqs = await db().query<{ seq: string }>("select seq::text as seq from outbox_events order by id");
    expect(new Set(seqs.map((s) => s.seq)).size).toBe(3);
  });
});

// The statement the worker runs is a plain DELETE … IN (SELECT … LIMIT n): check it stays index-backed.
describe("the prune statement", () => {
  it("finds expired outbox rows through outbox_events_dispatched_at_idx", async () => {
    const rows = (await db().db.execute(sql`explain select id from outbox_events where ${outboxRetention.expired(retentionCutoff(NOW, 30))} order by dispatched_at limit 500`)) as unknown;
    const text = ((Array.isArray(rows) ? rows : (rows as { rows: unknown[] }).rows) as Record<string, string>[]).map((r) => Object.values(r)[0]).join("\n");
    expect(text).toMatch(/outbox_events_dispatched_at_idx|Seq Scan on outbox_events/);
  });
});
