import { describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { callerFor, errorOf, signUp, uniqueEmail } from "../../test/helpers.ts";

const db = useTestDb();
const HOUR = 3_600_000;

/** A signed-in instance administrator whose requests see the clock `now`. */
async function instanceAdmin(now?: Date) {
  const user = await signUp(db(), uniqueEmail("stats-root"));
  await db().query(`update users set is_instance_admin = true where id = '${user.userId}'`);
  return { api: callerFor(db(), { token: user.token, ...(now ? { now: () => now } : {}) }).caller, userId: user.userId };
}

let seq = 0;
/** A user row created at `createdAt` (ISO), optionally deleted; returns its id. */
async function userCreatedAt(createdAt: string, deleted = false): Promise<string> {
  seq += 1;
  const id = `user_stats${seq}_${Math.random().toString(36).slice(2, 8)}`;
  await db().query(
    `insert into users (id, created_at, deleted_at) values ('${id}', '${createdAt}', ${deleted ? `'${createdAt}'` : "null"})`,
  );
  return id;
}

async function activeOn(userId: string, ...days: string[]) {
  for (const day of days) await db().query(`insert into user_activity_days (day, user_id) values ('${day}', '${userId}')`);
}

async function sessionRow(userId: string, expiresAt: Date, idleExpiresAt: Date, impersonatorUserId: string | null = null) {
  seq += 1;
  const id = `sess_stats${seq}${Math.random().toString(36).slice(2, 8)}`;
  await db().query(
    `insert into sessions (id, secret_hash, user_id, idle_expires_at, expires_at, impersonator_user_id)
     values ('${id}', 'x', '${userId}', '${idleExpiresAt.toISOString()}', '${expiresAt.toISOString()}', ${impersonatorUserId ? `'${impersonatorUserId}'` : "null"})`,
  );
}

describe("adminStats.overview", () => {
  it("counts sign-ups per UTC day across day boundaries, with empty days as 0", async () => {
    const now = new Date("2026-03-10T00:30:00Z");
    const admin = await instanceAdmin(now);
    await userCreatedAt("2026-03-03T23:59:59.999Z"); // the day before the window
    await userCreatedAt("2026-03-04T00:00:00Z"); // the window's first instant
    await userCreatedAt("2026-03-05T12:00:00Z", true); // deleted later: still a sign-up that day
    await userCreatedAt("2026-03-09T23:59:59.999Z");
    await userCreatedAt("2026-03-09T23:00:00-02:00"); // 01:00 UTC on the 10th
    await userCreatedAt("2026-03-10T00:10:00Z");
    await userCreatedAt("2026-03-11T00:00:00Z"); // tomorrow

    const overview = await admin.api.adminStats.overview({ days: 7 });
    expect(overview).toMatchObject({ days: 7, from: "2026-03-04", to: "2026-03-10" });
    expect(overview.signUpsPerDay).toEqual([
      { day: "2026-03-04", count: 1 },
      { day: "2026-03-05", count: 1 },
      { day: "2026-03-06", count: 0 },
      { day: "2026-03-07", count: 0 },
      { day: "2026-03-08", count: 0 },
      { day: "2026-03-09", count: 1 },
      { day: "2026-03-10", count: 2 },
    ]);
  });

  it("gives 30 days by default, oldest first, ending today", async () => {
    const now = new Date("2026-02-28T23:59:00Z");
    const admin = await instanceAdmin(now);
    const overview = await admin.api.adminStats.overview();
    expect(overview.days).toBe(30);
    expect(overview.signUpsPerDay).toHaveLength(30);
    expect(overview.dailyActiveUsers).toHaveLength(30);
    expect(overview.signUpsPerDay[0]!.day).toBe("2026-01-30");
    expect(overview.signUpsPerDay.at(-1)!.day).toBe("2026-02-28");
    expect(overview.dailyActiveUsers.every((d) => d.count === 0)).toBe(true);
    expect((await admin.api.adminStats.overview({})).days).toBe(30);
  });

  it("counts daily active users per day and monthly active users once each over the last 30 days", async () => {
    const now = new Date("2025-06-30T18:00:00Z");
    const admin = await instanceAdmin(now);
    const before = await admin.api.adminStats.overview({ days: 7 });
    const [a, b, c, d] = [
      await userCreatedAt("2025-01-01T00:00:00Z"),
      await userCreatedAt("2025-01-01T00:00:00Z"),
      await userCreatedAt("2025-01-01T00:00:00Z"),
      await userCreatedAt("2025-01-01T00:00:00Z"),
    ];
    await activeOn(a!, "2025-06-01", "2025-06-29", "2025-06-30"); // 06-01 is the 30-day window's first day
    await activeOn(b!, "2025-05-31"); // just outside it
    await activeOn(c!, "2025-06-30");
    await activeOn(d!, "2025-07-01"); // tomorrow

    const overview = await admin.api.adminStats.overview({ days: 7 });
    expect(overview.dailyActiveUsers).toEqual([
      { day: "2025-06-24", count: 0 },
      { day: "2025-06-25", count: 0 },
      { day: "2025-06-26", count: 0 },
      { day: "2025-06-27", count: 0 },
      { day: "2025-06-28", count: 0 },
      { day: "2025-06-29", count: 1 },
      { day: "2025-06-30", count: 2 },
    ]);
    expect(overview.monthlyActiveUsers - before.monthlyActiveUsers).toBe(2);
  });

  it("counts live sessions only, leaving out expired, idle-expired and impersonation sessions", async () => {
    const now = new Date("2026-04-15T12:00:00Z");
    const admin = await instanceAdmin(now);
    const before = await admin.api.adminStats.overview();
    const user = await userCreatedAt("2026-04-01T00:00:00Z");
    const later = (hours: number) => new Date(now.getTime() + hours * HOUR);
    await sessionRow(user, later(24), later(2)); // live
    await sessionRow(user, later(240), later(1)); // live
    await sessionRow(user, later(-1), later(2)); // past its absolute expiry
    await sessionRow(user, later(24), later(-1)); // idle too long
    await sessionRow(user, now, later(2)); // expires this very instant
    await sessionRow(user, later(24), later(2), admin.userId); // an admin viewing as the user
    const after = await admin.api.adminStats.overview();
    expect(after.activeSessions - before.activeSessions).toBe(2);
  });

  it("totals users who are not deleted and every organization", async () => {
    const admin = await instanceAdmin();
    const before = await admin.api.adminStats.overview();
    await userCreatedAt("2024-01-01T00:00:00Z");
    await userCreatedAt("2024-01-02T00:00:00Z", true);
    await admin.api.organization.create({ name: "Stats Org", slug: `stats-${Math.random().toString(36).slice(2, 8)}` });
    const after = await admin.api.adminStats.overview();
    expect(after.totals.users - before.totals.users).toBe(1);
    expect(after.totals.organizations - before.totals.organizations).toBe(1);
  });

  it("is refused to anonymous callers and to signed-in users who are not instance admins", async () => {
    expect((await errorOf(callerFor(db()).caller.adminStats.overview())).code).toBe("UNAUTHORIZED");
    const plain = await signUp(db(), uniqueEmail("stats-plain"));
    const error = await errorOf(callerFor(db(), { token: plain.token }).caller.adminStats.overview({ days: 30 }));
    expect(error.code).toBe("FORBIDDEN");
    expect(error.reason).toBe("INSTANCE_ADMIN_REQUIRED");
  });

  it.each([[6], [91], [7.5], ["30"], [null], [-30]])("refuses days = %j with 400 naming the field", async (days) => {
    const admin = await instanceAdmin();
    const error = await errorOf(admin.api.adminStats.overview({ days } as never));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.reason).toBe("INVALID_INPUT");
    expect(error.message).toMatch(/^days: /);
  });
});
