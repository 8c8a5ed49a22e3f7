export { appRouter, createCaller, type AppRouter } from "./root.ts";
export {
  createInnerContext,
  createRequestContext,
  readOrgSlug,
  ORG_HEADER,
  type Context,
  type InnerContextOptions,
  type RequestContextOptions,
} from "./context.ts";
export type { ResolvedAuth, AuthUser, AuthSession, AuthOrganization, AuthMembership, AuthMfa } from "./auth-lookup.ts";
export { ApiError, getFieldErrors, describeFieldErrors } from "./errors.ts";
export { errorReasons, type ErrorReason } from "./error-codes.ts";
export { publicProcedure, authedProcedure, orgProcedure, instanceAdminProcedure, hasPermission, hasRole, requireReverification, policy } from "./trpc.ts";
export { recordAuditEvent } from "./audit.ts";
export { findImage, MAX_IMAGE_BYTES } from "./images.ts";
export { handleTrpcRequest, type TrpcHandlerOptions } from "./http.ts";
export * from "./mail/index.ts";
// Audit log views and export, metadata and the server-side client (audit helper).
export { openAuditExport, auditFiltersFromSearchParams, type AuditExport, type AuditExportScope } from "./audit-export.ts";
export { AUDIT_PAGE_MAX, type AuditEventView, type AuditPage, type AuditFilterInput } from "./audit-log.ts";
export { checkMetadata, findMetadataProblem, mergeMetadata, METADATA_MAX_BYTES, METADATA_MAX_DEPTH, type MetadataObject } from "./metadata.ts";
export {
  createLatchkeyClient,
  type LatchkeyClient,
  type LatchkeyClientOptions,
  type LatchkeyUser,
  type LatchkeyOrganization,
  type UserMetadataParams,
  type OrganizationMetadataParams,
} from "./server-client.ts";
export * from "./sms/index.ts";
export { createPasskeyAuthenticationOptions, verifyPasskeyAuthentication } from "./passkeys.ts";
export { sendSmsSecondFactorCode, checkSmsSecondFactorCode } from "./router/phone.ts";
// webhooks
export { startWebhookWorker, runWorkerOnce, type RunningWorker, type WorkerOptions } from "./webhooks/worker.ts";
export { webhookEventTypes, type WebhookEventType } from "./webhooks/events.ts";
// tokens: session JWTs, JWKS, JWT templates
export { getJwks, listSigningKeys, rotateSigningKey, type PublicJwk, type SigningKeySummary } from "./signing-keys.ts";
export { issueToken } from "./session-token.ts";
export { getSessionClaims, validateSessionClaims, type RegisteredSessionClaims, type SessionClaims } from "./session-claims.ts";
// oauth: the start/callback flow for the web routes and SSO routing by email domain
export {
  startOAuth,
  finishOAuth,
  configuredProviders,
  findSsoConnectionForEmail,
  callbackUrl,
  oauthCookieName,
  type ConfiguredProvider,
  type GenericOidcEnv,
  type OAuthOutcome,
} from "./oauth-flow.ts";
// oauth: a user's provider access token for server code, refreshed when it has expired
export { getProviderToken, type ProviderToken } from "./provider-tokens.ts";
// saml: SP-initiated start, the ACS and our metadata for the web routes
export { startSaml, finishSaml, samlServiceProviderMetadata, samlServiceProviderUrls, MAX_SAML_RESPONSE_CHARS } from "./saml/flow.ts";
// instance settings (helper settings): /sign-in reads which methods to offer; the admin settings page its types
export { getInstanceSettings, type InstanceSettings } from "./instance-settings.ts";
export { startAuthCache, stopAuthCache, getAuthCache, syncAuthCache, type AuthCache, type AuthCacheStatus } from "./auth-cache.ts";
