/**
 * The authorization matrix: every procedure of the router, called as every kind of caller, must behave as the policy
 * its builder declares (`orgProcedure.permission(…)`, `authedProcedure`, …). Denied callers get UNAUTHORIZED (no
 * session) or FORBIDDEN; allowed callers get past the chain, and with another tenant's ids reach the handler and find
 * nothing; no call leaks another tenant's data or changes it. A new procedure without an example input below fails
 * `tsc` (the table is typed by procedure path) and this test; a permission no system role is granted fails it too.
 * Run it with `npm run test:authz`.
 */
import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { defaultRolePermissions } from "@latchkey/auth";
import { emailAddresses, passkeys, phoneNumbers, type DbHandle } from "@latchkey/db";
import { useTestDb } from "@latchkey/db/testing";
import { appRouter } from "./root.ts";
import type { AppRouter } from "./root.ts";
import type { AuthzPolicy } from "./trpc.ts";
import { addMember, callerFor, insertSignedInUser, signUp, uniqueEmail } from "../test/helpers.ts";
import { PNG_1X1 } from "../test/images.ts";

const db = useTestDb();

type CallerKind = "anonymous" | "signedInWithoutOrg" | "memberOfAnotherOrg" | "memberWithoutPermission" | "admin";
const callerKinds: CallerKind[] = ["anonymous", "signedInWithoutOrg", "memberOfAnotherOrg", "memberWithoutPermission", "admin"];

interface World {
  target: { id: string; slug: string; name: string; projectId: string; projectName: string };
  other: {
    id: string;
    slug: string;
    name: string;
    projectId: string;
    projectName: string;
    emailAddressId: string;
    membershipId: string;
    invitationId: string;
    domainId: string;
    passkeyId: string;
    phoneId: string;
  };
  tokens: Record<Exclude<CallerKind, "anonymous">, string>;
  /** Every user of the world, whose email addresses no denied or foreign call may change. */
  userIds: string[];
}

/** Two tenants: the target (an admin, a plain member, a project) and another (its admin, its project); and a loner. */
async function buildWorld(handle: DbHandle): Promise<World> {
  const suffix = Math.random().toString(36).slice(2, 8);
  const admin = await insertSignedInUser(handle, uniqueEmail("matrix-admin"));
  const member = await insertSignedInUser(handle, uniqueEmail("matrix-member"));
  const otherAdmin = await insertSignedInUser(handle, uniqueEmail("matrix-other"));
  const loner = await insertSignedInUser(handle, uniqueEmail("matrix-loner"));
  const asAdmin = callerFor(handle, { token: admin.token }).caller;
  const target = await asAdmin.organization.create({ name: `Target ${suffix}`, slug: `target-${suffix}` });
  const targetProject = await callerFor(handle, { token: admin.token, orgSlug: target.slug }).caller.project.create({ name: `Target secret ${suffix}` });
  await addMember(handle, target.id, member.userId, "org:member");
  const other = await callerFor(handle, { token: otherAdmin.token }).caller.organization.create({ name: `Other ${suffix}`, slug: `other-${suffix}` });
  const asOther = callerFor(handle, { token: otherAdmin.token, orgSlug: other.slug }).caller;
  const otherProject = await asOther.project.create({ name: `Other secret ${suffix}` });
  const otherMembers = await asOther.member.list();
  const otherInvitation = await asOther.invitation.create({ emails: [uniqueEmail("matrix-invitee")], roleKey: "org:member" });
  const otherDomain = await asOther.domain.add({ domain: `other-${suffix}.test` });
  // factors: the other tenant's admin has a passkey and a verified phone number.
  const [otherPasskey] = await handle.db
    .insert(passkeys)
    .values({ userId: otherAdmin.userId, credentialId: `matrix-${suffix}`, publicKey: Buffer.from([1, 2, 3]), name: "Other's passkey" })
    .returning({ id: passkeys.id });
  const [otherPhone] = await handle.db
    .insert(phoneNumbers)
    .values({ userId: otherAdmin.userId, phone: `+4860${Math.floor(1e6 + Math.random() * 8e6)}`, verifiedAt: new Date() })
    .returning({ id: phoneNumbers.id });
  const [otherEmail] = await handle.db.select({ id: emailAddresses.id }).from(emailAddresses).where(eq(emailAddresses.userId, otherAdmin.userId));
  return {
    target: { ...target, projectId: targetProject.id, projectName: targetProject.name },
    other: {
      ...other,
      projectId: otherProject.id,
      projectName: otherProject.name,
      emailAddressId: otherEmail!.id,
      membershipId: otherMembers.members[0]!.id,
      invitationId: otherInvitation.invited[0]!.id,
      domainId: otherDomain.id,
      passkeyId: otherPasskey!.id,
      phoneId: otherPhone!.id,
    },
    tokens: { signedInWithoutOrg: loner.token, memberOfAnotherOrg: otherAdmin.token, memberWithoutPermission: member.token, admin: admin.token },
    userIds: [admin.userId, member.userId, otherAdmin.userId, loner.userId],
  };
}

