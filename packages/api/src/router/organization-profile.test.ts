import { describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { callerFor, countRows, createOrgWithMember, errorOf, PASSWORD } from "../../test/helpers.ts";
import { GIF_1X1, HTML, JPEG_HEAD, PNG_1X1, SVG, WEBP_HEAD } from "../../test/images.ts";
import { findImage, MAX_IMAGE_BYTES } from "../images.ts";

const db = useTestDb();

function as(token: string, orgSlug: string) {
  return callerFor(db(), { token, orgSlug }).caller;
}

async function orgRow(id: string) {
  const rows = await db().query<{ name: string; slug: string; image_url: string | null }>(`select name, slug, image_url from organizations where id = '${id}'`);
  return rows[0];
}

async function auditOf(organizationId: string, action: string) {
  return db().query<{ outcome: string; details: Record<string, unknown> }>(
    `select outcome, details from audit_events where organization_id = '${organizationId}' and action = '${action}' order by occurred_at, id`,
  );
}

describe("organization.update", () => {
  it("renames the organization and changes its slug, and audits the change", async () => {
    const { admin, org } = await createOrgWithMember(db(), "Rename");
    const updated = await as(admin.token, org.slug).organization.update({ name: "Renamed Co", slug: "renamed-co" });
    expect(updated).toMatchObject({ name: "Renamed Co", slug: "renamed-co" });
    expect(await orgRow(org.id)).toMatchObject({ name: "Renamed Co", slug: "renamed-co" });
    // The new slug is the organization's address from now on.
    expect((await as(admin.token, "renamed-co").organization.getBySlug({ slug: "renamed-co" })).id).toBe(org.id);
    expect((await auditOf(org.id, "organization.updated")).map((a) => a.outcome)).toEqual(["success"]);
  });

  it("reports a taken slug as a conflict on the slug field and changes nothing", async () => {
    const { admin, org } = await createOrgWithMember(db(), "First");
    const other = await createOrgWithMember(db(), "Second");
    const error = await errorOf(as(admin.token, org.slug).organization.update({ name: "Changed", slug: other.org.slug }));
    expect(error.code).toBe("CONFLICT");
    expect(error.field).toBe("slug");
    expect(await orgRow(org.id)).toMatchObject({ name: "First", slug: org.slug });
  });

  it("is refused to a member without org:sys_profile:manage", async () => {
    const { member, org } = await createOrgWithMember(db(), "Locked");
    const error = await errorOf(as(member.token, org.slug).organization.update({ name: "Hijacked" }));
    expect(error.code).toBe("FORBIDDEN");
    expect(await orgRow(org.id)).toMatchObject({ name: "Locked" });
  });

  it("is refused to another organization's admin, who can't reach this one by its slug", async () => {
    const target = await createOrgWithMember(db(), "Target");
    const other = await createOrgWithMember(db(), "Other");
    const error = await errorOf(as(other.admin.token, target.org.slug).organization.update({ name: "Hijacked" }));
    expect(error.code).toBe("FORBIDDEN");
    expect(await orgRow(target.org.id)).toMatchObject({ name: "Target" });
  });

  it.each([
    [{ name: "" }, "name"],
    [{ name: "x".repeat(65) }, "name"],
    [{ slug: "Not A Slug!" }, "slug"],
    [{ slug: "a" }, "slug"],
    [{ name: 7 }, "name"],
  ])("refuses bad input %# naming the field and writes nothing", async (input, field) => {
    const { admin, org } = await createOrgWithMember(db(), "Strict");
    const error = await errorOf(as(admin.token, org.slug).organization.update(input as never));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain(field);
    expect(await orgRow(org.id)).toMatchObject({ name: "Strict", slug: org.slug });
  });
});

describe("organization.delete", () => {
  it("needs the organization's exact name typed, and then deletes it, its logo and its members' active choice", async () => {
    const { admin, member, org } = await createOrgWithMember(db(), "Doomed Inc");
    const api = as(admin.token, org.slug);
    await api.organization.setImage({ image: PNG_1X1 });
    await callerFor(db(), { token: member.token }).caller.organization.setActive({ organizationId: org.id });
    for (const typo of ["doomed inc", "Doomed Inc ", "Doomed", ""]) {
      const error = await errorOf(api.organization.delete({ confirmation: typo }));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.field).toBe("confirmation");
      expect(error.reason).toBe("CONFIRMATION_MISMATCH");
    }
    expect(await orgRow(org.id)).toBeDefined();
    await api.organization.delete({ confirmation: "Doomed Inc" });
    expect(await orgRow(org.id)).toBeUndefined();
    expect(await db().query(`select id from memberships where organization_id = '${org.id}'`)).toEqual([]);
    expect(await db().query(`select id from images where owner_id = '${org.id}'`)).toEqual([]);
    expect(await db().query(`select id from sessions where active_organization_id = '${org.id}'`)).toEqual([]);
    const session = await callerFor(db(), { token: member.token }).caller.auth.session();
    expect(session?.organization).toBeNull();
    // The audit trail outlives the organization: the refused attempts and the deletion.
    expect((await auditOf(org.id, "organization.deleted")).map((a) => a.outcome)).toEqual(["failure", "failure", "failure", "failure", "success"]);
  });

  it("asks for the password again when it was last confirmed more than 10 minutes ago, and deletes nothing until then", async () => {
    const { admin, org } = await createOrgWithMember(db(), "Careful Co");
    const later = () => new Date(Date.now() + 11 * 60_000);
    const stale = callerFor(db(), { token: admin.token, orgSlug: org.slug, now: later }).caller;
    const error = await errorOf(stale.organization.delete({ confirmation: "Careful Co" }));
    expect([error.code, error.reason]).toEqual(["FORBIDDEN", "REVERIFICATION_REQUIRED"]);
    expect(await orgRow(org.id)).toBeDefined();
    await callerFor(db(), { token: admin.token, now: later }).caller.auth.reverify({ password: PASSWORD });
    await callerFor(db(), { token: admin.token, orgSlug: org.slug, now: later }).caller.organization.delete({ confirmation: "Careful Co" });
    expect(await orgRow(org.id)).toBeUndefined();
  });

  it("is refused to a member without org:sys_profile:delete and to another organization's admin", async () => {
    const { member, org } = await createOrgWithMember(db(), "Keep");
    const other = await createOrgWithMember(db(), "Other");
    expect((await errorOf(as(member.token, org.slug).organization.delete({ confirmation: "Keep" }))).code).toBe("FORBIDDEN");
    expect((await errorOf(as(other.admin.token, org.slug).organization.delete({ confirmation: "Keep" }))).code).toBe("FORBIDDEN");
    expect(await orgRow(org.id)).toBeDefined();
  });

  it("refuses a missing or oversized confirmation naming the field", async () => {
    const { admin, org } = await createOrgWithMember(db(), "Sturdy");
    for (const input of [{}, { confirmation: "x".repeat(201) }, { confirmation: 5 }]) {
      const error = await errorOf(as(admin.token, org.slug).organization.delete(input as never));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toContain("confirmation");
    }
    expect(await orgRow(org.id)).toBeDefined();
  });
});

