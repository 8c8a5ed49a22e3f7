import { beforeAll, describe, expect, it } from "vitest";
import { and, eq, sql } from "drizzle-orm";
import { createSession, hashPassword } from "@latchkey/auth";
import { auditEvents, emailAddresses, memberships, outboxEvents, passwordCredentials, rateLimitBuckets, sessions, users } from "@latchkey/db";
import { useTestDb } from "@latchkey/db/testing";
import { addMember, callerFor, countRows, createOrgWithMember, errorOf, signUp, uniqueEmail } from "../../test/helpers.ts";
import { decodeUserCursor, encodeUserCursor } from "../admin-user-list.ts";

const db = useTestDb();
let adminToken = "";
let adminUserId = "";

beforeAll(async () => {
  const admin = await signUp(db(), uniqueEmail("root"));
  await db().db.execute(sql`update users set is_instance_admin = true where id = ${admin.userId}`);
  adminToken = admin.token;
  adminUserId = admin.userId;
});

const api = () => callerFor(db(), { token: adminToken }).caller;
const auditOf = (action: string, targetId: string) =>
  db().db.select().from(auditEvents).where(and(eq(auditEvents.action, action), eq(auditEvents.targetId, targetId)));

let serial = 0;
/** A user straight in the database (no password hashing: fast), with a primary address and, if asked, a session. */
async function makeUser(
  options: {
    email?: string;
    firstName?: string | null;
    lastName?: string | null;
    username?: string | null;
    createdAt?: Date;
    lastSignInAt?: Date | null;
    banned?: boolean;
    lockedUntil?: Date | null;
    mfa?: boolean;
    verified?: boolean;
    session?: boolean;
  } = {},
) {
  serial += 1;
  const createdAt = options.createdAt ?? new Date(Date.UTC(2026, 0, 1) + serial * 1000);
  const [user] = await db()
    .db.insert(users)
    .values({
      firstName: options.firstName ?? null,
      lastName: options.lastName ?? null,
      username: options.username ?? null,
      createdAt,
      updatedAt: createdAt,
      lastSignInAt: options.lastSignInAt ?? null,
      bannedAt: options.banned ? createdAt : null,
      lockedUntil: options.lockedUntil ?? null,
      hasSecondFactor: options.mfa ?? false,
    })
    .returning({ id: users.id });
  const email = options.email ?? uniqueEmail("made");
  await db().db.insert(emailAddresses).values({ userId: user!.id, email, isPrimary: true, verifiedAt: options.verified === false ? null : createdAt });
  let token: string | null = null;
  if (options.session) token = (await createSession(db().db, { userId: user!.id, userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", ip: "203.0.113.9" })).token;
  return { id: user!.id, email, token };
}

describe("adminUser: who may call it", () => {
  it("refuses an anonymous caller with UNAUTHORIZED and a signed-in non-admin with INSTANCE_ADMIN_REQUIRED, changing nothing", async () => {
    const victim = await makeUser();
    const plain = await makeUser({ session: true });
    const anonymous = callerFor(db()).caller;
    const nonAdmin = callerFor(db(), { token: plain.token }).caller;
    expect((await errorOf(anonymous.adminUser.list())).code).toBe("UNAUTHORIZED");
    for (const call of [() => nonAdmin.adminUser.list(), () => nonAdmin.adminUser.get({ userId: victim.id }), () => nonAdmin.adminUser.ban({ userId: victim.id }), () => nonAdmin.adminUser.delete({ userId: victim.id })]) {
      const error = await errorOf(call());
      expect(error.code).toBe("FORBIDDEN");
      expect(error.reason).toBe("INSTANCE_ADMIN_REQUIRED");
    }
    const [row] = await db().db.select().from(users).where(eq(users.id, victim.id));
    expect(row!.bannedAt).toBeNull();
    expect(row!.deletedAt).toBeNull();
  });
});

describe("adminUser.list", () => {
  it("searches by exact id, by address prefix with @, and by a prefix of the address, names or username", async () => {
    const tag = `srch${Math.random().toString(36).slice(2, 7)}`;
    const ada = await makeUser({ email: `${tag}.ada@example.test`, firstName: "Ada", lastName: `Lovelace${tag}` });
    const bob = await makeUser({ email: `bob.${tag}@example.test`, firstName: `${tag}Bob`, lastName: "Builder" });
    const cy = await makeUser({ email: `cy-${tag}@example.test`, username: `${tag}_cy` });
    const ids = async (query: string) => (await api().adminUser.list({ query, limit: 100 })).users.map((u) => u.id).sort();

    expect(await ids(bob.id)).toEqual([bob.id]);
    expect(await ids(`${tag}.ada@`)).toEqual([ada.id]);
    expect(await ids(`${tag}.ADA@EXAMPLE`)).toEqual([ada.id]);
    // Text with @ is only an address prefix: a name does not match it.
    expect(await ids(`${tag}bob@`)).toEqual([]);
    expect(await ids(tag)).toEqual([ada.id, bob.id, cy.id].sort());
    expect(await ids(`lovelace${tag}`)).toEqual([ada.id]);
    expect(await ids(`${tag.toUpperCase()}_C`)).toEqual([cy.id]);
    // A prefix, not a substring.
    expect(await ids(tag.slice(1))).toEqual([]);
  });

  it("lists a user who matches several alternatives once, and pages a text search by cursor", async () => {
    const tag = `both${Math.random().toString(36).slice(2, 7)}`;
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      // Each matches by address and by first name; some by username too.
      const user = await makeUser({ email: `${tag}-${i}@example.test`, firstName: `${tag}${i}`, username: i % 2 === 0 ? `${tag}_${i}` : null });
      made.push(user.id);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api().adminUser.list({ query: tag.toUpperCase(), limit: 2, cursor });
      seen.push(...page.users.map((u) => u.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...made].reverse());
  });

  it("treats % _ and \\ in the search as plain characters", async () => {
    const tag = `esc${Math.random().toString(36).slice(2, 7)}`;
    const under = await makeUser({ email: `${tag}_x@example.test` });
    await makeUser({ email: `${tag}ax@example.test` });
    expect((await api().adminUser.list({ query: `${tag}_` })).users.map((u) => u.id)).toEqual([under.id]);
    expect((await api().adminUser.list({ query: `${tag}%` })).users).toEqual([]);
    expect((await api().adminUser.list({ query: `${tag}\\` })).users).toEqual([]);
  });

  it("filters banned, locked (only while the lock lasts), unverified and with-MFA users, and never lists deleted ones", async () => {
    const tag = `filt${Math.random().toString(36).slice(2, 7)}`;
    const email = (name: string) => `${tag}-${name}@example.test`;
    const plain = await makeUser({ email: email("plain") });
    const banned = await makeUser({ email: email("banned"), banned: true });
    const locked = await makeUser({ email: email("locked"), lockedUntil: new Date(Date.now() + 3_600_000) });
    await makeUser({ email: email("lapsed"), lockedUntil: new Date(Date.now() - 60_000) });
    const unverified = await makeUser({ email: email("unverified"), verified: false });
    const mfa = await makeUser({ email: email("mfa"), mfa: true });
    const gone = await makeUser({ email: email("gone") });
    await db().db.update(users).set({ deletedAt: new Date() }).where(eq(users.id, gone.id));
    const ids = async (filter?: "banned" | "locked" | "unverified" | "mfa") => (await api().adminUser.list({ query: tag, filter })).users.map((u) => u.id);

    expect(await ids("banned")).toEqual([banned.id]);
    expect(await ids("locked")).toEqual([locked.id]);
    expect(await ids("unverified")).toEqual([unverified.id]);
    expect(await ids("mfa")).toEqual([mfa.id]);
    const all = await ids();
    expect(all).toHaveLength(6);
    expect(all).not.toContain(gone.id);
    const rows = (await api().adminUser.list({ query: tag })).users;
    expect(rows.find((u) => u.id === banned.id)).toMatchObject({ banned: true, locked: false });
    expect(rows.find((u) => u.id === locked.id)).toMatchObject({ locked: true, banned: false });
    expect(rows.find((u) => u.id === unverified.id)).toMatchObject({ verified: false, email: email("unverified") });
    expect(rows.find((u) => u.id === mfa.id)).toMatchObject({ hasMfa: true, verified: true });
    expect(rows.find((u) => u.id === plain.id)).toMatchObject({ banned: false, locked: false, hasMfa: false, verified: true });
  });

  it("pages newest, oldest and last-sign-in first by cursor, crossing page boundaries without skipping or repeating a user", async () => {
    const tag = `page${Math.random().toString(36).slice(2, 7)}`;
    const base = Date.UTC(2025, 5, 1);
    const made: { id: string; createdAt: number; lastSignInAt: number | null }[] = [];
    for (let i = 0; i < 7; i++) {
      // Two users share a creation time (the id breaks the tie); three never signed in.
      const createdAt = base + (i === 3 ? 2 : i) * 60_000 + 123;
      const lastSignInAt = i % 2 === 0 && i !== 6 ? null : base + (10 - i) * 3_600_000 + 0.5;
      const user = await makeUser({ email: `${tag}-${i}@example.test`, createdAt: new Date(createdAt), lastSignInAt: lastSignInAt === null ? null : new Date(lastSignInAt) });
      made.push({ id: user.id, createdAt, lastSignInAt });
    }
    // Microseconds a JS Date can't hold: the cursor must keep them.
    await db().db.execute(sql`update users set created_at = created_at + interval '7 microseconds' where id = ${made[5]!.id}`);
    const walk = async (sort: "newest" | "oldest" | "last_sign_in") => {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await api().adminUser.list({ query: tag, sort, limit: 2, cursor });
        expect(page.users.length).toBeLessThanOrEqual(2);
        seen.push(...page.users.map((u) => u.id));
        if (!page.nextCursor) return seen;
        cursor = page.nextCursor;
      }
      throw new Error("did not end");
    };
    const byCreated = [...made].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1)).map((u) => u.id);
    expect(await walk("oldest")).toEqual(byCreated);
    expect(await walk("newest")).toEqual([...byCreated].reverse());
    const signed = made.filter((u) => u.lastSignInAt !== null).sort((a, b) => b.lastSignInAt! - a.lastSignInAt!).map((u) => u.id);
    const never = made.filter((u) => u.lastSignInAt === null).map((u) => u.id).sort().reverse();
    expect(await walk("last_sign_in")).toEqual([...signed, ...never]);
  });

  it("refuses a malformed cursor, another sort's cursor and a bad limit with a 400 naming the field", async () => {
    const forged = Buffer.from("N|t|yesterday|user_x", "utf8").toString("base64url");
    const otherSort = encodeUserCursor({ sort: "oldest", phase: "t", time: "2026-01-01T00:00:00.000000Z", id: "user_abc" });
    for (const cursor of ["not a cursor!", forged, otherSort, "x".repeat(300)]) {
      const error = await errorOf(api().adminUser.list({ cursor, sort: "newest" }));
      expect(error.code, cursor).toBe("BAD_REQUEST");
      expect(error.message).toMatch(/^cursor:/);
    }
    for (const input of [{ limit: 0 }, { limit: 101 }, { limit: 2.5 }, { sort: "random" }, { filter: "admins" }, { query: "x".repeat(255) }]) {
      const error = await errorOf(api().adminUser.list(input as never));
      expect(error.code, JSON.stringify(input)).toBe("BAD_REQUEST");
      expect(error.message).toMatch(new RegExp(`^${Object.keys(input)[0]}:`));
    }
    expect(decodeUserCursor(otherSort)).toMatchObject({ sort: "oldest" });
  });
});

