import { describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { auditEvents, membershipRoles, memberships, roles, sessions, users } from "@latchkey/db";
import { useTestDb } from "@latchkey/db/testing";
import { createSession } from "@latchkey/auth";
import { z } from "zod";
import { callerFor, createOrgWithMember, errorOf, PASSWORD, signUp } from "../test/helpers.ts";
import {
  authedProcedure,
  createCallerFactory,
  createTRPCRouter,
  hasPermission,
  hasRole,
  orgProcedure,
  publicProcedure,
  requireReverification,
} from "./trpc.ts";
import { createInnerContext } from "./context.ts";

const DAY = 86_400_000;
const db = useTestDb();

describe("authed", () => {
  it("answers UNAUTHORIZED with no session, a malformed cookie or a forged secret", async () => {
    const { token } = await signUp(db());
    const forged = `${token.split(".")[0]}.${"a".repeat(39)}`;
    for (const bad of [null, "garbage", "sess_x.y", forged]) {
      const error = await errorOf(callerFor(db(), { token: bad }).caller.user.me());
      expect(error.code).toBe("UNAUTHORIZED");
    }
  });

  it("clears the cookie of a session that no longer exists", async () => {
    const { token } = await signUp(db());
    await db().db.delete(sessions).where(eq(sessions.id, token.split(".")[0]!));
    const { caller, resHeaders } = callerFor(db(), { token });
    await errorOf(caller.user.me());
    expect(resHeaders.getSetCookie().some((c) => /Max-Age=0/.test(c))).toBe(true);
  });

  it("ends a session at the idle limit and at the absolute limit, on the server clock", async () => {
    const { userId } = await signUp(db());
    const t0 = new Date("2026-06-01T00:00:00Z");
    const idle = await createSession(db().db, { userId, now: t0 });
    const at = (ms: number) => () => new Date(t0.getTime() + ms);
    expect((await callerFor(db(), { token: idle.token, now: at(6 * DAY) }).caller.user.me()).id).toBe(userId);
    const late = await errorOf(callerFor(db(), { token: idle.token, now: at(14 * DAY) }).caller.user.me());
    expect(late.code).toBe("UNAUTHORIZED");

    const busy = await createSession(db().db, { userId, now: t0 });
    for (let day = 1; day < 30; day += 1) {
      await callerFor(db(), { token: busy.token, now: at(day * DAY) }).caller.user.me();
    }
    const capped = await errorOf(callerFor(db(), { token: busy.token, now: at(30 * DAY) }).caller.user.me());
    expect(capped.code).toBe("UNAUTHORIZED");
  });

  it("treats a banned user's session as signed out", async () => {
    const { token, userId } = await signUp(db());
    await db().db.update(users).set({ bannedAt: new Date() }).where(eq(users.id, userId));
    expect((await errorOf(callerFor(db(), { token }).caller.user.me())).code).toBe("UNAUTHORIZED");
  });
});

describe("orgMember", () => {
  it("answers FORBIDDEN when no organization is active", async () => {
    const { token } = await signUp(db());
    const error = await errorOf(callerFor(db(), { token }).caller.project.list());
    expect(error.code).toBe("FORBIDDEN");
    expect(error.reason).toBe("ORGANIZATION_REQUIRED");
  });

  it("answers FORBIDDEN to a member of another organization naming this one, and audits the denial", async () => {
    const acme = await createOrgWithMember(db(), "Acme");
    const globex = await createOrgWithMember(db(), "Globex");
    const error = await errorOf(callerFor(db(), { token: globex.admin.token, orgSlug: acme.org.slug }).caller.project.list());
    expect(error.code).toBe("FORBIDDEN");
    expect(error.reason).toBe("NOT_A_MEMBER");
    const denied = await db().db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.actorUserId, globex.admin.userId), eq(auditEvents.outcome, "denied")));
    expect(denied.length).toBeGreaterThan(0);
  });

  it("answers the same FORBIDDEN for an organization that does not exist", async () => {
    const { admin } = await createOrgWithMember(db(), "Initech");
    const error = await errorOf(callerFor(db(), { token: admin.token, orgSlug: "no-such-org" }).caller.project.list());
    expect(error.code).toBe("FORBIDDEN");
    expect(error.reason).toBe("NOT_A_MEMBER");
  });

  it("answers UNAUTHORIZED before FORBIDDEN when there is no session", async () => {
    const { org } = await createOrgWithMember(db(), "Umbrella");
    const error = await errorOf(callerFor(db(), { orgSlug: org.slug }).caller.project.list());
    expect(error.code).toBe("UNAUTHORIZED");
  });
});