interface Example {
  input: (w: World) => unknown;
  /** The input names another tenant's resource: allowed callers must find nothing there. */
  foreign?: boolean;
}

/** Well-formed WebAuthn answers that verify against nothing. */
const matrixRegistration = {
  id: "AAAA",
  rawId: "AAAA",
  type: "public-key",
  response: { clientDataJSON: "e30", attestationObject: "oA" },
  clientExtensionResults: {},
};
const matrixAssertion = {
  id: "AAAA",
  rawId: "AAAA",
  type: "public-key",
  response: { clientDataJSON: "e30", authenticatorData: "AAAA", signature: "AAAA" },
  clientExtensionResults: {},
};

/** Dotted paths of every procedure of a router record (`mfa.totp.start`), from the router's types. */
type ProcedurePaths<T, Prefix extends string = ""> = {
  [K in keyof T & string]: T[K] extends { _def: { procedure: true } } ? `${Prefix}${K}` : ProcedurePaths<T[K], `${Prefix}${K}.`>;
}[keyof T & string];
type ProcedurePath = ProcedurePaths<AppRouter["_def"]["record"]>;

/** A valid input for each procedure, with another tenant's ids where the procedure takes ids. A missing one fails tsc. */
const examples: Record<ProcedurePath, Example> = {
  "auth.signUp": { input: () => ({ email: uniqueEmail("matrix-new"), password: "correct horse battery staple" }) },
  "auth.signIn": { input: () => ({ email: uniqueEmail("matrix-nobody"), password: "correct horse battery staple" }) },
  "auth.signOut": { input: () => undefined },
  "auth.session": { input: () => undefined },
  "auth.reverify": { input: () => ({ password: "not the password, but past the chain" }) },
  "auth.reverificationFactors": { input: () => undefined },
  "auth.botChallenge": { input: () => undefined },
  "auth.sendReverificationCode": { input: () => ({ channel: "sms" }) },
  "auth.reverificationPasskeyOptions": { input: () => undefined },
  "signUp.get": { input: () => ({ signUpId: "sua_aaaaaaaaaaaaaaaaaaaaaaaa" }) },
  "signUp.verify": { input: () => ({ signUpId: "sua_aaaaaaaaaaaaaaaaaaaaaaaa", code: "123456" }) },
  "signUp.confirmLink": { input: () => ({ token: "ver_not.a-real-token" }) },
  "signUp.resend": { input: () => ({ signUpId: "sua_aaaaaaaaaaaaaaaaaaaaaaaa" }) },
  "emailVerification.send": { input: () => undefined },
  "emailVerification.verify": { input: () => ({ code: "123456" }) },
  "emailVerification.confirmLink": { input: () => ({ token: "ver_not.a-real-token" }) },
  "passwordReset.request": { input: () => ({ email: uniqueEmail("matrix-reset") }) },
  "passwordReset.confirm": { input: () => ({ token: "ver_not.a-real-token", password: "correct horse battery staple" }) },
  "passwordless.requestCode": { input: () => ({ email: uniqueEmail("matrix-code") }) },
  "passwordless.verifyCode": { input: () => ({ email: uniqueEmail("matrix-code"), code: "123456" }) },
  "passwordless.requestLink": { input: () => ({ email: uniqueEmail("matrix-link"), redirectUrl: "/org/somewhere" }) },
  "passwordless.confirmLink": { input: () => ({ token: "ver_not.a-real-token" }) },
  "user.me": { input: () => undefined },
  "user.updateProfile": { input: () => ({ firstName: "Changed" }) },
  "emailAddress.list": { input: () => undefined },
  "emailAddress.add": { input: () => ({ email: uniqueEmail("matrix-add") }) },
  "emailAddress.verify": { input: () => ({ email: uniqueEmail("matrix-add"), code: "123456" }) },
  // The other tenant's admin's primary address: for anyone else it must not exist.
  "emailAddress.setPrimary": { input: (w) => ({ emailAddressId: w.other.emailAddressId }), foreign: true },
  "emailAddress.remove": { input: (w) => ({ emailAddressId: w.other.emailAddressId }), foreign: true },
  "organization.create": { input: () => ({ name: "Created by matrix" }) },
  "organization.listMine": { input: () => undefined },
  "organization.setActive": { input: (w) => ({ organizationId: w.other.id }), foreign: true },
  "organization.getBySlug": { input: (w) => ({ slug: w.other.slug }), foreign: true },
  // The organization in scope is the target named by the URL; the other tenant's name can't reach it.
  "organization.update": { input: () => ({ name: "Renamed by matrix" }) },
  "organization.delete": { input: (w) => ({ confirmation: w.target.name }) },
  "organization.setImage": { input: () => ({ image: PNG_1X1 }) },
  "organization.removeImage": { input: () => undefined },
  "project.list": { input: () => undefined },
  "project.create": { input: () => ({ name: "Created by matrix" }) },
  "project.delete": { input: (w) => ({ projectId: w.other.projectId }), foreign: true },
  "member.list": { input: () => ({ query: "matrix" }) },
  "member.roles": { input: () => undefined },
  "member.setRole": { input: (w) => ({ membershipId: w.other.membershipId, roleKey: "org:member" }), foreign: true },
  "member.remove": { input: (w) => ({ membershipId: w.other.membershipId }), foreign: true },
  "member.leave": { input: () => undefined },
  "invitation.create": { input: () => ({ emails: [uniqueEmail("matrix-invite")], roleKey: "org:member" }) },
  "invitation.list": { input: () => undefined },
  "invitation.revoke": { input: (w) => ({ invitationId: w.other.invitationId }), foreign: true },
  "invitation.resend": { input: (w) => ({ invitationId: w.other.invitationId }), foreign: true },
  "invitation.get": { input: () => ({ token: `inv_${"a".repeat(24)}.${"a".repeat(39)}` }) },
  "invitation.accept": { input: () => ({ token: `inv_${"a".repeat(24)}.${"a".repeat(39)}` }) },
  "invitation.decline": { input: () => ({ token: `inv_${"a".repeat(24)}.${"a".repeat(39)}` }) },
  "invitation.acceptById": { input: (w) => ({ invitationId: w.other.invitationId }), foreign: true },
  "invitation.declineById": { input: (w) => ({ invitationId: w.other.invitationId }), foreign: true },
  "organization.suggestions": { input: () => undefined },
  "organization.acceptSuggestion": { input: (w) => ({ organizationId: w.other.id }), foreign: true },
  "organization.dismissSuggestion": { input: (w) => ({ organizationId: w.other.id }), foreign: true },
  "organization.pendingInvitations": { input: () => undefined },
  "domain.list": { input: () => undefined },
  "domain.add": { input: () => ({ domain: `matrix-${Math.random().toString(36).slice(2, 8)}.test` }) },
  "domain.sendVerification": { input: (w) => ({ domainId: w.other.domainId, email: "someone@example.test" }), foreign: true },
  "domain.verify": { input: (w) => ({ domainId: w.other.domainId, code: "123456" }), foreign: true },
  "domain.setEnrollmentMode": { input: (w) => ({ domainId: w.other.domainId, mode: "automatic_suggestion" }), foreign: true },
  "domain.remove": { input: (w) => ({ domainId: w.other.domainId }), foreign: true },
  // Nobody in the matrix world is an instance admin: every caller is refused (role.test.ts covers the admin).
  "role.create": { input: () => ({ key: "org:matrix_role", name: "Matrix", permissions: ["org:projects:read"] }) },
  "role.update": { input: () => ({ key: "org:matrix_role", permissions: [] }) },
  "role.delete": { input: () => ({ key: "org:matrix_role" }) },
  "role.permissions": { input: () => undefined },
  "role.createPermission": { input: () => ({ key: "org:matrix:read", name: "Matrix" }) },
  "role.deletePermission": { input: () => ({ key: "org:matrix:read" }) },
  // devices: sessions, change password, delete account
  "session.list": { input: () => undefined },
  // The other tenant's admin's own session: anyone else must find nothing there.
  "session.revoke": { input: (w) => ({ sessionId: w.tokens.memberOfAnotherOrg.split(".")[0] }), foreign: true },
  "session.revokeOthers": { input: () => undefined },
  "user.changePassword": { input: () => ({ currentPassword: "not the password, but past the chain", newPassword: "another long passphrase" }) },
  "user.accountStatus": { input: () => undefined },
  "user.delete": { input: () => undefined },
  // audit log and metadata (audit helper)
  "audit.listForOrganization": { input: () => ({ action: "organization." }) },
  "audit.listForInstance": { input: () => ({}) },
  "user.updateUnsafeMetadata": { input: () => ({ unsafeMetadata: { theme: "dark" } }) },
  // factors: passkeys and phone numbers
  "passkey.list": { input: () => undefined },
  "passkey.registrationOptions": { input: () => undefined },
  "passkey.register": { input: () => ({ challengeId: "wac_aaaaaaaaaaaaaaaaaaaaaaaa", response: matrixRegistration }) },
  "passkey.rename": { input: (w) => ({ passkeyId: w.other.passkeyId, name: "Mine now" }), foreign: true },
  "passkey.remove": { input: (w) => ({ passkeyId: w.other.passkeyId }), foreign: true },
  "passkey.authenticationOptions": { input: () => undefined },
  "passkey.signIn": { input: () => ({ challengeId: "wac_aaaaaaaaaaaaaaaaaaaaaaaa", response: matrixAssertion }) },
  "phone.list": { input: () => undefined },
  "phone.add": { input: () => ({ phone: `+4869${Math.floor(1e6 + Math.random() * 8e6)}` }) },
  "phone.resendCode": { input: (w) => ({ phoneNumberId: w.other.phoneId }), foreign: true },
  "phone.verify": { input: (w) => ({ phoneNumberId: w.other.phoneId, code: "123456" }), foreign: true },
  "phone.remove": { input: (w) => ({ phoneNumberId: w.other.phoneId }), foreign: true },
  "phone.setUsedForMfa": { input: (w) => ({ phoneNumberId: w.other.phoneId, usedForMfa: true }), foreign: true },
  // webhooks: instance administrators only (webhook.test.ts covers the admin).
  "webhook.list": { input: () => undefined },
  "webhook.get": { input: () => ({ endpointId: "ep_matrix" }) },
  "webhook.create": { input: () => ({ url: "https://hooks.example.com/latchkey", eventTypes: ["user.created"] }) },
  "webhook.update": { input: () => ({ endpointId: "ep_matrix", enabled: false }) },
  "webhook.delete": { input: () => ({ endpointId: "ep_matrix" }) },
  "webhook.rotateSecret": { input: () => ({ endpointId: "ep_matrix" }) },
  "webhook.deliveries": { input: () => ({ endpointId: "ep_matrix" }) },
  "webhook.delivery": { input: () => ({ deliveryId: "msg_matrix" }) },
  "webhook.replay": { input: () => ({ deliveryId: "msg_matrix" }) },
  "webhook.sendTest": { input: () => ({ endpointId: "ep_matrix" }) },
  // tokens: any signed-in caller gets a token (org claims only for a member); templates and keys are instance-wide.
  "token.get": { input: () => undefined },
  "signingKey.list": { input: () => undefined },
  "signingKey.rotate": { input: () => ({ alg: "EdDSA" }) },
  "jwtTemplate.list": { input: () => undefined },
  "jwtTemplate.get": { input: () => ({ name: "matrix" }) },
  "jwtTemplate.create": { input: () => ({ name: "matrix", claims: { aud: "matrix" } }) },
  "jwtTemplate.update": { input: () => ({ name: "matrix", lifetimeSeconds: 120 }) },
  "jwtTemplate.delete": { input: () => ({ name: "matrix" }) },
  "jwtTemplate.preview": { input: () => ({ name: "matrix" }) },
  // oauth
  "oauth.connectedAccounts": { input: () => undefined },
  "oauth.unlink": { input: () => ({ id: `eac_${"a".repeat(24)}` }) },
  "oauth.ssoConnection": { input: () => undefined },
  // An issuer that can't resolve: allowed callers get past the chain and are refused by discovery.
  "oauth.saveSsoConnection": { input: () => ({ issuer: "https://idp.invalid", clientId: "matrix", clientSecret: "matrix-secret" }) },
  "oauth.setSsoEnabled": { input: () => ({ enabled: false }) },
  "oauth.removeSsoConnection": { input: () => undefined },
  // saml: metadata XML that is not an IdP's: allowed callers get past the chain and are refused by the metadata check.
  "saml.connection": { input: () => undefined },
  "saml.save": { input: () => ({ metadataXml: "<EntityDescriptor entityID='matrix'/>" }) },
  "saml.setEnabled": { input: () => ({ enabled: false }) },
  "saml.remove": { input: () => undefined },
  // mfa
  "mfa.status": { input: () => undefined },
  "mfa.totp.start": { input: () => undefined },
  "mfa.totp.pending": { input: () => undefined },
  "mfa.totp.confirm": { input: () => ({ code: "123456" }) },
  "mfa.totp.remove": { input: () => undefined },
  "mfa.backupCodes.regenerate": { input: () => undefined },
  "mfa.organizationPolicy.get": { input: () => undefined },
  "mfa.organizationPolicy.set": { input: () => ({ requireMfa: false }) },
  "signIn.challenge": { input: () => undefined },
  "signIn.secondFactor": { input: () => ({ strategy: "totp", code: "123456" }) },
  "signIn.passkeyOptions": { input: () => undefined },
  "signIn.sendSmsCode": { input: () => undefined },
  // users (helper users): instance administrators only (admin-users.test.ts covers the admin).
  "adminUser.list": { input: () => ({ query: "matrix", filter: "banned", sort: "newest" }) },
  "adminUser.get": { input: (w) => ({ userId: w.userIds[0]! }) },
  "adminUser.create": { input: () => ({ email: "matrix-created@example.test", password: "matrix passphrase long" }) },
  "adminUser.ban": { input: (w) => ({ userId: w.userIds[0]! }) },
  "adminUser.unban": { input: (w) => ({ userId: w.userIds[0]! }) },
  "adminUser.lock": { input: (w) => ({ userId: w.userIds[0]!, minutes: 5 }) },
  "adminUser.unlock": { input: (w) => ({ userId: w.userIds[0]! }) },
  "adminUser.revokeSession": { input: (w) => ({ userId: w.userIds[0]!, sessionId: "sess_matrix" }) },
  "adminUser.revokeAllSessions": { input: (w) => ({ userId: w.userIds[0]! }) },
  "adminUser.updateMetadata": { input: (w) => ({ userId: w.userIds[0]!, publicMetadata: { matrix: true } }) },
  "adminUser.delete": { input: (w) => ({ userId: w.userIds[0]! }) },
  "adminUser.export": { input: (w) => ({ userId: w.userIds[0]! }) },
  // charts
  "adminStats.overview": { input: () => ({ days: 30 }) },
  // orgs: admin console organizations and roles; instance administrators only (admin-organizations.test.ts and
  // role.test.ts cover the admin).
  "adminOrganization.list": { input: () => ({ query: "matrix" }) },
  "adminOrganization.get": { input: () => ({ organizationId: "org_matrix" }) },
  "adminOrganization.setMembershipLimit": { input: () => ({ organizationId: "org_matrix", maxMemberships: 1 }) },
  "adminOrganization.delete": { input: () => ({ organizationId: "org_matrix", confirmation: "matrix" }) },
  "role.list": { input: () => undefined },
  // settings: instance administrators only (instance-settings.test.ts covers the admin).
  "instanceSettings.get": { input: () => undefined },
  "instanceSettings.update": { input: () => ({ requireMfa: true }) },
  // impersonation
  // Instance admins only (impersonation.test.ts covers the admin); anyone signed in may ask or stop (a no-op outside one).
  "impersonation.target": { input: (w) => ({ userId: w.userIds[1] }) },
  "impersonation.start": { input: (w) => ({ userId: w.userIds[1], reason: "Matrix support ticket" }) },
  "impersonation.stop": { input: () => undefined },
  "impersonation.status": { input: () => undefined },
  // signup: joining the waitlist is public (refused with WAITLIST_CLOSED unless the mode is waitlist); the rest is for
  // instance administrators only (waitlist.test.ts covers the admin).
  "waitlist.signUpOptions": { input: () => ({ invitation: "lkinv_matrix" }) },
  "waitlist.join": { input: () => ({ email: uniqueEmail("matrix-waitlist") }) },
  "waitlist.list": { input: () => ({ status: "pending" }) },
  "waitlist.approve": { input: () => ({ entryId: "wle_matrix" }) },
  "waitlist.reject": { input: () => ({ entryId: "wle_matrix" }) },
  "waitlist.invite": { input: () => ({ email: uniqueEmail("matrix-invited") }) },
  "waitlist.listInvitations": { input: () => undefined },
  "waitlist.revokeInvitation": { input: () => ({ invitationId: "iinv_matrix" }) },
};