describe("adminUser.get", () => {
  it("shows profile, addresses, factor counts, sessions with device and impersonation flag, organizations and the audit trail, and no secrets", async () => {
    const { admin, org } = await createOrgWithMember(db(), "Detail Org");
    await db().db.execute(sql`update users set has_second_factor = true where id = ${admin.userId}`);
    await api().adminUser.updateMetadata({ userId: admin.userId, privateMetadata: { plan: "pro" } });
    const detail = await api().adminUser.get({ userId: admin.userId });
    expect(detail.user).toMatchObject({ id: admin.userId, firstName: "Ada", privateMetadata: { plan: "pro" } });
    expect(detail.emailAddresses[0]).toMatchObject({ email: admin.email, isPrimary: true });
    expect(detail.factors).toMatchObject({ password: true, totp: false, passkeys: 0, backupCodesRemaining: 0 });
    expect(detail.sessions.length).toBeGreaterThan(0);
    expect(detail.sessions[0]).toMatchObject({ impersonated: false });
    expect(detail.organizations).toEqual([expect.objectContaining({ id: org.id, roleKeys: ["org:admin"] })]);
    expect(detail.auditTrail.map((e) => e.action)).toContain("user.metadata_updated");
    expect(detail.auditTrail.find((e) => e.action === "user.metadata_updated")).toMatchObject({ role: "target", actorUserId: adminUserId });
    const text = JSON.stringify(detail);
    expect(text).not.toMatch(/\$argon2/);
    expect(text).not.toContain("secretHash");
    expect(text).not.toContain(admin.token.split(".")[1] ?? admin.token);

    const user = await makeUser({ session: true });
    const [session] = await db().db.select().from(sessions).where(eq(sessions.userId, user.id));
    expect((await api().adminUser.get({ userId: user.id })).sessions[0]).toMatchObject({ id: session!.id, browser: "Firefox", os: "Linux", ip: "203.0.113.9" });
  });

  it("answers NOT_FOUND for an unknown or deleted user and 400 for a malformed id", async () => {
    expect((await errorOf(api().adminUser.get({ userId: "user_doesnotexist" }))).code).toBe("NOT_FOUND");
    const gone = await makeUser();
    await db().db.update(users).set({ deletedAt: new Date() }).where(eq(users.id, gone.id));
    expect((await errorOf(api().adminUser.get({ userId: gone.id }))).code).toBe("NOT_FOUND");
    const bad = await errorOf(api().adminUser.get({ userId: "org_123" }));
    expect(bad.code).toBe("BAD_REQUEST");
    expect(bad.message).toMatch(/^userId:/);
  });
});

