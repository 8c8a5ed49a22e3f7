/**
 * With LATCHKEY_TEST_AUTH_CACHE=1 every test database of the API runs with the auth cache on, so the authorization
 * matrix and the revocation tests prove the cache refuses what the database refuses:
 *   LATCHKEY_TEST_AUTH_CACHE=1 npx vitest run src/authorization-matrix.test.ts
 * Test fixtures write straight to the tables, which on Postgres notifies asynchronously (as another instance's write
 * would): the cache syncs before every lookup here, so a stale answer can only come from a missing invalidation.
 */
import type { DbHandle } from "@latchkey/db";
import { testDbHooks } from "@latchkey/db/testing";
import { startAuthCache, stopAuthCache } from "../src/auth-cache.ts";

if (process.env.LATCHKEY_TEST_AUTH_CACHE === "1") {
  testDbHooks.afterOpen = async (handle: DbHandle) => {
    await startAuthCache(handle, { heartbeatMs: 0, log: () => {}, syncBeforeLookup: true });
  };
  testDbHooks.beforeClose = (handle: DbHandle) => stopAuthCache(handle);
}
