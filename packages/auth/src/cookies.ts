/**
 * The session cookie: HttpOnly, SameSite=Lax, Path=/, never a Domain, and Secure with the `__Host-` prefix whenever the
 * app is served over https (the prefix makes browsers refuse a copy planted by a sibling subdomain or over http).
 */

export type CookieOptions = {
  expires?: Date;
  maxAge?: number;
  secure: boolean;
  httpOnly?: boolean;
  sameSite?: "Lax" | "Strict";
  path?: string;
};

// RFC 6265 cookie-name token: visible ASCII except separators.
const cookieName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function isHttps(appUrl: string): boolean {
  return new URL(appUrl).protocol === "https:";
}

export function sessionCookieName(appUrl: string): string {
  return isHttps(appUrl) ? "__Host-latchkey_session" : "latchkey_session";
}

/** Builds a Set-Cookie value. Throws on a name or attribute that would produce a broken or weaker cookie. */
export function serializeCookie(name: string, value: string, opts: CookieOptions): string {
  if (!cookieName.test(name)) throw new TypeError(`Invalid cookie name: ${name}`);
  const path = opts.path ?? "/";
  if (!/^\/[\x21-\x3a\x3c-\x7e]*$/.test(path)) throw new TypeError(`Invalid cookie path: ${path}`);
  // Browsers silently drop prefixed cookies that break the prefix's rules; fail loudly here instead.
  if (name.startsWith("__Host-") && (!opts.secure || path !== "/")) {
    throw new TypeError("A __Host- cookie must be Secure with Path=/");
  }
  if (name.startsWith("__Secure-") && !opts.secure) throw new TypeError("A __Secure- cookie must be Secure");

  const parts = [`${name}=${encodeURIComponent(value)}`];
  if (opts.maxAge !== undefined) {
    if (!Number.isFinite(opts.maxAge)) throw new TypeError("Cookie maxAge must be a finite number");
    parts.push(`Max-Age=${Math.floor(opts.maxAge)}`);
  }
  if (opts.expires !== undefined) {
    if (Number.isNaN(opts.expires.getTime())) throw new TypeError("Cookie expires must be a valid date");
    parts.push(`Expires=${opts.expires.toUTCString()}`);
  }
  parts.push(`Path=${path}`);
  if (opts.httpOnly ?? true) parts.push("HttpOnly");
  if (opts.secure) parts.push("Secure");
  parts.push(`SameSite=${opts.sameSite ?? "Lax"}`);
  return parts.join("; ");
}

export function serializeSessionCookie(token: string, opts: { appUrl: string; expires: Date }): string {
  return serializeCookie(sessionCookieName(opts.appUrl), token, {
    expires: opts.expires,
    secure: isHttps(opts.appUrl),
  });
}

/** Deletes the session cookie: same name and attributes, so the browser matches and drops it. */
export function serializeClearSessionCookie(appUrl: string): string {
  return serializeCookie(sessionCookieName(appUrl), "", {
    maxAge: 0,
    expires: new Date(0),
    secure: isHttps(appUrl),
  });
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * Parses a Cookie header. Never throws; the result has no prototype, so a cookie named `__proto__` or `constructor`
 * can't reach Object.prototype. The first cookie of a name wins, as browsers send the most specific one first.
 */
export function parseCookies(header: string | null | undefined): Record<string, string> {
  const cookies: Record<string, string> = Object.create(null);
  if (typeof header !== "string") return cookies;
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq === -1) continue;
    const name = pair.slice(0, eq).trim();
    if (!name || name === "__proto__" || !cookieName.test(name) || name in cookies) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    cookies[name] = decode(value);
  }
  return cookies;
}

/** The raw session token from the request, or null. Over https only the `__Host-` cookie is read. */
export function readSessionToken(cookieHeader: string | null | undefined, appUrl: string): string | null {
  const token = parseCookies(cookieHeader)[sessionCookieName(appUrl)];
  return token ? token : null;
}

// impersonation ------------------------------------------------------------------------------------------------------

/**
 * While an instance admin views the app as a user, the admin's own session token waits in this cookie (same
 * attributes as the session cookie: HttpOnly, SameSite=Lax, `__Host-` on https) so "Stop viewing" can return to it.
 */
export function impersonatorCookieName(appUrl: string): string {
  return isHttps(appUrl) ? "__Host-latchkey_impersonator" : "latchkey_impersonator";
}

export function serializeImpersonatorCookie(token: string, opts: { appUrl: string; expires: Date }): string {
  return serializeCookie(impersonatorCookieName(opts.appUrl), token, { expires: opts.expires, secure: isHttps(opts.appUrl) });
}

export function serializeClearImpersonatorCookie(appUrl: string): string {
  return serializeCookie(impersonatorCookieName(appUrl), "", { maxAge: 0, expires: new Date(0), secure: isHttps(appUrl) });
}

/** The admin's session token kept during an impersonation, or null. Over https only the `__Host-` cookie is read. */
export function readImpersonatorToken(cookieHeader: string | null | undefined, appUrl: string): string | null {
  const token = parseCookies(cookieHeader)[impersonatorCookieName(appUrl)];
  return token ? token : null;
}
