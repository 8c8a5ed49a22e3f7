/** Builders for integration tests: real database, real procedures through `createCaller`. */
import { eq } from "drizzle-orm";
import { emailAddresses, membershipRoles, memberships, passwordCredentials, roles, users, type DbHandle } from "@latchkey/db";
import { createSession, hashPassword } from "@latchkey/auth";
import { createCaller } from "../src/root.ts";
import { createInnerContext, type InnerContextOptions } from "../src/context.ts";
import { signUpConfirmed } from "../cli/confirmed-sign-up.ts";

export const APP_URL = "http://localhost:3000";
export const PASSWORD = "correct horse battery staple";

export interface CallerOptions extends Partial<Omit<InnerContextOptions, "db">> {
  token?: string | null;
}

/** A caller as one HTTP request would be: its own context, memoised auth and response headers. */
export function callerFor(handle: DbHandle, options: CallerOptions = {}) {
  const resHeaders = new Headers();
  const ctx = createInnerContext({
    db: handle.db,
    appUrl: APP_URL,
    resHeaders,
    sessionToken: options.token ?? null,
    // Each caller its own address, so per-IP limits don't trip across unrelated tests; tests of limits pass `ip`.
    ip: `198.18.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}`,
    userAgent: "vitest",
    ...options,
  });
  return { caller: createCaller(ctx), ctx, resHeaders };
}

/** The session token a response set, read back from its Set-Cookie header. */
export function tokenFrom(resHeaders: Headers): string | null {
  for (const cookie of resHeaders.getSetCookie()) {
    const match = /^latchkey_session=([^;]*)/.exec(cookie);
    if (match && match[1]) return decodeURIComponent(match[1]);
  }
  return null;
}

let counter = 0;
export function uniqueEmail(label = "user"): string {
  counter += 1;
  return `${label}-${counter}-${Math.random().toString(36).slice(2, 8)}@example.test`;
}

/** A user who signed up and confirmed the emailed code, signed in: `token` is their session. */
export async function signUp(handle: DbHandle, email = uniqueEmail(), extra: { firstName?: string } = {}) {
  return insertSignedInUser(handle, email, extra);
}

/** A sign-up walked through the real flow (`auth.signUp`, the emailed code, `signUp.verify`), for tests that need its side effects. */
export async function signUpThroughFlow(handle: DbHandle, email = uniqueEmail(), extra: { firstName?: string } = {}) {
  const ip = `198.18.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}`;
  const result = await signUpConfirmed(handle.db, { email, password: PASSWORD, ...extra }, { appUrl: APP_URL, ip, userAgent: "vitest" });
  return { ...result, email };
}

/** An org with an admin (its creator) and a plain member. */
export async function createOrgWithMember(handle: DbHandle, name = "Acme") {
  const admin = await signUp(handle, uniqueEmail("admin"), { firstName: "Ada" });
  const org = await callerFor(handle, { token: admin.token }).caller.organization.create({
    name,
    slug: `${name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-${Math.random().toString(36).slice(2, 7)}`,
  });
  const member = await signUp(handle, uniqueEmail("member"), { firstName: "Max" });
  await addMember(handle, org.id, member.userId, "org:member");
  return { admin, member, org };
}

export async function addMember(handle: DbHandle, organizationId: string, userId: string, ...roleKeys: string[]) {
  const [membership] = await handle.db
    .insert(memberships)
    .values({ organizationId, userId })
    .returning({ id: memberships.id });
  for (const key of roleKeys) {
    const [role] = await handle.db.select({ id: roles.id }).from(roles).where(eq(roles.key, key));
    await handle.db.insert(membershipRoles).values({ membershipId: membership!.id, roleId: role!.id });
  }
  return membership!.id;
}

/** Rejects with the error a call threw, or fails when it did not throw. */
export async function errorOf(promise: Promise<unknown>): Promise<{ code: string; message: string; reason?: string; field?: string; cause?: unknown }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string; reason?: string; field?: string };
  }
  throw new Error("expected the call to fail, but it succeeded");
}

export async function countRows(handle: DbHandle, table: string): Promise<number> {
  const rows = await handle.query<{ n: number | string }>(`select count(*)::int as n from ${table}`);
  return Number(rows[0]!.n);
}

let passwordHash: Promise<string> | undefined;

/**
 * A signed-in user with a verified primary address and the password `PASSWORD`, written straight to the tables: what
 * `signUp` leaves behind, without walking the sign-up flow (and its argon2 hash) each time. For fixtures that need
 * many users and don't test signing up (`signUp` is this; the matrix builds four users per procedure).
 */
export async function insertSignedInUser(handle: DbHandle, email = uniqueEmail(), extra: { firstName?: string } = {}) {
  passwordHash ??= hashPassword(PASSWORD);
  const hash = await passwordHash;
  const now = new Date();
  const ip = `198.18.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}`;
  // One transaction, as a sign-up is: the outbox then sees one user.created carrying the address.
  const { userId, session, token } = await handle.db.transaction(async (tx) => {
    const [user] = await tx.insert(users).values({ firstName: extra.firstName ?? null, lastSignInAt: now }).returning({ id: users.id });
    const id = user!.id;
    await tx.insert(emailAddresses).values({ userId: id, email: email.toLowerCase(), isPrimary: true, verifiedAt: now });
    await tx.insert(passwordCredentials).values({ userId: id, hash });
    return { userId: id, ...(await createSession(tx, { userId: id, now, ip, userAgent: "vitest" })) };
  });
  return { userId, sessionId: session.id, token, email };
}
