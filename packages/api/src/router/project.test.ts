import { describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { callerFor, countRows, createOrgWithMember, errorOf, signUp } from "../../test/helpers.ts";

const db = useTestDb();

describe("project procedures", () => {
  it("let an admin create, list and delete projects in their organization", async () => {
    const { admin, org } = await createOrgWithMember(db(), "Acme");
    const api = () => callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller;
    const created = await api().project.create({ name: "  Rocket  " });
    expect(created.name).toBe("Rocket");
    expect(created.id).toMatch(/^proj_/);
    expect((await api().project.list()).map((p) => p.name)).toEqual(["Rocket"]);
    await api().project.delete({ projectId: created.id });
    expect(await api().project.list()).toEqual([]);
  });

  it("use the session's active organization when the URL names none", async () => {
    const { admin } = await createOrgWithMember(db(), "Active");
    await callerFor(db(), { token: admin.token }).caller.project.create({ name: "Via session" });
    expect(await callerFor(db(), { token: admin.token }).caller.project.list()).toHaveLength(1);
  });

  it("never show or delete another tenant's project", async () => {
    const acme = await createOrgWithMember(db(), "Acme");
    const globex = await createOrgWithMember(db(), "Globex");
    const secret = await callerFor(db(), { token: acme.admin.token, orgSlug: acme.org.slug }).caller.project.create({ name: "Secret" });
    const theirs = callerFor(db(), { token: globex.admin.token, orgSlug: globex.org.slug }).caller;
    expect(await theirs.project.list()).toEqual([]);
    const error = await errorOf(theirs.project.delete({ projectId: secret.id }));
    expect(error.code).toBe("NOT_FOUND");
    expect(error.message).not.toContain("Secret");
    expect(await callerFor(db(), { token: acme.admin.token, orgSlug: acme.org.slug }).caller.project.list()).toHaveLength(1);
  });

  it("deny a member deleting, an outsider listing and an anonymous caller anything", async () => {
    const { admin, member, org } = await createOrgWithMember(db(), "Deny");
    const project = await callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller.project.create({ name: "Keep" });
    const asMember = await errorOf(callerFor(db(), { token: member.token, orgSlug: org.slug }).caller.project.delete({ projectId: project.id }));
    expect(asMember.code).toBe("FORBIDDEN");
    const outsider = await signUp(db());
    expect((await errorOf(callerFor(db(), { token: outsider.token, orgSlug: org.slug }).caller.project.list())).code).toBe("FORBIDDEN");
    expect((await errorOf(callerFor(db(), { orgSlug: org.slug }).caller.project.list())).code).toBe("UNAUTHORIZED");
    expect((await errorOf(callerFor(db(), { orgSlug: org.slug }).caller.project.create({ name: "x" }))).code).toBe("UNAUTHORIZED");
  });

  it.each([
    ["create", { name: "" }, "name"],
    ["create", { name: "x".repeat(101) }, "name"],
    ["create", { name: ["array"] }, "name"],
    ["delete", { projectId: "not-an-id" }, "projectId"],
    ["delete", { projectId: "proj_" + "a".repeat(100) }, "projectId"],
  ] as const)("refuse bad input to %s (%#) naming the field and write nothing", async (procedure, input, field) => {
    const { admin, org } = await createOrgWithMember(db(), "Input");
    const before = await countRows(db(), "projects");
    const caller = callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller;
    const error = await errorOf(caller.project[procedure](input as never));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain(field);
    expect(await countRows(db(), "projects")).toBe(before);
  });
});
