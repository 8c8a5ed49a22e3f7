/**
 * Resolves who is calling — session, user, the organization in scope, the membership and its permissions — in ONE
 * SQL statement. The middleware chain `authed → orgMember → hasPermission` reads only this result, so a protected
 * request costs a single round trip (plus a write at most once an hour to slide the idle expiry).
 */
import { and, eq, sql } from "drizzle-orm";
import {
  emailAddresses,
  isDatabaseUnavailable,
  memberships,
  organizations,
  sessions,
  users,
  type Database,
} from "@latchkey/db";
import { preparedStatement } from "./prepared.ts";
import { getAuthCache } from "./auth-cache.ts";
import { parseInstanceSettings, sessionPolicyFromSettings, type InstanceSettings } from "./instance-settings.ts";
import {
  getExtendedIdleExpiry,
  getSessionState,
  invalidateSession,
  parseSessionToken,
  touchSession,
  verifySessionSecret,
  type SessionPolicy,
} from "@latchkey/auth";

export interface AuthSession {
  id: string;
  createdAt: Date;
  lastActiveAt: Date;
  idleExpiresAt: Date;
  expiresAt: Date;
  activeOrganizationId: string | null;
  lastReverifiedAt: Date | null;
  /** An impersonation session: the instance admin viewing as this user. Sensitive actions are refused. */
  impersonatorUserId: string | null;
}

export interface AuthUser {
  id: string;
  firstName: string | null;
  lastName: string | null;
  username: string | null;
  imageUrl: string | null;
  locale: string | null;
  isInstanceAdmin: boolean;
  primaryEmail: string | null;
}

export interface AuthOrganization {
  id: string;
  slug: string;
  name: string;
  imageUrl: string | null;
}

export interface AuthMembership {
  id: string;
  roles: string[];
  permissions: string[];
}

/** Second factors and the MFA policies that apply to this request, read by the same single query. */
export interface AuthMfa {
  /** A verified TOTP, a passkey or a verified MFA phone number (backup codes alone don't count). */
  hasSecondFactor: boolean;
  /** The instance setting `requireMfa`. */
  instanceRequired: boolean;
  /** The organization in scope requires MFA of its members (`organizations.require_mfa`). */
  organizationRequired: boolean;
  /** A policy applies and the user has no second factor: only setting one up is allowed. */
  setupRequired: boolean;
}

export interface ResolvedAuth {
  session: AuthSession;
  /** The instance settings as this request read them (same query): effective at once, no restart. */
  settings: InstanceSettings;
  mfa: AuthMfa;
  user: AuthUser;
  /** The organization in scope: the one named by the URL when given, else the session's active one; null when the caller is not a member. */
  organization: AuthOrganization | null;
  membership: AuthMembership | null;
  /** True when the request named an organization explicitly (URL or header), even one that does not exist. */
  explicitOrganization: boolean;
}

export type AuthLookupOutcome =
  | { status: "signed_in"; auth: ResolvedAuth }
  | { status: "signed_out"; reason: "no_token" | "malformed" | "unknown" | "bad_secret" | "expired" | "banned" };

export interface LookupOptions {
  token: string | null;
  orgSlug: string | null;
  now: Date;
  /** Overrides the session lifetimes from the instance settings (tests). */
  policy?: SessionPolicy;
}

function buildLookup(db: Database, orgFromSlug: boolean) {
  return buildLookupQuery(db, orgFromSlug).prepare(orgFromSlug ? "latchkey_auth_lookup_by_slug" : "latchkey_auth_lookup_active_org");
}

/** The lookup's SQL text, both variants: the invalidation test reads which columns it touches. */
export function authLookupSql(db: Database): string[] {
  return [buildLookupQuery(db, true).toSQL().sql, buildLookupQuery(db, false).toSQL().sql];
}

