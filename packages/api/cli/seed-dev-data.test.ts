import { describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { createCaller } from "../src/root.ts";
import { createInnerContext } from "../src/context.ts";
import { tokenFrom } from "../test/helpers.ts";
import { DEV_PASSWORD, seedDevData } from "./seed-dev-data.ts";

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
});
