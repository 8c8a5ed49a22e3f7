import { describe, expect, test } from "vitest";
import { afterSwitch } from "./org-switch";

const org = { id: "org_123", slug: "acme" };

describe("where the organization switcher goes after a choice", () => {
  test("the organization's page by default, home for the personal account", () => {
    expect(afterSwitch(org, null)).toBe("/org/acme");
    expect(afterSwitch(org, "")).toBe("/org/acme");
    expect(afterSwitch(null, "/dashboard/:slug")).toBe("/");
  });

  test("afterSelectOrganizationUrl with :slug and :id filled in", () => {
    expect(afterSwitch(org, "/dashboard/:slug/settings")).toBe("/dashboard/acme/settings");
    expect(afterSwitch(org, "/o/:id")).toBe("/o/org_123");
  });

  test("a target on another site falls back to the organization's page", () => {
    expect(afterSwitch(org, "https://evil.example/:slug")).toBe("/org/acme");
    expect(afterSwitch(org, "//evil.example/x")).toBe("/org/acme");
  });
});
