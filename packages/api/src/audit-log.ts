/**
 * Reading the audit log: one organization's events (org admins) or all of them (instance admins), filtered by actor,
 * action (exact, or a prefix ending in `.` like `session.`), outcome and a UTC date range, newest first, paged by
 * keyset on (occurred_at, id). The `(organization_id | actor_user_id | —, occurred_at, id)` indexes serve the order,
 * so a page reads about `limit` rows however deep the cursor is (audit-log.test.ts checks the plans).
 */
import { and, asc, desc, eq, gte, like, lt, lte, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { auditEvents, emailAddresses, users, type Database } from "@latchkey/db";
import { escapeLike } from "./keyset.ts";

export const AUDIT_PAGE_MAX = 100;
export const AUDIT_PAGE_DEFAULT = 50;

/** Which events a reader may see: one organization's, or the whole instance's. */
export type AuditScope = { organizationId: string } | { instance: true };

export interface AuditCursor {
  /** occurred_at to the microsecond, as Postgres prints it (a JS Date would round to milliseconds and skip rows). */
  occurredAt: string;
  id: string;
  /** "older": the page after this row; "newer": the page before it (the "previous page" link). */
  direction: "older" | "newer";
}

const cursorTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const auditId = /^aud_[a-z0-9_]{1,60}$/;

export function encodeAuditCursor(cursor: AuditCursor): string {
  return Buffer.from(`${cursor.direction === "older" ? "o" : "n"}|${cursor.occurredAt}|${cursor.id}`, "utf8").toString("base64url");
}

/** The cursor a previous page returned, or null when it is not one of ours. */
export function decodeAuditCursor(value: string): AuditCursor | null {
  const [direction, occurredAt, id, ...rest] = Buffer.from(value, "base64url").toString("utf8").split("|");
  if (rest.length > 0 || (direction !== "o" && direction !== "n") || !occurredAt || !id) return null;
  if (!cursorTime.test(occurredAt) || !auditId.test(id)) return null;
  return { direction: direction === "o" ? "older" : "newer", occurredAt, id };
}

const dateOnly = /^\d{4}-\d{2}-\d{2}$/;
/** A date-time with seconds optional, fractions optional, and `Z` or an offset required (no local-time guessing). */
const dateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** A real calendar date-time in ISO 8601 (UTC or with an offset), or null. 2025-02-30 is refused, not rolled over. */
function parseInstant(value: string): Date | null {
  if (dateOnly.test(value)) {
    const date = new Date(`${value}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value ? date : null;
  }
  if (!dateTime.test(value)) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return null;
  // Reject out-of-range fields (month 13, hour 25, Feb 30) that Date would silently roll over.
  const [, y, mo, d, h, mi] = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value)!.map(Number);
  const probe = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!));
  if (probe.getUTCFullYear() !== y || probe.getUTCMonth() !== mo! - 1 || probe.getUTCDate() !== d || probe.getUTCHours() !== h || probe.getUTCMinutes() !== mi) {
    return null;
  }
  return date;
}

const optionalText = (max: number, message: string) =>
  z
    .string()
    .trim()
    .max(max, message)
    .optional()
    .transform((v) => (v ? v : undefined));

const instantSchema = z
  .string()
  .trim()
  .max(40, "Use a date like 2025-01-31 or 2025-01-31T12:00:00Z.")
  .optional()
  .transform((value, ctx) => {
    if (!value) return undefined;
    const date = parseInstant(value);
    if (!date) {
      ctx.addIssue({ code: "custom", message: "Use a date like 2025-01-31 or 2025-01-31T12:00:00Z." });
      return z.NEVER;
    }
    // A bare date as the end of the range means "up to the end of that day" (UTC).
    return { date, dateOnly: dateOnly.test(value) };
  });

const filterShape = {
  /** A user id (`user_…`) or an email address; an address is resolved to its user. */
  actor: optionalText(254, "At most 254 characters."),
  /** An exact action (`invitation.created`) or a prefix ending in a dot (`session.`). */
  action: optionalText(100, "At most 100 characters.").refine((v) => v === undefined || /^[a-zA-Z0-9_.:-]+$/.test(v), {
    message: "Use letters, digits, dots, colons, hyphens and underscores.",
  }),
  outcome: z
    .union([z.enum(["success", "failure", "denied"], "Choose success, failure or denied."), z.literal("")])
    .optional()
    .transform((v) => (v ? v : undefined)),
  from: instantSchema,
  to: instantSchema,
};

function checkRange(value: { from?: { date: Date } | undefined; to?: { date: Date } | undefined }, ctx: z.RefinementCtx) {
  if (value.from && value.to && value.from.date > value.to.date) {
    ctx.addIssue({ code: "custom", path: ["to"], message: "The end of the range is before its start." });
  }
}

/** The filters of the views and the export, as query parameters or procedure input. Empty strings mean "any". */
export const auditFilterSchema = z.object(filterShape).superRefine(checkRange);

/** The filters plus the page: `cursor` from a previous page, `limit` up to 100. */
export const auditListInputSchema = z
  .object({
    ...filterShape,
    cursor: z
      .string()
      .max(200, "Not a valid page.")
      .optional()
      .transform((value, ctx) => {
        if (!value) return undefined;
        const cursor = decodeAuditCursor(value);
        if (!cursor) {
          ctx.addIssue({ code: "custom", message: "Not a valid page." });
          return z.NEVER;
        }
        return cursor;
      }),
    limit: z.number().int("Use a whole number.").min(1, "At least 1.").max(AUDIT_PAGE_MAX, `At most ${AUDIT_PAGE_MAX} per page.`).optional(),
  })
  .superRefine(checkRange);

export type AuditFilterInput = z.input<typeof auditFilterSchema>;
export type AuditFilters = z.output<typeof auditFilterSchema>;

/** The filters as resolved for the query: the actor is a user id (or matches nobody), dates are instants. */
export interface ResolvedAuditFilters {
  actorUserId?: string | null;
  action?: string;
  outcome?: "success" | "failure" | "denied";
  from?: Date;
  /** Exclusive when `toExclusive`, else inclusive. */
  to?: Date;
  toExclusive?: boolean;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Looks up the actor (an email address becomes the id of the user who has it; unknown ones match nobody). */
export async function resolveAuditFilters(db: Database, filters: AuditFilters): Promise<ResolvedAuditFilters> {
  const out: ResolvedAuditFilters = {};
  if (filters.actor !== undefined) {
    if (filters.actor.includes("@")) {
      const [row] = await db
        .select({ userId: emailAddresses.userId })
        .from(emailAddresses)
        .where(eq(emailAddresses.email, filters.actor.toLowerCase()))
        .limit(1);
      out.actorUserId = row?.userId ?? null;
    } else {
      out.actorUserId = filters.actor;
    }
  }
  if (filters.action !== undefined) out.action = filters.action;
  if (filters.outcome !== undefined) out.outcome = filters.outcome;
  if (filters.from) out.from = filters.from.date;
  if (filters.to) {
    out.to = filters.to.dateOnly ? new Date(filters.to.date.getTime() + DAY_MS) : filters.to.date;
    out.toExclusive = filters.to.dateOnly;
  }
  return out;
}

function conditionsFor(scope: AuditScope, filters: ResolvedAuditFilters): SQL[] {
  const conditions: SQL[] = [];
  if ("organizationId" in scope) conditions.push(eq(auditEvents.organizationId, scope.organizationId));
  if (filters.actorUserId !== undefined) {
    // An address nobody has matches nothing (not everything).
    conditions.push(filters.actorUserId === null ? sql`false` : eq(auditEvents.actorUserId, filters.actorUserId));
  }
  if (filters.action !== undefined) {
    conditions.push(filters.action.endsWith(".") ? like(auditEvents.action, `${escapeLike(filters.action)}%`) : eq(auditEvents.action, filters.action));
  }
  if (filters.outcome) conditions.push(eq(auditEvents.outcome, filters.outcome));
  if (filters.from) conditions.push(gte(auditEvents.occurredAt, filters.from));
  if (filters.to) conditions.push(filters.toExclusive ? lt(auditEvents.occurredAt, filters.to) : lte(auditEvents.occurredAt, filters.to));
  return conditions;
}

export interface AuditQueryParams {
  scope: AuditScope;
  filters: ResolvedAuditFilters;
  cursor?: AuditCursor | null;
  limit: number;
}

const cursorTimeSql = sql<string>`to_char(${auditEvents.occurredAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** The page query (limit + 1 rows, to know whether there is more), with the actor's name and address when they exist. */
export function auditEventsQuery(db: Database, params: AuditQueryParams) {
  const conditions = conditionsFor(params.scope, params.filters);
  const newer = params.cursor?.direction === "newer";
  if (params.cursor) {
    const at = sql`(${params.cursor.occurredAt}::timestamptz, ${params.cursor.id})`;
    conditions.push(newer ? sql`(${auditEvents.occurredAt}, ${auditEvents.id}) > ${at}` : sql`(${auditEvents.occurredAt}, ${auditEvents.id}) < ${at}`);
  }
  return db
    .select({
      id: auditEvents.id,
      occurredAt: auditEvents.occurredAt,
      action: auditEvents.action,
      outcome: auditEvents.outcome,
      actorUserId: auditEvents.actorUserId,
      actorSessionId: auditEvents.actorSessionId,
      organizationId: auditEvents.organizationId,
      targetType: auditEvents.targetType,
      targetId: auditEvents.targetId,
      ip: auditEvents.ip,
      userAgent: auditEvents.userAgent,
      details: auditEvents.details,
      actorFirstName: users.firstName,
      actorLastName: users.lastName,
      actorEmail: emailAddresses.email,
      cursorTime: cursorTimeSql,
    })
    .from(auditEvents)
    .leftJoin(users, eq(users.id, auditEvents.actorUserId))
    .leftJoin(emailAddresses, and(eq(emailAddresses.userId, auditEvents.actorUserId), eq(emailAddresses.isPrimary, true)))
    .where(and(...conditions))
    .orderBy(...(newer ? [asc(auditEvents.occurredAt), asc(auditEvents.id)] : [desc(auditEvents.occurredAt), desc(auditEvents.id)]))
    .limit(params.limit + 1);
}

type Row = Awaited<ReturnType<typeof auditEventsQuery>>[number];

/** One event as the views and the export show it. */
export interface AuditEventView {
  id: string;
  occurredAt: Date;
  action: string;
  outcome: "success" | "failure" | "denied";
  actor: { type: "user"; userId: string; name: string | null; email: string | null; exists: boolean } | { type: "system" } | null;
  actorSessionId: string | null;
  organizationId: string | null;
  target: { type: string | null; id: string | null } | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
}

function toView(row: Row): AuditEventView {
  const name = [row.actorFirstName, row.actorLastName].filter(Boolean).join(" ") || null;
  const details = (row.details ?? {}) as Record<string, unknown>;
  let actor: AuditEventView["actor"] = null;
  if (row.actorUserId) {
    // A deleted user leaves only the id behind (no join row).
    const exists = row.actorFirstName !== null || row.actorLastName !== null || row.actorEmail !== null;
    actor = { type: "user", userId: row.actorUserId, name, email: row.actorEmail, exists };
  } else if (details.actor === "system") {
    actor = { type: "system" };
  }
  return {
    id: row.id,
    occurredAt: row.occurredAt,
    action: row.action,
    outcome: row.outcome,
    actor,
    actorSessionId: row.actorSessionId,
    organizationId: row.organizationId,
    target: row.targetType || row.targetId ? { type: row.targetType, id: row.targetId } : null,
    ip: row.ip,
    userAgent: row.userAgent,
    details,
  };
}

export interface AuditPage {
  events: AuditEventView[];
  /** Older events exist: pass this as `cursor` for the next page. */
  nextCursor: string | null;
  /** Newer events exist (this page was reached through a cursor): pass this for the previous page. */
  prevCursor: string | null;
}

/** One page, newest first, and the cursors around it. */
export async function listAuditEvents(db: Database, params: AuditQueryParams): Promise<AuditPage> {
  const rows = await auditEventsQuery(db, params);
  const more = rows.length > params.limit;
  let page = rows.slice(0, params.limit);
  const newer = params.cursor?.direction === "newer";
  if (newer) page = page.reverse();
  const first = page[0];
  const last = page.at(-1);
  // Going older: more rows mean a next page; a cursor means we came from newer ones. Going newer: the other way round.
  const hasOlder = newer ? params.cursor !== undefined && params.cursor !== null : more;
  const hasNewer = newer ? more : Boolean(params.cursor);
  return {
    events: page.map(toView),
    nextCursor: hasOlder && last ? encodeAuditCursor({ occurredAt: last.cursorTime, id: last.id, direction: "older" }) : null,
    prevCursor: hasNewer && first ? encodeAuditCursor({ occurredAt: first.cursorTime, id: first.id, direction: "newer" }) : null,
  };
}

/**
 * Every matching event, newest first, fetched `batch` rows at a time by keyset: memory stays at one batch however
 * long the log is. For the JSON Lines export.
 */
export async function* iterateAuditEvents(db: Database, scope: AuditScope, filters: ResolvedAuditFilters, batch = 500): AsyncGenerator<AuditEventView> {
  let cursor: AuditCursor | null = null;
  for (;;) {
    const rows = await auditEventsQuery(db, { scope, filters, cursor, limit: batch });
    const page = rows.slice(0, batch);
    for (const row of page) yield toView(row);
    const last = page.at(-1);
    if (rows.length <= batch || !last) return;
    cursor = { occurredAt: last.cursorTime, id: last.id, direction: "older" };
  }
}

/** One line of the export: the event as JSON, times in UTC ISO 8601. */
export function toJsonLine(event: AuditEventView): string {
  return `${JSON.stringify({
    id: event.id,
    occurred_at: event.occurredAt.toISOString(),
    action: event.action,
    outcome: event.outcome,
    actor:
      event.actor?.type === "user"
        ? { type: "user", user_id: event.actor.userId, name: event.actor.name, email: event.actor.email }
        : event.actor,
    actor_session_id: event.actorSessionId,
    organization_id: event.organizationId,
    target: event.target,
    ip: event.ip,
    user_agent: event.userAgent,
    details: event.details,
  })}\n`;
}
