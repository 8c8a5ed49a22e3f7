import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { sessions, type DbHandle } from "@latchkey/db";
import { createTestDb } from "@latchkey/db/testing";
import { callerFor, countRows, createOrgWithMember, errorOf, signUp } from "../../test/helpers.ts";

let handle: DbHandle;
beforeAll(async () => {
  handle = await createTestDb();
});
afterAll(async () => {
  await handle?.close();
});

describe("organization.create", () => {
  it("makes the creator its admin and its active organization", async () => {
    const { token } = await signUp(handle);
    const org = await callerFor(handle, { token }).caller.organization.create({ name: "Zürich Labs" });
    expect(org.slug).toBe("zurich-labs");
    expect(org.id).toMatch(/^org_/);
    const session = await callerFor(handle, { token }).caller.auth.session();
    expect(session?.organization?.id).toBe(org.id);
    expect(session?.orgRoles).toEqual(["org:admin"]);
    expect(session?.orgPermissions).toEqual(expect.arrayContaining(["org:sys_profile:manage", "org:projects:manage"]));
  });

  it("reports a taken slug on the slug field", async () => {
    const { token } = await signUp(handle);
    await callerFor(handle, { token }).caller.organization.create({ name: "Dup", slug: "dup-co" });
    const error = await errorOf(callerFor(handle, { token }).caller.organization.create({ name: "Dup 2", slug: "dup-co" }));
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
    const { token } = await signUp(handle);
    const before = await countRows(handle, "organizations");
    const error = await errorOf(callerFor(handle, { token }).caller.organization.create(input as never));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain(field);
    expect(await countRows(handle, "organizations")).toBe(before);
  });

  it("is refused without a session", async () => {
    expect((await errorOf(callerFor(handle).caller.organization.create({ name: "Anon" }))).code).toBe("UNAUTHORIZED");
  });
});

describe("organization.listMine, setActive and getBySlug", () => {
  it("list only the caller's organizations with their roles", async () => {
    const acme = await createOrgWithMember(handle, "Acme");
    await createOrgWithMember(handle, "Other");
    const mine = await callerFor(handle, { token: acme.member.token }).caller.organization.listMine();
    expect(mine.map((o) => [o.slug, o.roles])).toEqual([[acme.org.slug, ["org:member"]]]);
  });

  it("switch the active organization only to one the caller belongs to", async () => {
    const acme = await createOrgWithMember(handle, "Acme");
    const other = await createOrgWithMember(handle, "Other");
    const sessionId = acme.member.token.split(".")[0]!;
    await callerFor(handle, { token: acme.member.token }).caller.organization.setActive({ organizationId: acme.org.id });
    const error = await errorOf(
      callerFor(handle, { token: acme.member.token }).caller.organization.setActive({ organizationId: other.org.id }),
    );
    expect(error.code).toBe("FORBIDDEN");
    const [row] = await handle.db.select().from(sessions).where(eq(sessions.id, sessionId));
    expect(row!.activeOrganizationId).toBe(acme.org.id);
    await callerFor(handle, { token: acme.member.token }).caller.organization.setActive({ organizationId: null });
    const [personal] = await handle.db.select().from(sessions).where(eq(sessions.id, sessionId));
    expect(personal!.activeOrganizationId).toBeNull();
  });

  it("refuse a malformed organization id with a 400", async () => {
    const { token } = await signUp(handle);
    const error = await errorOf(callerFor(handle, { token }).caller.organization.setActive({ organizationId: "'; drop table users; --" }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain("organizationId");
  });

  it("show an organization to its members and the same FORBIDDEN to everyone else", async () => {
    const acme = await createOrgWithMember(handle, "Acme");
    const outsider = await signUp(handle);
    const seen = await callerFor(handle, { token: acme.member.token }).caller.organization.getBySlug({ slug: acme.org.slug });
    expect(seen.permissions).toContain("org:projects:read");
    const hidden = await errorOf(callerFor(handle, { token: outsider.token }).caller.organization.getBySlug({ slug: acme.org.slug }));
    const missing = await errorOf(callerFor(handle, { token: outsider.token }).caller.organization.getBySlug({ slug: "never-existed" }));
    expect([hidden.code, missing.code]).toEqual(["FORBIDDEN", "FORBIDDEN"]);
    expect(hidden.message).toBe(missing.message);
  });
});
