/**
 * Security headers for every response, static files included. Plain JS so server.js can import it in dev and in
 * production alike; the per-request nonce it returns reaches Remix through the load context (`cspNonce`).
 */
import { randomBytes } from "node:crypto";

/** @returns {string} a fresh base64 nonce for one response */
export function createNonce() {
  return randomBytes(16).toString("base64");
}

/**
 * The Content-Security-Policy for one response. In dev, Vite's HMR client needs a websocket and injects inline
 * scripts; browsers ignore 'unsafe-inline' when a nonce is present, so dev uses 'unsafe-inline' alone.
 * @param {{ nonce: string, dev: boolean }} options
 * @returns {string}
 */
export function contentSecurityPolicy({ nonce, dev }) {
  const directives = [
    "default-src 'self'",
    dev ? "script-src 'self' 'unsafe-inline'" : `script-src 'self' 'nonce-${nonce}'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: https:",
    "font-src 'self'",
    dev ? "connect-src 'self' ws: wss:" : "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ];
  return directives.join("; ");
}

/**
 * Every security header for one response.
 * @param {{ nonce: string, dev: boolean, production: boolean, appUrl: string }} options
 * @returns {Record<string, string>}
 */
export function securityHeaders({ nonce, dev, production, appUrl }) {
  /** @type {Record<string, string>} */
  const headers = {
    "Content-Security-Policy": contentSecurityPolicy({ nonce, dev }),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
  };
  // HSTS over plain http is ignored by browsers and would pin localhost in dev; send it only for real https sites.
  if (production && appUrl.startsWith("https://")) {
    headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains";
  }
  return headers;
}

/**
 * Express middleware: sets the headers and leaves the nonce in `res.locals.cspNonce`.
 * @param {{ dev: boolean, production: boolean, appUrl: string }} options
 * @returns {import("express").RequestHandler}
 */
export function securityHeadersMiddleware(options) {
  return (_req, res, next) => {
    const nonce = createNonce();
    res.locals.cspNonce = nonce;
    res.set(securityHeaders({ ...options, nonce }));
    next();
  };
}
