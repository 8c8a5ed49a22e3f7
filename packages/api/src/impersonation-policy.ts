/**
 * What an instance admin may do while viewing the app as a user (an impersonation session, `sessions.impersonator_user_id`).
 *
 * The admin is there to SEE what the user sees, so reads stay allowed. Each procedure says which it is where it is
 * declared (see trpc.ts, section 3):
 * - `.sensitive()`: refused (FORBIDDEN, `IMPERSONATION_RESTRICTED`, audited like every denial). Credentials and second
 *   factors, email addresses and their verification, sessions, account deletion, connected accounts, joining/leaving/
 *   granting access to organizations, irreversible deletions, organization security settings (SSO, MFA policy, domains).
 * - `.routine()`: allowed. Reads, and ordinary reversible app actions (audited with the admin's id).
 * - every instance-admin procedure is refused, whatever it says: an impersonation session must never carry admin
 *   power, even if the user is granted the flag meanwhile.
 *
 * A session-bound procedure that says neither is refused (fail closed), and impersonation-policy.test.ts walks the
 * whole app router and fails, so adding a procedure forces the decision. Public procedures don't need one.
 */
import type { Meta } from "./trpc.ts";

/** Whether `enforcePolicy` refuses this procedure in an impersonation session. Fails closed when undecided. */
export function isRestrictedWhileImpersonating(meta: Meta | undefined): boolean {
  if (meta?.authz?.kind === "instanceAdmin") return true;
  return meta?.sensitive !== false;
}
