/**
 * GET /admin/users/:userId/export — the user's data as a JSON attachment (profile, addresses, phones, memberships,
 * sessions without token hashes, factor kinds, metadata, audit events), for instance admins. The export is audited.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { getAuthHeaders, getCaller, requireAuth } from "~/lib/auth.server";

export async function loader(args: LoaderFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  const caller = await getCaller(args);
  const userId = args.params.userId ?? "";
  let exported;
  try {
    exported = await caller.adminUser.export({ userId });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "NOT_FOUND" || code === "BAD_REQUEST") throw new Response("Not found", { status: 404 });
    throw error;
  }
  const headers = new Headers(await getAuthHeaders(args));
  headers.set("Content-Type", "application/json; charset=utf-8");
  headers.set("Content-Disposition", `attachment; filename="${userId}.json"`);
  headers.set("Cache-Control", "no-store");
  headers.set("X-Content-Type-Options", "nosniff");
  return new Response(`${JSON.stringify(exported, null, 2)}\n`, { status: 200, headers });
}
