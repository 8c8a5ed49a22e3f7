/**
 * The transactional outbox: each committed change to users, sessions, organizations, memberships and invitations
 * writes exactly one event, with Clerk's name and payload, in the change's own transaction; a rolled-back change
 * writes none. Exercised through the real procedures (and raw SQL, to show no code path can skip the triggers).
 */
import { describe, expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import { emailAddresses, outboxEvents, users, type OutboxEvent } from "@latchkey/db";
import { useTestDb } from "@latchkey/db/testing";
import { callerFor, createOrgWithMember, signUp, signUpThroughFlow, uniqueEmail, errorOf } from "../../test/helpers.ts";

const db = useTestDb();

async function allEvents(): Promise<OutboxEvent[]> {
  return db().db.select().from(outboxEvents).orderBy(outboxEvents.seq);
}

/** The events written while `change` ran. */
async function eventsOf(change: () => Promise<unknown>): Promise<OutboxEvent[]> {
  const before = new Set((await allEvents()).map((e) => e.id));
  await change();
  return (await allEvents()).filter((e) => !before.has(e.id));
}

const types = (events: OutboxEvent[]) => events.map((e) => e.type);

describe("the outbox", () => {
  it("writes one user.created with the user's email addresses, and a session.created, for a sign-up", async () => {
    const email = uniqueEmail("outbox");
    let userId = "";
    const events = await eventsOf(async () => {
      userId = (await signUpThroughFlow(db(), email, { firstName: "Olga" })).userId;
    });
    const created = events.filter((e) => e.type === "user.created");
    expect(created).toHaveLength(1);
    expect(events.filter((e) => e.type === "user.updated")).toHaveLength(0);
    const data = created[0]!.data as Record<string, unknown>;
    expect(data).toMatchObject({ id: userId, object: "user", first_name: "Olga", password_enabled: true, private_metadata: {} });
    expect(data.email_addresses).toEqual([expect.objectContaining({ email_address: email, object: "email_address", verification: { status: "verified" } })]);
    expect(data.primary_email_address_id).toMatch(/^idn_/);
    expect(typeof data.created_at).toBe("number");
    const session = events.filter((e) => e.type === "session.created");
    expect(session).toHaveLength(1);
    expect(session[0]!.data).toMatchObject({ object: "session", user_id: userId, status: "active", actor: null });
    // Never a hash or a secret in any payload.
    expect(JSON.stringify(events)).not.toMatch(/argon2|secret_hash|token_hash|"hash"/);
  });

  it("names the acting admin in session.created and session.revoked of an impersonation session, as the JWT's act claim", async () => {
    const admin = await signUp(db(), uniqueEmail("admin"));
    const viewed = await signUp(db(), uniqueEmail("viewed"));
    const created = await eventsOf(() =>
      db().db.execute(sql`insert into sessions (id, secret_hash, user_id, idle_expires_at, expires_at, impersonator_user_id)
        values ('sess_actor_test', 'x', ${viewed.userId}, now() + interval '1 hour', now() + interval '1 hour', ${admin.userId})`),
    );
    expect(types(created)).toEqual(["session.created"]);
    expect(created[0]!.data).toMatchObject({ id: "sess_actor_test", user_id: viewed.userId, actor: { sub: admin.userId } });
    const revoked = await eventsOf(() => db().db.execute(sql`delete from sessions where id = 'sess_actor_test'`));
    expect(revoked.map((e) => [e.type, (e.data as { actor?: unknown }).actor])).toEqual([["session.revoked", { sub: admin.userId }]]);
  });

  it("writes nothing for a change that rolls back", async () => {
    const events = await eventsOf(async () => {
      await db()
        .db.transaction(async (tx) => {
          const [user] = await tx.insert(users).values({ firstName: "Ghost" }).returning({ id: users.id });
          await tx.insert(emailAddresses).values({ userId: user!.id, email: uniqueEmail("ghost"), isPrimary: true });
          await tx.update(users).set({ lastName: "Rolled" }).where(eq(users.id, user!.id));
          throw new Error("roll back");
        })
        .catch(() => undefined);
    });
    expect(events).toEqual([]);
  });

  it("writes one user.updated per transaction, with the final state, however many statements touched the user", async () => {
    const { userId, token } = await signUp(db());
    const events = await eventsOf(() => callerFor(db(), { token }).caller.user.updateProfile({ firstName: "New", lastName: "Name" }));
    expect(types(events)).toEqual(["user.updated"]);
    expect(events[0]!.data).toMatchObject({ id: userId, first_name: "New", last_name: "Name" });

    const twice = await eventsOf(() =>
      db().db.transaction(async (tx) => {
        await tx.update(users).set({ firstName: "One" }).where(eq(users.id, userId));
        await tx.insert(emailAddresses).values({ userId, email: uniqueEmail("second") });
        await tx.update(users).set({ firstName: "Two" }).where(eq(users.id, userId));
      }),
    );
    expect(types(twice)).toEqual(["user.updated"]);
    expect(twice[0]!.data).toMatchObject({ first_name: "Two" });
    expect((twice[0]!.data as { email_addresses: unknown[] }).email_addresses).toHaveLength(2);
  });

  it("does not announce a sign-in's bookkeeping (last sign-in time) as a user change", async () => {
    const { userId } = await signUp(db());
    const events = await eventsOf(() => db().db.update(users).set({ lastSignInAt: new Date() }).where(eq(users.id, userId)));
    expect(events).toEqual([]);
  });

  it("writes user.deleted for a deleted user (soft or hard, once) and session.revoked for the sessions it ends", async () => {
    const soft = await signUp(db());
    const softEvents = await eventsOf(() => db().db.update(users).set({ deletedAt: new Date(), firstName: "Gone" }).where(eq(users.id, soft.userId)));
    expect(types(softEvents)).toEqual(["user.deleted"]);
    expect(softEvents[0]!.data).toEqual({ id: soft.userId, object: "user", deleted: true });
    expect(types(await eventsOf(() => db().db.delete(users).where(eq(users.id, soft.userId))))).toEqual(["session.revoked"]);

    const hard = await signUp(db());
    const hardEvents = await eventsOf(() => db().db.delete(users).where(eq(users.id, hard.userId)));
    expect(types(hardEvents).sort()).toEqual(["session.revoked", "user.deleted"]);
  });

  it("writes session.revoked on sign-out", async () => {
    const { token, userId } = await signUp(db());
    const events = await eventsOf(() => callerFor(db(), { token }).caller.auth.signOut());
    expect(types(events)).toEqual(["session.revoked"]);
    expect(events[0]!.data).toMatchObject({ object: "session", user_id: userId, status: "revoked" });
  });

  it("writes organization.created and the creator's organizationMembership.created with its role, in that order", async () => {
    const { token, userId } = await signUp(db(), uniqueEmail("founder"));
    let orgId = "";
    const events = await eventsOf(async () => {
      orgId = (await callerFor(db(), { token }).caller.organization.create({ name: "Outbox Co", slug: `outbox-${Date.now()}` })).id;
    });
    const relevant = events.filter((e) => e.type.startsWith("organization"));
    expect(types(relevant)).toEqual(["organization.created", "organizationMembership.created"]);
    expect(relevant[0]!.data).toMatchObject({ id: orgId, object: "organization", name: "Outbox Co" });
    expect(relevant[0]!.organizationId).toBe(orgId);
    expect(relevant[1]!.data).toMatchObject({
      object: "organization_membership",
      role: "org:admin",
      organization: { id: orgId, name: "Outbox Co" },
      public_user_data: { user_id: userId },
    });
    expect((relevant[1]!.data as { permissions: string[] }).permissions).toContain("org:sys_memberships:manage");
  });

  it("writes organization.updated, organizationMembership.updated and .deleted, and organization.deleted", async () => {
    const { admin, member, org } = await createOrgWithMember(db(), "Events");
    const asAdmin = callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller;
    expect(types(await eventsOf(() => asAdmin.organization.update({ name: "Events Renamed" })))).toEqual(["organization.updated"]);

    const members = await asAdmin.member.list();
    const membership = members.members.find((m) => m.userId === member.userId)!;
    const roleEvents = await eventsOf(() => asAdmin.member.setRole({ membershipId: membership.id, roleKey: "org:admin" }));
    expect(types(roleEvents)).toEqual(["organizationMembership.updated"]);
    expect(roleEvents[0]!.data).toMatchObject({ id: membership.id, role: "org:admin" });

    const removed = await eventsOf(() => asAdmin.member.remove({ membershipId: membership.id }));
    expect(types(removed)).toEqual(["organizationMembership.deleted"]);
    expect(removed[0]!.data).toMatchObject({ id: membership.id, public_user_data: { user_id: member.userId } });

    const deleted = await eventsOf(() => db().db.execute(sql`delete from organizations where id = ${org.id}`));
    // Both rows go in one statement (the membership by cascade); their timestamps may tie (PGlite's clock is coarser),
    // but the sequence keeps the order the triggers ran in.
    expect(types(deleted)).toEqual(["organization.deleted", "organizationMembership.deleted"]);
    expect(deleted[0]!.seq).toBeLessThan(deleted[1]!.seq);
    expect(deleted.find((e) => e.type === "organization.deleted")!.data).toMatchObject({ id: org.id, object: "organization", deleted: true });
  });

  it("writes organizationInvitation.created, .revoked and .accepted (with the new membership)", async () => {
    const { admin, org } = await createOrgWithMember(db(), "Invites");
    const asAdmin = callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller;
    const invitee = await signUp(db(), uniqueEmail("invitee"));
    let invitationId = "";
    const created = await eventsOf(async () => {
      invitationId = (await asAdmin.invitation.create({ emails: [invitee.email], roleKey: "org:member" })).invited[0]!.id;
    });
    expect(types(created)).toEqual(["organizationInvitation.created"]);
    expect(created[0]!.data).toMatchObject({ id: invitationId, object: "organization_invitation", email_address: invitee.email, role: "org:member", status: "pending" });
    expect(JSON.stringify(created[0]!.data)).not.toContain("token");

    const accepted = await eventsOf(() => callerFor(db(), { token: invitee.token }).caller.invitation.acceptById({ invitationId }));
    expect(types(accepted)).toEqual(["organizationInvitation.accepted", "organizationMembership.created"]);
    expect(accepted[1]!.data).toMatchObject({ role: "org:member", public_user_data: { user_id: invitee.userId } });

    const other = await asAdmin.invitation.create({ emails: [uniqueEmail("later")], roleKey: "org:member" });
    const revoked = await eventsOf(() => asAdmin.invitation.revoke({ invitationId: other.invited[0]!.id }));
    expect(types(revoked)).toEqual(["organizationInvitation.revoked"]);
  });

  it("writes nothing when a procedure fails half-way", async () => {
    const { admin, org } = await createOrgWithMember(db(), "Failing");
    const asAdmin = callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller;
    const taken = await createOrgWithMember(db(), "Taken");
    const events = await eventsOf(async () => {
      const error = await errorOf(asAdmin.organization.update({ name: "Would change", slug: taken.org.slug }));
      expect(error.code).toBe("CONFLICT");
    });
    expect(events).toEqual([]);
  });
});