describe("adminUser.create", () => {
  it("creates a user with a verified primary address and a hashed password, audited", async () => {
    const email = uniqueEmail("created");
    const { id } = await api().adminUser.create({ email: email.toUpperCase(), password: "a long enough passphrase", firstName: "Grace", lastName: "Hopper", username: `grace${serial}x` });
    const [address] = await db().db.select().from(emailAddresses).where(eq(emailAddresses.userId, id));
    expect(address).toMatchObject({ email, isPrimary: true });
    expect(address!.verifiedAt).not.toBeNull();
    const [credential] = await db().db.select().from(passwordCredentials).where(eq(passwordCredentials.userId, id));
    expect(credential!.hash).toMatch(/^\$argon2/);
    const [event] = await auditOf("user.created", id);
    expect(event).toMatchObject({ actorUserId: adminUserId, targetType: "user", outcome: "success" });
    expect(JSON.stringify(event)).not.toContain("a long enough passphrase");
    // And the new user can sign in with it.
    const signedIn = await callerFor(db()).caller.auth.signIn({ email, password: "a long enough passphrase" });
    expect(signedIn.status).toBe("complete");
  });

  it("refuses a taken address (CONFLICT naming email), a taken username, a weak password and bad fields, writing nothing", async () => {
    const existing = await makeUser();
    const before = await countRows(db(), "users");
    const taken = await errorOf(api().adminUser.create({ email: existing.email }));
    expect(taken).toMatchObject({ code: "CONFLICT", reason: "EMAIL_TAKEN", field: "email" });
    const username = `taken${Math.random().toString(36).slice(2, 8)}`;
    await makeUser({ username });
    const user = await errorOf(api().adminUser.create({ email: uniqueEmail(), username: username.toUpperCase() }));
    expect(user).toMatchObject({ code: "CONFLICT", field: "username" });
    const weak = await errorOf(api().adminUser.create({ email: uniqueEmail(), password: "short" }));
    expect(weak).toMatchObject({ code: "BAD_REQUEST", reason: "PASSWORD_TOO_SHORT" });
    expect(weak.message).toMatch(/^password:/);
    for (const [input, field] of [
      [{ email: "not an address" }, "email"],
      [{ email: uniqueEmail(), username: "a b" }, "username"],
      [{ email: uniqueEmail(), firstName: "x".repeat(65) }, "firstName"],
    ] as const) {
      const error = await errorOf(api().adminUser.create(input as never));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toMatch(new RegExp(`^${field}:`));
    }
    expect(await countRows(db(), "users")).toBe(before + 1);
  });
});

