/**
 * What an instance admin may do while viewing the app as a user (an impersonation session, `sessions.impersonator_user_id`).
 *
 * The admin is there to SEE what the user sees, so reads stay allowed. Refused (FORBIDDEN, `IMPERSONATION_RESTRICTED`,
 * audited like every denial) are:
 * - every instance-admin procedure (`.meta(policy.instanceAdmin)`), whatever router it is in: an impersonation session
 *   must never carry admin power, even if the user is granted the flag meanwhile;
 * - everything on the explicit list below: credentials and second factors, email addresses and their verification,
 *   sessions, account deletion, connected accounts, joining/leaving/granting access to organizations, irreversible
 *   deletions, organization security settings (SSO, MFA policy, domains).
 *
 * Every other session-bound procedure must appear in `allowedWhileImpersonating`; one on neither list is refused
 * (fail closed), and impersonation-policy.test.ts walks the whole app router and fails, so adding a procedure forces a
 * decision here. Public procedures don't pass through `authed` and are not listed.
 */
import type { AuthzPolicy } from "./trpc.ts";

export const restrictedWhileImpersonating: ReadonlySet<string> = new Set([
  // Proving who you are: reverification, the password, email ownership.
  "auth.reverify",
  "auth.sendReverificationCode",
  "auth.reverificationPasskeyOptions",
  "user.changePassword",
  "emailVerification.send",
  "emailVerification.verify",
  // The account itself: identity fields (username is a sign-in identifier), deletion.
  "user.updateProfile",
  "user.delete",
  // Email addresses.
  "emailAddress.add",
  "emailAddress.verify",
  "emailAddress.setPrimary",
  "emailAddress.remove",
  // Second factors: TOTP (the pending secret too), backup codes, passkeys, phone numbers.
  "mfa.totp.start",
  "mfa.totp.pending",
  "mfa.totp.confirm",
  "mfa.totp.remove",
  "mfa.backupCodes.regenerate",
  "passkey.registrationOptions",
  "passkey.register",
  "passkey.rename",
  "passkey.remove",
  "phone.add",
  "phone.resendCode",
  "phone.verify",
  "phone.remove",
  "phone.setUsedForMfa",
  // Sessions (signing out is allowed: it ends the impersonation, see auth.signOut).
  "session.revoke",
  "session.revokeOthers",
  // Connected accounts.
  "oauth.unlink",
  // Organization membership decisions are the user's consent; granting or removing other people's access too.
  "organization.acceptSuggestion",
  "organization.dismissSuggestion",
  "invitation.accept",
  "invitation.acceptById",
  "invitation.declineById",
  "member.leave",
  "member.setRole",
  "member.remove",
  "invitation.create",
  "invitation.revoke",
  "invitation.resend",
  // Irreversible deletions.
  "organization.delete",
  "project.delete",
  // Organization security: domains (ownership proofs, automatic enrollment), SSO, the MFA policy.
  "domain.add",
  "domain.sendVerification",
  "domain.verify",
  "domain.setEnrollmentMode",
  "domain.remove",
  "oauth.saveSsoConnection",
  "oauth.setSsoEnabled",
  "oauth.removeSsoConnection",
  "mfa.organizationPolicy.set",
]);

/** Session-bound procedures an admin may use while viewing as the user: reads, and ordinary reversible app actions. */
export const allowedWhileImpersonating: ReadonlySet<string> = new Set([
  // Reads: the admin is there to see what the user sees.
  "user.me",
  "user.accountStatus",
  "emailAddress.list",
  "organization.suggestions",
  "organization.pendingInvitations",
  "organization.listMine",
  "organization.getBySlug",
  "project.list",
  "member.list",
  "member.roles",
  "invitation.list",
  "domain.list",
  "session.list",
  "audit.listForOrganization",
  "passkey.list",
  "phone.list",
  "mfa.status",
  "auth.reverificationFactors",
  "mfa.organizationPolicy.get",
  "oauth.connectedAccounts",
  "oauth.ssoConnection",
  // Session JWTs: they carry `act: { sub: <admin> }` (RFC 8693), so a backend can tell and refuse what it must.
  "token.get",
  // Ordinary app actions, reversible and audited with the admin's id: reproducing what the user reports.
  "organization.create",
  "organization.setActive",
  "organization.update",
  "organization.setImage",
  "organization.removeImage",
  "project.create",
  "user.updateUnsafeMetadata",
  // Ending the impersonation.
  "auth.signOut",
  "impersonation.stop",
  "impersonation.status",
]);

/**
 * Whether `authed` refuses this procedure in an impersonation session. Fails closed: a session-bound procedure on
 * neither list is refused too (and the policy test fails until someone decides).
 */
export function isRestrictedWhileImpersonating(path: string, authz: AuthzPolicy | undefined): boolean {
  if (authz?.kind === "instanceAdmin" || restrictedWhileImpersonating.has(path)) return true;
  return !allowedWhileImpersonating.has(path);
}
