/**
 * The caller's organizations (`organization.listMine`, the page header on every signed-in page), kept in the auth
 * cache per user when one runs: it changes only with the user's memberships or an organization, which the cache's
 * notifications cover (`u:` from memberships, `o:` from organizations).
 */
import { asc, eq } from "drizzle-orm";
import { memberships, organizations, type Database } from "@latchkey/db";
import { getAuthCache } from "./auth-cache.ts";

export interface MyOrganization {
  id: string;
  name: string;
  slug: string;
  imageUrl: string | null;
  membershipId: string;
  roles: string[];
}

export async function listOrganizationsOf(db: Database, userId: string): Promise<readonly MyOrganization[]> {
  const cache = getAuthCache(db);
  if (cache?.syncBeforeLookup) await cache.sync();
  const kept = cache?.getForUser<readonly MyOrganization[]>(userId);
  if (kept) return kept;
  const generation = cache?.generation ?? 0;
  const rows = await db
    .select({
      id: organizations.id,
      name: organizations.name,
      slug: organizations.slug,
      imageUrl: organizations.imageUrl,
      membershipId: memberships.id,
      roles: memberships.roleKeys,
    })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
    .where(eq(memberships.userId, userId))
    .orderBy(asc(memberships.createdAt), asc(organizations.id));
  // Shared by later requests: frozen, so no caller can change another's copy.
  const list = Object.freeze(rows.map((row) => Object.freeze({ ...row, roles: Object.freeze([...row.roles]) as string[] })));
  cache?.setForUser(userId, list, generation);
  return list;
}
