/**
 * `npm run db:seed`: development data, created through the real procedures. Never runs in production.
 * On PGlite, stop `npm run dev` first: PGlite has no lock across processes.
 */
import { eq } from "drizzle-orm";
import { createDb, defaultDataDir, emailAddresses, migrate, users } from "@latchkey/db";
import { createCaller } from "../src/root.ts";
import { createInnerContext } from "../src/context.ts";
import { addMembership } from "./seed-helpers.ts";

if (process.env.NODE_ENV === "production") {
  console.error("db:seed refuses to run with NODE_ENV=production: it creates accounts with published passwords.");
  process.exit(1);
}

const PASSWORD = "latchkey-dev-password";
const people = [
  { key: "admin", email: "admin@latchkey.test", firstName: "Ada", lastName: "Admin" },
  { key: "alice", email: "alice@latchkey.test", firstName: "Alice", lastName: "Anders" },
  { key: "bob", email: "bob@latchkey.test", firstName: "Bob", lastName: "Brown" },
  { key: "carol", email: "carol@latchkey.test", firstName: "Carol", lastName: "Chen" },
] as const;

const url = process.env.DATABASE_URL;
const handle = await createDb({ url });
try {
  await migrate(handle);
  const [existing] = await handle.db.select().from(emailAddresses).where(eq(emailAddresses.email, people[0].email));
  if (existing) {
    console.info("The database is seeded already.");
  } else {
    const ids: Record<string, { userId: string; token: string }> = {};
    for (const person of people) {
      const headers = new Headers();
      const ctx = createInnerContext({ db: handle.db, resHeaders: headers, userAgent: "db:seed" });
      const { userId } = await createCaller(ctx).auth.signUp({ email: person.email, password: PASSWORD, firstName: person.firstName, lastName: person.lastName });
      const token = /latchkey_session=([^;]+)/.exec(headers.getSetCookie().join("\n"))![1]!;
      await handle.db.update(emailAddresses).set({ verifiedAt: new Date() }).where(eq(emailAddresses.userId, userId));
      ids[person.key] = { userId, token: decodeURIComponent(token) };
    }
    await handle.db.update(users).set({ isInstanceAdmin: true }).where(eq(users.id, ids.admin!.userId));
    const as = (key: string) => createCaller(createInnerContext({ db: handle.db, sessionToken: ids[key]!.token }));
    const acme = await as("alice").organization.create({ name: "Acme Inc", slug: "acme" });
    const globex = await as("carol").organization.create({ name: "Globex Corporation", slug: "globex" });
    await addMembership(handle.db, acme.id, ids.bob!.userId, "org:member");
    await addMembership(handle.db, acme.id, ids.carol!.userId, "org:member");
    await addMembership(handle.db, globex.id, ids.alice!.userId, "org:member");
    await addMembership(handle.db, globex.id, ids.admin!.userId, "org:admin");
    await as("alice").project.create({ name: "Rocket launch" });
    await as("alice").project.create({ name: "Anvil redesign" });
    await as("carol").project.create({ name: "Hammock district" });
    for (const key of Object.keys(ids)) await as(key).auth.signOut();
  }
  console.info(`\nSeeded ${url ? "DATABASE_URL" : `PGlite at ${defaultDataDir()}`}. Every account's password: ${PASSWORD}\n`);
  console.info("  admin@latchkey.test  instance admin; admin of Globex");
  console.info("  alice@latchkey.test  admin of Acme (/org/acme); member of Globex");
  console.info("  bob@latchkey.test    member of Acme");
  console.info("  carol@latchkey.test  admin of Globex (/org/globex); member of Acme\n");
} finally {
  await handle.close();
}
