/** `npm run db:migrate`: applies pending migrations to DATABASE_URL, or to the embedded PGlite in `.data/` (stop `npm run dev` first: PGlite has no lock across processes). */
import { createDb, defaultDataDir } from "../client.ts";
import { migrate } from "../migrate.ts";

const url = process.env.DATABASE_URL;
const handle = await createDb({ url });
try {
  await migrate(handle);
  console.info(`Migrations applied to ${url ? "DATABASE_URL" : `PGlite at ${defaultDataDir()}`}.`);
} finally {
  await handle.close();
}