describe("adminUser.ban and unban", () => {
  it("ends the user's sessions on their very next request, refuses sign-in, and unban lets them sign in again", async () => {
    const victim = await signUp(db(), uniqueEmail("victim"));
    expect(await callerFor(db(), { token: victim.token }).caller.session.list()).toBeTruthy();
    const result = await api().adminUser.ban({ userId: victim.userId });
    expect(result.revokedSessions).toBeGreaterThan(0);
    // The same token, on the next request: signed out.
    expect((await errorOf(callerFor(db(), { token: victim.token }).caller.session.list())).code).toBe("UNAUTHORIZED");
    expect((await errorOf(callerFor(db()).caller.auth.signIn({ email: victim.email, password: "correct horse battery staple" }))).code).toBe("UNAUTHORIZED");
    const [banned] = await auditOf("user.banned", victim.userId);
    expect(banned).toMatchObject({ actorUserId: adminUserId, outcome: "success" });
    expect((await api().adminUser.list({ query: victim.userId, filter: "banned" })).users).toHaveLength(1);

    await api().adminUser.unban({ userId: victim.userId });
    expect(await auditOf("user.unbanned", victim.userId)).toHaveLength(1);
    const back = await callerFor(db()).caller.auth.signIn({ email: victim.email, password: "correct horse battery staple" });
    expect(back.status).toBe("complete");
  });

  it("also refuses a banned user's session that was not deleted (the auth lookup checks the ban)", async () => {
    const user = await makeUser({ session: true });
    await db().db.update(users).set({ bannedAt: new Date() }).where(eq(users.id, user.id));
    expect((await errorOf(callerFor(db(), { token: user.token }).caller.session.list())).code).toBe("UNAUTHORIZED");
  });

  it("refuses banning yourself, an unknown user and a malformed id", async () => {
    expect(await errorOf(api().adminUser.ban({ userId: adminUserId }))).toMatchObject({ code: "CONFLICT", reason: "CANNOT_TARGET_SELF" });
    expect((await errorOf(api().adminUser.ban({ userId: "user_nobody" }))).code).toBe("NOT_FOUND");
    expect((await errorOf(api().adminUser.ban({ userId: "" }))).message).toMatch(/^userId:/);
    const [me] = await db().db.select().from(users).where(eq(users.id, adminUserId));
    expect(me!.bannedAt).toBeNull();
  });
});

