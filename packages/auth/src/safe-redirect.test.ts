import { describe, expect, it } from "vitest";
import { getSafeRedirect } from "./safe-redirect.ts";

describe("getSafeRedirect", () => {
  it("a plain path on this site is kept, query and fragment included", () => {
    for (const target of ["/", "/dashboard", "/orgs/acme/members?tab=invites&page=2", "/a/b#section", "/search?q=a%20b"]) {
      expect(getSafeRedirect(target), target).toBe(target);
    }
  });

  it("a missing or empty target gives the fallback", () => {
    expect(getSafeRedirect(null)).toBe("/");
    expect(getSafeRedirect(undefined)).toBe("/");
    expect(getSafeRedirect("")).toBe("/");
    expect(getSafeRedirect(null, "/home")).toBe("/home");
  });

  it("the classic open-redirect payloads all give the fallback", () => {
    const payloads = [
      "//evil.com",
      "///evil.com",
      "/\\evil.com",
      "\\\\evil.com",
      "\\/evil.com",
      "/\\/evil.com",
      "https://evil.com",
      "http://evil.com/path",
      "HTTPS://evil.com",
      "javascript:alert(1)",
      "JaVaScRiPt:alert(1)",
      "data:text/html,<script>alert(1)</script>",
      "evil.com",
      "dashboard",
      "./dashboard",
      "../dashboard",
      "%2F%2Fevil.com",
      "/%2F%2Fevil.com",
      "/%2f%2fevil.com",
      "/%5Cevil.com",
      "/%252F%252Fevil.com",
      "/%09/evil.com",
      "/\t/evil.com",
      "/\n/evil.com",
      " /evil",
      "\t/dashboard",
      "/dash\u0000board",
      "/foo\\bar",
      "/%",
      "/" + "a".repeat(3000),
    ];
    for (const payload of payloads) {
      expect(getSafeRedirect(payload, "/safe"), JSON.stringify(payload)).toBe("/safe");
    }
  });

  it("a value that is not a string gives the fallback", () => {
    expect(getSafeRedirect(["/a"] as unknown as string)).toBe("/");
    expect(getSafeRedirect({ toString: () => "/a" } as unknown as string)).toBe("/");
  });

  it("a colon inside a path or query is not mistaken for a scheme", () => {
    expect(getSafeRedirect("/settings/keys?after=org:admin")).toBe("/settings/keys?after=org:admin");
    expect(getSafeRedirect("/redirect?to=https://evil.com")).toBe("/redirect?to=https://evil.com");
  });
});
