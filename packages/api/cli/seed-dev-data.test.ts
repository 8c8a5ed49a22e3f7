import { describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { createCaller } from "../src/root.ts";
import { createInnerContext } from "../src/context.ts";
import { tokenFrom } from "../test/helpers.ts";
import { DEV_PASSWORD, SAMPLE_USERS, seedDevData } from "./seed-dev-data.ts";

const db = useTestDb();

async function signIn(email: string) {
  const resHeaders = new Headers();
  await createCaller(createInnerContext({ db: db().db, resHeaders })).auth.signIn({ email, password: DEV_PASSWORD });
  return tokenFrom(resHeaders)!;
}

describe("the development seed", () => {
  it("creates an instance admin, two organizations and members in both roles, once", async () => {
    expect(await seedDevData(db().db)).toBe(true);
    expect(await seedDevData(db().db)).toBe(false);

    const admin = await createCaller(createInnerContext({ db: db().db, sessionToken: await signIn("admin@latchkey.test") })).auth.session();
    expect(admin?.user.isInstanceAdmin).toBe(true);

    const alice = createCaller(createInnerContext({ db: db().db, sessionToken: await signIn("alice@latchkey.test") }));
    const orgs = await alice.organization.listMine();
    expect(orgs.map((o) => [o.slug, o.roles])).toEqual([
      ["acme", ["org:admin"]],
      ["globex", ["org:member"]],
    ]);
    const bob = createCaller(createInnerContext({ db: db().db, sessionToken: await signIn("bob@latchkey.test"), orgSlug: "acme" }));
    expect((await bob.project.list()).map((p) => p.name).sort()).toEqual(["Anvil redesign", "Rocket launch"]);
  });

  it("adds a crowd of sample people for the admin console: some banned, locked, unverified, with MFA, active lately", async () => {
    await seedDevData(db().db);
    const [row] = await db().query<{ total: number; banned: number; locked: number; mfa: number; unverified: number; active: number }>(`
      select count(*)::int as total,
             count(*) filter (where banned_at is not null)::int as banned,
             count(*) filter (where locked_until is not null)::int as locked,
             count(*) filter (where has_second_factor)::int as mfa,
             (select count(*)::int from email_addresses where user_id like 'user_sample%' and verified_at is null) as unverified,
             (select count(distinct user_id)::int from user_activity_days where user_id like 'user_sample%') as active
      from users where id like 'user_sample%'`);
    expect(row!.total).toBe(SAMPLE_USERS);
    for (const key of ["banned", "locked", "mfa", "unverified", "active"] as const) expect(row![key], key).toBeGreaterThan(0);
    expect(row!.banned).toBeLessThan(SAMPLE_USERS / 10);
  });
});