describe("organization.setImage and removeImage", () => {
  it.each([
    ["PNG", PNG_1X1, "image/png"],
    ["GIF", GIF_1X1, "image/gif"],
    ["JPEG", JPEG_HEAD, "image/jpeg"],
    ["WebP", WEBP_HEAD, "image/webp"],
  ])("stores a %s with the type its bytes say and points the organization at it", async (_label, bytes, type) => {
    const { admin, org } = await createOrgWithMember(db(), "Logo");
    const { imageUrl } = await as(admin.token, org.slug).organization.setImage({ image: bytes });
    expect(imageUrl).toMatch(/^\/images\/img_[a-z0-9]+$/);
    expect((await orgRow(org.id))?.image_url).toBe(imageUrl);
    const stored = await findImage(db().db, imageUrl.split("/")[2]!);
    expect(stored?.contentType).toBe(type);
    expect(Buffer.compare(stored!.bytes, bytes)).toBe(0);
  });

  it.each([
    ["an SVG", SVG],
    ["an HTML page renamed .png", HTML],
    ["an empty file", Buffer.alloc(0)],
    ["a truncated PNG signature", PNG_1X1.subarray(0, 4)],
  ])("refuses %s on the image field and writes nothing", async (_label, bytes) => {
    const { admin, org } = await createOrgWithMember(db(), "Picky");
    const before = await countRows(db(), "images");
    const error = await errorOf(as(admin.token, org.slug).organization.setImage({ image: bytes }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.field).toBe("image");
    expect(await countRows(db(), "images")).toBe(before);
    expect((await orgRow(org.id))?.image_url).toBeNull();
  });

  it("refuses an image over 1 MB and accepts one of exactly 1 MB", async () => {
    const { admin, org } = await createOrgWithMember(db(), "Big");
    const big = Buffer.concat([PNG_1X1, Buffer.alloc(MAX_IMAGE_BYTES - PNG_1X1.length + 1)]);
    const error = await errorOf(as(admin.token, org.slug).organization.setImage({ image: big }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.field).toBe("image");
    expect(error.reason).toBe("IMAGE_TOO_LARGE");
    expect(await db().query(`select id from images where owner_id = '${org.id}'`)).toEqual([]);
    await as(admin.token, org.slug).organization.setImage({ image: big.subarray(0, MAX_IMAGE_BYTES) });
  });

  it("refuses input that is not bytes naming the field", async () => {
    const { admin, org } = await createOrgWithMember(db(), "Bytes");
    for (const input of [{}, { image: "iVBORw0KGgo=" }, { image: [137, 80, 78, 71] }]) {
      const error = await errorOf(as(admin.token, org.slug).organization.setImage(input as never));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toContain("image");
    }
  });

  it("deletes the old row when the logo is replaced or removed", async () => {
    const { admin, org } = await createOrgWithMember(db(), "Swap");
    const api = as(admin.token, org.slug);
    const first = await api.organization.setImage({ image: PNG_1X1 });
    const second = await api.organization.setImage({ image: GIF_1X1 });
    expect(second.imageUrl).not.toBe(first.imageUrl);
    const rows = await db().query<{ id: string }>(`select id from images where owner_id = '${org.id}'`);
    expect(rows.map((r) => `/images/${r.id}`)).toEqual([second.imageUrl]);
    expect(await findImage(db().db, first.imageUrl.split("/")[2]!)).toBeNull();
    await api.organization.removeImage();
    expect(await db().query(`select id from images where owner_id = '${org.id}'`)).toEqual([]);
    expect((await orgRow(org.id))?.image_url).toBeNull();
  });

  it("is refused to a member without org:sys_profile:manage and to another organization's admin", async () => {
    const { admin, member, org } = await createOrgWithMember(db(), "Guarded");
    const other = await createOrgWithMember(db(), "Other");
    await as(admin.token, org.slug).organization.setImage({ image: PNG_1X1 });
    const before = await orgRow(org.id);
    for (const token of [member.token, other.admin.token]) {
      expect((await errorOf(as(token, org.slug).organization.setImage({ image: GIF_1X1 }))).code).toBe("FORBIDDEN");
      expect((await errorOf(as(token, org.slug).organization.removeImage())).code).toBe("FORBIDDEN");
    }
    expect(await orgRow(org.id)).toEqual(before);
  });

  it("finds nothing for unknown or malformed image ids", async () => {
    expect(await findImage(db().db, "img_doesnotexist")).toBeNull();
    expect(await findImage(db().db, "../etc/passwd")).toBeNull();
  });
});
