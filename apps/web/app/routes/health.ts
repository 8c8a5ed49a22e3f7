import { checkDatabase, getAuthCacheHealth } from "~/lib/db.server";

/**
 * GET /health: 200 when the database answers within two seconds, 503 otherwise. `details.authCache.state` is "down"
 * while the auth cache's LISTEN connection is lost (requests then read the database: slower, still correct).
 */
export async function loader() {
  const ok = await checkDatabase();
  const authCache = ok ? await getAuthCacheHealth() : null;
  return Response.json(
    { status: ok ? "ok" : "unavailable", details: { authCache } },
    { status: ok ? 200 : 503, headers: { "Cache-Control": "no-store" } },
  );
}