describe("hasPermission", () => {
  it("lets a member read but not manage projects", async () => {
    const { member, org } = await createOrgWithMember(db(), "Hooli");
    const { caller } = callerFor(db(), { token: member.token, orgSlug: org.slug });
    expect(await caller.project.list()).toEqual([]);
    const error = await errorOf(caller.project.create({ name: "Nope" }));
    expect(error.code).toBe("FORBIDDEN");
    expect(error.reason).toBe("PERMISSION_DENIED");
  });

  it("checks permission before input, so a caller without the right learns nothing from validation", async () => {
    const { member, org } = await createOrgWithMember(db(), "Vandelay");
    const error = await errorOf(callerFor(db(), { token: member.token, orgSlug: org.slug }).caller.project.create({ name: "" }));
    expect(error.code).toBe("FORBIDDEN");
  });

  it("gives a member the union of their roles' permissions", async () => {
    const { member, org } = await createOrgWithMember(db(), "Stark");
    const [custom] = await db().db
      .insert(roles)
      .values({ key: `org:pm_${Date.now()}`, name: "Project manager", permissions: ["org:projects:manage"] })
      .returning();
    const [membership] = await db().db
      .select({ id: memberships.id })
      .from(memberships)
      .where(and(eq(memberships.userId, member.userId), eq(memberships.organizationId, org.id)));
    await db().db.insert(membershipRoles).values({ membershipId: membership!.id, roleId: custom!.id });
    const { caller } = callerFor(db(), { token: member.token, orgSlug: org.slug });
    const project = await caller.project.create({ name: "Allowed now" });
    expect(project.name).toBe("Allowed now");
    const session = await callerFor(db(), { token: member.token, orgSlug: org.slug }).caller.auth.session();
    expect(session?.orgPermissions).toEqual(expect.arrayContaining(["org:projects:manage", "org:projects:read", "org:sys_memberships:read"]));
  });

  it("takes a demotion into account on the very next request", async () => {
    const { admin, org } = await createOrgWithMember(db(), "Wayne");
    await callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller.project.create({ name: "Before" });
    const [membership] = await db().db
      .select({ id: memberships.id })
      .from(memberships)
      .where(and(eq(memberships.userId, admin.userId), eq(memberships.organizationId, org.id)));
    const [memberRole] = await db().db.select().from(roles).where(eq(roles.key, "org:member"));
    await db().db.delete(membershipRoles).where(eq(membershipRoles.membershipId, membership!.id));
    await db().db.insert(membershipRoles).values({ membershipId: membership!.id, roleId: memberRole!.id });
    const error = await errorOf(callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller.project.create({ name: "After" }));
    expect(error.code).toBe("FORBIDDEN");
  });

  it("takes a removal into account on the very next request", async () => {
    const { member, org } = await createOrgWithMember(db(), "Cyberdyne");
    const { caller } = callerFor(db(), { token: member.token, orgSlug: org.slug });
    await caller.project.list();
    await db().db.delete(memberships).where(and(eq(memberships.userId, member.userId), eq(memberships.organizationId, org.id)));
    const error = await errorOf(callerFor(db(), { token: member.token, orgSlug: org.slug }).caller.project.list());
    expect(error.code).toBe("FORBIDDEN");
  });

  it("fails closed when used on a public procedure by someone without a session or membership", async () => {
    const router = createTRPCRouter({
      secret: publicProcedure.use(hasPermission("org:projects:manage")).query(() => "secret"),
      admins: publicProcedure.use(hasRole("org:admin")).query(() => "admins"),
    });
    const call = createCallerFactory(router);
    const anonymous = call(createInnerContext({ db: db().db }));
    expect((await errorOf(anonymous.secret())).code).toBe("UNAUTHORIZED");
    const { token } = await signUp(db());
    const noOrg = call(createInnerContext({ db: db().db, sessionToken: token }));
    expect((await errorOf(noOrg.secret())).code).toBe("FORBIDDEN");
    expect((await errorOf(noOrg.admins())).code).toBe("FORBIDDEN");
  });
});