function buildLookupQuery(db: Database, orgFromSlug: boolean) {
  const orgCondition = orgFromSlug
    ? eq(organizations.slug, sql.placeholder("orgSlug"))
    : eq(organizations.id, sessions.activeOrganizationId);
  return db
    .select({
      sessionId: sessions.id,
      secretHash: sessions.secretHash,
      createdAt: sessions.createdAt,
      lastActiveAt: sessions.lastActiveAt,
      idleExpiresAt: sessions.idleExpiresAt,
      expiresAt: sessions.expiresAt,
      activeOrganizationId: sessions.activeOrganizationId,
      lastReverifiedAt: sessions.lastReverifiedAt,
      impersonatorUserId: sessions.impersonatorUserId,
      userId: users.id,
      firstName: users.firstName,
      lastName: users.lastName,
      username: users.username,
      imageUrl: users.imageUrl,
      locale: users.locale,
      isInstanceAdmin: users.isInstanceAdmin,
      bannedAt: users.bannedAt,
      deletedAt: users.deletedAt,
      primaryEmail: emailAddresses.email,
      orgId: organizations.id,
      orgSlug: organizations.slug,
      orgName: organizations.name,
      orgImageUrl: organizations.imageUrl,
      orgRequireMfa: organizations.requireMfa,
      // Kept exact by triggers on totp_factors, passkeys and phone_numbers (migration 0014).
      hasSecondFactor: users.hasSecondFactor,
      // The instance settings (one small row) in the same statement: requireMfa and the session lifetimes apply at once.
      // As text: the parsed settings are memoised by it, so an unchanged row costs a string comparison, not a parse.
      instanceSettings: sql<string | null>`(select s.settings::text from instance_settings s where s.id = 'default')`,
      membershipId: memberships.id,
      // Kept exact by triggers on membership_roles and roles (migration 0003): no join to roles on the request path.
      roles: memberships.roleKeys,
      permissions: memberships.permissions,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .leftJoin(emailAddresses, and(eq(emailAddresses.userId, users.id), eq(emailAddresses.isPrimary, true)))
    .leftJoin(organizations, orgCondition)
    .leftJoin(memberships, and(eq(memberships.organizationId, organizations.id), eq(memberships.userId, users.id)))
    .where(eq(sessions.id, sql.placeholder("sessionId")))
    .limit(1);
}

type LookupStatement = ReturnType<typeof buildLookup>;
type LookupRow = Awaited<ReturnType<LookupStatement["execute"]>>[number];

let lastSettings: { text: string | null; settings: InstanceSettings } | undefined;

/**
 * The settings row as the lookup read it, parsed once per distinct content: a change is still seen by the very next
 * request (the text differs), but an unchanged row skips the schema parse (about 40 µs) on every request.
 */
function settingsFromText(text: string | null): InstanceSettings {
  if (lastSettings?.text === text) return lastSettings.settings;
  let stored: unknown = null;
  try {
    stored = text === null ? null : JSON.parse(text);
  } catch {
    stored = null;
  }
  // Shared by every request until the row changes: frozen, so no caller can alter another request's copy.
  const settings = deepFreeze(parseInstanceSettings(stored));
  lastSettings = { text, settings };
  return settings;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * The lookup is built once per database and kept as a named prepared statement: the SQL is not rebuilt on every
 * request, and Postgres parses and plans it once per connection and then answers it in a single round trip.
 */
const lookupBySlug = preparedStatement((db) => buildLookup(db, true));
const lookupByActiveOrg = preparedStatement((db) => buildLookup(db, false));

function getLookupStatement(db: Database, orgFromSlug: boolean): LookupStatement {
  return orgFromSlug ? lookupBySlug(db) : lookupByActiveOrg(db);
}

/**
 * Who is calling. With an auth cache started for `db` (auth-cache.ts) a warm request costs no SQL: the cached row
 * goes through the same checks as a fresh one (secret hash in constant time, ban, expiry by the clock).
 */
export async function lookupAuth(db: Database, options: LookupOptions): Promise<AuthLookupOutcome> {
  if (!options.token) return { status: "signed_out", reason: "no_token" };
  const parsed = parseSessionToken(options.token);
  if (!parsed) return { status: "signed_out", reason: "malformed" };

  const cache = getAuthCache<LookupRow>(db);
  if (cache?.syncBeforeLookup) await cache.sync();
  const cached = cache?.get(parsed.id, options.orgSlug);
  if (cached) {
    const outcome = await resolveRow(db, cached, parsed.secret, options, true);
    if (outcome) return outcome;
  }

  // Taken before the read: a notification handled while the query runs makes its row unfit to keep.
  const generation = cache?.generation ?? 0;
  const statement = getLookupStatement(db, options.orgSlug !== null);
  const params = { sessionId: parsed.id, orgSlug: options.orgSlug ?? "" };
  // A read, so one retry is safe: after a database restart the pool's first use of a dead connection fails.
  const [row] = await statement.execute(params).catch((error: unknown) => {
    if (!isDatabaseUnavailable(error)) throw error;
    return statement.execute(params);
  });

  if (!row) return { status: "signed_out", reason: "unknown" };
  cache?.set(options.orgSlug, row, generation);
  return (await resolveRow(db, row, parsed.secret, options, false))!;
}

/**
 * The checks and the result from a lookup row. From the cache (`cached`), a session that looks expired or is due for
 * its hourly idle-expiry write returns null: the caller reads the database, so the write or the sign-out happens on
 * the current row, not on a copy another instance may have extended meanwhile.
 */
async function resolveRow(
  db: Database,
  row: LookupRow,
  secret: string,
  options: LookupOptions,
  cached: boolean,
): Promise<AuthLookupOutcome | null> {
  if (!verifySessionSecret(row.secretHash, secret)) return { status: "signed_out", reason: "bad_secret" };
  if (row.bannedAt || row.deletedAt) return { status: "signed_out", reason: "banned" };

  const settings = settingsFromText(row.instanceSettings);
  const policy = options.policy ?? sessionPolicyFromSettings(settings);
  // Lifetimes shortened in the settings apply to sessions that already exist: the stored expiries are capped by them.
  const session: AuthSession = {
    id: row.sessionId,
    createdAt: row.createdAt,
    lastActiveAt: row.lastActiveAt,
    idleExpiresAt: new Date(Math.min(row.idleExpiresAt.getTime(), row.lastActiveAt.getTime() + policy.idleMs)),
    expiresAt: new Date(Math.min(row.expiresAt.getTime(), row.createdAt.getTime() + policy.absoluteMs)),
    activeOrganizationId: row.activeOrganizationId,
    lastReverifiedAt: row.lastReverifiedAt,
    impersonatorUserId: row.impersonatorUserId,
  };
  if (getSessionState(session, options.now) !== "active") {
    if (cached) return null;
    await invalidateSession(db, session.id);
    // Its notification comes later; this instance's next request must not find the row meanwhile.
    getAuthCache(db)?.evictSession(session.id);
    return { status: "signed_out", reason: "expired" };
  }
  const extended = getExtendedIdleExpiry(session, options.now, policy);
  if (extended) {
    if (cached) return null;
    await touchSession(db, session.id, options.now, extended);
    getAuthCache(db)?.evictSession(session.id);
    session.lastActiveAt = options.now;
    session.idleExpiresAt = extended;
  }

  const isMember = row.membershipId !== null && row.orgId !== null;
  const hasSecondFactor = row.hasSecondFactor === true;
  const instanceRequired = settings.requireMfa;
  const organizationRequired = isMember && row.orgRequireMfa === true;
  return {
    status: "signed_in",
    auth: {
      session,
      settings,
      mfa: {
        hasSecondFactor,
        instanceRequired,
        organizationRequired,
        setupRequired: !hasSecondFactor && (instanceRequired || organizationRequired),
      },
      user: {
        id: row.userId,
        firstName: row.firstName,
        lastName: row.lastName,
        username: row.username,
        imageUrl: row.imageUrl,
        locale: row.locale,
        isInstanceAdmin: row.isInstanceAdmin,
        primaryEmail: row.primaryEmail,
      },
      organization: isMember
        ? { id: row.orgId!, slug: row.orgSlug!, name: row.orgName!, imageUrl: row.orgImageUrl }
        : null,
      membership: isMember
        ? { id: row.membershipId!, roles: row.roles ?? [], permissions: row.permissions ?? [] }
        : null,
      explicitOrganization: options.orgSlug !== null,
    },
  };
}
