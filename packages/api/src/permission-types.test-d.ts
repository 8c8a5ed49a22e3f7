/**
 * Compile-time checks, run by `tsc` (`npm run typecheck`), never executed: `Permission` is closed, so a misspelled
 * permission fails to compile wherever code names one. Each `@ts-expect-error` fails the typecheck if the line below
 * it ever compiles again. The web app has the same checks for `has`, `<Protect>`, `requireAuth` and route rules.
 */
import { authorize, customPermission, type Permission, type PermissionString } from "@latchkey/auth";
import { orgProcedure } from "./trpc.ts";

export function permissionTypeChecks(granted: readonly string[], fromDatabase: string): void {
  const declared: Permission = "org:projects:manage";
  // @ts-expect-error a misspelled action
  const misspelledAction: Permission = "org:projects:archvie";
  // @ts-expect-error a misspelled feature
  const misspelledFeature: Permission = "org:project:manage";
  // @ts-expect-error a plain string from the database is not a checked permission
  const unchecked: PermissionString = fromDatabase;
  void [declared, misspelledAction, misspelledFeature, unchecked];

  orgProcedure.permission("org:projects:manage");
  // @ts-expect-error a misspelled permission in a procedure declaration
  orgProcedure.permission("org:projects:archvie");
  // @ts-expect-error a misspelled system permission
  orgProcedure.permission("org:sys_membership:read");
  // A run-time permission is named on purpose, through the checked type.
  orgProcedure.permission(customPermission("org:reports:read"));

  authorize(granted, "org:sys_audit:read");
  // @ts-expect-error a misspelled permission in a direct check
  authorize(granted, "org:sys_audit:raed");
  // @ts-expect-error a misspelled permission in a list
  authorize(granted, ["org:projects:read", "org:projects:wirte"]);

  orgProcedure.routine().query(({ ctx }) => {
    ctx.has({ permission: "org:projects:manage" });
    // @ts-expect-error a misspelled permission in a handler's has()
    ctx.has({ permission: "org:projects:mange" });
    return ctx.has({ permission: customPermission("org:reports:read") });
  });
}