describe("adminUser.lock and unlock", () => {
  it("locks sign-in for the minutes given and ends sessions; unlock lifts it and forgets the failed-sign-in count", async () => {
    const user = await makeUser({ session: true });
    const before = Date.now();
    const { lockedUntil } = await api().adminUser.lock({ userId: user.id, minutes: 30 });
    expect(lockedUntil.getTime()).toBeGreaterThanOrEqual(before + 30 * 60_000 - 1000);
    expect(await db().db.select().from(sessions).where(eq(sessions.userId, user.id))).toEqual([]);
    expect((await errorOf(callerFor(db(), { token: user.token }).caller.session.list())).code).toBe("UNAUTHORIZED");
    expect(await auditOf("user.locked", user.id)).toEqual([expect.objectContaining({ actorUserId: adminUserId, details: expect.objectContaining({ minutes: 30 }) })]);
    expect((await api().adminUser.list({ query: user.id, filter: "locked" })).users).toHaveLength(1);

    await db().db.insert(rateLimitBuckets).values({ key: `sign-in:failures:user:${user.id}`, windowStart: new Date(), count: 9 });
    await api().adminUser.unlock({ userId: user.id });
    const [row] = await db().db.select().from(users).where(eq(users.id, user.id));
    expect(row!.lockedUntil).toBeNull();
    expect(await db().db.select().from(rateLimitBuckets).where(sql`${rateLimitBuckets.key} like ${"%" + user.id}`)).toEqual([]);
    expect(await auditOf("user.unlocked", user.id)).toHaveLength(1);
  });

  it("uses 60 minutes by default and refuses bad minutes and yourself", async () => {
    const user = await makeUser();
    const { lockedUntil } = await api().adminUser.lock({ userId: user.id });
    expect(Math.round((lockedUntil.getTime() - Date.now()) / 60_000)).toBe(60);
    for (const minutes of [0, -5, 1.5, 600_000]) {
      const error = await errorOf(api().adminUser.lock({ userId: user.id, minutes }));
      expect(error.message, String(minutes)).toMatch(/^minutes:/);
    }
    expect((await errorOf(api().adminUser.lock({ userId: adminUserId }))).reason).toBe("CANNOT_TARGET_SELF");
  });
});

