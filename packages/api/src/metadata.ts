/**
 * Metadata on users and organizations, as in Clerk: `publicMetadata` (the server writes, the browser may read),
 * `privateMetadata` (the server only: never sent to a browser) and `unsafeMetadata` (the user writes their own).
 *
 * Every writer validates with `checkMetadata`: a plain JSON object (not an array or null), at most 8 KB serialized,
 * nested at most 10 deep, no `__proto__` / `constructor` / `prototype` keys, and only JSON values (no undefined,
 * functions, symbols, bigints, dates, NaN or Infinity). Bad input is a 400 naming the field (and the path inside it).
 *
 * Updates merge like Clerk's `updateUserMetadata`: top-level keys of the patch replace the stored ones, a key set to
 * `null` is removed, keys not in the patch stay. Nested objects are replaced whole, not merged. The merged result must
 * pass the same checks.
 */
import { eq } from "drizzle-orm";
import { z } from "zod";
import { organizations, users, type Database } from "@latchkey/db";
import { fieldError } from "./errors.ts";

export type MetadataObject = Record<string, unknown>;

/** Bytes of the UTF-8 JSON serialization. */
export const METADATA_MAX_BYTES = 8 * 1024;
/** The top-level object is depth 1. */
export const METADATA_MAX_DEPTH = 10;
const forbiddenKeys = new Set(["__proto__", "constructor", "prototype"]);

export type MetadataProblem = { path: string[]; message: string };

function isPlainObject(value: unknown): value is MetadataObject {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function checkValue(value: unknown, path: string[], depth: number): MetadataProblem | null {
  if (value === null || typeof value === "string" || typeof value === "boolean") return null;
  if (typeof value === "number") return Number.isFinite(value) ? null : { path, message: "Numbers must be finite." };
  if (Array.isArray(value) || isPlainObject(value)) {
    if (depth > METADATA_MAX_DEPTH) return { path, message: `Nested more than ${METADATA_MAX_DEPTH} levels deep.` };
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        if (!(i in value)) return { path: [...path, String(i)], message: "Arrays can't have holes." };
        const problem = checkValue(value[i], [...path, String(i)], depth + 1);
        if (problem) return problem;
      }
      return null;
    }
    if (Object.getOwnPropertySymbols(value).length > 0) return { path, message: "Only JSON values are allowed." };
    for (const key of Object.keys(value)) {
      if (forbiddenKeys.has(key)) return { path: [...path, key], message: `The key "${key}" is not allowed.` };
      const problem = checkValue(value[key], [...path, key], depth + 1);
      if (problem) return problem;
    }
    return null;
  }
  const kind = value === undefined ? "undefined" : typeof value === "object" ? "a non-JSON object" : `a ${typeof value}`;
  return { path, message: `Only JSON values are allowed, not ${kind}.` };
}

/** The first problem with a metadata value, or null when it may be stored. */
export function findMetadataProblem(value: unknown): MetadataProblem | null {
  if (!isPlainObject(value)) return { path: [], message: "Must be a JSON object." };
  const problem = checkValue(value, [], 1);
  if (problem) return problem;
  const bytes = Buffer.byteLength(JSON.stringify(value), "utf8");
  if (bytes > METADATA_MAX_BYTES) return { path: [], message: `At most 8 KB (this is ${bytes} bytes).` };
  return null;
}

/** Throws a 400 naming `field` (e.g. `unsafeMetadata.profile.__proto__`) when the value can't be stored. */
export function checkMetadata(field: string, value: unknown): MetadataObject {
  const problem = findMetadataProblem(value);
  if (problem) throw fieldError([field, ...problem.path].join("."), problem.message);
  return value as MetadataObject;
}

/**
 * A patch for the merge: a JSON object whose top-level values may be null (= remove the key). Used as a tRPC input so
 * a bad value fails validation before anything is read or written.
 */
export const metadataPatchSchema = z.unknown().superRefine((value, ctx) => {
  const problem = findMetadataProblem(value);
  if (problem) ctx.addIssue({ code: "custom", path: problem.path, message: problem.message });
}) as unknown as z.ZodType<MetadataObject>;

/** Clerk's merge: top-level keys replace, `null` removes, absent keys stay. */
export function mergeMetadata(current: MetadataObject, patch: MetadataObject): MetadataObject {
  const merged: MetadataObject = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

export type MetadataKind = "public" | "private" | "unsafe";
export type MetadataField = `${MetadataKind}Metadata`;
export type MetadataPatches = Partial<Record<MetadataField, MetadataObject | undefined>>;
export type MetadataSnapshot = Partial<Record<MetadataField, MetadataObject>>;

/** Users have all three kinds; organizations only public and private (as in Clerk). */
const fieldsOf = {
  user: ["publicMetadata", "privateMetadata", "unsafeMetadata"],
  organization: ["publicMetadata", "privateMetadata"],
} as const satisfies Record<string, readonly MetadataField[]>;

async function lockedMetadata(tx: Database, owner: { type: "user" | "organization"; id: string }): Promise<MetadataSnapshot | null> {
  if (owner.type === "user") {
    const [row] = await tx
      .select({ publicMetadata: users.publicMetadata, privateMetadata: users.privateMetadata, unsafeMetadata: users.unsafeMetadata })
      .from(users)
      .where(eq(users.id, owner.id))
      .for("update");
    return row ?? null;
  }
  const [row] = await tx
    .select({ publicMetadata: organizations.publicMetadata, privateMetadata: organizations.privateMetadata })
    .from(organizations)
    .where(eq(organizations.id, owner.id))
    .for("update");
  return row ?? null;
}

/**
 * Merges patches into a user's or an organization's metadata inside `tx`, with the row locked so two concurrent
 * merges both land. Validates each patch and each result (400 naming the field; nothing is written on error).
 * `replace: true` stores the patch as is instead of merging (the `/user` editor sends the whole object).
 * Returns null when the row does not exist, else the stored values and the fields that were written.
 */
export async function writeMetadata(
  tx: Database,
  owner: { type: "user" | "organization"; id: string },
  patches: MetadataPatches,
  options: { now: Date; replace?: boolean },
): Promise<{ metadata: MetadataSnapshot; changed: MetadataField[] } | null> {
  const fields: readonly MetadataField[] = fieldsOf[owner.type];
  for (const field of Object.keys(patches) as MetadataField[]) {
    if (patches[field] === undefined) continue;
    if (!fields.includes(field)) throw fieldError(field, `A${owner.type === "organization" ? "n organization" : " user"} has no ${field}.`);
    checkMetadata(field, patches[field]);
  }
  const row = await lockedMetadata(tx, owner);
  if (!row) return null;
  const next: MetadataSnapshot = { ...row };
  const changed: MetadataField[] = [];
  for (const field of fields) {
    const patch = patches[field];
    if (patch === undefined) continue;
    next[field] = checkMetadata(field, options.replace ? patch : mergeMetadata(row[field] ?? {}, patch));
    changed.push(field);
  }
  if (changed.length > 0) {
    const set = Object.fromEntries(changed.map((field) => [field, next[field]]));
    if (owner.type === "user") await tx.update(users).set({ ...set, updatedAt: options.now }).where(eq(users.id, owner.id));
    else await tx.update(organizations).set({ ...set, updatedAt: options.now }).where(eq(organizations.id, owner.id));
  }
  return { metadata: next, changed };
}
