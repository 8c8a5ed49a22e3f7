/**
 * CSRF defence for every state-changing request, sign-in and sign-up forms included: the browser-set Origin (or,
 * failing that, the Referer) must be the app's own origin or an explicitly trusted one. SameSite=Lax cookies alone
 * don't cover same-site attackers (a sibling subdomain) or logged-out forms, hence this check. Fails closed.
 */

export type OriginCheckResult = { ok: true } | { ok: false; reason: "MISSING_ORIGIN" | "CROSS_ORIGIN" };

export type OriginCheckOptions = { appUrl: string; trustedOrigins?: readonly string[] };

const safeMethods = new Set(["GET", "HEAD", "OPTIONS"]);

/** GET, HEAD and OPTIONS, exactly as spelt by the HTTP spec; anything else is checked (fail closed). */
export function isSafeMethod(method: string): boolean {
  return safeMethods.has(method);
}

function toOrigin(value: string): string | null {
  try {
    const url = new URL(value);
    // Only http(s) has a tuple origin; `new URL("null")` throws and e.g. file: yields the opaque "null".
    return url.protocol === "http:" || url.protocol === "https:" ? url.origin : null;
  } catch {
    return null;
  }
}

function getAllowedOrigins(opts: OriginCheckOptions): Set<string> {
  const allowed = new Set<string>();
  for (const value of [opts.appUrl, ...(opts.trustedOrigins ?? [])]) {
    const origin = toOrigin(value);
    if (origin) allowed.add(origin);
  }
  return allowed;
}

export function checkRequestOrigin(
  req: { method: string; headers: Headers },
  opts: OriginCheckOptions,
): OriginCheckResult {
  if (isSafeMethod(req.method)) return { ok: true };
  // The browser says outright that another site started this request; no header below can outweigh that.
  if (req.headers.get("sec-fetch-site")?.trim().toLowerCase() === "cross-site") {
    return { ok: false, reason: "CROSS_ORIGIN" };
  }

  const origin = req.headers.get("origin")?.trim();
  // "null" is an opaque origin (sandboxed frame, privacy redirect): not a match, but the Referer may still tell.
  const claimed = origin && origin !== "null" ? origin : req.headers.get("referer")?.trim();
  if (!claimed) return { ok: false, reason: "MISSING_ORIGIN" };

  const claimedOrigin = toOrigin(claimed);
  if (claimedOrigin && getAllowedOrigins(opts).has(claimedOrigin)) return { ok: true };
  return { ok: false, reason: "CROSS_ORIGIN" };
}
