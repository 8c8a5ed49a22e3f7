import { authRouter } from "./router/auth.ts";
import { domainRouter } from "./router/domain.ts";
import { emailAddressRouter } from "./router/email-address.ts";
import { invitationRouter } from "./router/invitation.ts";
import { memberRouter } from "./router/member.ts";
import { organizationRouter } from "./router/organization.ts";
import { passwordResetRouter } from "./router/password-reset.ts";
import { passwordlessRouter } from "./router/passwordless.ts";
import { passkeyRouter } from "./router/passkey.ts";
import { phoneRouter } from "./router/phone.ts";
import { projectRouter } from "./router/project.ts";
import { roleRouter } from "./router/role.ts";
import { emailVerificationRouter, signUpRouter } from "./router/sign-up.ts";
import { userRouter } from "./router/user.ts";
import { sessionRouter } from "./router/session.ts";
import { auditRouter } from "./router/audit.ts";
// webhooks
import { webhookRouter } from "./router/webhook.ts";
// tokens: session JWTs, signing keys, JWT templates
import { jwtTemplateRouter, signingKeyRouter, tokenRouter } from "./router/tokens.ts";
// oauth
import { oauthRouter } from "./router/oauth.ts";
// saml
import { samlRouter } from "./router/saml.ts";
// adminUser
import { adminUserRouter } from "./router/admin-users.ts";
// impersonation
import { impersonationRouter } from "./router/impersonation.ts";
// adminOrganization
import { adminOrganizationRouter } from "./router/admin-organizations.ts";
// adminStats
import { adminStatsRouter } from "./router/admin-stats.ts";
// waitlist
import { waitlistRouter } from "./router/waitlist.ts";
// instanceSettings
import { instanceSettingsRouter } from "./router/instance-settings.ts";
import { createCallerFactory, createTRPCRouter } from "./trpc.ts";
// mfa
import { mfaRouter, signInRouter } from "./router/mfa.ts";

export const appRouter = createTRPCRouter({
  auth: authRouter,
  signUp: signUpRouter,
  emailVerification: emailVerificationRouter,
  passwordReset: passwordResetRouter,
  passwordless: passwordlessRouter,
  user: userRouter,
  emailAddress: emailAddressRouter,
  organization: organizationRouter,
  project: projectRouter,
  member: memberRouter,
  invitation: invitationRouter,
  domain: domainRouter,
  role: roleRouter,
  session: sessionRouter,
  // audit log views (audit helper)
  audit: auditRouter,
  passkey: passkeyRouter,
  phone: phoneRouter,
  // webhooks
  webhook: webhookRouter,
  // tokens
  token: tokenRouter,
  signingKey: signingKeyRouter,
  jwtTemplate: jwtTemplateRouter,
  oauth: oauthRouter,
  saml: samlRouter,
  // mfa
  mfa: mfaRouter,
  signIn: signInRouter,
  // adminUser
  adminUser: adminUserRouter,
  // impersonation
  impersonation: impersonationRouter,
  // adminOrganization
  adminOrganization: adminOrganizationRouter,
  // adminStats
  adminStats: adminStatsRouter,
  // waitlist
  waitlist: waitlistRouter,
  // instanceSettings
  instanceSettings: instanceSettingsRouter,
});

export type AppRouter = typeof appRouter;

/** Server-side calls (Remix loaders and actions, tests): `createCaller(ctx).project.list()`. */
export const createCaller = createCallerFactory(appRouter);
