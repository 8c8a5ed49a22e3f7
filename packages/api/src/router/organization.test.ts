import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { sessions } from "@latchkey/db";
import { useTestDb } from "@latchkey/db/testing";
import { callerFor, countRows, createOrgWithMember, errorOf, signUp } from "../../test/helpers.ts";

const db = useTestDb();

describe("organization.create", () => {
  it("makes the creator its admin and its active organization", async () => {
    const { token } = await signUp(db());
    const org = await callerFor(db(), { token }).caller.organization.create({ name: "Zürich Labs" });
    expect(org.slug).toBe("zurich-labs");
    expect(org.id).toMatch(/^org_/);
    const session = await callerFor(db(), { token }).caller.auth.session();
    expect(session?.organization?.id).toBe(org.id);
    expect(session?.orgRoles).toEqual(["org:admin"]);
    expect(session?.orgPermissions).toEqual(expect.arrayContaining(["org:sys_profile:manage", "org:projects:manage"]));
  });

  it("reports a taken slug on the slug field", async () => {
    const { token } = await signUp(db());
    await callerFor(db(), { token }).caller.organization.create({ name: "Dup", slug: "dup-co" });
    const error = await errorOf(callerFor(db(), { token }).caller.organization.create({ name: "Dup 2", slug: "dup-co" }));
    expect(error.code).toBe("CONFLICT");
    expect(error.field).toBe("slug");
  });

  it.each([
    [{ name: "" }, "name"],
    [{ name: "x".repeat(65) }, "name"],
    [{ name: "Ok", slug: "Not A Slug!" }, "slug"],
    [{ name: "Ok", slug: "-bad-" }, "slug"],
    [{ name: "Ok", slug: "a" }, "slug"],
    [{ name: 42 }, "name"],
  ])("refuses bad input %# naming the field and writes nothing", async (input, field) => {
    const { token } = await signUp(db());
    const before = await countRows(db(), "organizations");
    const error = await errorOf(callerFor(db(), { token }).caller.organization.create(input as never));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain(field);
    expect(await countRows(db(), "organizations")).toBe(before);
  });

  it("is refused without a session", async () => {
    expect((await errorOf(callerFor(db()).caller.organization.create({ name: "Anon" }))).code).toBe("UNAUTHORIZED");
  });
});

describe("organization.listMine, setActive and getBySlug", () => {
  it("list only the caller's organizations with their roles", async () => {
    const acme = await createOrgWithMember(db(), "Acme");
    await createOrgWithMember(db(), "Other");
    const mine = await callerFor(db(), { token: acme.member.token }).caller.organization.listMine();
    expect(mine.map((o) => [o.slug, o.roles])).toEqual([[acme.org.slug, ["org:member"]]]);
  });

  it("switch the active organization only to one the caller belongs to", async () => {
    const acme = await createOrgWithMember(db(), "Acme");
    const other = await createOrgWithMember(db(), "Other");
    const sessionId = acme.member.token.split(".")[0]!;
    await callerFor(db(), { token: acme.member.token }).caller.organization.setActive({ organizationId: acme.org.id });
    const error = await errorOf(
      callerFor(db(), { token: acme.member.token }).caller.organization.setActive({ organizationId: other.org.id }),
    );
    expect(error.code).toBe("FORBIDDEN");
    const [row] = await db().db.select().from(sessions).where(eq(sessions.id, sessionId));
    expect(row!.activeOrganizationId).toBe(acme.org.id);
    await callerFor(db(), { token: acme.member.token }).caller.organization.setActive({ organizationId: null });
    const [personal] = await db().db.select().from(sessions).where(eq(sessions.id, sessionId));
    expect(personal!.activeOrganizationId).toBeNull();
  });

  it("refuse a malformed slug with a 400 naming it", async () => {
    const { token } = await signUp(db());
    for (const slug of ["", "UPPER CASE", "x".repeat(200), "../etc"]) {
      const error = await errorOf(callerFor(db(), { token }).caller.organization.getBySlug({ slug }));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toContain("slug");
    }
  });

  it("refuse a malformed organization id with a 400", async () => {
    const { token } = await signUp(db());
    const error = await errorOf(callerFor(db(), { token }).caller.organization.setActive({ organizationId: "'; drop table users; --" }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain("organizationId");
  });

  it("show an organization to its members and the same FORBIDDEN to everyone else", async () => {
    const acme = await createOrgWithMember(db(), "Acme");
    const outsider = await signUp(db());
    const seen = await callerFor(db(), { token: acme.member.token }).caller.organization.getBySlug({ slug: acme.org.slug });
    expect(seen.permissions).toContain("org:projects:read");
    const hidden = await errorOf(callerFor(db(), { token: outsider.token }).caller.organization.getBySlug({ slug: acme.org.slug }));
    const missing = await errorOf(callerFor(db(), { token: outsider.token }).caller.organization.getBySlug({ slug: "never-existed" }));
    expect([hidden.code, missing.code]).toEqual(["FORBIDDEN", "FORBIDDEN"]);
    expect(hidden.message).toBe(missing.message);
  });
});