function isAllowed(policy: AuthzPolicy, caller: CallerKind): boolean {
  switch (policy.kind) {
    case "public":
      return true;
    case "authed":
      return caller !== "anonymous";
    case "member":
      return caller === "admin" || caller === "memberWithoutPermission";
    case "permission":
      if (caller === "admin") return defaultRolePermissions["org:admin"].includes(policy.permission as never);
      if (caller === "memberWithoutPermission") return defaultRolePermissions["org:member"].includes(policy.permission as never);
      return false;
    case "role":
      return (caller === "admin" && policy.role === "org:admin") || (caller === "memberWithoutPermission" && policy.role === "org:member");
    case "instanceAdmin":
      return false;
  }
}

/** What belongs to the two tenants; it must be the same after any call that is denied or aimed at the other tenant. */
async function snapshot(handle: DbHandle, w: World): Promise<string> {
  const ids = `'${w.target.id}', '${w.other.id}'`;
  const orgs = await handle.query(`select id, name, slug, image_url, updated_at from organizations where id in (${ids}) order by id`);
  const members = await handle.query(`select id, organization_id, user_id, role_keys, permissions from memberships where organization_id in (${ids}) order by id`);
  const projects = await handle.query(`select id, organization_id, name from projects where organization_id in (${ids}) order by id`);
  const users = w.userIds.map((id) => `'${id}'`).join(", ");
  const emails = await handle.query(`select id, user_id, email, is_primary, verified_at from email_addresses where user_id in (${users}) order by id`);
  const invitations = await handle.query(
    `select id, organization_id, email, role_id, token_hash, status, expires_at from invitations where organization_id in (${ids}) order by id`,
  );
  const domains = await handle.query(
    `select id, organization_id, domain, enrollment_mode, verification_email, verified_at from organization_domains where organization_id in (${ids}) order by id`,
  );
  const suggestions = await handle.query(`select organization_id, user_id, status from organization_suggestions where organization_id in (${ids}) order by user_id`);
  const images = await handle.query(`select id, owner_type, owner_id, size from images where owner_id in (${ids}) order by id`);
  // Instance-wide definitions: only an instance admin may change them.
  const roles = await handle.query(`select key, name, permissions from roles order by key`);
  const customPermissions = await handle.query(`select key, name from custom_permissions order by key`);
  const passkeyRows = await handle.query(`select id, user_id, name, counter from passkeys where user_id in (${users}) order by id`);
  const phoneRows = await handle.query(`select id, user_id, phone, verified_at, used_for_mfa from phone_numbers where user_id in (${users}) order by id`);
  // tokens: templates and signing keys are instance-wide too.
  const jwtTemplates = await handle.query(`select name, claims, lifetime_seconds from jwt_templates order by name`);
  const signingKeys = await handle.query(`select id, retired_at, published_until from signing_keys order by id`);
  return JSON.stringify({ orgs, members, projects, emails, invitations, domains, suggestions, images, roles, customPermissions, passkeyRows, phoneRows, jwtTemplates, signingKeys });
}

