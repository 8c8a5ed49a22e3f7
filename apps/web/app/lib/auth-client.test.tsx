import { renderToStaticMarkup } from "react-dom/server";
import { beforeEach, describe, expect, test, vi } from "vitest";
import type { HeaderSession } from "./header-session";

let rootData: { session: HeaderSession | null } | undefined;
vi.mock("@remix-run/react", () => ({ useRouteLoaderData: () => rootData }));
const { Protect, SignedIn, SignedOut } = await import("./auth-client");

const member: HeaderSession = {
  user: { id: "user_1", name: "Max", email: "max@example.test", imageUrl: null, initials: "MA" },
  organization: { id: "org_1", slug: "acme", name: "Acme", imageUrl: null },
  orgRoles: ["org:member"],
  orgPermissions: ["org:projects:read", "org:sys_memberships:read"],
  organizations: [{ id: "org_1", slug: "acme", name: "Acme", imageUrl: null }],
  isInstanceAdmin: false,
};

const render = (node: React.ReactNode) => renderToStaticMarkup(<>{node}</>);

describe("client auth components", () => {
  beforeEach(() => {
    rootData = { session: member };
  });

  test("Protect shows its children only to members holding the permission or role", () => {
    expect(render(<Protect permission="org:projects:read">yes</Protect>)).toBe("yes");
    expect(render(<Protect permission="org:projects:manage" fallback="no">yes</Protect>)).toBe("no");
    expect(render(<Protect role="org:member">yes</Protect>)).toBe("yes");
    expect(render(<Protect role="org:admin">yes</Protect>)).toBe("");
  });

  test("Protect fails closed without an organization in scope or without any condition", () => {
    expect(render(<Protect>yes</Protect>)).toBe("");
    rootData = { session: { ...member, organization: null } };
    expect(render(<Protect permission="org:projects:read">yes</Protect>)).toBe("");
    rootData = { session: null };
    expect(render(<Protect permission="org:projects:read">yes</Protect>)).toBe("");
  });

  test("SignedIn and SignedOut follow the session", () => {
    expect(render(<><SignedIn>in</SignedIn><SignedOut>out</SignedOut></>)).toBe("in");
    rootData = { session: null };
    expect(render(<><SignedIn>in</SignedIn><SignedOut>out</SignedOut></>)).toBe("out");
  });
});
