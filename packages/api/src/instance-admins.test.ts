import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { auditEvents, users } from "@latchkey/db";
import { useTestDb } from "@latchkey/db/testing";
import { setInstanceAdmin } from "./instance-admins.ts";
import { signUp, uniqueEmail } from "../test/helpers.ts";

const db = useTestDb();

describe("setInstanceAdmin", () => {
  it("grants the flag to the account with that address, whatever its case, and audits it", async () => {
    const email = uniqueEmail("operator");
    const { userId } = await signUp(db(), email);
    expect(await setInstanceAdmin(db().db, `  ${email.toUpperCase()} `, true)).toEqual({ status: "granted", userId });
    const [user] = await db().db.select({ admin: users.isInstanceAdmin }).from(users).where(eq(users.id, userId));
    expect(user!.admin).toBe(true);
    const events = await db().db.select().from(auditEvents).where(eq(auditEvents.targetId, userId));
    expect(events.map((e) => e.action)).toContain("user.instance_admin_granted");
  });

  it("says unchanged when the flag is already set, and revokes it on request", async () => {
    const email = uniqueEmail("operator");
    const { userId } = await signUp(db(), email);
    await setInstanceAdmin(db().db, email, true);
    expect(await setInstanceAdmin(db().db, email, true)).toEqual({ status: "unchanged", userId });
    expect(await setInstanceAdmin(db().db, email, false)).toEqual({ status: "revoked", userId });
    const [user] = await db().db.select({ admin: users.isInstanceAdmin }).from(users).where(eq(users.id, userId));
    expect(user!.admin).toBe(false);
  });

  it("finds nobody for an unknown address and changes nothing", async () => {
    expect(await setInstanceAdmin(db().db, uniqueEmail("nobody"), true)).toEqual({ status: "not_found" });
  });
});
