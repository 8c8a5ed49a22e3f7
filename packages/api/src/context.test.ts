import { describe, expect, it } from "vitest";
import { readOrgSlug } from "./context.ts";

describe("readOrgSlug", () => {
  const at = (path: string, headers: Record<string, string> = {}) => readOrgSlug(new Request(`http://localhost:3000${path}`, { headers }));

  it("reads the slug from organization pages, their data requests and their sub-pages", () => {
    expect(at("/org/acme")).toBe("acme");
    expect(at("/org/acme.data")).toBe("acme");
    expect(at("/org/acme/settings")).toBe("acme");
    expect(at("/org/acme/settings.data?x=1")).toBe("acme");
  });

  it("prefers the header tRPC clients send", () => {
    expect(at("/api/trpc/project.list", { "x-latchkey-org": "globex" })).toBe("globex");
  });

  it("names no organization elsewhere", () => {
    expect(at("/")).toBeNull();
    expect(at("/orgs/new")).toBeNull();
    expect(at("/organization/acme")).toBeNull();
  });
});
