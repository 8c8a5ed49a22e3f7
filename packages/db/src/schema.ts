import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  customType,
  date,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { createId } from "./ids.ts";

const createdAt = () =>
  timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();
const updatedAt = () =>
  timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();
const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
type JsonObject = Record<string, unknown>;

export const users = pgTable(
  "users",
  {
    id: text("id").primaryKey().$defaultFn(() => createId("user")),
    username: text("username"),
    firstName: text("first_name"),
    lastName: text("last_name"),
    imageUrl: text("image_url"),
    locale: text("locale"),
    publicMetadata: jsonb("public_metadata").$type<JsonObject>().notNull().default({}),
    privateMetadata: jsonb("private_metadata").$type<JsonObject>().notNull().default({}),
    unsafeMetadata: jsonb("unsafe_metadata").$type<JsonObject>().notNull().default({}),
    isInstanceAdmin: boolean("is_instance_admin").notNull().default(false),
    bannedAt: tstz("banned_at"),
    lockedUntil: tstz("locked_until"),
    deletedAt: tstz("deleted_at"),
    lastSignInAt: tstz("last_sign_in_at"),
    /**
     * A verified TOTP, a passkey or a verified MFA phone number exists. Kept exact by triggers on those tables
     * (migration 0014), so the auth lookup and the admin "with MFA" filter read a column instead of three subqueries.
     */
    hasSecondFactor: boolean("has_second_factor").notNull().default(false),
    /** The last UTC day the user was active (kept by a trigger on `user_activity_days`): monthly active users is a range count. */
    lastActiveOn: date("last_active_on", { mode: "string" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("users_username_key").on(sql`lower(${t.username})`),
    // Admin console: newest-first keyset pagination and its filters, index-backed at 1M users (migration 0014).
    index("users_created_at_id_idx").on(t.createdAt, t.id),
    index("users_last_sign_in_at_id_idx").on(t.lastSignInAt, t.id),
    index("users_banned_created_idx").on(t.createdAt, t.id).where(sql`${t.bannedAt} is not null`),
    index("users_locked_created_idx").on(t.createdAt, t.id).where(sql`${t.lockedUntil} is not null`),
    index("users_mfa_created_idx").on(t.createdAt, t.id).where(sql`${t.hasSecondFactor}`),
    index("users_last_active_on_idx").on(t.lastActiveOn),
    index("users_first_name_pattern_idx").on(sql`lower(${t.firstName}) text_pattern_ops`),
    index("users_last_name_pattern_idx").on(sql`lower(${t.lastName}) text_pattern_ops`),
    index("users_username_pattern_idx").on(sql`lower(${t.username}) text_pattern_ops`),
    // Member and admin search by any part of the name (`ILIKE '%…%'`): trigrams (pg_trgm, migration 0018). The
    // expression must match `userNameText` in packages/api/src/member-list.ts exactly.
    index("users_name_trgm_idx").using("gin", sql`(coalesce(${t.firstName}, '') || ' ' || coalesce(${t.lastName}, '')) gin_trgm_ops`),
  ],
);

export const emailAddresses = pgTable(
  "email_addresses",
  {
    id: text("id").primaryKey().$defaultFn(() => createId("email")),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** Stored lower-cased; uniqueness is instance-wide. */
    email: text("email").notNull(),
    isPrimary: boolean("is_primary").notNull().default(false),
    verifiedAt: tstz("verified_at"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("email_addresses_email_key").on(t.email),
    uniqueIndex("email_addresses_one_primary_per_user")
      .on(t.userId)
      .where(sql`${t.isPrimary}`),
    index("email_addresses_user_id_idx").on(t.userId),
    // Admin console: prefix search on addresses, and the "unverified" filter (users whose primary address isn't verified).
    index("email_addresses_email_pattern_idx").on(sql`${t.email} text_pattern_ops`),
    // Member search by any part of the address (`ILIKE '%…%'`, pg_trgm, migration 0018).
    index("email_addresses_email_trgm_idx").using("gin", sql`${t.email} gin_trgm_ops`),
    index("email_addresses_unverified_primary_idx")
      .on(t.userId)
      .where(sql`${t.isPrimary} and ${t.verifiedAt} is null`),
    check("email_addresses_email_lowercase", sql`${t.email} = lower(${t.email})`),
  ],
);

export const passwordCredentials = pgTable("password_credentials", {
  userId: text("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  hash: text("hash").notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const organizations = pgTable("organizations", {
  id: text("id").primaryKey().$defaultFn(() => createId("organization")),
  name: text("name").notNull(),
  slug: text("slug").notNull().unique("organizations_slug_key"),
  imageUrl: text("image_url"),
  publicMetadata: jsonb("public_metadata").$type<JsonObject>().notNull().default({}),
  privateMetadata: jsonb("private_metadata").$type<JsonObject>().notNull().default({}),
  maxMemberships: integer("max_memberships"),
  /** "Members must use MFA": a member without a verified second factor is sent to set one up first. */
  requireMfa: boolean("require_mfa").notNull().default(false),
  createdBy: text("created_by").references(() => users.id, { onDelete: "set null" }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  // Admin console: newest-first keyset pagination and prefix search by name.
  index("organizations_created_at_id_idx").on(t.createdAt, t.id),
  index("organizations_name_pattern_idx").on(sql`lower(${t.name}) text_pattern_ops`),
]);

export const sessions = pgTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    /** SHA-256 of the token's secret half, hex. The raw token never reaches the database. */
    secretHash: text("secret_hash").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    lastActiveAt: tstz("last_active_at").notNull().defaultNow(),
    idleExpiresAt: tstz("idle_expires_at").notNull(),
    expiresAt: tstz("expires_at").notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    activeOrganizationId: text("active_organization_id").references(() => organizations.id, {
      onDelete: "set null",
    }),
    lastReverifiedAt: tstz("last_reverified_at"),
    /** Set on an impersonation session: the instance admin who is viewing as this session's user (JWT `act` claim). */
    impersonatorUserId: text("impersonator_user_id").references(() => users.id, { onDelete: "cascade" }),
  },
  (t) => [index("sessions_user_id_idx").on(t.userId), index("sessions_expires_at_idx").on(t.expiresAt)],
);

export const roles = pgTable("roles", {
  id: text("id").primaryKey().$defaultFn(() => createId("role")),
  /** `org:admin`, `org:member` or a custom `org:<name>`. */
  key: text("key").notNull().unique("roles_key_key"),
  name: text("name").notNull(),
  description: text("description"),
  permissions: text("permissions").array().notNull().default(sql`'{}'::text[]`),
  isSystem: boolean("is_system").notNull().default(false),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const memberships = pgTable(
  "memberships",
  {
    id: text("id").primaryKey().$defaultFn(() => createId("membership")),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /**
     * The keys of the member's roles and the union of their permissions, kept by database triggers whenever
     * `membership_roles` or a role's permissions change (in the same transaction), so the request path reads them
     * without joining roles. Never write these from application code.
     */
    roleKeys: text("role_keys").array().notNull().default(sql`'{}'::text[]`),
    permissions: text("permissions").array().notNull().default(sql`'{}'::text[]`),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("memberships_org_user_key").on(t.organizationId, t.userId),
    index("memberships_user_id_idx").on(t.userId),
    /** The member list pages by (created_at, id) within an organization (keyset pagination). */
    index("memberships_org_created_idx").on(t.organizationId, t.createdAt, t.id),
  ],
);

/** A member holds one or more roles; their rights are the union of the roles' permissions. */
export const membershipRoles = pgTable(
  "membership_roles",
  {
    membershipId: text("membership_id")
      .notNull()
      .references(() => memberships.id, { onDelete: "cascade" }),
    roleId: text("role_id")
      .notNull()
      .references(() => roles.id, { onDelete: "restrict" }),
  },
  (t) => [primaryKey({ columns: [t.membershipId, t.roleId] }), index("membership_roles_role_id_idx").on(t.roleId)],
);

export const invitations = pgTable(
  "invitations",
  {
    id: text("id").primaryKey().$defaultFn(() => createId("invitation")),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    email: text("email").notNull(),
    roleId: text("role_id")
      .notNull()
      .references(() => roles.id, { onDelete: "restrict" }),
    tokenHash: text("token_hash").notNull(),
    status: text("status", { enum: ["pending", "accepted", "revoked", "declined"] })
      .notNull()
      .default("pending"),
    inviterUserId: text("inviter_user_id").references(() => users.id, { onDelete: "set null" }),
    expiresAt: tstz("expires_at").notNull(),
    acceptedAt: tstz("accepted_at"),
    revokedAt: tstz("revoked_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("invitations_token_hash_key").on(t.tokenHash),
    index("invitations_org_status_idx").on(t.organizationId, t.status),
    index("invitations_email_idx").on(t.email),
    /** One live invitation per address and organization: inviting again replaces it, concurrent invites conflict. */
    uniqueIndex("invitations_one_pending_per_email")
      .on(t.organizationId, t.email)
      .where(sql`${t.status} = 'pending'`),
  ],
);

/** Append-only: a trigger refuses UPDATE and DELETE. */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: text("id").primaryKey().$defaultFn(() => createId("audit")),
    occurredAt: tstz("occurred_at").notNull().defaultNow(),
    action: text("action").notNull(),
    outcome: text("outcome", { enum: ["success", "failure", "denied"] }).notNull(),
    actorUserId: text("actor_user_id"),
    actorSessionId: text("actor_session_id"),
    organizationId: text("organization_id"),
    targetType: text("target_type"),
    targetId: text("target_id"),
    ip: text("ip"),
    userAgent: text("user_agent"),
    details: jsonb("details").$type<JsonObject>().notNull().default({}),
  },
  (t) => [
    // Keyset pages walk (occurred_at, id) newest first: each index ends with the id so ties need no sort.
    index("audit_events_org_time_idx").on(t.organizationId, t.occurredAt, t.id),
    index("audit_events_actor_time_idx").on(t.actorUserId, t.occurredAt, t.id),
    // The admin console's per-user trail: events about a user (or an organization) as their target.
    index("audit_events_target_time_idx").on(t.targetType, t.targetId, t.occurredAt, t.id),
    index("audit_events_time_idx").on(t.occurredAt, t.id),
    // An exact action filter (instance-wide, or in one organization) reads only matching rows, already in order.
    index("audit_events_action_time_idx").on(t.action, t.occurredAt, t.id),
    index("audit_events_org_action_time_idx").on(t.organizationId, t.action, t.occurredAt, t.id),
  ],
);

/**
 * Every "we sent you a code or a link" flow shares this table (email verification, password reset, sign-in by code,
 * magic links, adding an address). Only SHA-256 hashes of codes and link secrets are stored; a row is consumed once.
 */
export const verifications = pgTable(
  "verifications",
  {
    id: text("id").primaryKey().$defaultFn(() => createId("verification")),
    purpose: text("purpose").notNull(),
    /** The address (lower-cased) or other identifier the code was sent to. */
    target: text("target").notNull(),
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    codeHash: text("code_hash"),
    tokenHash: text("token_hash"),
    attempts: integer("attempts").notNull().default(0),
    expiresAt: tstz("expires_at").notNull(),
    consumedAt: tstz("consumed_at"),
    /** Set with `consumedAt` when the code or link was proven (a newer request retires a row without it). */
    verifiedAt: tstz("verified_at"),
    createdAt: createdAt(),
  },
  (t) => [index("verifications_purpose_target_idx").on(t.purpose, t.target), index("verifications_expires_at_idx").on(t.expiresAt)],
);

/**
 * A sign-up waiting for its email address to be confirmed (Clerk's SignUp object). No user exists until the code or
 * link is used, so an unconfirmed sign-up never holds an address that someone else owns. A sign-up with an address
 * that already has an account gets a row too (`existingUserId`, no password), so the answer and the verify page look
 * exactly as for a new address; its owner is emailed instead, and no code can ever complete it.
 */
export const signUpAttempts = pgTable(
  "sign_up_attempts",
  {
    id: text("id").primaryKey().$defaultFn(() => createId("signUp")),
    /** Lower-cased. */
    email: text("email").notNull(),
    passwordHash: text("password_hash"),
    firstName: text("first_name"),
    lastName: text("last_name"),
    /** Sign-up fields the instance settings may ask for (hidden, optional or required). */
    username: text("username"),
    phone: text("phone"),
    /** The instance invitation this sign-up came with (invite-only and waitlist modes). */
    instanceInvitationId: text("instance_invitation_id").references(() => instanceInvitations.id, { onDelete: "set null" }),
    locale: text("locale"),
    existingUserId: text("existing_user_id").references(() => users.id, { onDelete: "cascade" }),
    /** When the last email went out; resending waits for a cooldown after it. */
    lastSentAt: tstz("last_sent_at").notNull(),
    completedAt: tstz("completed_at"),
    expiresAt: tstz("expires_at").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("sign_up_attempts_expires_at_idx").on(t.expiresAt)],
);

/** The instance's settings, one row (`id = 'default'`); the defaults live in code, the row holds what was changed. */
export const instanceSettings = pgTable(
  "instance_settings",
  {
    id: text("id").primaryKey().default("default"),
    settings: jsonb("settings").$type<JsonObject>().notNull().default({}),
    updatedAt: updatedAt(),
  },
  (t) => [check("instance_settings_single_row", sql`${t.id} = 'default'`)],
);

/** Raw bytes (`bytea`), as a Node Buffer. */
const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => "bytea",
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)),
});

