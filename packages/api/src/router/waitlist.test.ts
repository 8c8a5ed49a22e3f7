import { beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { auditEvents, instanceInvitations, waitlistEntries } from "@latchkey/db";
import { useTestDb } from "@latchkey/db/testing";
import { createMemoryMailer } from "../mail/index.ts";
import { getInstanceSettings, updateInstanceSettings, type InstanceSettings } from "../instance-settings.ts";
import { callerFor, countRows, errorOf, signUp, uniqueEmail } from "../../test/helpers.ts";

const db = useTestDb();
let adminToken = "";
let adminUserId = "";
let memberToken = "";

beforeAll(async () => {
  const admin = await signUp(db(), uniqueEmail("root"));
  await db().db.execute(sql`update users set is_instance_admin = true where id = ${admin.userId}`);
  adminToken = admin.token;
  adminUserId = admin.userId;
  memberToken = (await signUp(db(), uniqueEmail("plain"))).token;
});

function adminWithMail() {
  const { mailer, sent } = createMemoryMailer();
  const invitationLinks = () => sent.flatMap((m) => (m.kind === "instance-invitation" ? [m.values.link] : []));
  return { api: callerFor(db(), { token: adminToken, mailer }).caller, sent, invitationLinks };
}
const api = () => callerFor(db(), { token: adminToken }).caller;
const visitor = (ip?: string) => callerFor(db(), ip ? { ip } : {}).caller;
const auditOf = (action: string) => db().db.select().from(auditEvents).where(eq(auditEvents.action, action));

/** Runs `fn` with some settings changed, then puts those keys back as they were. */
async function withSettings(patch: Partial<InstanceSettings>, fn: () => Promise<void>) {
  const before = await getInstanceSettings(db().db);
  await updateInstanceSettings(db().db, patch);
  try {
    await fn();
  } finally {
    const restore = Object.fromEntries(Object.keys(patch).map((key) => [key, before[key as keyof InstanceSettings]]));
    await updateInstanceSettings(db().db, restore);
  }
}

async function joinAs(email: string) {
  return visitor().waitlist.join({ email });
}

describe("waitlist.join", () => {
  it("is refused unless the instance is in waitlist mode, and writes nothing", async () => {
    const before = await countRows(db(), "waitlist_entries");
    const error = await errorOf(joinAs(uniqueEmail("early")));
    expect(error).toMatchObject({ code: "FORBIDDEN", reason: "WAITLIST_CLOSED" });
    await withSettings({ signUpMode: "invite_only" }, async () => {
      expect((await errorOf(joinAs(uniqueEmail("early")))).reason).toBe("WAITLIST_CLOSED");
    });
    expect(await countRows(db(), "waitlist_entries")).toBe(before);
  });

  it("answers a new address, one already waiting and one with an account exactly alike, keeping one entry per address", async () => {
    const member = await signUp(db(), uniqueEmail("has-account"));
    await withSettings({ signUpMode: "waitlist" }, async () => {
      const email = uniqueEmail("waiting");
      const first = await joinAs(email.toUpperCase());
      const again = await joinAs(email);
      const taken = await joinAs(member.email);
      expect(first).toEqual({ joined: true, email });
      expect(again).toEqual(first);
      expect(Object.keys(taken)).toEqual(Object.keys(first));
      const rows = await db().db.select().from(waitlistEntries).where(eq(waitlistEntries.email, email));
      expect(rows).toHaveLength(1);
      expect(rows[0]!.status).toBe("pending");
      expect(rows[0]!.id).toMatch(/^wle_/);
    });
  });

  it("gives a blocklisted address the same answer but no entry", async () => {
    await withSettings({ signUpMode: "waitlist", blocklist: ["blocked.example"] }, async () => {
      const before = await countRows(db(), "waitlist_entries");
      expect(await joinAs("eve@blocked.example")).toEqual({ joined: true, email: "eve@blocked.example" });
      expect(await countRows(db(), "waitlist_entries")).toBe(before);
    });
  });

  it("limits joins per IP address with 429 and Retry-After", async () => {
    await withSettings({ signUpMode: "waitlist" }, async () => {
      const ip = "203.0.113.77";
      for (let i = 0; i < 10; i++) await visitor(ip).waitlist.join({ email: uniqueEmail("burst") });
      const error = await errorOf(visitor(ip).waitlist.join({ email: uniqueEmail("burst") }));
      expect(error).toMatchObject({ code: "TOO_MANY_REQUESTS", reason: "RATE_LIMITED" });
    });
  });

  it.each([[{ email: "not an address" }], [{ email: "" }], [{ email: "a".repeat(300) + "@x.test" }], [{}], [{ email: 42 }]])(
    "refuses bad input %j with 400 naming the email field",
    async (input) => {
      await withSettings({ signUpMode: "waitlist" }, async () => {
        const error = await errorOf(visitor().waitlist.join(input as never));
        expect(error.code).toBe("BAD_REQUEST");
        expect(error.message).toContain("email");
      });
    },
  );
});

describe("approving and rejecting waitlist entries", () => {
  it("approves a pending entry with a 7-day, single-use invitation whose token is emailed and only hashed in the database", async () => {
    await withSettings({ signUpMode: "waitlist" }, async () => {
      const email = uniqueEmail("approve-me");
      await joinAs(email);
      const { entries } = await api().waitlist.list({ status: "pending" });
      const entry = entries.find((e) => e.email === email)!;
      const admin = adminWithMail();
      const approved = await admin.api.waitlist.approve({ entryId: entry.id });
      expect(approved).toMatchObject({ entryId: entry.id, status: "approved", invitation: { email, status: "pending" } });
      expect(admin.sent.map((m) => [m.kind, m.to])).toEqual([["instance-invitation", email]]);
      const link = new URL(admin.invitationLinks()[0]!);
      expect(link.pathname).toBe("/sign-up");
      const token = link.searchParams.get("invitation")!;
      // 24 random bytes: 192 bits.
      expect(Buffer.from(token.replace(/^lkinv_/, ""), "base64url")).toHaveLength(24);
      const [row] = await db().db.select().from(instanceInvitations).where(eq(instanceInvitations.id, approved.invitation.id));
      expect(row!.tokenHash).toBe(createHash("sha256").update(token).digest("hex"));
      expect(JSON.stringify(row)).not.toContain(token);
      expect(JSON.stringify(approved)).not.toContain(token);
      expect(row!.expiresAt.getTime() - row!.createdAt.getTime()).toBe(7 * 24 * 3600 * 1000);
      expect(row!.invitedByUserId).toBe(adminUserId);
      const [decided] = await db().db.select().from(waitlistEntries).where(eq(waitlistEntries.id, entry.id));
      expect(decided).toMatchObject({ status: "approved", invitationId: row!.id, decidedByUserId: adminUserId });
      expect((await auditOf("waitlist.approved")).map((e) => e.targetId)).toContain(entry.id);
      expect(JSON.stringify(await auditOf("instance_invitation.created"))).not.toContain(token);
      // A second decision is refused; nothing else is sent.
      const twice = await errorOf(admin.api.waitlist.approve({ entryId: entry.id }));
      expect(twice).toMatchObject({ code: "CONFLICT", reason: "WAITLIST_ENTRY_DECIDED" });
      expect(admin.sent).toHaveLength(1);
    });
  });

  it("rejects a pending entry without emailing anyone, and can't approve it afterwards", async () => {
    await withSettings({ signUpMode: "waitlist" }, async () => {
      const email = uniqueEmail("reject-me");
      await joinAs(email);
      const [entry] = await db().db.select().from(waitlistEntries).where(eq(waitlistEntries.email, email));
      const admin = adminWithMail();
      expect(await admin.api.waitlist.reject({ entryId: entry!.id })).toEqual({ entryId: entry!.id, status: "rejected" });
      expect(admin.sent).toEqual([]);
      expect((await api().waitlist.list({ status: "rejected" })).entries.map((e) => e.email)).toContain(email);
      expect((await api().waitlist.list()).entries.map((e) => e.email)).not.toContain(email);
      expect((await errorOf(admin.api.waitlist.approve({ entryId: entry!.id }))).reason).toBe("WAITLIST_ENTRY_DECIDED");
      expect((await auditOf("waitlist.rejected")).map((e) => e.targetId)).toContain(entry!.id);
    });
  });

  it("pages pending entries oldest first with a cursor", async () => {
    const base = Date.parse("2020-01-01T00:00:00Z");
    await db().db.insert(waitlistEntries).values(
      Array.from({ length: 53 }, (_, i) => ({ email: `page-${i}-${Math.random().toString(36).slice(2, 6)}@example.test`, createdAt: new Date(base + i * 1000) })),
    );
    const first = await api().waitlist.list({ status: "pending" });
    expect(first.entries).toHaveLength(50);
    expect(first.nextCursor).not.toBeNull();
    const second = await api().waitlist.list({ status: "pending", cursor: first.nextCursor! });
    const all = [...first.entries, ...second.entries];
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    const times = all.map((e) => e.createdAt.getTime());
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(second.nextCursor).toBeNull();
  });

  it("answers an unknown entry with 404 and bad ids, statuses and cursors with 400", async () => {
    expect((await errorOf(api().waitlist.approve({ entryId: "wle_nothere" }))).code).toBe("NOT_FOUND");
    expect((await errorOf(api().waitlist.reject({ entryId: "wle_nothere" }))).code).toBe("NOT_FOUND");
    for (const call of [
      () => api().waitlist.approve({ entryId: "usr_x" }),
      () => api().waitlist.reject({ entryId: "" }),
      () => api().waitlist.list({ status: "maybe" as never }),
      () => api().waitlist.list({ cursor: "'; drop table users; --" }),
      () => api().waitlist.revokeInvitation({ invitationId: "x".repeat(500) }),
    ]) {
      expect((await errorOf(call())).code).toBe("BAD_REQUEST");
    }
  });
});

describe("direct invitations", () => {
  it("invites an address, lists it as pending, settles its waitlist entry, and revokes it once", async () => {
    await withSettings({ signUpMode: "waitlist" }, async () => {
      const email = uniqueEmail("direct");
      await joinAs(email);
      const admin = adminWithMail();
      const invited = await admin.api.waitlist.invite({ email: ` ${email.toUpperCase()} ` });
      expect(invited).toMatchObject({ email, status: "pending", id: expect.stringMatching(/^iinv_/) });
      expect(admin.sent.map((m) => [m.kind, m.to, m.locale])).toEqual([["instance-invitation", email, "en-US"]]);
      const [entry] = await db().db.select().from(waitlistEntries).where(eq(waitlistEntries.email, email));
      expect(entry).toMatchObject({ status: "approved", invitationId: invited.id });

      const listed = await api().waitlist.listInvitations();
      expect(listed.invitations.find((i) => i.id === invited.id)).toMatchObject({ email, status: "pending" });
      expect(JSON.stringify(listed)).not.toMatch(/tokenHash|token_hash|lkinv_/);

      expect(await api().waitlist.revokeInvitation({ invitationId: invited.id })).toMatchObject({ id: invited.id, status: "revoked" });
      const again = await errorOf(api().waitlist.revokeInvitation({ invitationId: invited.id }));
      expect(again).toMatchObject({ code: "CONFLICT", reason: "INVITATION_NOT_PENDING" });
      expect((await errorOf(api().waitlist.revokeInvitation({ invitationId: "iinv_nothere" }))).code).toBe("NOT_FOUND");
      expect((await auditOf("instance_invitation.revoked")).map((e) => e.targetId)).toContain(invited.id);
    });
  });

  it("refuses an invalid address with 400 naming email, sending nothing", async () => {
    const admin = adminWithMail();
    const before = await countRows(db(), "instance_invitations");
    const error = await errorOf(admin.api.waitlist.invite({ email: "nobody" }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain("email");
    expect(admin.sent).toEqual([]);
    expect(await countRows(db(), "instance_invitations")).toBe(before);
  });
});

describe("who may manage the waitlist", () => {
  const adminCalls = [
    ["list", (c: ReturnType<typeof visitor>) => c.waitlist.list()],
    ["approve", (c: ReturnType<typeof visitor>) => c.waitlist.approve({ entryId: "wle_x" })],
    ["reject", (c: ReturnType<typeof visitor>) => c.waitlist.reject({ entryId: "wle_x" })],
    ["invite", (c: ReturnType<typeof visitor>) => c.waitlist.invite({ email: uniqueEmail("deny") })],
    ["listInvitations", (c: ReturnType<typeof visitor>) => c.waitlist.listInvitations()],
    ["revokeInvitation", (c: ReturnType<typeof visitor>) => c.waitlist.revokeInvitation({ invitationId: "iinv_x" })],
  ] as const;

  it.each(adminCalls)("refuses waitlist.%s to anonymous callers (401) and to signed-in non-admins (403)", async (_name, call) => {
    const before = await countRows(db(), "instance_invitations");
    expect(await errorOf(call(visitor()))).toMatchObject({ code: "UNAUTHORIZED", reason: "SESSION_REQUIRED" });
    expect(await errorOf(call(callerFor(db(), { token: memberToken }).caller))).toMatchObject({ code: "FORBIDDEN", reason: "INSTANCE_ADMIN_REQUIRED" });
    expect(await countRows(db(), "instance_invitations")).toBe(before);
  });
});

describe("waitlist.signUpOptions", () => {
  it("tells the sign-up page the mode, the fields, the minimum length and the invited address, following the settings at once", async () => {
    const admin = adminWithMail();
    const email = uniqueEmail("options");
    await admin.api.waitlist.invite({ email });
    const token = new URL(admin.invitationLinks()[0]!).searchParams.get("invitation")!;
    await withSettings({ signUpMode: "invite_only", minPasswordLength: 12 }, async () => {
      const options = await visitor().waitlist.signUpOptions({ invitation: token });
      expect(options).toMatchObject({ mode: "invite_only", minPasswordLength: 12, invitation: { email, status: "pending" } });
      expect(options.fields).toEqual({ username: "hidden", firstName: "optional", lastName: "optional", phone: "hidden" });
    });
    expect((await visitor().waitlist.signUpOptions()).mode).toBe("public");
    expect((await visitor().waitlist.signUpOptions({ invitation: "lkinv_forged" })).invitation).toEqual({ email: null, status: "invalid" });
    expect((await errorOf(visitor().waitlist.signUpOptions({ invitation: "x".repeat(300) }))).code).toBe("BAD_REQUEST");
  });
});
