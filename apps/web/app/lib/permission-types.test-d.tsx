/**
 * Compile-time checks, run by `tsc` (`npm run typecheck`), never executed or routed: a misspelled permission fails to
 * compile in `has`, `<Protect>`, `requireAuth`, `getAuth().has` and route rules. Each `@ts-expect-error` fails the
 * typecheck if the line below it ever compiles again.
 */
import { customPermission } from "@latchkey/auth/permissions";
import { Protect, useAuth } from "./auth-client";
import { getAuth, requireAuth } from "./auth.server";
import type { RouteRule } from "./route-rules";

export function PermissionTypeChecks() {
  const { has } = useAuth();
  has({ permission: "org:projects:manage" });
  // @ts-expect-error a misspelled permission in the client's has()
  has({ permission: "org:projects:archvie" });
  has({ permission: customPermission("org:reports:read") });
  return (
    <>
      <Protect permission="org:projects:manage">ok</Protect>
      {/* @ts-expect-error a misspelled permission in <Protect> */}
      <Protect permission="org:project:manage">typo</Protect>
    </>
  );
}

export async function permissionTypeChecksOnTheServer(request: Request): Promise<void> {
  await requireAuth(request, { permission: "org:sys_audit:read" });
  // @ts-expect-error a misspelled permission in requireAuth
  await requireAuth(request, { permission: "org:sys_audit:raed" });
  const auth = await getAuth(request);
  auth.has({ permission: "org:projects:read" });
  // @ts-expect-error a misspelled permission in the loader's has()
  auth.has({ permission: "org:projects:reed" });
  const rules: RouteRule[] = [
    { pattern: "/org/:slug/reports", permission: "org:projects:read" },
    // @ts-expect-error a misspelled permission in a route rule
    { pattern: "/org/:slug/typo", permission: "org:projects:raed" },
  ];
  void rules;
}
