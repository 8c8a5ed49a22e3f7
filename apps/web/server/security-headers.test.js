import { describe, expect, test } from "vitest";
import { contentSecurityPolicy, createNonce, securityHeaders } from "./security-headers.js";

describe("security headers", () => {
  test("the production CSP allows scripts only from the app and with the nonce", () => {
    const csp = contentSecurityPolicy({ nonce: "abc", dev: false });
    expect(csp).toContain("script-src 'self' 'nonce-abc'");
    const scriptSrc = csp.split("; ").find((directive) => directive.startsWith("script-src"));
    expect(scriptSrc).toBe("script-src 'self' 'nonce-abc'");
    expect(csp).not.toContain("unsafe-eval");
    for (const directive of [
      "default-src 'self'",
      "object-src 'none'",
      "base-uri 'self'",
      "frame-ancestors 'none'",
      "form-action 'self'",
      "img-src 'self' data: https:",
      "style-src 'self' 'unsafe-inline'",
    ]) {
      expect(csp).toContain(directive);
    }
  });

  test("the dev CSP lets Vite's HMR client connect and run", () => {
    const csp = contentSecurityPolicy({ nonce: "abc", dev: true });
    expect(csp).toContain("connect-src 'self' ws: wss:");
    expect(csp).toContain("script-src 'self' 'unsafe-inline'");
    expect(csp).toContain("object-src 'none'");
  });

  test("every response gets nosniff, a referrer policy, DENY framing and COOP", () => {
    const headers = securityHeaders({ nonce: "n", dev: false, production: true, appUrl: "http://localhost:3000" });
    expect(headers).toMatchObject({
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "strict-origin-when-cross-origin",
      "X-Frame-Options": "DENY",
      "Cross-Origin-Opener-Policy": "same-origin",
    });
  });

  test("HSTS is sent only in production behind an https APP_URL", () => {
    /** @param {boolean} production @param {string} appUrl */
    const hsts = (production, appUrl) =>
      securityHeaders({ nonce: "n", dev: !production, production, appUrl })["Strict-Transport-Security"];
    expect(hsts(true, "https://auth.example.com")).toMatch(/^max-age=\d+/);
    expect(hsts(true, "http://127.0.0.1:3000")).toBeUndefined();
    expect(hsts(false, "https://auth.example.com")).toBeUndefined();
  });

  test("nonces are random and base64", () => {
    const a = createNonce();
    expect(a).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(createNonce()).not.toBe(a);
  });
});
