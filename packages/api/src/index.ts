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
