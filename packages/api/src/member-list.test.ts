/**
 * The member list stays fast at 10,000 members: rather than a timed test, the query plan must walk the
 * (organization_id, created_at, id) index, so each page reads about `limit` rows however deep the cursor is.
 */
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { createOrgWithMember } from "../test/helpers.ts";
import { memberListQuery, type MemberListParams } from "./member-list.ts";

const db = useTestDb();
const MEMBERS = 10_000;
let organizationId = "";

async function plan(params: MemberListParams): Promise<string> {
  const result = (await db().db.execute(sql`explain ${memberListQuery(db().db, params)}`)) as unknown;
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<Record<string, string>>;
  return rows.map((row) => Object.values(row)[0]).join("\n");
}

beforeAll(async () => {
  const { org } = await createOrgWithMember(db(), "Big");
  organizationId = org.id;
  const series = `generate_series(1, ${MEMBERS}) as g`;
  // Triggers off for the bulk insert (outbox events and membership rights, per row): the plans don't depend on them,
  // and with them the seed took most of this file's 30 s.
  await db().db.transaction(async (tx) => {
    await tx.execute(sql.raw("set local session_replication_role = replica"));
    await tx.execute(sql.raw(`insert into users (id, first_name, last_name) select 'user_big' || g, 'Person', 'No ' || g from ${series}`));
    await tx.execute(
      sql.raw(
        `insert into email_addresses (id, user_id, email, is_primary, verified_at) select 'idn_big' || g, 'user_big' || g, 'person' || g || '@big.example', true, now() from ${series}`,
      ),
    );
    await tx.execute(
      sql.raw(
        `insert into memberships (id, organization_id, user_id, created_at) select 'orgmem_big' || g, '${organizationId}', 'user_big' || g, now() - (g || ' seconds')::interval from ${series}`,
      ),
    );
  });
  // VACUUM, not only ANALYZE: it moves the bulk insert out of the GIN indexes' pending lists into the trees.
  await db().query("vacuum analyze users");
  await db().query("vacuum analyze email_addresses");
  await db().query("analyze");
}, 120_000);

describe("the member list query at 10,000 members", () => {
  it("reads the first page through the organization's (created_at, id) index", async () => {
    const text = await plan({ organizationId, limit: 20 });
    expect(text).toContain("memberships_org_created_idx");
    expect(text).not.toMatch(/Seq Scan on memberships/);
  });

  it("reads a page deep in the list through the same index, starting at the cursor", async () => {
    const text = await plan({ organizationId, limit: 20, after: { createdAt: "2000-01-01T00:00:00.000000Z", id: "orgmem_big5000" } });
    expect(text).toContain("memberships_org_created_idx");
    expect(text).not.toMatch(/Seq Scan on memberships/);
  });

  it("finds a rare part of an address through the trigram index instead of walking the organization", async () => {
    const text = await plan({ organizationId, limit: 20, query: "person9999@" });
    expect(text).toContain("email_addresses_email_trgm_idx");
    expect(text).not.toContain("memberships_org_created_idx");
  });

  it("finds a rare part of a name through the trigram index instead of walking the organization", async () => {
    const text = await plan({ organizationId, limit: 20, query: "No 9999" });
    expect(text).toContain("users_name_trgm_idx");
    expect(text).not.toContain("memberships_org_created_idx");
  });

  it("matches the middle of a name or an address, any case", async () => {
    const { listMembers } = await import("./member-list.ts");
    const byName = await listMembers(db().db, { organizationId, limit: 20, query: "son no 123" });
    expect(byName.members.map((m) => m.email).sort()).toEqual(["person123@big.example", ...Array.from({ length: 10 }, (_, i) => `person123${i}@big.example`)].sort());
    const byAddress = await listMembers(db().db, { organizationId, limit: 20, query: "N4321@BIG" });
    expect(byAddress.members.map((m) => m.email)).toEqual(["person4321@big.example"]);
  });

  it("returns the requested page size and a cursor from a real query", async () => {
    const { listMembers } = await import("./member-list.ts");
    const first = await listMembers(db().db, { organizationId, limit: 100 });
    expect(first.members).toHaveLength(100);
    expect(first.nextCursor).not.toBeNull();
    const found = await listMembers(db().db, { organizationId, limit: 20, query: "PERSON9999@" });
    expect(found.members.map((m) => m.email)).toEqual(["person9999@big.example"]);
  });
});
