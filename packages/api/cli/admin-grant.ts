/**
 * `npm run admin:grant -- ada@example.com` makes that account an instance admin (the admin console at /admin);
 * `npm run admin:grant -- --revoke ada@example.com` takes it back. On PGlite, stop `npm run dev` first.
 */
import { createDb, migrate } from "@latchkey/db";
import { setInstanceAdmin } from "../src/instance-admins.ts";

const args = process.argv.slice(2);
const revoke = args.includes("--revoke");
const emails = args.filter((arg) => arg !== "--revoke");
if (emails.length === 0) {
  console.error("usage: npm run admin:grant -- [--revoke] <email> [more emails]");
  process.exit(2);
}

const handle = await createDb({ url: process.env.DATABASE_URL });
try {
  await migrate(handle);
  for (const email of emails) {
    const result = await setInstanceAdmin(handle.db, email, !revoke);
    if (result.status === "not_found") {
      console.error(`${email}: no account has this address`);
      process.exitCode = 1;
    } else {
      console.info(`${email}: ${result.status} (${result.userId})`);
    }
  }
} finally {
  await handle.close();
}
