/**
 * Permissions this app checks that exist only at run time: an instance admin creates them in the admin console
 * (`/admin/roles`) and puts them in roles. They aren't declared in `appPermissions`, so each is named once here through
 * `customPermission` (ADR 022); a permission the code depends on is better declared in code, where a typo fails `tsc`.
 */
import { customPermission } from "@latchkey/auth/permissions";

/** The reports page (`/org/:slug/reports`): shown to members whose role holds `org:reports:read`. */
export const reportsRead = customPermission("org:reports:read");
