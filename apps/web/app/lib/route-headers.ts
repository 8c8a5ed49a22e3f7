import type { HeadersFunction } from "@remix-run/node";

/**
 * For routes with forms: a document response to a form post carries the action's Retry-After and Set-Cookie (Remix
 * takes a document's headers from this export, not from the action's `data()`).
 */
export const formRouteHeaders: HeadersFunction = ({ actionHeaders, loaderHeaders }) => {
  const headers = new Headers();
  for (const source of [loaderHeaders, actionHeaders]) {
    const retryAfter = source.get("Retry-After");
    if (retryAfter) headers.set("Retry-After", retryAfter);
    for (const cookie of source.getSetCookie()) headers.append("Set-Cookie", cookie);
  }
  return headers;
};