describe("hasRole", () => {
  it("admits the role and refuses others", async () => {
    const router = createTRPCRouter({
      adminOnly: orgProcedure.use(hasRole("org:admin")).query(({ ctx }) => ctx.organization.slug),
    });
    const call = createCallerFactory(router);
    const { admin, member, org } = await createOrgWithMember(db(), "Soylent");
    expect(await call(createInnerContext({ db: db().db, sessionToken: admin.token, orgSlug: org.slug })).adminOnly()).toBe(org.slug);
    const error = await errorOf(call(createInnerContext({ db: db().db, sessionToken: member.token, orgSlug: org.slug })).adminOnly());
    expect(error.code).toBe("FORBIDDEN");
    expect(error.reason).toBe("ROLE_REQUIRED");
  });
});

describe("requireReverification", () => {
  it("accepts a fresh sign-in, asks again after the window, and accepts again after the password is confirmed", async () => {
    const router = createTRPCRouter({
      sensitive: authedProcedure.use(requireReverification("strict")).mutation(() => "done"),
    });
    const call = createCallerFactory(router);
    const { token } = await signUp(db());
    const t0 = Date.now();
    const at = (minutes: number) => () => new Date(t0 + minutes * 60_000);
    expect(await call(createInnerContext({ db: db().db, sessionToken: token, now: at(1) })).sensitive()).toBe("done");
    const stale = await errorOf(call(createInnerContext({ db: db().db, sessionToken: token, now: at(11) })).sensitive());
    expect(stale.code).toBe("FORBIDDEN");
    expect(stale.reason).toBe("REVERIFICATION_REQUIRED");

    const wrong = await errorOf(callerFor(db(), { token, now: at(12) }).caller.auth.reverify({ password: "not my password at all" }));
    expect(wrong.code).toBe("BAD_REQUEST");
    expect(wrong.field).toBe("password");
    await callerFor(db(), { token, now: at(12) }).caller.auth.reverify({ password: PASSWORD });
    expect(await call(createInnerContext({ db: db().db, sessionToken: token, now: at(13) })).sensitive()).toBe("done");
    expect((await errorOf(call(createInnerContext({ db: db().db })).sensitive())).code).toBe("UNAUTHORIZED");
  });
});

describe("auth.reverify", () => {
  it.each([[""], ["x".repeat(5000)], [12345678]])("refuses bad input (%#) naming the password and leaves the session unconfirmed", async (password) => {
    const { token } = await signUp(db());
    const error = await errorOf(callerFor(db(), { token }).caller.auth.reverify({ password } as never));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain("password");
  });
});

describe("the authorization chain", () => {
  it("costs exactly one database query for a protected read", async () => {
    const { admin, org } = await createOrgWithMember(db(), "Tyrell");
    const before = db().queryCount();
    await callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller.project.list();
    // One query resolves session, user, org, membership and permissions; the handler's own select is the second.
    expect(db().queryCount() - before).toBe(2);
  });

  it("resolves the caller at most once per request however many procedures it calls", async () => {
    const { admin, org } = await createOrgWithMember(db(), "Oscorp");
    const { caller } = callerFor(db(), { token: admin.token, orgSlug: org.slug });
    const before = db().queryCount();
    await caller.auth.session();
    await caller.auth.session();
    await caller.project.list();
    expect(db().queryCount() - before).toBe(2);
  });

  it("hides internal errors and maps duplicates to CONFLICT", async () => {
    const router = createTRPCRouter({
      boom: publicProcedure.query(() => {
        throw new Error("select * from users where password = 'hunter2'");
      }),
      dup: publicProcedure.input(z.object({})).mutation(async () => {
        const email = `dup-${Date.now()}@example.test`;
        const [u] = await db().db.insert(users).values({}).returning();
        const { emailAddresses } = await import("@latchkey/db");
        await db().db.insert(emailAddresses).values({ userId: u!.id, email });
        await db().db.insert(emailAddresses).values({ userId: u!.id, email });
      }),
    });
    const call = createCallerFactory(router)(createInnerContext({ db: db().db }));
    expect((await errorOf(call.dup({}))).code).toBe("CONFLICT");
    // The message of an internal error stays on the server; the HTTP formatter replaces it (see http.test.ts).
    expect((await errorOf(call.boom())).code).toBe("INTERNAL_SERVER_ERROR");
  });
});
