/**
 * The admin console's user list: search, filters, sort and keyset pagination that stay index-backed at 1,000,000 users
 * (migration 0014's indexes; the plans are in the issue 8 note and `npm run db:seed:large -- --explain` prints them).
 *
 * - Sort `newest` / `oldest` walk `users_created_at_id_idx` (or the partial banned / locked / MFA index for a filter)
 *   from the cursor: a page reads about `limit` rows however deep it is. Never OFFSET.
 * - Sort `last_sign_in` is "most recent first, never signed in last": two index range scans of
 *   `users_last_sign_in_at_id_idx` (signed-in users backwards, then the null section by id), each limited, appended.
 * - Search: a `user_…` id matches exactly; text with `@` is an address prefix (`email_addresses_email_pattern_idx`);
 *   other text is a prefix of the address, first name, last name or username (the lower(...) text_pattern_ops
 *   indexes), as a union of index scans that yields the matching ids.
 *
 * The cursor is opaque to clients: base64url of `sort|phase|time|id`, the time to the microsecond as Postgres prints
 * it (a JS Date would round to milliseconds and skip or repeat rows).
 */
import { sql, type SQL } from "drizzle-orm";
import type { Database } from "@latchkey/db";
import { escapeLike } from "./keyset.ts";

export const userListSorts = ["newest", "oldest", "last_sign_in"] as const;
export const userListFilters = ["banned", "locked", "unverified", "mfa"] as const;
export type UserListSort = (typeof userListSorts)[number];
export type UserListFilter = (typeof userListFilters)[number];

export interface UserListCursor {
  sort: UserListSort;
  /** `t`: a row with a time key (created_at, or last_sign_in_at when signed in); `n`: a never-signed-in row (id only). */
  phase: "t" | "n";
  time: string | null;
  id: string;
}

const cursorTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const userId = /^user_[a-z0-9_]{1,60}$/;
const sortCodes: Record<UserListSort, string> = { newest: "N", oldest: "O", last_sign_in: "L" };

export function encodeUserCursor(cursor: UserListCursor): string {
  return Buffer.from(`${sortCodes[cursor.sort]}|${cursor.phase}|${cursor.time ?? ""}|${cursor.id}`, "utf8").toString("base64url");
}

/** The cursor a previous page returned, or null when it is not one of ours. */
export function decodeUserCursor(value: string): UserListCursor | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(value)) return null;
  const parts = Buffer.from(value, "base64url").toString("utf8").split("|");
  if (parts.length !== 4) return null;
  const [code, phase, time, id] = parts as [string, string, string, string];
  const sort = (Object.keys(sortCodes) as UserListSort[]).find((s) => sortCodes[s] === code);
  if (!sort || !userId.test(id)) return null;
  if (phase === "t" && cursorTime.test(time)) return { sort, phase, time, id };
  if (phase === "n" && time === "" && sort === "last_sign_in") return { sort, phase, time: null, id };
  return null;
}

/** `%`, `_` and `\` match themselves in a LIKE prefix. */
export function likePrefix(text: string): string {
  return `${escapeLike(text)}%`;
}

export interface UserListParams {
  query?: string | undefined;
  filter?: UserListFilter | undefined;
  sort: UserListSort;
  cursor?: UserListCursor | null;
  limit: number;
  now: Date;
}

const iso = (column: SQL) => sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** The conditions every row must meet: not deleted, and the filter. */
function baseConditions(params: UserListParams): SQL[] {
  const conditions: SQL[] = [sql`u.deleted_at is null`];
  switch (params.filter) {
    case "banned":
      conditions.push(sql`u.banned_at is not null`);
      break;
    case "locked":
      // `>` implies "is not null", so the partial index applies; saying both would make the planner count the
      // selectivity twice (31 rows expected of 5,000) and pick a worse plan.
      conditions.push(sql`u.locked_until > ${params.now.toISOString()}::timestamptz`);
      break;
    case "mfa":
      conditions.push(sql`u.has_second_factor`);
      break;
    case "unverified":
      conditions.push(sql`exists (select 1 from email_addresses ue where ue.user_id = u.id and ue.is_primary and ue.verified_at is null)`);
      break;
    default:
      break;
  }
  return conditions;
}

/**
 * The search as alternatives, each one page query of its own: one condition for an id or an address (`@`), four for
 * other text. Each alternative is ordered and limited on its own, so the planner picks per column between walking the
 * sort index (a broad prefix: most rows match) and the prefix index (a narrow one), never joining a million rows.
 */
function searchBranches(query: string | undefined): SQL[] {
  const text = query?.trim() ?? "";
  if (!text) return [];
  if (/^user_[a-z0-9_]+$/.test(text)) return [sql`u.id = ${text}`];
  const pattern = likePrefix(text.toLowerCase());
  const email = sql`exists (select 1 from email_addresses e where e.user_id = u.id and e.email like ${pattern})`;
  if (text.includes("@")) return [email];
  return [email, sql`lower(u.first_name) like ${pattern}`, sql`lower(u.last_name) like ${pattern}`, sql`lower(u.username) like ${pattern}`];
}

const pageColumns = (now: string) => sql`u.id, u.username, u.first_name, u.last_name, u.image_url, u.banned_at is not null as banned,
  coalesce(u.locked_until > ${now}::timestamptz, false) as locked, u.has_second_factor,
  ${iso(sql`u.created_at`)} as created_at, ${iso(sql`u.last_sign_in_at`)} as last_sign_in_at`;

