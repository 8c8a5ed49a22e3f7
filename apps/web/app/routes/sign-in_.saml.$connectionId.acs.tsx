/**
 * saml: the assertion consumer service. The IdP's page posts `SAMLResponse` (and `RelayState`) here from its own
 * origin, so the request guard lets exactly this POST through its Origin check; everything that makes the answer
 * trustworthy is checked in finishSaml (signature, audience, recipient, times, single use). Refusals go to the
 * localized error page; a response larger than the limit is refused before it is read.
 */
import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { ApiError, finishSaml, MAX_SAML_RESPONSE_CHARS } from "@latchkey/api";
import { getAuthHeaders, getRequestContext } from "~/lib/auth.server";

/** The form body: the response (base64, url-encoded) plus RelayState and some slack. */
const MAX_BODY_BYTES = Math.ceil(MAX_SAML_RESPONSE_CHARS * 1.5) + 4096;

async function readBody(request: Request): Promise<URLSearchParams | null> {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > MAX_BODY_BYTES || !request.body) return declared > MAX_BODY_BYTES ? null : new URLSearchParams();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

export function loader() {
  return redirect("/sign-in");
}

export async function action(args: ActionFunctionArgs) {
  const ctx = await getRequestContext(args);
  const body = await readBody(args.request);
  let location: string;
  try {
    const outcome = await finishSaml(ctx, {
      connectionId: args.params.connectionId ?? "",
      // Too large: passed on as an over-long value so the refusal is audited like any other.
      samlResponse: body ? body.get("SAMLResponse") : "x".repeat(MAX_SAML_RESPONSE_CHARS + 1),
      relayState: body?.get("RelayState")?.slice(0, 2048) ?? null,
    });
    location =
      outcome.status === "needs_second_factor" ? `/sign-in/factor-two?redirect_url=${encodeURIComponent(outcome.redirectUrl)}` : outcome.redirectUrl;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    location = `/sign-in/oauth/error?reason=${encodeURIComponent(error.reason)}&back=${encodeURIComponent("/sign-in")}`;
  }
  throw redirect(location, { status: 303, headers: await getAuthHeaders(args) });
}