describe("adminUser.revokeSession and revokeAllSessions", () => {
  it("signs one session out, then all, each audited; another user's session id finds nothing", async () => {
    const user = await makeUser({ session: true });
    const second = await createSession(db().db, { userId: user.id });
    const other = await makeUser({ session: true });
    const [otherSession] = await db().db.select().from(sessions).where(eq(sessions.userId, other.id));
    expect((await errorOf(api().adminUser.revokeSession({ userId: user.id, sessionId: otherSession!.id }))).code).toBe("NOT_FOUND");

    await api().adminUser.revokeSession({ userId: user.id, sessionId: second.session.id });
    expect((await errorOf(callerFor(db(), { token: second.token }).caller.session.list())).code).toBe("UNAUTHORIZED");
    expect(await callerFor(db(), { token: user.token }).caller.session.list()).toBeTruthy();
    expect(await auditOf("session.revoked", second.session.id)).toEqual([expect.objectContaining({ actorUserId: adminUserId, targetType: "session" })]);

    expect(await api().adminUser.revokeAllSessions({ userId: user.id })).toEqual({ revoked: 1 });
    expect((await errorOf(callerFor(db(), { token: user.token }).caller.session.list())).code).toBe("UNAUTHORIZED");
    expect(await auditOf("session.revoked", user.id)).toHaveLength(1);
    expect(await db().db.select().from(sessions).where(eq(sessions.userId, other.id))).toHaveLength(1);
  });
});

describe("adminUser.updateMetadata", () => {
  it("merges like Clerk by default, replaces with replace: true, and audits", async () => {
    const user = await makeUser();
    await api().adminUser.updateMetadata({ userId: user.id, publicMetadata: { a: 1, b: 2 }, unsafeMetadata: { theme: "dark" } });
    const merged = await api().adminUser.updateMetadata({ userId: user.id, publicMetadata: { b: null, c: 3 } });
    expect(merged.publicMetadata).toEqual({ a: 1, c: 3 });
    expect(merged.unsafeMetadata).toEqual({ theme: "dark" });
    const replaced = await api().adminUser.updateMetadata({ userId: user.id, privateMetadata: { stripe: "cus_1" }, publicMetadata: { only: true }, replace: true });
    expect(replaced).toEqual({ publicMetadata: { only: true }, privateMetadata: { stripe: "cus_1" }, unsafeMetadata: { theme: "dark" } });
    expect(await auditOf("user.metadata_updated", user.id)).toHaveLength(3);
  });

  it("refuses arrays, oversized and forbidden-key metadata with a 400 naming the field, writing nothing", async () => {
    const user = await makeUser();
    for (const [input, field] of [
      [{ publicMetadata: [1, 2] }, "publicMetadata"],
      [{ privateMetadata: "text" }, "privateMetadata"],
      [{ unsafeMetadata: { big: "x".repeat(9000) } }, "unsafeMetadata"],
      [{ publicMetadata: JSON.parse('{"__proto__": {"admin": true}}') as object }, "publicMetadata.__proto__"],
    ] as const) {
      const error = await errorOf(api().adminUser.updateMetadata({ userId: user.id, ...(input as object) }));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toMatch(new RegExp(`^${field.replace(/\./g, "\\.")}`));
    }
    const [row] = await db().db.select().from(users).where(eq(users.id, user.id));
    expect([row!.publicMetadata, row!.privateMetadata, row!.unsafeMetadata]).toEqual([{}, {}, {}]);
    expect(await auditOf("user.metadata_updated", user.id)).toEqual([]);
  });
});

