import { describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { emailAddresses } from "@latchkey/db";
import { createMemoryMailer, type OutgoingMail } from "../mail/index.ts";
import { callerFor, createOrgWithMember, errorOf, signUp, uniqueEmail, type CallerOptions } from "../../test/helpers.ts";

const db = useTestDb();

function randomDomain(label = "corp"): string {
  return `${label}-${Math.random().toString(36).slice(2, 10)}.test`;
}

function capture() {
  const { mailer, sent } = createMemoryMailer();
  const last = (kind: OutgoingMail["kind"], to: string) => {
    const mail = sent.findLast((m) => m.kind === kind && m.to === to);
    if (!mail) throw new Error(`no ${kind} mailed to ${to}`);
    return mail;
  };
  return { sent, mailer, last };
}

function as(token: string, extra: CallerOptions = {}) {
  return callerFor(db(), { token, ...extra }).caller;
}

/** An organization with a verified domain in the given mode (null: left unverified, mode forced in the row). */
async function orgWithDomain(mode: "manual_invitation" | "automatic_invitation" | "automatic_suggestion", options: { verified?: boolean; name?: string } = {}) {
  const world = await createOrgWithMember(db(), options.name ?? "Enroll");
  const mail = capture();
  const admin = (extra: CallerOptions = {}) => as(world.admin.token, { orgSlug: world.org.slug, mailer: mail.mailer, ...extra });
  const domain = randomDomain();
  const added = await admin().domain.add({ domain });
  if (options.verified === false) {
    await db().query(`update organization_domains set enrollment_mode = '${mode}' where id = '${added.id}'`);
  } else {
    await admin().domain.sendVerification({ domainId: added.id, email: `it@${domain}` });
    const sent = mail.last("verification-code", `it@${domain}`);
    await admin().domain.verify({ domainId: added.id, code: sent.kind === "verification-code" ? sent.values.code : "" });
    if (mode !== "manual_invitation") await admin().domain.setEnrollmentMode({ domainId: added.id, mode });
  }
  return { ...world, mail, admin, domain, domainId: added.id };
}

async function membershipsOf(organizationId: string, userId: string) {
  return db().query<{ role_keys: string[] }>(`select role_keys from memberships where organization_id = '${organizationId}' and user_id = '${userId}'`);
}

describe("organization.suggestions", () => {
  it("offers an organization to a new user whose verified sign-up address is at its verified domain in suggestion mode", async () => {
    const { org, domain } = await orgWithDomain("automatic_suggestion", { name: "Suggesting" });
    const user = await signUp(db(), `someone@${domain}`);
    expect(await as(user.token).organization.suggestions()).toEqual([
      { organizationId: org.id, name: "Suggesting", slug: org.slug, imageUrl: null, kind: "suggestion", domain },
    ]);
  });

  it("offers automatic-invitation domains as kind invitation", async () => {
    const { org, domain } = await orgWithDomain("automatic_invitation");
    const user = await signUp(db(), `someone@${domain}`);
    expect(await as(user.token).organization.suggestions()).toMatchObject([{ organizationId: org.id, kind: "invitation" }]);
  });

  it("offers nothing for manual mode, an unverified domain, an unverified address, or an organization the user is in", async () => {
    const manual = await orgWithDomain("manual_invitation");
    const unverified = await orgWithDomain("automatic_suggestion", { verified: false });
    const suggesting = await orgWithDomain("automatic_suggestion");
    const user = await signUp(db(), uniqueEmail("outsider"));
    // Addresses at each domain, none verified but the manual and unverified-domain ones.
    await db().db.insert(emailAddresses).values([
      { userId: user.userId, email: `u@${manual.domain}`, verifiedAt: new Date() },
      { userId: user.userId, email: `u@${unverified.domain}`, verifiedAt: new Date() },
      { userId: user.userId, email: `u@${suggesting.domain}`, verifiedAt: null },
    ]);
    expect(await as(user.token).organization.suggestions()).toEqual([]);
    // The members of the suggesting org are not offered their own organization.
    await db().db.insert(emailAddresses).values({ userId: suggesting.member.userId, email: `m@${suggesting.domain}`, verifiedAt: new Date() });
    expect(await as(suggesting.member.token).organization.suggestions()).toEqual([]);
  });

  it("is for signed-in users only", async () => {
    expect((await errorOf(callerFor(db()).caller.organization.suggestions())).code).toBe("UNAUTHORIZED");
  });
});

describe("organization.acceptSuggestion and dismissSuggestion", () => {
  it("joins as org:member once, makes the organization active and stops offering it", async () => {
    const { org, domain } = await orgWithDomain("automatic_suggestion");
    const user = await signUp(db(), `joiner@${domain}`);
    const result = await as(user.token).organization.acceptSuggestion({ organizationId: org.id });
    expect(result.organization).toEqual({ id: org.id, slug: org.slug, name: org.name });
    expect(await membershipsOf(org.id, user.userId)).toEqual([{ role_keys: ["org:member"] }]);
    expect((await as(user.token).auth.session())?.organization?.id).toBe(org.id);
    expect(await as(user.token).organization.suggestions()).toEqual([]);
    expect(await errorOf(as(user.token).organization.acceptSuggestion({ organizationId: org.id }))).toMatchObject({ code: "NOT_FOUND" });
    const audit = await db().query<{ outcome: string }>(`select outcome from audit_events where organization_id = '${org.id}' and action = 'organization.suggestion_accepted'`);
    expect(audit.map((a) => a.outcome)).toEqual(["success"]);
  });

  it("accepting an automatic invitation joins the same way", async () => {
    const { org, domain } = await orgWithDomain("automatic_invitation");
    const user = await signUp(db(), `invited@${domain}`);
    await as(user.token).organization.acceptSuggestion({ organizationId: org.id });
    expect(await membershipsOf(org.id, user.userId)).toEqual([{ role_keys: ["org:member"] }]);
  });

  it("of concurrent accepts, one makes the membership", async () => {
    const { org, domain } = await orgWithDomain("automatic_suggestion");
    const user = await signUp(db(), `racer@${domain}`);
    const results = await Promise.allSettled([1, 2, 3].map(() => as(user.token).organization.acceptSuggestion({ organizationId: org.id })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(await membershipsOf(org.id, user.userId)).toHaveLength(1);
  });

  it("refuses an organization that is not a suggestion for the caller with NOT_FOUND, writing nothing", async () => {
    const { org } = await orgWithDomain("automatic_suggestion");
    const manual = await orgWithDomain("manual_invitation");
    const stranger = await signUp(db(), uniqueEmail("stranger"));
    const manualUser = await signUp(db(), `x@${manual.domain}`);
    for (const [token, organizationId] of [
      [stranger.token, org.id],
      [manualUser.token, manual.org.id],
      [stranger.token, "org_doesnotexist"],
    ] as const) {
      expect(await errorOf(as(token).organization.acceptSuggestion({ organizationId }))).toMatchObject({ code: "NOT_FOUND" });
      expect(await errorOf(as(token).organization.dismissSuggestion({ organizationId }))).toMatchObject({ code: "NOT_FOUND" });
    }
    expect(await membershipsOf(org.id, stranger.userId)).toEqual([]);
    expect(await membershipsOf(manual.org.id, manualUser.userId)).toEqual([]);
    const answers = await db().query(`select * from organization_suggestions where user_id in ('${stranger.userId}', '${manualUser.userId}')`);
    expect(answers).toEqual([]);
  });

  it("bad input names the field and writes nothing", async () => {
    const user = await signUp(db());
    for (const call of [
      () => as(user.token).organization.acceptSuggestion({ organizationId: "not an id" }),
      () => as(user.token).organization.dismissSuggestion({ organizationId: 42 as never }),
    ]) {
      const error = await errorOf(call());
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toMatch(/^organizationId: /);
    }
    expect(await db().query(`select * from organization_suggestions where user_id = '${user.userId}'`)).toEqual([]);
  });

  it("a dismissed suggestion stays dismissed and can't be accepted afterwards", async () => {
    const { org, domain, admin, domainId } = await orgWithDomain("automatic_suggestion");
    const user = await signUp(db(), `nope@${domain}`);
    expect(await as(user.token).organization.dismissSuggestion({ organizationId: org.id })).toEqual({ dismissed: true });
    expect(await as(user.token).organization.suggestions()).toEqual([]);
    // Switching the domain to automatic invitation does not bring it back either.
    await admin().domain.setEnrollmentMode({ domainId, mode: "automatic_invitation" });
    expect(await as(user.token).organization.suggestions()).toEqual([]);
    expect(await errorOf(as(user.token).organization.acceptSuggestion({ organizationId: org.id }))).toMatchObject({ code: "NOT_FOUND" });
    expect(await membershipsOf(org.id, user.userId)).toEqual([]);
  });

  it("stops offering an organization once its domain is removed", async () => {
    const { org, domain, admin, domainId } = await orgWithDomain("automatic_suggestion");
    const user = await signUp(db(), `late@${domain}`);
    await admin().domain.remove({ domainId });
    expect(await as(user.token).organization.suggestions()).toEqual([]);
    expect(await errorOf(as(user.token).organization.acceptSuggestion({ organizationId: org.id }))).toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("organization.pendingInvitations and invitation.acceptById / declineById", () => {
  async function invited() {
    const world = await createOrgWithMember(db(), "Inviting");
    const mail = capture();
    const admin = as(world.admin.token, { orgSlug: world.org.slug, mailer: mail.mailer });
    const invitee = await signUp(db(), uniqueEmail("invitee"));
    const unverifiedAddress = uniqueEmail("unverified");
    await db().db.insert(emailAddresses).values({ userId: invitee.userId, email: unverifiedAddress, verifiedAt: null });
    const result = await admin.invitation.create({ emails: [invitee.email, unverifiedAddress, uniqueEmail("someone-else")], roleKey: "org:member" });
    const [toVerified, toUnverified, toSomeoneElse] = result.invited;
    return { ...world, admin, mail, invitee, toVerified: toVerified!, toUnverified: toUnverified!, toSomeoneElse: toSomeoneElse! };
  }

  it("lists only pending, unexpired invitations to the caller's verified addresses, without tokens", async () => {
    const { invitee, toVerified, org, mail } = await invited();
    const list = await as(invitee.token).organization.pendingInvitations();
    expect(list).toEqual([{ id: toVerified.id, email: invitee.email, organizationId: org.id, organizationName: "Inviting", roleName: "Member", expiresAt: toVerified.expiresAt }]);
    const token = mail.last("invitation", invitee.email);
    expect(JSON.stringify(list)).not.toContain(token.kind === "invitation" ? new URL(token.values.link).searchParams.get("token")! : "never");
    // Once past its expiry it is gone from the list.
    await db().query(`update invitations set expires_at = now() - interval '1 minute' where id = '${toVerified.id}'`);
    expect(await as(invitee.token).organization.pendingInvitations()).toEqual([]);
  });

  it("accepts by id for the invitee, once", async () => {
    const { invitee, toVerified, org } = await invited();
    const result = await as(invitee.token).invitation.acceptById({ invitationId: toVerified.id });
    expect(result.organization.id).toBe(org.id);
    expect(await membershipsOf(org.id, invitee.userId)).toEqual([{ role_keys: ["org:member"] }]);
    expect(await as(invitee.token).organization.pendingInvitations()).toEqual([]);
    expect(await errorOf(as(invitee.token).invitation.acceptById({ invitationId: toVerified.id }))).toMatchObject({ code: "CONFLICT", reason: "INVITATION_ALREADY_USED" });
  });

  it("declines by id for the invitee", async () => {
    const { invitee, toVerified, org } = await invited();
    expect(await as(invitee.token).invitation.declineById({ invitationId: toVerified.id })).toEqual({ declined: true });
    expect(await as(invitee.token).organization.pendingInvitations()).toEqual([]);
    expect(await membershipsOf(org.id, invitee.userId)).toEqual([]);
  });

  it("an invitation to an unverified or another person's address is NOT_FOUND by id, and nothing changes", async () => {
    const { invitee, toUnverified, toSomeoneElse, org } = await invited();
    const outsider = await signUp(db(), uniqueEmail("outsider"));
    for (const [token, invitationId] of [
      [invitee.token, toUnverified.id],
      [invitee.token, toSomeoneElse.id],
      [outsider.token, toSomeoneElse.id],
    ] as const) {
      expect(await errorOf(as(token).invitation.acceptById({ invitationId }))).toMatchObject({ code: "NOT_FOUND", reason: "INVITATION_INVALID" });
      expect(await errorOf(as(token).invitation.declineById({ invitationId }))).toMatchObject({ code: "NOT_FOUND", reason: "INVITATION_INVALID" });
    }
    const statuses = await db().query<{ status: string }>(`select status from invitations where organization_id = '${org.id}'`);
    expect(statuses.every((s) => s.status === "pending")).toBe(true);
    expect(await membershipsOf(org.id, invitee.userId)).toEqual([]);
    expect((await errorOf(as(invitee.token).invitation.acceptById({ invitationId: "bad" }))).message).toMatch(/^invitationId: /);
  });
});

describe("the membership limit", () => {
  it("refuses joining by domain suggestion when the organization is full, and lets the user join once a seat frees up", async () => {
    const { org, domain } = await orgWithDomain("automatic_suggestion", { name: "Full house" });
    // The admin and the member fill both seats.
    await db().query(`update organizations set max_memberships = 2 where id = '${org.id}'`);
    const user = await signUp(db(), `late@${domain}`);
    const refused = await errorOf(as(user.token).organization.acceptSuggestion({ organizationId: org.id }));
    expect(refused.reason).toBe("MEMBERSHIP_LIMIT_REACHED");
    expect(await membershipsOf(org.id, user.userId)).toEqual([]);
    await db().query(`update organizations set max_memberships = 3 where id = '${org.id}'`);
    await as(user.token).organization.acceptSuggestion({ organizationId: org.id });
    expect(await membershipsOf(org.id, user.userId)).toHaveLength(1);
  });
});
