import { describe, expect, it } from "vitest";
import { compileRoutePattern, createRouteMatcher, pagePathOf, publicRoutes } from "./route-rules";

describe("route patterns", () => {
  it("match Clerk-style rests and segments, anchored at both ends", () => {
    const signIn = compileRoutePattern("/sign-in(.*)");
    expect(signIn.test("/sign-in")).toBe(true);
    expect(signIn.test("/sign-in/factor-two")).toBe(true);
    expect(signIn.test("/x/sign-in")).toBe(false);
    const org = compileRoutePattern("/org/:slug(.*)");
    expect(org.test("/org/acme")).toBe(true);
    expect(org.test("/org/acme/settings")).toBe(true);
    expect(org.test("/org/")).toBe(false);
    expect(compileRoutePattern("/health").test("/healthz")).toBe(false);
  });

  it("treat dots in a pattern literally", () => {
    expect(compileRoutePattern("/favicon.svg").test("/faviconXsvg")).toBe(false);
  });

  it("leave everything but the declared public pages protected", () => {
    const isPublic = createRouteMatcher(publicRoutes);
    for (const path of ["/", "/sign-in", "/sign-up", "/health", "/api/trpc/auth.signIn", "/__manifest", "/invitations/accept"]) {
      expect(isPublic(path), path).toBe(true);
    }
    for (const path of ["/orgs/new", "/org/acme", "/user", "/admin", "/sign-inx", "/sign-up-now", "/healthcheck", "/anything", "/invitations", "/invitations/accept/x", "/org/acme/members"]) {
      expect(isPublic(path), path).toBe(false);
    }
  });

  it("count a Remix data request as its page", () => {
    expect(pagePathOf(new URL("http://x/org/acme.data"))).toBe("/org/acme");
    expect(pagePathOf(new URL("http://x/_root.data"))).toBe("/");
    expect(pagePathOf(new URL("http://x/sign-in"))).toBe("/sign-in");
  });
});