describe("adminUser.delete", () => {
  it("anonymizes the user, removes memberships and sessions, emits user.deleted and audits", async () => {
    const { admin: orgAdmin, org } = await createOrgWithMember(db(), "Keeps Going");
    const user = await makeUser({ firstName: "Del", lastName: "Eted", username: `del${serial}`, session: true });
    await addMember(db(), org.id, user.id, "org:member");
    await api().adminUser.delete({ userId: user.id });
    const [row] = await db().db.select().from(users).where(eq(users.id, user.id));
    expect(row).toMatchObject({ firstName: null, lastName: null, username: null, publicMetadata: {} });
    expect(row!.deletedAt).not.toBeNull();
    expect(await db().db.select().from(emailAddresses).where(eq(emailAddresses.userId, user.id))).toEqual([]);
    expect(await db().db.select().from(memberships).where(eq(memberships.userId, user.id))).toEqual([]);
    expect(await db().db.select().from(sessions).where(eq(sessions.userId, user.id))).toEqual([]);
    const events = await db().db.select().from(outboxEvents).where(and(eq(outboxEvents.type, "user.deleted"), sql`${outboxEvents.data}->>'id' = ${user.id}`));
    expect(events).toHaveLength(1);
    expect(await auditOf("user.deleted", user.id)).toEqual([expect.objectContaining({ actorUserId: adminUserId, outcome: "success" })]);
    expect((await api().adminUser.list({ query: user.id })).users).toEqual([]);
    expect((await errorOf(api().adminUser.delete({ userId: user.id }))).code).toBe("NOT_FOUND");
    // The organization lives on with its admin.
    expect(await db().db.select().from(memberships).where(eq(memberships.userId, orgAdmin.userId))).toHaveLength(1);
  });

  it("refuses deleting the last admin of an organization with other members, and yourself", async () => {
    const { admin } = await createOrgWithMember(db(), "Needs Admin");
    const error = await errorOf(api().adminUser.delete({ userId: admin.userId }));
    expect(error).toMatchObject({ code: "CONFLICT", reason: "LAST_ADMIN" });
    const [row] = await db().db.select().from(users).where(eq(users.id, admin.userId));
    expect(row!.deletedAt).toBeNull();
    expect((await errorOf(api().adminUser.delete({ userId: adminUserId }))).reason).toBe("CANNOT_TARGET_SELF");
  });
});

describe("adminUser.export", () => {
  it("returns the user's data without hashes, secrets or tokens, and audits the export", async () => {
    const user = await makeUser({ firstName: "Ex", lastName: "Port", session: true });
    await db().db.insert(passwordCredentials).values({ userId: user.id, hash: await hashPassword("another long passphrase") });
    await api().adminUser.updateMetadata({ userId: user.id, privateMetadata: { crm: 42 } });
    const data = await api().adminUser.export({ userId: user.id });
    expect(data.user).toMatchObject({ id: user.id, firstName: "Ex", privateMetadata: { crm: 42 } });
    expect(data.emailAddresses.map((e) => e.email)).toEqual([user.email]);
    expect(data.sessions).toHaveLength(1);
    expect(data.factors.password).toBe(true);
    expect(data.auditEvents.map((e) => e.action)).toContain("user.metadata_updated");
    const text = JSON.stringify(data);
    const [session] = await db().db.select().from(sessions).where(eq(sessions.userId, user.id));
    const [credential] = await db().db.select().from(passwordCredentials).where(eq(passwordCredentials.userId, user.id));
    expect(text).not.toContain(session!.secretHash);
    expect(text).not.toContain(credential!.hash);
    expect(text).not.toContain(user.token!);
    expect(text).not.toMatch(/argon2|secret_?hash|token/i);
    expect(await auditOf("user.exported", user.id)).toEqual([expect.objectContaining({ actorUserId: adminUserId })]);
  });
});
