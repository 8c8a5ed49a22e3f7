/**
 * GET /images/:id — an uploaded image (an organization's logo). Public, like any logo on the web: the id is random
 * and changes on every upload, so the answer is cached for a year. The stored type was decided by the file's magic
 * bytes; `nosniff` and a CSP that allows nothing keep a browser from treating the bytes as anything but that image.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { findImage } from "@latchkey/api";
import { getDb } from "~/lib/db.server";

export async function loader({ params }: LoaderFunctionArgs) {
  const image = await findImage((await getDb()).db, params.id ?? "");
  if (!image) {
    return new Response("Not found", { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" } });
  }
  return new Response(new Uint8Array(image.bytes), {
    status: 200,
    headers: {
      "Content-Type": image.contentType,
      "Content-Length": String(image.bytes.length),
      "Cache-Control": "public, max-age=31536000, immutable",
      "X-Content-Type-Options": "nosniff",
      "Content-Security-Policy": "default-src 'none'",
      "Content-Disposition": "inline",
    },
  });
}
