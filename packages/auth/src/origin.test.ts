import { describe, expect, it } from "vitest";
import { checkRequestOrigin, isSafeMethod } from "./origin.ts";

const appUrl = "https://auth.example.com";

function request(method: string, headers: Record<string, string> = {}) {
  return { method, headers: new Headers(headers) };
}

const ok = { ok: true };
const crossOrigin = { ok: false, reason: "CROSS_ORIGIN" };
const missingOrigin = { ok: false, reason: "MISSING_ORIGIN" };

describe("isSafeMethod", () => {
  it("GET, HEAD and OPTIONS are safe and every other method is not", () => {
    for (const method of ["GET", "HEAD", "OPTIONS"]) expect(isSafeMethod(method), method).toBe(true);
    for (const method of ["POST", "PUT", "PATCH", "DELETE", "TRACE", "get", "Post", ""]) {
      expect(isSafeMethod(method), method).toBe(false);
    }
  });
});

describe("checkRequestOrigin", () => {
  it("a GET passes without any origin header", () => {
    expect(checkRequestOrigin(request("GET"), { appUrl })).toEqual(ok);
    expect(checkRequestOrigin(request("HEAD", { origin: "https://evil.com" }), { appUrl })).toEqual(ok);
  });

  it("a same-origin POST passes", () => {
    expect(checkRequestOrigin(request("POST", { origin: appUrl }), { appUrl })).toEqual(ok);
    expect(checkRequestOrigin(request("POST", { origin: appUrl }), { appUrl: `${appUrl}/base/path` })).toEqual(ok);
  });

  it("a cross-origin POST is rejected, even with a same-origin Referer", () => {
    expect(checkRequestOrigin(request("POST", { origin: "https://evil.com" }), { appUrl })).toEqual(crossOrigin);
    expect(
      checkRequestOrigin(request("POST", { origin: "https://evil.com", referer: `${appUrl}/sign-in` }), { appUrl }),
    ).toEqual(crossOrigin);
  });

  it("a sibling subdomain is another origin", () => {
    expect(checkRequestOrigin(request("POST", { origin: "https://evil.example.com" }), { appUrl })).toEqual(
      crossOrigin,
    );
    expect(checkRequestOrigin(request("POST", { origin: "https://auth.example.com.evil.com" }), { appUrl })).toEqual(
      crossOrigin,
    );
  });

  it("a POST with neither Origin nor Referer is rejected", () => {
    expect(checkRequestOrigin(request("POST"), { appUrl })).toEqual(missingOrigin);
    expect(checkRequestOrigin(request("DELETE", { origin: "", referer: "" }), { appUrl })).toEqual(missingOrigin);
  });

  it("without Origin, a same-origin Referer passes and a foreign one is rejected", () => {
    expect(checkRequestOrigin(request("POST", { referer: `${appUrl}/settings?tab=1` }), { appUrl })).toEqual(ok);
    expect(checkRequestOrigin(request("POST", { referer: "https://evil.com/page" }), { appUrl })).toEqual(crossOrigin);
    expect(checkRequestOrigin(request("POST", { referer: "not a url" }), { appUrl })).toEqual(crossOrigin);
  });

  it("a null Origin falls back to the Referer and fails closed without one", () => {
    expect(checkRequestOrigin(request("POST", { origin: "null" }), { appUrl })).toEqual(missingOrigin);
    expect(checkRequestOrigin(request("POST", { origin: "null", referer: "https://evil.com/" }), { appUrl })).toEqual(
      crossOrigin,
    );
    expect(checkRequestOrigin(request("POST", { origin: "null", referer: `${appUrl}/a` }), { appUrl })).toEqual(ok);
  });

  it("a trusted origin passes and an untrusted one still fails", () => {
    const trustedOrigins = ["https://app.example.com", "http://localhost:5173/"];
    const check = (origin: string) => checkRequestOrigin(request("POST", { origin }), { appUrl, trustedOrigins });
    expect(check("https://app.example.com")).toEqual(ok);
    expect(check("http://localhost:5173")).toEqual(ok);
    expect(check("https://other.example.com")).toEqual(crossOrigin);
  });

  it("a malformed trusted origin is ignored rather than trusting everything", () => {
    const opts = { appUrl, trustedOrigins: ["*", "null", ""] };
    expect(checkRequestOrigin(request("POST", { origin: "https://evil.com" }), opts)).toEqual(crossOrigin);
    expect(checkRequestOrigin(request("POST", { origin: "null" }), opts)).toEqual(missingOrigin);
  });

  it("a different scheme or port is another origin", () => {
    expect(checkRequestOrigin(request("POST", { origin: "http://auth.example.com" }), { appUrl })).toEqual(
      crossOrigin,
    );
    expect(checkRequestOrigin(request("POST", { origin: "https://auth.example.com:8443" }), { appUrl })).toEqual(
      crossOrigin,
    );
    expect(
      checkRequestOrigin(request("POST", { origin: "http://localhost:3001" }), { appUrl: "http://localhost:3000" }),
    ).toEqual(crossOrigin);
  });

  it("the default port written out is the same origin", () => {
    expect(checkRequestOrigin(request("POST", { origin: "https://auth.example.com:443" }), { appUrl })).toEqual(ok);
  });

  it("Sec-Fetch-Site: cross-site is rejected even when Origin matches", () => {
    expect(
      checkRequestOrigin(request("POST", { origin: appUrl, "sec-fetch-site": "cross-site" }), { appUrl }),
    ).toEqual(crossOrigin);
    expect(
      checkRequestOrigin(request("POST", { origin: appUrl, "sec-fetch-site": "same-origin" }), { appUrl }),
    ).toEqual(ok);
  });

  it("a lowercase method is not treated as safe", () => {
    expect(checkRequestOrigin(request("get", { origin: "https://evil.com" }), { appUrl })).toEqual(crossOrigin);
  });
});
