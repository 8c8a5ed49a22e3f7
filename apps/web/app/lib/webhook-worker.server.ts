/**
 * The webhook delivery worker inside the web process (server.js starts it after the database, unless
 * WEBHOOK_WORKER=off, and stops it on SIGTERM). Any number of app instances may run it: deliveries are claimed
 * with FOR UPDATE SKIP LOCKED and a lease. `npm run worker` runs the same loop on its own.
 */
import { startWebhookWorker, type RunningWorker } from "@latchkey/api";
import { describeErrorForLog } from "@latchkey/db";
import { getDb } from "./db.server";
import { getKeyring } from "./keyring.server";

const globalForWorker = globalThis as typeof globalThis & { __latchkeyWebhookWorker?: RunningWorker };

const RETRY_START_MS = 5_000;

export async function startWorkers(): Promise<void> {
  if (process.env.WEBHOOK_WORKER === "off" || globalForWorker.__latchkeyWebhookWorker) return;
  try {
    const handle = await getDb();
    globalForWorker.__latchkeyWebhookWorker = startWebhookWorker({
      db: handle.db,
      keyring: getKeyring(),
      log: (message, error) => console.error(`${message}: ${describeErrorForLog(error)}`),
    });
    console.info("Webhook worker started.");
  } catch (error) {
    // The database is not up yet: try again shortly, so deliveries resume without a restart.
    console.error(`Webhook worker not started yet: ${describeErrorForLog(error)}`);
    setTimeout(() => void startWorkers(), RETRY_START_MS).unref();
  }
}

/** Lets the pass in flight finish (at most one 15-second send), then returns. */
export async function stopWorkers(): Promise<void> {
  const worker = globalForWorker.__latchkeyWebhookWorker;
  globalForWorker.__latchkeyWebhookWorker = undefined;
  await worker?.stop();
}
