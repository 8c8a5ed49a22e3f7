/**
 * saml: our service provider metadata for one connection, at the URL that is also our entity id. Public (an IdP
 * reads it); `?download=1` answers as a file for admins who upload it by hand.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { samlServiceProviderMetadata } from "@latchkey/api";
import { getRequestContext } from "~/lib/auth.server";

export async function loader(args: LoaderFunctionArgs) {
  const ctx = await getRequestContext(args);
  const xml = await samlServiceProviderMetadata(ctx, args.params.connectionId ?? "");
  if (!xml) return new Response("Not found", { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  const headers = new Headers({ "Content-Type": "application/samlmetadata+xml; charset=utf-8", "Cache-Control": "no-cache" });
  if (new URL(args.request.url).searchParams.get("download") === "1") {
    headers.set("Content-Disposition", `attachment; filename="latchkey-sp-metadata.xml"`);
  }
  return new Response(xml, { status: 200, headers });
}
