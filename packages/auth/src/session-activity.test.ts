/** Sessions mark their user active for the day (`user_activity_days`), which the admin charts count. */
import { beforeEach, describe, expect, it } from "vitest";
import { users } from "@latchkey/db";
import { useTestDb } from "@latchkey/db/testing";
import { activityDay, createSession, validateSessionToken } from "./session.ts";

const HOUR = 3_600_000;

const db = useTestDb();
let userId: string;
let adminId: string;
beforeEach(async () => {
  const [user, admin] = await db().db.insert(users).values([{ firstName: "Ada" }, { firstName: "Root", isInstanceAdmin: true }]).returning();
  userId = user!.id;
  adminId = admin!.id;
});

async function activeDays(id: string): Promise<string[]> {
  const rows = await db().query<{ day: string }>(`select day::text as day from user_activity_days where user_id = '${id}' order by day`);
  return rows.map((row) => row.day);
}

describe("activity days", () => {
  it("are named by the UTC day, whatever the hour", () => {
    expect(activityDay(new Date("2026-06-01T23:59:59.999Z"))).toBe("2026-06-01");
    expect(activityDay(new Date("2026-06-02T00:00:00.000Z"))).toBe("2026-06-02");
    expect(activityDay(new Date("2026-06-02T01:30:00+02:00"))).toBe("2026-06-01");
  });

  it("record the day a session is created, once however many sessions start that day", async () => {
    const t0 = new Date("2026-06-01T08:00:00Z");
    await createSession(db().db, { userId, now: t0 });
    await createSession(db().db, { userId, now: new Date(t0.getTime() + 3 * HOUR) });
    expect(await activeDays(userId)).toEqual(["2026-06-01"]);
  });

  it("record each later day the session is used, once its idle expiry slides", async () => {
    const t0 = new Date("2026-06-01T22:30:00Z");
    const { token } = await createSession(db().db, { userId, now: t0 });
    // Within the hour: validating stays a read, nothing is written yet (even past midnight).
    await validateSessionToken(db().db, token, { now: new Date(t0.getTime() + 40 * 60_000) });
    expect(await activeDays(userId)).toEqual(["2026-06-01"]);
    // More than an hour later, on the next UTC day: the touch marks that day.
    await validateSessionToken(db().db, token, { now: new Date(t0.getTime() + 2 * HOUR) });
    await validateSessionToken(db().db, token, { now: new Date(t0.getTime() + 4 * HOUR) });
    // Two days later.
    await validateSessionToken(db().db, token, { now: new Date(t0.getTime() + 50 * HOUR) });
    expect(await activeDays(userId)).toEqual(["2026-06-01", "2026-06-02", "2026-06-04"]);
  });

  it("are not recorded for an impersonation session, neither for the user nor the admin", async () => {
    const t0 = new Date("2026-06-10T12:00:00Z");
    const { token } = await createSession(db().db, { userId, impersonatorUserId: adminId, now: t0 });
    await validateSessionToken(db().db, token, { now: new Date(t0.getTime() + 2 * HOUR) });
    await validateSessionToken(db().db, token, { now: new Date(t0.getTime() + 26 * HOUR) });
    expect(await activeDays(userId)).toEqual([]);
    expect(await activeDays(adminId)).toEqual([]);
  });

  it("roll up into a per-day count of active users and the user's last active day, each user counted once a day", async () => {
    const day = "2031-03-0" + (1 + Math.floor(Math.random() * 8));
    const t0 = new Date(`${day}T09:00:00Z`);
    const count = async () =>
      Number((await db().query<{ n: number }>(`select coalesce((select active_users from activity_day_counts where day = '${day}'), 0) as n`))[0]!.n);
    const before = await count();
    await createSession(db().db, { userId, now: t0 });
    await createSession(db().db, { userId, now: new Date(t0.getTime() + HOUR) });
    await createSession(db().db, { userId: adminId, now: t0 });
    expect((await count()) - before).toBe(2);
    const [row] = await db().query<{ last: string }>(`select last_active_on::text as last from users where id = '${userId}'`);
    expect(row!.last).toBe(day);
    // An earlier day recorded later never moves the last active day back.
    await createSession(db().db, { userId, now: new Date("2030-01-01T09:00:00Z") });
    const [again] = await db().query<{ last: string }>(`select last_active_on::text as last from users where id = '${userId}'`);
    expect(again!.last).toBe(day);
  });
});
