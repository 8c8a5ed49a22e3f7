/**
 * `npm run db:seed`: development data (see seed-dev-data.ts). Never runs in production.
 * On PGlite, stop `npm run dev` first: PGlite has no lock across processes.
 */
import { createDb, defaultDataDir, migrate } from "@latchkey/db";
import { DEV_PASSWORD, devPeople, seedDevData } from "./seed-dev-data.ts";

if (process.env.NODE_ENV === "production") {
  console.error("db:seed refuses to run with NODE_ENV=production: it creates accounts with published passwords.");
  process.exit(1);
}

const url = process.env.DATABASE_URL;
const handle = await createDb({ url });
try {
  await migrate(handle);
  const seeded = await seedDevData(handle.db);
  console.info(seeded ? "" : "The database is seeded already.");
  console.info(`Seeded ${url ? "DATABASE_URL" : `PGlite at ${defaultDataDir()}`}. Every account's password: ${DEV_PASSWORD}\n`);
  for (const person of devPeople) console.info(`  ${person.email.padEnd(22)}${person.about}`);
  console.info("");
} finally {
  await handle.close();
}
