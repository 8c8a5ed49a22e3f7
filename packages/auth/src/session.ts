/**
 * Sessions after Lucia's reference design: the token is `<session id>.<secret>`; only SHA-256 of the secret is
 * stored; the secret is compared in constant time; a sliding idle expiry (written at most once an hour) under an
 * absolute cap. Revocation deletes the row, so it takes effect on the very next request.
 */
import { sha256 } from "@oslojs/crypto/sha2";
import { constantTimeEqual } from "@oslojs/crypto/subtle";
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from "@oslojs/encoding";
import { and, eq, ne, sql } from "drizzle-orm";
import { createId, sessions, userActivityDays, type Database, type Session } from "@latchkey/db";

export interface SessionPolicy {
  /** A session unused for this long ends. */
  idleMs: number;
  /** A session ends this long after sign-in, however active. */
  absoluteMs: number;
  /** The idle expiry is pushed forward at most this often, so validating stays a read. */
  touchIntervalMs: number;
}

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

export const defaultSessionPolicy: SessionPolicy = {
  idleMs: 7 * DAY,
  absoluteMs: 30 * DAY,
  touchIntervalMs: HOUR,
};

const SECRET_BYTES = 24; // 192 bits

export interface SessionToken {
  id: string;
  secret: string;
  token: string;
}

export function generateSessionToken(): SessionToken {
  const bytes = new Uint8Array(SECRET_BYTES);
  crypto.getRandomValues(bytes);
  const id = createId("session");
  const secret = encodeBase32LowerCaseNoPadding(bytes);
  return { id, secret, token: `${id}.${secret}` };
}

const tokenPattern = /^(sess_[a-z2-7]{24})\.([a-z2-7]{39})$/;

/** Splits a token into id and secret; anything malformed is null (and never reaches the database). */
export function parseSessionToken(token: string | null | undefined): { id: string; secret: string } | null {
  if (typeof token !== "string" || token.length > 128) return null;
  const match = tokenPattern.exec(token);
  if (!match) return null;
  return { id: match[1]!, secret: match[2]! };
}

export function hashSessionSecret(secret: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(secret)));
}

export function verifySessionSecret(storedHash: string, secret: string): boolean {
  const a = new TextEncoder().encode(storedHash);
  const b = new TextEncoder().encode(hashSessionSecret(secret));
  return a.length === b.length && constantTimeEqual(a, b);
}

export type SessionState = "active" | "idle_expired" | "expired";

type SessionTimes = Pick<Session, "idleExpiresAt" | "expiresAt" | "lastActiveAt">;

export function getSessionState(session: SessionTimes, now: Date): SessionState {
  if (now.getTime() >= session.expiresAt.getTime()) return "expired";
  if (now.getTime() >= session.idleExpiresAt.getTime()) return "idle_expired";
  return "active";
}

/** The new idle expiry when it is time to slide it forward, else null. Never beyond the absolute cap. */
export function getExtendedIdleExpiry(
  session: SessionTimes,
  now: Date,
  policy: SessionPolicy = defaultSessionPolicy,
): Date | null {
  if (now.getTime() - session.lastActiveAt.getTime() < policy.touchIntervalMs) return null;
  return new Date(Math.min(now.getTime() + policy.idleMs, session.expiresAt.getTime()));
}

export interface CreateSessionInput {
  userId: string;
  ip?: string | null;
  userAgent?: string | null;
  activeOrganizationId?: string | null;
  now?: Date;
  policy?: SessionPolicy;
  /** An impersonation session: the instance admin viewing as `userId` (becomes the JWT's `act` claim). */
  impersonatorUserId?: string | null;
}

/** The UTC day of `now` as YYYY-MM-DD, the key of `user_activity_days`. */
export function activityDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

export async function createSession(
  db: Database,
  input: CreateSessionInput,
): Promise<{ session: Session; token: string }> {
  const now = input.now ?? new Date();
  const policy = input.policy ?? defaultSessionPolicy;
  const { id, secret, token } = generateSessionToken();
  const expiresAt = new Date(now.getTime() + policy.absoluteMs);
  const [session] = await db
    .insert(sessions)
    .values({
      id,
      secretHash: hashSessionSecret(secret),
      userId: input.userId,
      createdAt: now,
      lastActiveAt: now,
      idleExpiresAt: new Date(Math.min(now.getTime() + policy.idleMs, expiresAt.getTime())),
      expiresAt,
      ip: input.ip ?? null,
      userAgent: input.userAgent?.slice(0, 512) ?? null,
      activeOrganizationId: input.activeOrganizationId ?? null,
      // An impersonating admin has proven nothing about the user: no reverification window.
      lastReverifiedAt: input.impersonatorUserId ? null : now,
      impersonatorUserId: input.impersonatorUserId ?? null,
    })
    .returning();
  // Daily active users count real sign-ins, not an admin viewing as someone.
  if (!input.impersonatorUserId) {
    await db.insert(userActivityDays).values({ day: activityDay(now), userId: input.userId }).onConflictDoNothing();
  }
  return { session: session!, token };
}

/**
 * Slides the idle expiry forward; callers decide when with `getExtendedIdleExpiry`. In the same statement it marks
 * the user active today (`user_activity_days`), so the activity charts cost no extra round trip.
 */
export async function touchSession(db: Database, sessionId: string, now: Date, idleExpiresAt: Date): Promise<void> {
  await db.execute(sql`
    with touched as (
      update ${sessions} set last_active_at = ${now.toISOString()}::timestamptz, idle_expires_at = ${idleExpiresAt.toISOString()}::timestamptz
      where ${sessions.id} = ${sessionId}
      returning user_id, impersonator_user_id
    )
    insert into ${userActivityDays} (day, user_id)
    select ${activityDay(now)}::date, user_id from touched where impersonator_user_id is null
    on conflict do nothing`);
}

/**
 * Looks a token up and checks it. For the request path the API resolves session, user and membership in one query
 * instead; this is for flows that need only the session.
 */
export async function validateSessionToken(
  db: Database,
  token: string | null | undefined,
  options: { now?: Date; policy?: SessionPolicy } = {},
): Promise<Session | null> {
  const parsed = parseSessionToken(token);
  if (!parsed) return null;
  const now = options.now ?? new Date();
  const [session] = await db.select().from(sessions).where(eq(sessions.id, parsed.id)).limit(1);
  if (!session || !verifySessionSecret(session.secretHash, parsed.secret)) return null;
  if (getSessionState(session, now) !== "active") {
    await invalidateSession(db, session.id);
    return null;
  }
  const extended = getExtendedIdleExpiry(session, now, options.policy);
  if (extended) {
    await touchSession(db, session.id, now, extended);
    return { ...session, lastActiveAt: now, idleExpiresAt: extended };
  }
  return session;
}

export async function invalidateSession(db: Database, sessionId: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.id, sessionId));
}

/** Ends every session of a user, or every one but `exceptSessionId` ("sign out other devices"). */
export async function invalidateUserSessions(
  db: Database,
  userId: string,
  exceptSessionId?: string,
): Promise<number> {
  const where = exceptSessionId
    ? and(eq(sessions.userId, userId), ne(sessions.id, exceptSessionId))
    : eq(sessions.userId, userId);
  const deleted = await db.delete(sessions).where(where).returning({ id: sessions.id });
  return deleted.length;
}

export async function setActiveOrganization(
  db: Database,
  sessionId: string,
  organizationId: string | null,
): Promise<void> {
  await db.update(sessions).set({ activeOrganizationId: organizationId }).where(eq(sessions.id, sessionId));
}
