/**
 * The member list query: one organization's members with name, primary address and roles, filtered by a
 * case-insensitive search and paged by keyset on (created_at, id). The index `memberships_org_created_idx` serves the
 * order, so a page costs the same on page 1 and page 500 of a 10,000-member organization (member-list.test.ts checks
 * the plan). The search matches any part of the name or the primary address (`ILIKE '%…%'`) through trigram indexes
 * (pg_trgm, migration 0018), so a rare term finds its few users first instead of walking the whole organization.
 */
import { and, asc, eq, sql, type SQL } from "drizzle-orm";
import { decodeTimeIdCursor, encodeTimeIdCursor, escapeLike } from "./keyset.ts";
import { emailAddresses, memberships, users, type Database } from "@latchkey/db";

export interface MemberListCursor {
  /** created_at to the microsecond, as Postgres prints it (a JS Date would round to milliseconds and skip rows). */
  createdAt: string;
  id: string;
}

export interface MemberListParams {
  organizationId: string;
  query?: string | undefined;
  after?: MemberListCursor | null | undefined;
  limit: number;
}

const membershipId = /^orgmem_[a-z0-9_]{1,60}$/;

/** The cursor a previous page returned, or null when it is not one of ours. */
export function decodeCursor(value: string): MemberListCursor | null {
  return decodeTimeIdCursor(value, membershipId);
}

/** The text the name search matches; the same expression as the index `users_name_trgm_idx`. */
export function userNameText(alias: SQL): SQL {
  return sql`(coalesce(${alias}.first_name, '') || ' ' || coalesce(${alias}.last_name, ''))`;
}

/** `%` and `_` typed by the user match themselves, not "anything". */
function likePattern(query: string): string {
  return `%${escapeLike(query)}%`;
}

export function memberListQuery(db: Database, params: MemberListParams) {
  const conditions: SQL[] = [eq(memberships.organizationId, params.organizationId)];
  if (params.after) {
    conditions.push(sql`(${memberships.createdAt}, ${memberships.id}) > (${params.after.createdAt}::timestamptz, ${params.after.id})`);
  }
  if (params.query) {
    const pattern = likePattern(params.query);
    // A semi-join on two UNION ALL branches, each one served by its trigram index; UNION ALL (not an OR across the
    // joined tables) lets the planner either collect the matching users first (a rare term) or probe each member
    // of the organization by id (a common one).
    conditions.push(sql`${memberships.userId} in (
      select su.id from users su where ${userNameText(sql`su`)} ilike ${pattern}
      union all
      select se.user_id from email_addresses se where se.is_primary and se.email ilike ${pattern})`);
  }
  return db
    .select({
      id: memberships.id,
      userId: users.id,
      firstName: users.firstName,
      lastName: users.lastName,
      email: emailAddresses.email,
      roles: memberships.roleKeys,
      joinedAt: memberships.createdAt,
      cursorTime: sql<string>`to_char(${memberships.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
    })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .leftJoin(emailAddresses, and(eq(emailAddresses.userId, users.id), eq(emailAddresses.isPrimary, true)))
    .where(and(...conditions))
    .orderBy(asc(memberships.createdAt), asc(memberships.id))
    .limit(params.limit + 1);
}

/** One page and the cursor of the next one (null on the last page). */
export async function listMembers(db: Database, params: MemberListParams) {
  const rows = await memberListQuery(db, params);
  const page = rows.slice(0, params.limit);
  const last = page.at(-1);
  const nextCursor = rows.length > params.limit && last ? encodeTimeIdCursor({ createdAt: last.cursorTime, id: last.id }) : null;
  return {
    members: page.map(({ cursorTime: _omit, ...member }) => member),
    nextCursor,
  };
}
