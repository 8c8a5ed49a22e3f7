/**
 * Run by e2e/run.js before the server starts, on the fresh e2e database: an instance administrator for the webhook
 * test to sign in as, and the development settings that let webhooks reach a receiver on http://127.0.0.1.
 */
import { eq } from "drizzle-orm";
import { signUpConfirmed } from "@latchkey/api/testing";
import { createDb, migrate, users } from "@latchkey/db";
import { updateInstanceSettings } from "../../../packages/api/src/instance-settings.ts";
import { WEBHOOKS_ADMIN_EMAIL, WEBHOOKS_ADMIN_PASSWORD } from "./webhooks-admin";

const handle = await createDb({ url: process.env.DATABASE_URL, dataDir: process.env.LATCHKEY_DATA_DIR });
try {
  await migrate(handle);
  await updateInstanceSettings(handle.db, { allowHttpWebhookUrls: true, allowPrivateWebhookTargets: true });
  const { userId } = await signUpConfirmed(handle.db, { email: WEBHOOKS_ADMIN_EMAIL, password: WEBHOOKS_ADMIN_PASSWORD, firstName: "Hook" });
  await handle.db.update(users).set({ isInstanceAdmin: true }).where(eq(users.id, userId));
} finally {
  await handle.close();
}
