import { beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { sessions, users } from "@latchkey/db";
import { useTestDb } from "@latchkey/db/testing";
import {
  createSession,
  defaultSessionPolicy,
  generateSessionToken,
  getExtendedIdleExpiry,
  getSessionState,
  hashSessionSecret,
  invalidateSession,
  invalidateUserSessions,
  parseSessionToken,
  validateSessionToken,
  verifySessionSecret,
} from "./session.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const db = useTestDb();
let userId: string;
beforeAll(async () => {
  const [user] = await db().db.insert(users).values({ firstName: "Ada" }).returning();
  userId = user!.id;
});

describe("session tokens", () => {
  it("carry at least 128 random bits in the secret and a prefixed id", () => {
    const { id, secret, token } = generateSessionToken();
    expect(id).toMatch(/^sess_/);
    // base32: 5 bits a character
    expect(secret.length * 5).toBeGreaterThanOrEqual(128);
    expect(token).toBe(`${id}.${secret}`);
    expect(generateSessionToken().secret).not.toBe(secret);
  });

  it("parse only in their exact shape", () => {
    const { token, id, secret } = generateSessionToken();
    expect(parseSessionToken(token)).toEqual({ id, secret });
    for (const bad of ["", "abc", `${id}.`, `${id}.${secret}x`, `x${token}`, `${id}:${secret}`, "a".repeat(5000), null, undefined]) {
      expect(parseSessionToken(bad)).toBeNull();
    }
  });

  it("verify the secret against its stored SHA-256 and nothing else", () => {
    const { secret } = generateSessionToken();
    const stored = hashSessionSecret(secret);
    expect(stored).toMatch(/^[0-9a-f]{64}$/);
    expect(verifySessionSecret(stored, secret)).toBe(true);
    expect(verifySessionSecret(stored, generateSessionToken().secret)).toBe(false);
    expect(verifySessionSecret("", secret)).toBe(false);
  });
});

describe("session expiry", () => {
  const start = new Date("2026-01-01T00:00:00Z");
  const times = {
    lastActiveAt: start,
    idleExpiresAt: new Date(start.getTime() + 7 * DAY),
    expiresAt: new Date(start.getTime() + 30 * DAY),
  };

  it("is active before both limits and ends at the idle or the absolute one", () => {
    expect(getSessionState(times, new Date(start.getTime() + 6 * DAY))).toBe("active");
    expect(getSessionState(times, new Date(start.getTime() + 7 * DAY))).toBe("idle_expired");
    expect(getSessionState({ ...times, idleExpiresAt: times.expiresAt }, times.expiresAt)).toBe("expired");
  });

  it("slides the idle expiry at most once an hour and never past the absolute cap", () => {
    expect(getExtendedIdleExpiry(times, new Date(start.getTime() + 59 * 60_000))).toBeNull();
    const later = new Date(start.getTime() + 2 * HOUR);
    expect(getExtendedIdleExpiry(times, later)?.getTime()).toBe(later.getTime() + defaultSessionPolicy.idleMs);
    const nearEnd = new Date(start.getTime() + 29 * DAY);
    expect(getExtendedIdleExpiry(times, nearEnd)?.getTime()).toBe(times.expiresAt.getTime());
  });
});

describe("sessions in the database", () => {
  it("store only the hash of the secret, never the raw token", async () => {
    const { session, token } = await createSession(db().db, { userId, ip: "127.0.0.1", userAgent: "test" });
    const rows = await db().query<Record<string, unknown>>(`select * from sessions where id = '${session.id}'`);
    const serialized = JSON.stringify(rows);
    const secret = token.split(".")[1]!;
    expect(serialized).not.toContain(secret);
    expect(serialized).not.toContain(token);
    expect(rows[0]!.secret_hash).toBe(hashSessionSecret(secret));
  });

  it("validate with the right token and refuse a forged secret", async () => {
    const { session, token } = await createSession(db().db, { userId });
    expect((await validateSessionToken(db().db, token))?.id).toBe(session.id);
    const forged = `${session.id}.${generateSessionToken().secret}`;
    expect(await validateSessionToken(db().db, forged)).toBeNull();
  });

  it("end at the idle limit even though the session was fine the day before", async () => {
    const t0 = new Date("2026-03-01T00:00:00Z");
    const { token } = await createSession(db().db, { userId, now: t0 });
    expect(await validateSessionToken(db().db, token, { now: new Date(t0.getTime() + 6 * DAY) })).not.toBeNull();
    // The check on day 6 slid the idle expiry to day 13.
    expect(await validateSessionToken(db().db, token, { now: new Date(t0.getTime() + 12 * DAY) })).not.toBeNull();
    expect(await validateSessionToken(db().db, token, { now: new Date(t0.getTime() + 20 * DAY) })).toBeNull();
  });

  it("end at the absolute limit despite continuous activity", async () => {
    const t0 = new Date("2026-04-01T00:00:00Z");
    const { token } = await createSession(db().db, { userId, now: t0 });
    for (let day = 1; day < 30; day++) {
      expect(await validateSessionToken(db().db, token, { now: new Date(t0.getTime() + day * DAY) })).not.toBeNull();
    }
    expect(await validateSessionToken(db().db, token, { now: new Date(t0.getTime() + 30 * DAY) })).toBeNull();
  });

  it("write the idle expiry at most once an hour while validating", async () => {
    const t0 = new Date("2026-05-01T00:00:00Z");
    const { session, token } = await createSession(db().db, { userId, now: t0 });
    const before = db().queryCount();
    await validateSessionToken(db().db, token, { now: new Date(t0.getTime() + 10 * 60_000) });
    expect(db().queryCount() - before).toBe(1);
    await validateSessionToken(db().db, token, { now: new Date(t0.getTime() + 2 * HOUR) });
    expect(db().queryCount() - before).toBe(3);
    const [row] = await db().db.select().from(sessions).where(eq(sessions.id, session.id));
    expect(row!.lastActiveAt.getTime()).toBe(t0.getTime() + 2 * HOUR);
  });

  it("are gone after invalidation, alone or all but the current one", async () => {
    const a = await createSession(db().db, { userId });
    const b = await createSession(db().db, { userId });
    const c = await createSession(db().db, { userId });
    await invalidateSession(db().db, a.session.id);
    expect(await validateSessionToken(db().db, a.token)).toBeNull();
    await invalidateUserSessions(db().db, userId, c.session.id);
    expect(await validateSessionToken(db().db, b.token)).toBeNull();
    expect(await validateSessionToken(db().db, c.token)).not.toBeNull();
  });
});