/** The order of a page, on the page's output columns (times as fixed-width UTC text, so they sort as times). */
function outerOrder(sort: UserListSort): SQL {
  if (sort === "last_sign_in") return sql`p.phase, p.last_sign_in_at desc, p.id desc`;
  return sort === "newest" ? sql`p.created_at desc, p.id desc` : sql`p.created_at asc, p.id asc`;
}

/** `limit + 1` rows of one alternative, in the sort's order, from the cursor on. */
function branchPage(params: UserListParams, conditions: SQL[]): SQL {
  const take = params.limit + 1;
  const now = params.now.toISOString();
  const where = (extra: SQL[]) => sql.join([...conditions, ...extra], sql` and `);
  const cursor = params.cursor;
  if (params.sort === "last_sign_in") {
    // Signed-in users, most recent first; then those who never signed in, newest id first.
    const signed: SQL[] = [sql`u.last_sign_in_at is not null`];
    const never: SQL[] = [sql`u.last_sign_in_at is null`];
    if (cursor?.phase === "t") signed.push(sql`(u.last_sign_in_at, u.id) < (${cursor.time}::timestamptz, ${cursor.id})`);
    if (cursor?.phase === "n") never.push(sql`u.id < ${cursor.id}`);
    const second = sql`(select ${pageColumns(now)}, 1 as phase from users u where ${where(never)} order by u.last_sign_in_at desc nulls first, u.id desc limit ${take})`;
    if (cursor?.phase === "n") return sql`select * from ${second} p`;
    const first = sql`(select ${pageColumns(now)}, 0 as phase from users u where ${where(signed)} order by u.last_sign_in_at desc, u.id desc limit ${take})`;
    return sql`select * from (${first} union all ${second}) p order by ${outerOrder(params.sort)} limit ${take}`;
  }
  const desc = params.sort === "newest";
  const extra: SQL[] = [];
  if (cursor) extra.push(desc ? sql`(u.created_at, u.id) < (${cursor.time}::timestamptz, ${cursor.id})` : sql`(u.created_at, u.id) > (${cursor.time}::timestamptz, ${cursor.id})`);
  return desc
    ? sql`select ${pageColumns(now)}, 0 as phase from users u where ${where(extra)} order by u.created_at desc, u.id desc limit ${take}`
    : sql`select ${pageColumns(now)}, 0 as phase from users u where ${where(extra)} order by u.created_at asc, u.id asc limit ${take}`;
}

/**
 * The page query: `limit + 1` rows (to know whether there is more) with their primary address. One statement, so
 * `EXPLAIN` of it is the whole story.
 */
export function userListQuery(params: UserListParams): SQL {
  const base = baseConditions(params);
  const branches = searchBranches(params.query);
  let page: SQL;
  if (branches.length <= 1) {
    page = branchPage(params, [...base, ...branches]);
  } else {
    // A user matching several alternatives comes once (UNION, not UNION ALL: the rows are identical).
    const parts = branches.map((branch) => sql`(${branchPage(params, [...base, branch])})`);
    page = sql`select * from (${sql.join(parts, sql` union `)}) p order by ${outerOrder(params.sort)} limit ${params.limit + 1}`;
  }
  return sql`select p.*, pe.email, pe.verified_at is not null as verified
from (${page}) p
left join email_addresses pe on pe.user_id = p.id and pe.is_primary
order by ${outerOrder(params.sort)}`;
}

export interface UserListRow {
  id: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  username: string | null;
  imageUrl: string | null;
  createdAt: Date;
  lastSignInAt: Date | null;
  banned: boolean;
  locked: boolean;
  hasMfa: boolean;
  verified: boolean;
}

interface RawRow {
  id: string;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  username: string | null;
  image_url: string | null;
  created_at: string;
  last_sign_in_at: string | null;
  banned: boolean;
  locked: boolean;
  has_second_factor: boolean;
  verified: boolean;
  phase: number | string;
}

/** Rows of `db.execute`, whichever driver (postgres.js gives an array, PGlite `{ rows }`). */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

export async function listUsers(db: Database, params: UserListParams): Promise<{ users: UserListRow[]; nextCursor: string | null }> {
  const rows = rowsOf<RawRow>(await db.execute(userListQuery(params)));
  const more = rows.length > params.limit;
  const page = rows.slice(0, params.limit);
  const last = page.at(-1);
  let nextCursor: string | null = null;
  if (more && last) {
    if (params.sort === "last_sign_in") {
      nextCursor = encodeUserCursor(
        last.last_sign_in_at
          ? { sort: params.sort, phase: "t", time: last.last_sign_in_at, id: last.id }
          : { sort: params.sort, phase: "n", time: null, id: last.id },
      );
    } else {
      nextCursor = encodeUserCursor({ sort: params.sort, phase: "t", time: last.created_at, id: last.id });
    }
  }
  return {
    users: page.map((row) => ({
      id: row.id,
      email: row.email,
      firstName: row.first_name,
      lastName: row.last_name,
      username: row.username,
      imageUrl: row.image_url,
      createdAt: new Date(row.created_at),
      lastSignInAt: row.last_sign_in_at ? new Date(row.last_sign_in_at) : null,
      banned: Boolean(row.banned),
      locked: Boolean(row.locked),
      hasMfa: Boolean(row.has_second_factor),
      verified: Boolean(row.verified),
    })),
    nextCursor,
  };
}
