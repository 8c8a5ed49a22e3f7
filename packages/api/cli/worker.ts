/**
 * `npm run worker`: the webhook delivery worker on its own (the web app runs the same loop unless WEBHOOK_WORKER=off).
 * Needs DATABASE_URL (Postgres; PGlite can't be shared with a running app) and the app's LATCHKEY_ENCRYPTION_KEY.
 * Any number may run at once. SIGTERM or SIGINT lets the pass in flight finish, then exits.
 */
import { createKeyring } from "@latchkey/auth";
import { createDb, describeErrorForLog, migrate } from "@latchkey/db";
import { startWebhookWorker } from "../src/webhooks/worker.ts";

const key = process.env.LATCHKEY_ENCRYPTION_KEY;
if (!key && process.env.NODE_ENV === "production") {
  console.error("LATCHKEY_ENCRYPTION_KEY is required in production (the same key the app uses).");
  process.exit(1);
}

const handle = await createDb({ url: process.env.DATABASE_URL });
await migrate(handle);
const worker = startWebhookWorker({
  db: handle.db,
  keyring: createKeyring(key || undefined),
  log: (message, error) => console.error(`${message}: ${describeErrorForLog(error)}`),
});
console.info(`Webhook worker running (${handle.kind}). Ctrl-C to stop.`);

let stopping = false;
async function stop(signal: NodeJS.Signals) {
  if (stopping) return;
  stopping = true;
  console.info(`${signal} received, finishing the current pass.`);
  await worker.stop();
  await handle.close();
  process.exit(0);
}
process.once("SIGTERM", (signal) => void stop(signal));
process.once("SIGINT", (signal) => void stop(signal));