/** How many refusals the middleware chain has audited (`authorization.denied`); handlers' refusals aren't counted. */
async function chainDenials(handle: DbHandle): Promise<number> {
  const [row] = await handle.query<{ n: number }>(`select count(*)::int as n from audit_events where action = 'authorization.denied'`);
  return Number(row!.n);
}

async function call(handle: DbHandle, w: World, path: string, caller: CallerKind, input: unknown) {
  const token = caller === "anonymous" ? null : w.tokens[caller];
  // Every caller names the target organization in the URL, except the one without any organization.
  const orgSlug = caller === "signedInWithoutOrg" ? null : w.target.slug;
  const api = callerFor(handle, { token, orgSlug }).caller as unknown as Record<string, unknown>;
  // Nested routers (`mfa.totp.start`) are walked segment by segment.
  const procedure = path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], api) as (i: unknown) => Promise<unknown>;
  try {
    return { ok: true as const, value: await procedure(input) };
  } catch (error) {
    const e = error as { code?: string; message?: string; reason?: string };
    return { ok: false as const, code: e.code ?? "UNKNOWN", reason: e.reason ?? "", message: e.message ?? "" };
  }
}

/** The reasons the middleware chain gives when it refuses a caller (as opposed to a handler refusing the input). */
const chainRefusals = ["SESSION_REQUIRED", "ORGANIZATION_REQUIRED", "NOT_A_MEMBER", "PERMISSION_DENIED", "ROLE_REQUIRED", "INSTANCE_ADMIN_REQUIRED"];
/** Refusals of the chain that none of the matrix's callers should meet (no impersonation, no MFA policy). */
const unexpectedRefusals = [...chainRefusals, "IMPERSONATION_RESTRICTED", "MFA_REQUIRED"];

