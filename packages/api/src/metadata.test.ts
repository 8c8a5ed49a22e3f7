import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { auditEvents, users } from "@latchkey/db";
import { useTestDb } from "@latchkey/db/testing";
import { checkMetadata, findMetadataProblem, mergeMetadata, METADATA_MAX_BYTES } from "./metadata.ts";
import { createLatchkeyClient } from "./server-client.ts";
import { callerFor, createOrgWithMember, errorOf, signUp, uniqueEmail } from "../test/helpers.ts";

const db = useTestDb();

/** An object nested `levels` deep, counting the outer object as level 1. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 1; i < levels; i++) value = { next: value };
  return value;
}

/** A JSON object whose serialization is exactly `bytes` long. */
function ofSize(bytes: number): Record<string, unknown> {
  const overhead = JSON.stringify({ pad: "" }).length;
  return { pad: "x".repeat(bytes - overhead) };
}

describe("metadata validation", () => {
  it("accepts JSON objects up to 8 KB and 10 levels deep", () => {
    expect(findMetadataProblem({})).toBeNull();
    expect(findMetadataProblem({ a: [1, "two", null, { three: false }], b: -1.5 })).toBeNull();
    expect(findMetadataProblem(ofSize(METADATA_MAX_BYTES))).toBeNull();
    expect(findMetadataProblem(nested(10))).toBeNull();
  });

  it("refuses non-objects, oversize, deep nesting, prototype keys and non-JSON values, naming the path", () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [null, "", /JSON object/],
      [[1, 2], "", /JSON object/],
      ["text", "", /JSON object/],
      [42, "", /JSON object/],
      [new Date(), "", /JSON object/],
      [ofSize(METADATA_MAX_BYTES + 1), "", /8 KB/],
      [{ pad: "ż".repeat(4097) }, "", /8 KB/],
      [nested(11), "next.next.next.next.next.next.next.next.next.next", /10 levels/],
      [JSON.parse('{"a":{"__proto__":{"admin":true}}}'), "a.__proto__", /__proto__/],
      [{ constructor: { prototype: {} } }, "constructor", /constructor/],
      [{ deep: [{ prototype: 1 }] }, "deep.0.prototype", /prototype/],
      [{ a: undefined }, "a", /undefined/],
      [{ a: () => 1 }, "a", /function/],
      [{ a: Symbol("s") }, "a", /symbol/],
      [{ a: 10n }, "a", /bigint/],
      [{ a: Number.NaN }, "a", /finite/],
      [{ a: Number.POSITIVE_INFINITY }, "a", /finite/],
      [{ a: new Date() }, "a", /non-JSON object/],
      [{ a: new Map() }, "a", /non-JSON object/],
      // eslint-disable-next-line no-sparse-arrays
      [{ a: [1, , 3] }, "a.1", /holes/],
    ];
    for (const [value, path, message] of cases) {
      const problem = findMetadataProblem(value);
      expect(problem, String(path)).not.toBeNull();
      expect(problem!.path.join("."), path).toBe(path);
      expect(problem!.message, path).toMatch(message);
    }
  });

  it("checkMetadata throws a 400 naming the field and the path inside it", () => {
    let error: unknown;
    try {
      checkMetadata("privateMetadata", JSON.parse('{"x":{"__proto__":1}}'));
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: "BAD_REQUEST", field: "privateMetadata.x.__proto__" });
  });

  it("merges like Clerk: top-level keys replace, null removes, absent keys stay, nested objects are replaced whole", () => {
    const current = { plan: "free", seats: 3, prefs: { theme: "dark", lang: "pl" } };
    expect(mergeMetadata(current, { plan: "pro", seats: null, prefs: { theme: "light" } })).toEqual({ plan: "pro", prefs: { theme: "light" } });
    expect(current).toEqual({ plan: "free", seats: 3, prefs: { theme: "dark", lang: "pl" } });
  });
});

