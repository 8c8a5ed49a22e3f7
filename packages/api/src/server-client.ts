/**
 * The server-side client for app code (Clerk's `clerkClient`): read users and organizations and update their
 * metadata from trusted server code — a payment webhook, a job, the admin console. It bypasses sessions and
 * permissions, so never expose it to a browser request without your own check.
 *
 *   const latchkey = createLatchkeyClient({ db });
 *   await latchkey.users.updateUserMetadata(userId, { privateMetadata: { stripeCustomerId: "cus_123" } });
 *
 * Updates merge like Clerk's `updateUserMetadata` (top-level keys replace, `null` removes a key, absent keys stay),
 * run in one transaction with the row locked, are validated like every other writer (../metadata.ts) and are audited
 * as `user.metadata_updated` / `organization.metadata_updated` with the actor "system".
 */
import { and, eq } from "drizzle-orm";
import { emailAddresses, organizations, users, type Database } from "@latchkey/db";
import { recordAuditEvent } from "./audit.ts";
import { ApiError } from "./errors.ts";
import { writeMetadata, type MetadataObject, type MetadataPatches } from "./metadata.ts";

export interface LatchkeyClientOptions {
  db: Database;
  /** The clock (tests pass their own). */
  now?: () => Date;
  /** Recorded on audit events as who acted, e.g. "billing-webhook"; defaults to "system". */
  actor?: string;
}

export interface LatchkeyUser {
  id: string;
  firstName: string | null;
  lastName: string | null;
  username: string | null;
  imageUrl: string | null;
  primaryEmailAddress: string | null;
  publicMetadata: MetadataObject;
  /** Server only: never send it to a browser. */
  privateMetadata: MetadataObject;
  unsafeMetadata: MetadataObject;
  createdAt: Date;
  updatedAt: Date;
}

export interface LatchkeyOrganization {
  id: string;
  name: string;
  slug: string;
  imageUrl: string | null;
  publicMetadata: MetadataObject;
  /** Server only: never send it to a browser. */
  privateMetadata: MetadataObject;
  createdAt: Date;
  updatedAt: Date;
}

export interface UserMetadataParams {
  publicMetadata?: MetadataObject;
  privateMetadata?: MetadataObject;
  unsafeMetadata?: MetadataObject;
}

export interface OrganizationMetadataParams {
  publicMetadata?: MetadataObject;
  privateMetadata?: MetadataObject;
}

function notFound(what: "user" | "organization"): ApiError {
  return new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: `That ${what} does not exist.` });
}

export function createLatchkeyClient(options: LatchkeyClientOptions) {
  const { db } = options;
  const now = options.now ?? (() => new Date());
  const actor = options.actor ?? "system";
  const auditCtx = { db, ip: null, userAgent: null, now };

  async function getUser(userId: string): Promise<LatchkeyUser | null> {
    const [row] = await db
      .select({
        id: users.id,
        firstName: users.firstName,
        lastName: users.lastName,
        username: users.username,
        imageUrl: users.imageUrl,
        primaryEmailAddress: emailAddresses.email,
        publicMetadata: users.publicMetadata,
        privateMetadata: users.privateMetadata,
        unsafeMetadata: users.unsafeMetadata,
        createdAt: users.createdAt,
        updatedAt: users.updatedAt,
      })
      .from(users)
      .leftJoin(emailAddresses, and(eq(emailAddresses.userId, users.id), eq(emailAddresses.isPrimary, true)))
      .where(eq(users.id, userId))
      .limit(1);
    return row ?? null;
  }

  async function getOrganization(organizationId: string): Promise<LatchkeyOrganization | null> {
    const [row] = await db
      .select({
        id: organizations.id,
        name: organizations.name,
        slug: organizations.slug,
        imageUrl: organizations.imageUrl,
        publicMetadata: organizations.publicMetadata,
        privateMetadata: organizations.privateMetadata,
        createdAt: organizations.createdAt,
        updatedAt: organizations.updatedAt,
      })
      .from(organizations)
      .where(eq(organizations.id, organizationId))
      .limit(1);
    return row ?? null;
  }

  async function update(owner: { type: "user" | "organization"; id: string }, patches: MetadataPatches): Promise<void> {
    await db.transaction(async (tx) => {
      const written = await writeMetadata(tx, owner, patches, { now: now() });
      if (!written) throw notFound(owner.type);
      await recordAuditEvent(
        auditCtx,
        {
          action: `${owner.type}.metadata_updated`,
          outcome: "success",
          organizationId: owner.type === "organization" ? owner.id : null,
          targetType: owner.type,
          targetId: owner.id,
          // Which kinds and top-level keys changed; never the values (private metadata may hold anything).
          details: {
            actor: "system",
            ...(actor !== "system" ? { via: actor } : {}),
            fields: written.changed,
            keys: Object.fromEntries(written.changed.map((field) => [field, Object.keys(patches[field] ?? {}).slice(0, 50)])),
          },
        },
        tx,
      );
    });
  }

  return {
    users: {
      /** The user with all three kinds of metadata, or null. */
      getUser,
      /** Merges the given metadata (Clerk's `users.updateUserMetadata`) and returns the updated user. */
      async updateUserMetadata(userId: string, params: UserMetadataParams): Promise<LatchkeyUser> {
        await update({ type: "user", id: userId }, params);
        return (await getUser(userId)) ?? Promise.reject(notFound("user"));
      },
    },
    organizations: {
      getOrganization,
      /** Merges the given metadata (Clerk's `organizations.updateOrganizationMetadata`) and returns the organization. */
      async updateOrganizationMetadata(organizationId: string, params: OrganizationMetadataParams): Promise<LatchkeyOrganization> {
        // Organizations have no unsafe metadata; writeMetadata refuses the field if plain JS code sends it anyway.
        await update({ type: "organization", id: organizationId }, params);
        return (await getOrganization(organizationId)) ?? Promise.reject(notFound("organization"));
      },
    },
  };
}

export type LatchkeyClient = ReturnType<typeof createLatchkeyClient>;