const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: string; meta?: { authz?: AuthzPolicy } } }>);

/**
 * Queries don't change the world, so they share one (built on first use); every mutation gets a fresh one, since an
 * allowed call may delete, revoke or rename what the next test relies on.
 */
let sharedWorld: Promise<World> | undefined;
function worldFor(handle: DbHandle, type: string): Promise<World> {
  if (type !== "query") return buildWorld(handle);
  sharedWorld ??= buildWorld(handle);
  return sharedWorld;
}

describe("the authorization matrix", () => {
  it("covers every procedure with a declared policy and an example input", () => {
    const missingPolicy = procedures.filter(([, p]) => !p._def.meta?.authz).map(([path]) => path);
    const missingExample = procedures.filter(([path]) => !(path in examples)).map(([path]) => path);
    expect(missingPolicy, "procedures without a declared policy").toEqual([]);
    expect(missingExample, "procedures without an example in authorization-matrix.test.ts").toEqual([]);
  });

  it("has every permission a procedure requires granted to a system role, so someone can call it", () => {
    const granted = new Set<string>(Object.values(defaultRolePermissions).flat());
    const ungranted = procedures.flatMap(([path, p]) => {
      const authz = p._def.meta?.authz;
      return authz?.kind === "permission" && !granted.has(authz.permission) ? [`${path} (${authz.permission})`] : [];
    });
    expect(ungranted, "procedures whose permission no role in defaultRolePermissions (permissions.ts) holds").toEqual([]);
  });

  it("lets an instance administrator past the instanceAdmin policy, with or without an organization", async () => {
    const handle = db();
    const root = await signUp(handle, uniqueEmail("matrix-root"));
    await handle.query(`update users set is_instance_admin = true where id = '${root.userId}'`);
    const instanceProcedures = procedures.filter(([, p]) => p._def.meta?.authz?.kind === "instanceAdmin");
    expect(instanceProcedures.length).toBeGreaterThan(0);
    const api = callerFor(handle, { token: root.token }).caller;
    const listed = await api.role.permissions();
    expect(listed.system).toContain("org:sys_profile:manage");
  });

  for (const [path, procedure] of procedures) {
    const declared = procedure._def.meta?.authz;
    if (!declared || !(path in examples)) continue;
    it(`${path} (${declared.kind === "permission" ? declared.permission : declared.kind}) behaves as declared for every caller`, async () => {
      const handle = db();
      const world = await worldFor(handle, procedure._def.type);
      const example = examples[path as ProcedurePath];
      for (const caller of callerKinds) {
        const before = await snapshot(handle, world);
        const denialsBefore = await chainDenials(handle);
        // `foreign` ids belong to "other", which is the memberOfAnotherOrg caller's own tenant: for that caller the
        // foreign checks do not apply, and the target is the tenant it must not see.
        const result = await call(handle, world, path, caller, example.input(world));
        const where = `${path} as ${caller}`;
        const allowed = isAllowed(declared, caller);
        const text = JSON.stringify(result);
        if (!allowed) {
          expect(result.ok, `${where} must be refused`).toBe(false);
          if (!result.ok) {
            expect(result.code, where).toBe(caller === "anonymous" ? "UNAUTHORIZED" : "FORBIDDEN");
            expect(chainRefusals, where).toContain(result.reason);
          }
          expect(await snapshot(handle, world), `${where} changed tenant data`).toBe(before);
          expect(text, `${where} leaked the target's data`).not.toContain(world.target.projectName);
        } else if (example.foreign && caller !== "memberOfAnotherOrg") {
          // Another tenant's id must find nothing: a success here would be a leak or a cross-tenant write. The refusal
          // must come from the handler (NOT_FOUND …), not the chain, which audits every refusal: a chain refusal would
          // mean this caller can't call the procedure at all (a missing grant), and the tenant check would go untested.
          expect(result.ok, `${where} must not reach the other tenant`).toBe(false);
          if (!result.ok) {
            expect(await chainDenials(handle), `${where} must reach the handler, got ${result.code} ${result.reason}: ${result.message}`).toBe(denialsBefore);
            expect(["NOT_FOUND", "FORBIDDEN"], where).toContain(result.code);
          }
          expect(await snapshot(handle, world), `${where} changed the other tenant's data`).toBe(before);
        } else if (!result.ok) {
          // Allowed past the chain: the handler may still refuse the example input (wrong password, …).
          expect(unexpectedRefusals, `${where} must be allowed, got ${result.code}: ${result.message}`).not.toContain(result.reason);
        }
        // Whatever happened, a tenant's data shows up only for its own members.
        if (caller !== "memberOfAnotherOrg") {
          expect(text, `${where} leaked the other tenant's data`).not.toContain(world.other.projectName);
          expect(text, `${where} leaked the other tenant's name`).not.toContain(world.other.name);
        }
        if (caller === "anonymous" || caller === "signedInWithoutOrg" || caller === "memberOfAnotherOrg") {
          expect(text, `${where} leaked the target's name`).not.toContain(world.target.name);
        }
      }
    });
  }
});