/**
 * Uploaded images (organization logos, later avatars), kept in the database so every app instance serves the same
 * bytes without shared disks. Type and size are checked before a row is written.
 */
export const images = pgTable(
  "images",
  {
    id: text("id").primaryKey().$defaultFn(() => createId("image")),
    /** What it belongs to, e.g. `organization` + its id; deleting the owner deletes the image in the same change. */
    ownerType: text("owner_type").notNull(),
    ownerId: text("owner_id").notNull(),
    contentType: text("content_type").notNull(),
    bytes: bytea("bytes").notNull(),
    size: integer("size").notNull(),
    createdBy: text("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (t) => [index("images_owner_idx").on(t.ownerType, t.ownerId)],
);

/**
 * A domain an organization claims (`example.com`), verified by a code sent to an address at it. A verified domain
 * belongs to one organization only; its enrollment mode says what users with a verified address there get.
 */
export const organizationDomains = pgTable(
  "organization_domains",
  {
    id: text("id").primaryKey().$defaultFn(() => createId("domain")),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    /** Lower-cased, no trailing dot. */
    domain: text("domain").notNull(),
    enrollmentMode: text("enrollment_mode", { enum: ["manual_invitation", "automatic_invitation", "automatic_suggestion"] })
      .notNull()
      .default("manual_invitation"),
    /** The address at the domain the verification code went to. */
    verificationEmail: text("verification_email"),
    verifiedAt: tstz("verified_at"),
    createdBy: text("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("organization_domains_org_domain_key").on(t.organizationId, t.domain),
    uniqueIndex("organization_domains_verified_domain_key")
      .on(t.domain)
      .where(sql`${t.verifiedAt} is not null`),
    check("organization_domains_domain_lowercase", sql`${t.domain} = lower(${t.domain})`),
  ],
);

/** A user's answer to a domain suggestion ("join Acme?"), so a dismissed one stays dismissed. */
export const organizationSuggestions = pgTable(
  "organization_suggestions",
  {
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    status: text("status", { enum: ["accepted", "dismissed"] }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.userId] })],
);

/**
 * Custom permissions defined for the instance (`org:<feature>:<action>`), beyond the system and app ones in code, so
 * custom roles can grant them and screens can list them with a name.
 */
export const customPermissions = pgTable(
  "custom_permissions",
  {
    key: text("key").primaryKey(),
    name: text("name").notNull(),
    description: text("description"),
    createdAt: createdAt(),
  },
  (t) => [check("custom_permissions_key_format", sql`${t.key} ~ '^org:[a-z0-9_]+:[a-z0-9_]+$' and ${t.key} !~ '^org:sys_'`)],
);

/**
 * Fixed-window counters for rate limits, kept in Postgres so a restart or a second instance does not reset them.
 * `key` names the limit and the subject, e.g. `sign-in:ip:203.0.113.7`.
 */
export const rateLimitBuckets = pgTable(
  "rate_limit_buckets",
  {
    key: text("key").primaryKey(),
    windowStart: tstz("window_start").notNull(),
    count: integer("count").notNull(),
  },
  (t) => [index("rate_limit_buckets_window_start_idx").on(t.windowStart)],
);

/** The example org-scoped resource developers copy. */
export const projects = pgTable(
  "projects",
  {
    id: text("id").primaryKey().$defaultFn(() => createId("project")),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    createdBy: text("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (t) => [index("projects_org_created_idx").on(t.organizationId, t.createdAt)],
);

// ---------------------------------------------------------------------------------------------------------------
// Second factors and devices
// ---------------------------------------------------------------------------------------------------------------

/**
 * A user's authenticator app. The 160-bit secret is stored encrypted (AES-256-GCM, `@latchkey/auth` encryption);
 * the factor counts only once `verifiedAt` is set by a correct code. `lastUsedStep` is the last accepted 30-second
 * step, so a code can never be used twice.
 */
export const totpFactors = pgTable("totp_factors", {
  id: text("id").primaryKey().$defaultFn(() => createId("totp")),
  userId: text("user_id")
    .notNull()
    .unique("totp_factors_user_id_key")
    .references(() => users.id, { onDelete: "cascade" }),
  secretEncrypted: text("secret_encrypted").notNull(),
  verifiedAt: tstz("verified_at"),
  lastUsedStep: bigint("last_used_step", { mode: "number" }),
  createdAt: createdAt(),
});

/** Backup codes: SHA-256 hashes only, each usable once; regenerating deletes the whole old set. */
export const backupCodes = pgTable(
  "backup_codes",
  {
    id: text("id").primaryKey().$defaultFn(() => createId("backupCode")),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    codeHash: text("code_hash").notNull(),
    usedAt: tstz("used_at"),
    createdAt: createdAt(),
  },
  (t) => [index("backup_codes_user_id_idx").on(t.userId), uniqueIndex("backup_codes_user_code_key").on(t.userId, t.codeHash)],
);

/** WebAuthn credentials (passkeys). `credentialId` is base64url; the public key is COSE bytes. */
export const passkeys = pgTable(
  "passkeys",
  {
    id: text("id").primaryKey().$defaultFn(() => createId("passkey")),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    credentialId: text("credential_id").notNull().unique("passkeys_credential_id_key"),
    publicKey: bytea("public_key").notNull(),
    counter: bigint("counter", { mode: "number" }).notNull().default(0),
    transports: text("transports").array().notNull().default(sql`'{}'::text[]`),
    deviceType: text("device_type"),
    backedUp: boolean("backed_up").notNull().default(false),
    aaguid: text("aaguid"),
    name: text("name").notNull(),
    lastUsedAt: tstz("last_used_at"),
    createdAt: createdAt(),
  },
  (t) => [index("passkeys_user_id_idx").on(t.userId)],
);

/**
 * A WebAuthn challenge we issued (registration or authentication), single use, short-lived. `userId` is null for
 * a discoverable-credential sign-in, where the user is only known from the assertion.
 */
export const webauthnChallenges = pgTable(
  "webauthn_challenges",
  {
    id: text("id").primaryKey().$defaultFn(() => createId("webauthnChallenge")),
    purpose: text("purpose", { enum: ["registration", "authentication", "second_factor"] }).notNull(),
    challenge: text("challenge").notNull(),
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    expiresAt: tstz("expires_at").notNull(),
    consumedAt: tstz("consumed_at"),
    createdAt: createdAt(),
  },
  (t) => [index("webauthn_challenges_expires_at_idx").on(t.expiresAt)],
);

/** Phone numbers on a profile (E.164). A verified number belongs to one account only. */
export const phoneNumbers = pgTable(
  "phone_numbers",
  {
    id: text("id").primaryKey().$defaultFn(() => createId("phone")),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    phone: text("phone").notNull(),
    verifiedAt: tstz("verified_at"),
    /** Whether SMS codes to this number may finish a sign-in. */
    usedForMfa: boolean("used_for_mfa").notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [
    index("phone_numbers_user_id_idx").on(t.userId),
    uniqueIndex("phone_numbers_user_phone_key").on(t.userId, t.phone),
    uniqueIndex("phone_numbers_verified_phone_key")
      .on(t.phone)
      .where(sql`${t.verifiedAt} is not null`),
  ],
);

/**
 * The pending second step of a sign-in: the first factor was proven, no session exists yet. Identified by a random
 * token (only its SHA-256 stored) kept in an HttpOnly cookie; 10 minutes, 5 wrong codes, consumed once.
 */
export const signInChallenges = pgTable(
  "sign_in_challenges",
  {
    id: text("id").primaryKey().$defaultFn(() => createId("signInChallenge")),
    tokenHash: text("token_hash").notNull().unique("sign_in_challenges_token_hash_key"),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** How the first factor was proven (`password`, `email_code`, …), for the audit log. */
    firstFactor: text("first_factor").notNull(),
    /** The organization to make active once the second factor passes (an SSO sign-in's organization). */
    organizationId: text("organization_id").references(() => organizations.id, { onDelete: "set null" }),
    attempts: integer("attempts").notNull().default(0),
    ip: text("ip"),
    userAgent: text("user_agent"),
    expiresAt: tstz("expires_at").notNull(),
    consumedAt: tstz("consumed_at"),
    createdAt: createdAt(),
  },
  (t) => [index("sign_in_challenges_user_id_idx").on(t.userId), index("sign_in_challenges_expires_at_idx").on(t.expiresAt)],
);

// ---------------------------------------------------------------------------------------------------------------
// Events, webhooks and tokens
// ---------------------------------------------------------------------------------------------------------------

/**
 * The transactional outbox: one row per change, written in the change's own transaction (by triggers), with
 * Clerk's event names (`user.created`, `organizationMembership.created`, …). `dispatchedAt` is set once the event
 * has been fanned out into webhook deliveries.
 */
export const outboxEvents = pgTable(
  "outbox_events",
  {
    id: text("id").primaryKey().$defaultFn(() => createId("event")),
    type: text("type").notNull(),
    data: jsonb("data").$type<JsonObject>().notNull(),
    organizationId: text("organization_id"),
    /** The order events happened in, also within one statement (clock_timestamp() can tie); the worker's order. */
    seq: bigserial("seq", { mode: "number" }).notNull(),
    occurredAt: tstz("occurred_at").notNull().defaultNow(),
    dispatchedAt: tstz("dispatched_at"),
  },
  (t) => [
    index("outbox_events_undispatched_idx").on(t.seq).where(sql`${t.dispatchedAt} is null`),
    index("outbox_events_occurred_at_idx").on(t.occurredAt),
    // Retention: the worker deletes dispatched events older than the setting, oldest first, in small batches.
    index("outbox_events_dispatched_at_idx").on(t.dispatchedAt).where(sql`${t.dispatchedAt} is not null`),
  ],
);

/** A webhook receiver. The signing secret (`whsec_…`) is stored encrypted; during rotation the previous one too. */
export const webhookEndpoints = pgTable("webhook_endpoints", {
  id: text("id").primaryKey().$defaultFn(() => createId("webhookEndpoint")),
  url: text("url").notNull(),
  description: text("description"),
  /** Event types to send; empty means every event. */
  eventTypes: text("event_types").array().notNull().default(sql`'{}'::text[]`),
  enabled: boolean("enabled").notNull().default(true),
  secretEncrypted: text("secret_encrypted").notNull(),
  previousSecretEncrypted: text("previous_secret_encrypted"),
  previousSecretExpiresAt: tstz("previous_secret_expires_at"),
  createdBy: text("created_by").references(() => users.id, { onDelete: "set null" }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/**
 * One event to one endpoint (`webhook-id` = this id, the same on every retry). Workers claim due rows with
 * `FOR UPDATE SKIP LOCKED`; `status` ends as `succeeded` or `dead` after the last attempt.
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey().$defaultFn(() => createId("webhookDelivery")),
    endpointId: text("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    eventId: text("event_id")
      .notNull()
      .references(() => outboxEvents.id, { onDelete: "cascade" }),
    status: text("status", { enum: ["pending", "succeeded", "failed", "dead"] }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: tstz("next_attempt_at").notNull().defaultNow(),
    /** A worker holds the row until then; a crashed worker's claim simply lapses. */
    lockedUntil: tstz("locked_until"),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_endpoint_event_key").on(t.endpointId, t.eventId),
    index("webhook_deliveries_due_idx").on(t.nextAttemptAt).where(sql`${t.status} in ('pending', 'failed')`),
    index("webhook_deliveries_endpoint_created_idx").on(t.endpointId, t.createdAt),
  ],
);

/** The delivery log: one row per HTTP attempt. */
export const webhookAttempts = pgTable(
  "webhook_attempts",
  {
    id: text("id").primaryKey().$defaultFn(() => createId("webhookAttempt")),
    deliveryId: text("delivery_id")
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: "cascade" }),
    attemptedAt: tstz("attempted_at").notNull().defaultNow(),
    statusCode: integer("status_code"),
    durationMs: integer("duration_ms").notNull(),
    succeeded: boolean("succeeded").notNull(),
    error: text("error"),
  },
  (t) => [index("webhook_attempts_delivery_idx").on(t.deliveryId, t.attemptedAt)],
);

/**
 * Keys that sign session JWTs. The private key (PKCS#8 or JWK) is stored encrypted; `retiredAt` marks a key that no
 * longer signs but stays in the JWKS until `publishedUntil`.
 */
export const signingKeys = pgTable("signing_keys", {
  id: text("id").primaryKey().$defaultFn(() => createId("signingKey")),
  alg: text("alg", { enum: ["EdDSA", "RS256"] }).notNull(),
  publicJwk: jsonb("public_jwk").$type<JsonObject>().notNull(),
  privateKeyEncrypted: text("private_key_encrypted").notNull(),
  createdAt: createdAt(),
  retiredAt: tstz("retired_at"),
  publishedUntil: tstz("published_until"),
}, (t) => [
  // At most one active (signing) key, whatever races: the first-key creation and rotation also take an advisory lock.
  uniqueIndex("signing_keys_one_active").on(sql`(${t.retiredAt} is null)`).where(sql`${t.retiredAt} is null`),
]);

/** Named JWT templates (`getToken({ template: "supabase" })`): claims with `{{user.id}}`-style placeholders. */
export const jwtTemplates = pgTable("jwt_templates", {
  id: text("id").primaryKey().$defaultFn(() => createId("jwtTemplate")),
  name: text("name").notNull().unique("jwt_templates_name_key"),
  claims: jsonb("claims").$type<JsonObject>().notNull().default({}),
  lifetimeSeconds: integer("lifetime_seconds").notNull().default(60),
  allowedClockSkewSeconds: integer("allowed_clock_skew_seconds").notNull().default(5),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export type User = typeof users.$inferSelect;
export type Session = typeof sessions.$inferSelect;
export type Organization = typeof organizations.$inferSelect;
export type Role = typeof roles.$inferSelect;
export type Membership = typeof memberships.$inferSelect;
export type Invitation = typeof invitations.$inferSelect;
export type AuditEvent = typeof auditEvents.$inferSelect;
export type Project = typeof projects.$inferSelect;
export type Verification = typeof verifications.$inferSelect;
export type SignUpAttempt = typeof signUpAttempts.$inferSelect;
export type Image = typeof images.$inferSelect;
export type OrganizationDomain = typeof organizationDomains.$inferSelect;
export type CustomPermission = typeof customPermissions.$inferSelect;
export type TotpFactor = typeof totpFactors.$inferSelect;
export type BackupCode = typeof backupCodes.$inferSelect;
export type Passkey = typeof passkeys.$inferSelect;
export type PhoneNumber = typeof phoneNumbers.$inferSelect;
export type SignInChallenge = typeof signInChallenges.$inferSelect;
export type OutboxEvent = typeof outboxEvents.$inferSelect;
export type WebhookEndpoint = typeof webhookEndpoints.$inferSelect;
export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;
export type WebhookAttempt = typeof webhookAttempts.$inferSelect;
export type SigningKey = typeof signingKeys.$inferSelect;
export type JwtTemplate = typeof jwtTemplates.$inferSelect;

// --- oauth: external accounts, enterprise SSO connections, OAuth flow state -----------------------------------------

/**
 * An identity at an OAuth/OpenID provider linked to a user (Clerk's "external account"), keyed by (provider, provider
 * user id). `provider` is `google`, `github`, …, `oidc` (the generic provider configured by env) or
 * the id of an SSO connection (`sso_…`). Provider tokens are encrypted with the keyring (context `oauth:<id>`) and never returned.
 */
export const oauthAccounts = pgTable(
  "oauth_accounts",
  {
    id: text("id").primaryKey().$defaultFn(() => createId("oauthAccount")),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    provider: text("provider").notNull(),
    providerUserId: text("provider_user_id").notNull(),
    /** As the provider gave it, lower-cased; may be null (GitHub without a public verified address). */
    email: text("email"),
    emailVerified: boolean("email_verified").notNull().default(false),
    firstName: text("first_name"),
    lastName: text("last_name"),
    username: text("username"),
    imageUrl: text("image_url"),
    accessToken: text("access_token"),
    refreshToken: text("refresh_token"),
    expiresAt: tstz("expires_at"),
    scopes: text("scopes").array().notNull().default(sql`'{}'::text[]`),
    lastSignInAt: tstz("last_sign_in_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("oauth_accounts_provider_user_key").on(t.provider, t.providerUserId),
    index("oauth_accounts_user_id_idx").on(t.userId),
  ],
);

/** An organization's enterprise OpenID Connect connection (one per organization); routed by its verified domains. */
export const ssoConnections = pgTable(
  "sso_connections",
  {
    id: text("id").primaryKey().$defaultFn(() => createId("ssoConnection")),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" })
      .unique("sso_connections_organization_id_key"),
    /** The issuer exactly as the discovery document states it. */
    issuer: text("issuer").notNull(),
    clientId: text("client_id").notNull(),
    /** Encrypted with the keyring (context `sso:<id>`). */
    clientSecret: text("client_secret").notNull(),
    enabled: boolean("enabled").notNull().default(true),
    createdBy: text("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
);

/**
 * One OAuth authorization in flight. The browser holds the state in an HttpOnly cookie; this row (keyed by the
 * SHA-256 of the state) holds what the callback needs and is deleted by the callback that uses it, so a state works
 * once. Rows expire after 10 minutes.
 */
export const oauthStates = pgTable(
  "oauth_states",
  {
    stateHash: text("state_hash").primaryKey(),
    provider: text("provider").notNull(),
    intent: text("intent", { enum: ["sign_in", "link"] }).notNull(),
    /** The signed-in user who asked to link (intent `link`). */
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    /** Encrypted with the keyring (context `oauth-state:<state hash>`). */
    codeVerifier: text("code_verifier").notNull(),
    nonce: text("nonce"),
    redirectUrl: text("redirect_url").notNull().default("/"),
    expiresAt: tstz("expires_at").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("oauth_states_expires_at_idx").on(t.expiresAt)],
);

/**
 * saml: an organization's SAML 2.0 identity provider (ADR 025), beside its OpenID connection. The IdP's certificates
 * are public (PEM, several for rotation); nothing here is secret. Attribute names say where the address and names are.
 */
export const samlConnections = pgTable("saml_connections", {
  id: text("id").primaryKey().$defaultFn(() => createId("samlConnection")),
  organizationId: text("organization_id")
    .notNull()
    .references(() => organizations.id, { onDelete: "cascade" })
    .unique("saml_connections_organization_id_key"),
  idpEntityId: text("idp_entity_id").notNull(),
  idpSsoUrl: text("idp_sso_url").notNull(),
  /** PEM certificates the IdP signs with; any of them verifies. */
  idpCertificates: jsonb("idp_certificates").$type<string[]>().notNull(),
  /** Where the metadata was read from, when it came from a URL. */
  metadataUrl: text("metadata_url"),
  emailAttribute: text("email_attribute").notNull(),
  firstNameAttribute: text("first_name_attribute").notNull(),
  lastNameAttribute: text("last_name_attribute").notNull(),
  /** Unsolicited responses (no AuthnRequest of ours) are refused unless this is on. */
  allowIdpInitiated: boolean("allow_idp_initiated").notNull().default(false),
  enabled: boolean("enabled").notNull().default(true),
  createdBy: text("created_by").references(() => users.id, { onDelete: "set null" }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** saml: an AuthnRequest we sent; the response's InResponseTo must name one, once, before it expires. */
export const samlRequests = pgTable(
  "saml_requests",
  {
    id: text("id").primaryKey(),
    connectionId: text("connection_id")
      .notNull()
      .references(() => samlConnections.id, { onDelete: "cascade" }),
    redirectUrl: text("redirect_url").notNull().default("/"),
    expiresAt: tstz("expires_at").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("saml_requests_expires_at_idx").on(t.expiresAt)],
);

/** saml: assertion ids already used, kept until the assertion would have expired anyway (replay refused). */
export const samlAssertions = pgTable(
  "saml_assertions",
  {
    connectionId: text("connection_id")
      .notNull()
      .references(() => samlConnections.id, { onDelete: "cascade" }),
    assertionId: text("assertion_id").notNull(),
    expiresAt: tstz("expires_at").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.connectionId, t.assertionId] }), index("saml_assertions_expires_at_idx").on(t.expiresAt)],
);

export type SamlConnection = typeof samlConnections.$inferSelect;

export type OAuthAccount = typeof oauthAccounts.$inferSelect;
export type SsoConnection = typeof ssoConnections.$inferSelect;
export type OAuthState = typeof oauthStates.$inferSelect;

// admin console: sign-up modes, activity ---------------------------------------------------------------------------

/**
 * An invitation to create an account on this instance (sign-up mode invite-only, or an approved waitlist entry).
 * The token is sent by email; only its SHA-256 is stored. Single use, expires.
 */
export const instanceInvitations = pgTable(
  "instance_invitations",
  {
    id: text("id").primaryKey().$defaultFn(() => createId("instanceInvitation")),
    /** Lower-cased. */
    email: text("email").notNull(),
    tokenHash: text("token_hash").notNull().unique("instance_invitations_token_hash_key"),
    invitedByUserId: text("invited_by_user_id").references(() => users.id, { onDelete: "set null" }),
    expiresAt: tstz("expires_at").notNull(),
    acceptedAt: tstz("accepted_at"),
    revokedAt: tstz("revoked_at"),
    createdAt: createdAt(),
  },
  (t) => [index("instance_invitations_email_idx").on(t.email), index("instance_invitations_created_at_idx").on(t.createdAt)],
);

/** People asking to join while the instance's sign-up mode is "waitlist"; an admin approves (sends an invitation) or rejects. */
export const waitlistEntries = pgTable(
  "waitlist_entries",
  {
    id: text("id").primaryKey().$defaultFn(() => createId("waitlistEntry")),
    /** Lower-cased; one entry per address. */
    email: text("email").notNull().unique("waitlist_entries_email_key"),
    status: text("status", { enum: ["pending", "approved", "rejected"] }).notNull().default("pending"),
    invitationId: text("invitation_id").references(() => instanceInvitations.id, { onDelete: "set null" }),
    decidedByUserId: text("decided_by_user_id").references(() => users.id, { onDelete: "set null" }),
    decidedAt: tstz("decided_at"),
    createdAt: createdAt(),
  },
  (t) => [index("waitlist_entries_status_created_idx").on(t.status, t.createdAt, t.id)],
);

/**
 * One row per user per UTC day they were active (signed in, or a session was used). Written when a session is
 * created and when its idle expiry slides (at most hourly), so it costs no extra round trip on most requests.
 * Daily and monthly active users are counts over the primary key's leading `day`.
 */
export const userActivityDays = pgTable(
  "user_activity_days",
  {
    /** The UTC day, as YYYY-MM-DD. */
    day: date("day", { mode: "string" }).notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
  },
  // The user_id index serves the cascade when a user row is really deleted (rare: deletion anonymizes).
  (t) => [primaryKey({ columns: [t.day, t.userId] }), index("user_activity_days_user_id_idx").on(t.userId)],
);

/** Daily active users per UTC day, kept by a trigger on `user_activity_days` inserts: the chart reads 30 rows, not 30 days of activity. */
export const activityDayCounts = pgTable("activity_day_counts", {
  day: date("day", { mode: "string" }).primaryKey(),
  activeUsers: integer("active_users").notNull().default(0),
});
/**
 * Bot-protection challenges already answered (an ALTCHA proof of work, or the no-JavaScript form token), keyed by
 * their nonce: inserting one twice fails, so each is used once. Rows are useless after `expires_at` and are pruned.
 */
export const botChallenges = pgTable(
  "bot_challenges",
  {
    nonce: text("nonce").primaryKey(),
    expiresAt: tstz("expires_at").notNull(),
    usedAt: tstz("used_at").notNull().defaultNow(),
  },
  (t) => [index("bot_challenges_expires_at_idx").on(t.expiresAt)],
);

export type InstanceInvitation = typeof instanceInvitations.$inferSelect;
export type WaitlistEntry = typeof waitlistEntries.$inferSelect;

/**
 * Exact counts kept by triggers (migration 0018), so the admin overview reads a few rows instead of counting a
 * million: `users` (users not deleted), `sign_ups` per UTC day (`bucket` = YYYY-MM-DD) and `last_active` (users per
 * `last_active_on` day). A count is the sum of its `slot` rows: each change picks a slot by user id, so concurrent
 * sign-ups don't queue on one row. See docs/decisions/024-pool-retries-outbox-order-and-counters.md.
 */
export const rowCounts = pgTable(
  "row_counts",
  {
    counter: text("counter").notNull(),
    bucket: text("bucket").notNull().default(""),
    slot: integer("slot").notNull().default(0),
    n: bigint("n", { mode: "number" }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.counter, t.bucket, t.slot] })],
);
