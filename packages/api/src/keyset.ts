/**
 * Pieces every keyset-paged, searchable list shares (members, audit log, admin users and organizations): escaping
 * typed text for LIKE, and the opaque `(created_at, id)` cursor.
 */

/** `%`, `_` and `\` typed by a person match themselves in a LIKE pattern (Postgres' default escape is `\`). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** A page boundary: the last row's creation time (to the microsecond, as `cursorTimeSql`-style `to_char` prints it) and id. */
export interface TimeIdCursor {
  createdAt: string;
  id: string;
}

const cursorTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function encodeTimeIdCursor(cursor: TimeIdCursor): string {
  return Buffer.from(`${cursor.createdAt}|${cursor.id}`, "utf8").toString("base64url");
}

/** The cursor a previous page returned, or null when it is not one of ours (`idPattern` checks the row id's kind). */
export function decodeTimeIdCursor(value: string, idPattern: RegExp): TimeIdCursor | null {
  const [createdAt, id, ...rest] = Buffer.from(value, "base64url").toString("utf8").split("|");
  if (rest.length > 0 || !createdAt || !id || !cursorTime.test(createdAt) || !idPattern.test(id)) return null;
  return { createdAt, id };
}
