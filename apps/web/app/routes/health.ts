import { checkDatabase } from "~/lib/db.server";

/** GET /health: 200 when the database answers within two seconds, 503 otherwise. */
export async function loader() {
  const ok = await checkDatabase();
  return Response.json(
    { status: ok ? "ok" : "unavailable" },
    { status: ok ? 200 : 503, headers: { "Cache-Control": "no-store" } },
  );
}
