export * from "./schema.ts";
export { createDb, defaultDataDir, type Database, type DbHandle, type CreateDbOptions, type Schema } from "./client.ts";
export type { ListenerHandlers, NotificationListener } from "./listener.ts";
export { migrate, migrationsFolder, syncSystemRoleGrants } from "./migrate.ts";
export { createId, idPrefixes, type IdKind } from "./ids.ts";
export { isUniqueViolation, isDatabaseUnavailable, postgresErrorCode } from "./errors.ts";
export { describeErrorForLog } from "./log.ts";
