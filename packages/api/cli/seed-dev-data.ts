/** Development data, created through the real procedures: an instance admin, two organizations, members in both roles. */
import { eq } from "drizzle-orm";
import { emailAddresses, membershipRoles, memberships, roles, users, type Database } from "@latchkey/db";
import { createCaller } from "../src/root.ts";
import { createInnerContext } from "../src/context.ts";
import { signUpConfirmed } from "./confirmed-sign-up.ts";

export const DEV_PASSWORD = "latchkey-dev-password";

export const devPeople = [
  { key: "admin", email: "admin@latchkey.test", firstName: "Ada", lastName: "Admin", about: "instance admin; admin of Globex" },
  { key: "alice", email: "alice@latchkey.test", firstName: "Alice", lastName: "Anders", about: "admin of Acme (/org/acme); member of Globex" },
  { key: "bob", email: "bob@latchkey.test", firstName: "Bob", lastName: "Brown", about: "member of Acme" },
  { key: "carol", email: "carol@latchkey.test", firstName: "Carol", lastName: "Chen", about: "admin of Globex (/org/globex); member of Acme" },
] as const;

type Key = (typeof devPeople)[number]["key"];

/** Adds a membership directly; invitations (the real path) arrive with the Organizations issue. */
async function addMembership(db: Database, organizationId: string, userId: string, roleKey: string): Promise<void> {
  await db.transaction(async (tx) => {
    const [membership] = await tx.insert(memberships).values({ organizationId, userId }).returning({ id: memberships.id });
    const [role] = await tx.select({ id: roles.id }).from(roles).where(eq(roles.key, roleKey));
    await tx.insert(membershipRoles).values({ membershipId: membership!.id, roleId: role!.id });
  });
}

/** Seeds once; returns false when the data is there already. */
export async function seedDevData(db: Database): Promise<boolean> {
  const [existing] = await db.select().from(emailAddresses).where(eq(emailAddresses.email, devPeople[0].email));
  if (existing) return false;
  const ids = {} as Record<Key, { userId: string; token: string }>;
  for (const person of devPeople) {
    const { userId, token } = await signUpConfirmed(
      db,
      { email: person.email, password: DEV_PASSWORD, firstName: person.firstName, lastName: person.lastName },
      { userAgent: "db:seed" },
    );
    ids[person.key] = { userId, token };
  }
  await db.update(users).set({ isInstanceAdmin: true }).where(eq(users.id, ids.admin.userId));
  const as = (key: Key) => createCaller(createInnerContext({ db, sessionToken: ids[key].token }));
  const acme = await as("alice").organization.create({ name: "Acme Inc", slug: "acme" });
  const globex = await as("carol").organization.create({ name: "Globex Corporation", slug: "globex" });
  await addMembership(db, acme.id, ids.bob.userId, "org:member");
  await addMembership(db, acme.id, ids.carol.userId, "org:member");
  await addMembership(db, globex.id, ids.alice.userId, "org:member");
  await addMembership(db, globex.id, ids.admin.userId, "org:admin");
  await as("alice").project.create({ name: "Rocket launch" });
  await as("alice").project.create({ name: "Anvil redesign" });
  await as("carol").project.create({ name: "Hammock district" });
  for (const person of devPeople) await as(person.key).auth.signOut();
  return true;
}
