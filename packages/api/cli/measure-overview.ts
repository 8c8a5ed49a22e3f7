/**
 * `DATABASE_URL=… npx tsx cli/measure-overview.ts`: the admin overview at scale, as ADR 017 measured it — end to end
 * (`getActivityOverview`, warm, median of 7) and EXPLAIN (ANALYZE, BUFFERS) of its two statements.
 */
import { sql } from "drizzle-orm";
import { createDb } from "@latchkey/db";
import { activityDay } from "@latchkey/auth";
import { addDays, dailySeriesQuery, getActivityOverview, headlineQuery } from "../src/activity-stats.ts";
import { rowsOf } from "../src/admin-user-list.ts";

const handle = await createDb({ url: process.env.DATABASE_URL });
try {
  const now = new Date();
  const times: number[] = [];
  for (let i = 0; i < 8; i++) {
    const started = performance.now();
    await getActivityOverview(handle.db, { now, days: 30 });
    if (i > 0) times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  console.info(`overview end to end: median ${times[3]!.toFixed(1)} ms, min ${times[0]!.toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms`);
  const today = activityDay(now);
  for (const [label, query] of [
    ["headline", headlineQuery({ today, now })],
    ["series", dailySeriesQuery({ from: addDays(today, -29), days: 30 })],
  ] as const) {
    const plan = rowsOf<Record<string, string>>(await handle.db.execute(sql`explain (analyze, buffers) ${query}`)).map((row) => Object.values(row)[0]);
    console.info(`\n### ${label}\n${plan.join("\n")}`);
  }
} finally {
  await handle.close();
}
