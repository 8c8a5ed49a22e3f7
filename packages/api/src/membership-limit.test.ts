import { afterEach, describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { createMemoryMailer } from "./mail/index.ts";
import { updateInstanceSettings } from "./instance-settings.ts";
import { callerFor, countRows, createOrgWithMember, errorOf, signUp, uniqueEmail } from "../test/helpers.ts";

const db = useTestDb();

async function setup(name: string) {
  const world = await createOrgWithMember(db(), name);
  const { mailer, sent } = createMemoryMailer();
  const admin = () => callerFor(db(), { token: world.admin.token, orgSlug: world.org.slug, mailer }).caller;
  const tokenFor = (to: string) => {
    const mail = sent.findLast((m) => m.kind === "invitation" && m.to === to);
    if (mail?.kind !== "invitation") throw new Error(`no invitation mailed to ${to}`);
    return new URL(mail.values.link).searchParams.get("token")!;
  };
  const setLimit = (max: number | null) => db().query(`update organizations set max_memberships = ${max === null ? "null" : max} where id = '${world.org.id}'`);
  return { ...world, admin, tokenFor, setLimit };
}

afterEach(async () => {
  await db().query(`delete from instance_settings`);
});

describe("the membership limit", () => {
  it("refuses invitations when members plus pending invitations would pass the organization's limit", async () => {
    const { admin, org, setLimit } = await setup("Small");
    await setLimit(3); // the admin and the member take two seats
    const before = await countRows(db(), "invitations");
    const error = await errorOf(admin().invitation.create({ emails: [uniqueEmail("a"), uniqueEmail("b")], roleKey: "org:member" }));
    expect(error.code).toBe("FORBIDDEN");
    expect(error.reason).toBe("MEMBERSHIP_LIMIT_REACHED");
    expect(await countRows(db(), "invitations")).toBe(before);
    const first = uniqueEmail("c");
    await admin().invitation.create({ emails: [first], roleKey: "org:member" });
    // The pending invitation holds the last seat; re-inviting the same address replaces it and still fits.
    expect((await errorOf(admin().invitation.create({ emails: [uniqueEmail("d")], roleKey: "org:member" }))).reason).toBe("MEMBERSHIP_LIMIT_REACHED");
    await admin().invitation.create({ emails: [first], roleKey: "org:member" });
    const audit = await db().query<{ outcome: string }>(`select outcome from audit_events where organization_id = '${org.id}' and action = 'invitation.created' and outcome <> 'success'`);
    expect(audit.map((a) => a.outcome)).toEqual(["denied", "denied"]);
  });

  it("falls back to the instance setting when the organization sets none, and the organization's own limit wins", async () => {
    const { admin, setLimit } = await setup("Instance");
    await updateInstanceSettings(db().db, { maxMembershipsPerOrganization: 2 });
    expect((await errorOf(admin().invitation.create({ emails: [uniqueEmail("x")], roleKey: "org:member" }))).reason).toBe("MEMBERSHIP_LIMIT_REACHED");
    await setLimit(10);
    await admin().invitation.create({ emails: [uniqueEmail("y")], roleKey: "org:member" });
    await setLimit(null);
    await updateInstanceSettings(db().db, { maxMembershipsPerOrganization: null });
    await admin().invitation.create({ emails: [uniqueEmail("z")], roleKey: "org:member" });
  });

  it("lets exactly one of two concurrent accepts take the last seat; the other invitation stays pending", async () => {
    const { admin, org, tokenFor, setLimit } = await setup("Race");
    const one = await signUp(db(), uniqueEmail("one"));
    const two = await signUp(db(), uniqueEmail("two"));
    await admin().invitation.create({ emails: [one.email, two.email], roleKey: "org:member" });
    // The limit was lowered after inviting: accepting checks it again.
    await setLimit(3);
    const results = await Promise.allSettled([
      callerFor(db(), { token: one.token }).caller.invitation.accept({ token: tokenFor(one.email) }),
      callerFor(db(), { token: two.token }).caller.invitation.accept({ token: tokenFor(two.email) }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((r) => r.status === "rejected");
    expect((refused as PromiseRejectedResult).reason.reason).toBe("MEMBERSHIP_LIMIT_REACHED");
    expect(await db().query(`select id from memberships where organization_id = '${org.id}'`)).toHaveLength(3);
    const statuses = await db().query<{ status: string }>(`select status from invitations where organization_id = '${org.id}' order by status`);
    expect(statuses.map((s) => s.status)).toEqual(["accepted", "pending"]);
  });

  it("refuses an accept into a full organization and keeps the invitation usable once a seat frees up", async () => {
    const { admin, org, tokenFor, setLimit } = await setup("Full");
    const newcomer = await signUp(db(), uniqueEmail("newcomer"));
    await admin().invitation.create({ emails: [newcomer.email], roleKey: "org:member" });
    await setLimit(2);
    const error = await errorOf(callerFor(db(), { token: newcomer.token }).caller.invitation.accept({ token: tokenFor(newcomer.email) }));
    expect(error.reason).toBe("MEMBERSHIP_LIMIT_REACHED");
    await setLimit(3);
    const joined = await callerFor(db(), { token: newcomer.token }).caller.invitation.accept({ token: tokenFor(newcomer.email) });
    expect(joined.organization.id).toBe(org.id);
  });
});
