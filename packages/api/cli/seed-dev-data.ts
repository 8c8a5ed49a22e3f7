/** Development data, created through the real procedures: an instance admin, two organizations, members in both roles. */
import { eq, sql } from "drizzle-orm";
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
  await seedCrowd(db, SAMPLE_USERS);
  return true;
}

/** How many sample people `seedDevData` adds besides the named accounts, so the admin console has a crowd to search. */
export const SAMPLE_USERS = 240;

const firstNames = ["Amara", "Bruno", "Chiara", "Dmitri", "Elif", "Farah", "Goran", "Hana", "Ivo", "Jun", "Kasia", "Lars", "Mei", "Nikos", "Olu", "Priya", "Quinn", "Rosa", "Sven", "Tariq"];
const lastNames = ["Novak", "Okafor", "Silva", "Tanaka", "Kowalski", "Haddad", "Moreau", "Lindqvist", "Petrov", "Rossi", "Sato", "Yilmaz"];

/**
 * Sample people written set-based (no passwords: they can't sign in): signed up over the last 60 days, active on some
 * of the last 30, a few banned, locked, unverified or with a second factor — what the admin console's users list,
 * filters and charts need to show something on a fresh machine.
 */
async function seedCrowd(db: Database, count: number): Promise<void> {
  const first = sql.raw(`(array['${firstNames.join("','")}'])[1 + (g % ${firstNames.length})]`);
  const last = sql.raw(`(array['${lastNames.join("','")}'])[1 + ((g / ${firstNames.length}) % ${lastNames.length})]`);
  await db.transaction(async (tx) => {
    await tx.execute(sql`
      insert into users (id, first_name, last_name, created_at, updated_at, last_sign_in_at, banned_at, locked_until, has_second_factor)
      select 'user_sample' || lpad(g::text, 5, '0'), ${first}, ${last},
             now() - ((g * 60.0 / ${count}) || ' days')::interval, now(),
             case when g % 3 = 0 then null else now() - ((g % 30) || ' days')::interval end,
             case when g % 41 = 0 then now() end,
             case when g % 53 = 0 then now() + interval '1 hour' end,
             g % 7 = 0
      from generate_series(1, ${count}) as g`);
    await tx.execute(sql`
      insert into email_addresses (id, user_id, email, is_primary, verified_at)
      select 'idn_sample' || lpad(g::text, 5, '0'), 'user_sample' || lpad(g::text, 5, '0'),
             lower(${first}) || '.' || lower(${last}) || g || '@example.com', true,
             case when g % 11 = 0 then null else now() end
      from generate_series(1, ${count}) as g`);
    // Each sample person was active on a few of the last 30 days: more often the more recent the day.
    await tx.execute(sql`
      insert into user_activity_days (day, user_id)
      select (now() at time zone 'utc')::date - d, 'user_sample' || lpad(g::text, 5, '0')
      from generate_series(1, ${count}) as g, generate_series(0, 29) as d
      where (g + d) % (2 + d / 6) = 0
      on conflict do nothing`);
  });
}