describe("user.updateUnsafeMetadata", () => {
  it("merges the user's own unsafe metadata, audits it, and shows it in user.me", async () => {
    const user = await signUp(db(), uniqueEmail("unsafe"));
    const api = () => callerFor(db(), { token: user.token }).caller;
    await api().user.updateUnsafeMetadata({ unsafeMetadata: { theme: "dark", onboarding: { step: 1 } } });
    const result = await api().user.updateUnsafeMetadata({ unsafeMetadata: { onboarding: null, locale: "pl" } });
    expect(result.unsafeMetadata).toEqual({ theme: "dark", locale: "pl" });
    expect((await api().user.me()).unsafeMetadata).toEqual({ theme: "dark", locale: "pl" });
    const replaced = await api().user.updateUnsafeMetadata({ unsafeMetadata: { only: 1 }, replace: true });
    expect(replaced.unsafeMetadata).toEqual({ only: 1 });
    const events = await db().db.select().from(auditEvents).where(eq(auditEvents.actorUserId, user.userId));
    const updates = events.filter((e) => e.action === "user.metadata_updated");
    expect(updates).toHaveLength(3);
    expect(updates[0]).toMatchObject({ outcome: "success", targetType: "user", targetId: user.userId, details: { fields: ["unsafeMetadata"] } });
    // The values themselves are not copied into the log.
    expect(JSON.stringify(updates)).not.toContain("dark");
  });

  it("refuses 8 KB+ results, __proto__ keys, arrays and deep nesting with a 400 naming the field, writing nothing", async () => {
    const user = await signUp(db(), uniqueEmail("unsafe-bad"));
    const api = () => callerFor(db(), { token: user.token }).caller;
    await api().user.updateUnsafeMetadata({ unsafeMetadata: { keep: "x".repeat(5000) } });
    const before = await db().db.select({ unsafe: users.unsafeMetadata, updatedAt: users.updatedAt }).from(users).where(eq(users.id, user.userId));
    const cases: Array<[unknown, RegExp]> = [
      // Each patch alone is small, but the merged result is over 8 KB.
      [{ more: "y".repeat(4000) }, /^unsafeMetadata: At most 8 KB/],
      [ofSize(METADATA_MAX_BYTES + 1), /^unsafeMetadata: At most 8 KB/],
      [JSON.parse('{"__proto__":{"isInstanceAdmin":true}}'), /^unsafeMetadata\.__proto__: /],
      [[1, 2, 3], /^unsafeMetadata: Must be a JSON object/],
      [null, /^unsafeMetadata: Must be a JSON object/],
      [nested(11), /^unsafeMetadata\.next(\.next)*: Nested more than 10/],
    ];
    for (const [unsafeMetadata, message] of cases) {
      const error = await errorOf(api().user.updateUnsafeMetadata({ unsafeMetadata } as never));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toMatch(message);
    }
    const after = await db().db.select({ unsafe: users.unsafeMetadata, updatedAt: users.updatedAt }).from(users).where(eq(users.id, user.userId));
    expect(after).toEqual(before);
    expect(({} as Record<string, unknown>).isInstanceAdmin).toBeUndefined();
    const events = await db().db.select().from(auditEvents).where(eq(auditEvents.actorUserId, user.userId));
    expect(events.filter((e) => e.action === "user.metadata_updated")).toHaveLength(1);
  });

  it("anonymous callers are refused", async () => {
    expect(await errorOf(callerFor(db()).caller.user.updateUnsafeMetadata({ unsafeMetadata: {} }))).toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("two concurrent merges of different keys both land", async () => {
    const user = await signUp(db(), uniqueEmail("unsafe-race"));
    const api = () => callerFor(db(), { token: user.token }).caller;
    await Promise.all(Array.from({ length: 6 }, (_, i) => api().user.updateUnsafeMetadata({ unsafeMetadata: { [`k${i}`]: i } })));
    expect(Object.keys((await api().user.me()).unsafeMetadata).sort()).toEqual(["k0", "k1", "k2", "k3", "k4", "k5"]);
  });
});

describe("private metadata never reaches the browser through the API", () => {
  it("user.me, auth.session and updateUnsafeMetadata carry public and unsafe metadata but not private", async () => {
    const user = await signUp(db(), uniqueEmail("private"));
    const marker = `PRIVATE-${Math.random().toString(36).slice(2)}`;
    await createLatchkeyClient({ db: db().db }).users.updateUserMetadata(user.userId, {
      privateMetadata: { stripeCustomerId: marker },
      publicMetadata: { plan: "pro" },
    });
    const api = callerFor(db(), { token: user.token }).caller;
    const written = await api.user.updateUnsafeMetadata({ unsafeMetadata: { x: 1 } });
    const responses = [await api.user.me(), await api.auth.session(), written];
    for (const response of responses) expect(JSON.stringify(response)).not.toContain(marker);
    expect(responses[0]).toMatchObject({ publicMetadata: { plan: "pro" }, unsafeMetadata: { x: 1 } });
  });
});

describe("createLatchkeyClient", () => {
  it("stores a billing customer id in private metadata, merges, audits as the system, in one transaction", async () => {
    const user = await signUp(db(), uniqueEmail("billing"));
    const latchkey = createLatchkeyClient({ db: db().db });
    await latchkey.users.updateUserMetadata(user.userId, { publicMetadata: { plan: "free" }, privateMetadata: { note: "vip" } });
    const updated = await latchkey.users.updateUserMetadata(user.userId, { privateMetadata: { stripeCustomerId: "cus_123", note: null }, publicMetadata: { plan: "pro" } });
    expect(updated).toMatchObject({ id: user.userId, primaryEmailAddress: user.email, publicMetadata: { plan: "pro" }, privateMetadata: { stripeCustomerId: "cus_123" } });
    expect((await latchkey.users.getUser(user.userId))?.privateMetadata).toEqual({ stripeCustomerId: "cus_123" });
    expect(await latchkey.users.getUser("user_doesnotexist")).toBeNull();
    const events = await db().db.select().from(auditEvents).where(eq(auditEvents.targetId, user.userId));
    const updates = events.filter((e) => e.action === "user.metadata_updated");
    expect(updates).toHaveLength(2);
    expect(updates[1]).toMatchObject({ actorUserId: null, outcome: "success", details: { actor: "system", fields: ["publicMetadata", "privateMetadata"] } });
    expect(JSON.stringify(updates)).not.toContain("cus_123");
  });

  it("validates like every writer and writes nothing (not even half) on error", async () => {
    const user = await signUp(db(), uniqueEmail("billing-bad"));
    const latchkey = createLatchkeyClient({ db: db().db });
    const before = await latchkey.users.getUser(user.userId);
    const bad = await errorOf(latchkey.users.updateUserMetadata(user.userId, { publicMetadata: { ok: 1 }, privateMetadata: { f: (() => 1) as never } }));
    expect(bad).toMatchObject({ code: "BAD_REQUEST", field: "privateMetadata.f" });
    expect(await latchkey.users.getUser(user.userId)).toEqual(before);
    expect(await errorOf(latchkey.users.updateUserMetadata("user_doesnotexist", { publicMetadata: {} }))).toMatchObject({ code: "NOT_FOUND" });
  });

  it("updates an organization's public and private metadata and refuses unsafe metadata there", async () => {
    const { admin, org } = await createOrgWithMember(db(), "Meta");
    const latchkey = createLatchkeyClient({ db: db().db, actor: "billing-webhook" });
    const updated = await latchkey.organizations.updateOrganizationMetadata(org.id, { publicMetadata: { tier: "gold" }, privateMetadata: { invoiceId: "in_1" } });
    expect(updated).toMatchObject({ id: org.id, publicMetadata: { tier: "gold" }, privateMetadata: { invoiceId: "in_1" } });
    const refused = await errorOf(latchkey.organizations.updateOrganizationMetadata(org.id, { unsafeMetadata: { x: 1 } } as never));
    expect(refused).toMatchObject({ code: "BAD_REQUEST", field: "unsafeMetadata" });
    // The org admin sees the system's change in the organization's audit log.
    const page = await callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller.audit.listForOrganization({ action: "organization.metadata_updated" });
    expect(page.events).toHaveLength(1);
    expect(page.events[0]).toMatchObject({ actor: { type: "system" }, details: { actor: "system", via: "billing-webhook" } });
    // ...and the organization's private metadata is not in what members read.
    const asAdmin = callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller;
    expect(JSON.stringify(await asAdmin.organization.getBySlug({ slug: org.slug }))).not.toContain("in_1");
    expect(JSON.stringify(await asAdmin.organization.listMine())).not.toContain("in_1");
  });
});
