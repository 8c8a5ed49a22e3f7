/**
 * One primitive for every "we sent you a code or a link" flow (SECURITY.md: codes of 6–8 digits, ≤ 10 minutes, ≤ 5
 * attempts; link tokens ≥ 128 bits, stored as SHA-256, compared in constant time, single use; a newer request kills
 * the older). Each step that must happen once is one atomic UPDATE, so concurrent submissions give one success, and
 * the caller's work runs in the transaction that spent the code (`onVerified`), so a proven code is never spent
 * without its effect, nor its effect had twice.
 */
import { sha256 } from "@oslojs/crypto/sha2";
import { constantTimeEqual } from "@oslojs/crypto/subtle";
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from "@oslojs/encoding";
import { and, eq, gt, isNull, lt, sql } from "drizzle-orm";
import { createId, verifications, type Database, type Verification } from "@latchkey/db";

export const verificationPurposes = [
  "sign_up",
  "email_verification",
  "password_reset",
  "sign_in_code",
  "magic_link",
  "add_email",
  "domain_verification",
  // factors: SMS codes to a phone number
  "phone_verification",
  "sms_second_factor",
  // step-up: a code emailed to the primary address before a sensitive action (`/reverify`)
  "reverification_email",
] as const;
export type VerificationPurpose = (typeof verificationPurposes)[number];

export const MAX_CODE_ATTEMPTS = 5;

/** `digits` random decimal digits, uniformly (rejection sampling, no modulo bias). */
export function generateCode(digits = 6): string {
  if (digits < 6 || digits > 8) throw new RangeError("codes have 6 to 8 digits");
  let out = "";
  const byte = new Uint8Array(1);
  while (out.length < digits) {
    crypto.getRandomValues(byte);
    if (byte[0]! < 250) out += String(byte[0]! % 10);
  }
  return out;
}

/** Salted with the row id, so equal codes in two rows hash differently. */
function hashCode(id: string, code: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(`${id}:${code}`)));
}

function hashSecret(secret: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(secret)));
}

function sameHash(a: string | null, b: string): boolean {
  if (a === null) return false;
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  return x.length === y.length && constantTimeEqual(x, y);
}

export interface CreateVerificationInput {
  purpose: VerificationPurpose;
  target: string;
  userId?: string | null;
  ttlMs: number;
  /** A code to type in (6 digits unless said otherwise). */
  code?: boolean | { digits: number };
  /** Test mode only (the API's `testModeCode`): this code instead of a random one; still hashed, expiring and limited. */
  fixedCode?: string;
  /** A one-shot link token `<id>.<secret>` (192-bit secret). */
  link?: boolean;
  now?: Date;
}

export interface CreatedVerification {
  id: string;
  code: string | null;
  token: string | null;
  expiresAt: Date;
}

/** Starts a verification; any earlier live one for the same purpose and target stops working. */
export async function createVerification(db: Database, input: CreateVerificationInput): Promise<CreatedVerification> {
  const now = input.now ?? new Date();
  const id = createId("verification");
  const code = input.code ? (input.fixedCode ?? generateCode(typeof input.code === "object" ? input.code.digits : 6)) : null;
  let token: string | null = null;
  let tokenHash: string | null = null;
  if (input.link) {
    const bytes = new Uint8Array(24);
    crypto.getRandomValues(bytes);
    const secret = encodeBase32LowerCaseNoPadding(bytes);
    token = `${id}.${secret}`;
    tokenHash = hashSecret(secret);
  }
  const expiresAt = new Date(now.getTime() + input.ttlMs);
  await db.transaction(async (tx) => {
    await tx
      .update(verifications)
      .set({ consumedAt: now })
      .where(and(eq(verifications.purpose, input.purpose), eq(verifications.target, input.target), isNull(verifications.consumedAt)));
    await tx.insert(verifications).values({
      id,
      purpose: input.purpose,
      target: input.target,
      userId: input.userId ?? null,
      codeHash: code ? hashCode(id, code) : null,
      tokenHash,
      expiresAt,
      createdAt: now,
    });
  });
  // Now and then, drop rows that expired a day ago: they can only ever answer "invalid" now.
  if (Math.random() < 0.005) void pruneVerifications(db, new Date(now.getTime() - 24 * 3600_000)).catch(() => undefined);
  return { id, code, token, expiresAt };
}

/** Deletes verifications that expired before `olderThan`. */
export async function pruneVerifications(db: Database, olderThan: Date): Promise<void> {
  await db.delete(verifications).where(lt(verifications.expiresAt, sql`${olderThan.toISOString()}::timestamptz`));
}

export type VerificationFailure = "invalid" | "expired" | "too_many_attempts" | "already_verified";

export type VerificationResult = { ok: true; verification: Verification } | { ok: false; reason: VerificationFailure };

/** What `verifyCode` and `consumeToken` answer: the verification and the value `onVerified` returned, or why not. */
export type Verified<T> = { ok: true; verification: Verification; value: T } | { ok: false; reason: VerificationFailure };

/**
 * The caller's work once a code or link is proven, run in the transaction that spent it (`tx`, never the pool: PGlite
 * has one connection). If it throws, the check is rolled back with it and the code still works; to refuse without
 * giving the code back (say, to audit a failure), return a value that says so.
 */
export type OnVerified<T> = (tx: Database, verification: Verification) => Promise<T>;

const nothing: OnVerified<undefined> = async () => undefined;

/**
 * Checks a typed code and runs `onVerified` in the same transaction. Each check spends one of the 5 attempts first
 * (atomically, so parallel guesses can't exceed the cap); a right code then consumes the row, once. A second
 * submission of the right code waits for the first to commit and answers "already_verified", never "invalid".
 */
export async function verifyCode<T = undefined>(
  db: Database,
  input: { purpose: VerificationPurpose; target: string; code: string; now?: Date },
  onVerified: OnVerified<T> = nothing as OnVerified<T>,
): Promise<Verified<T>> {
  const now = input.now ?? new Date();
  const nowSql = sql`${now.toISOString()}::timestamptz`;
  return db.transaction(async (tx): Promise<Verified<T>> => {
    const [live] = await tx
      .update(verifications)
      .set({ attempts: sql`${verifications.attempts} + 1` })
      .where(
        and(
          eq(verifications.purpose, input.purpose),
          eq(verifications.target, input.target),
          isNull(verifications.consumedAt),
          gt(verifications.expiresAt, nowSql),
          lt(verifications.attempts, MAX_CODE_ATTEMPTS),
        ),
      )
      .returning();
    if (!live) return { ok: false, reason: await whyNot(tx, input, now) };
    if (!isCodeShaped(input.code) || !sameHash(live.codeHash, hashCode(live.id, input.code))) {
      return { ok: false, reason: live.attempts >= MAX_CODE_ATTEMPTS ? "too_many_attempts" : "invalid" };
    }
    const spent = await consume(tx, live.id, now);
    if (!spent) return { ok: false, reason: "already_verified" };
    return { ok: true, verification: spent, value: await onVerified(tx, spent) };
  });
}

/** Uses a link token once and runs `onVerified` in the same transaction; a second use answers "already_verified". */
export async function consumeToken<T = undefined>(
  db: Database,
  input: { purpose: VerificationPurpose; token: string; now?: Date },
  onVerified: OnVerified<T> = nothing as OnVerified<T>,
): Promise<Verified<T>> {
  const now = input.now ?? new Date();
  const match = /^(ver_[a-z2-7]{24})\.([a-z2-7]{39})$/.exec(input.token);
  if (!match) return { ok: false, reason: "invalid" };
  return db.transaction(async (tx): Promise<Verified<T>> => {
    const [row] = await tx.select().from(verifications).where(eq(verifications.id, match[1]!)).limit(1);
    if (!row || row.purpose !== input.purpose || !sameHash(row.tokenHash, hashSecret(match[2]!))) {
      return { ok: false, reason: "invalid" };
    }
    if (row.verifiedAt) return { ok: false, reason: "already_verified" };
    if (row.consumedAt) return { ok: false, reason: "invalid" };
    if (row.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: "expired" };
    const spent = await consume(tx, row.id, now);
    // A concurrent use committed between our read and our update (its row lock made us wait).
    if (!spent) return { ok: false, reason: (await isVerified(tx, row.id)) ? "already_verified" : "invalid" };
    return { ok: true, verification: spent, value: await onVerified(tx, spent) };
  });
}

function isCodeShaped(code: string): boolean {
  return /^\d{6,8}$/.test(code);
}

/** Spends the row: `verified_at` tells a proven row from one a newer request retired (both have `consumed_at`). */
async function consume(db: Database, id: string, now: Date): Promise<Verification | undefined> {
  const [done] = await db
    .update(verifications)
    .set({ consumedAt: now, verifiedAt: now })
    .where(and(eq(verifications.id, id), isNull(verifications.consumedAt)))
    .returning();
  return done;
}

async function isVerified(db: Database, id: string): Promise<boolean> {
  const [row] = await db.select({ verifiedAt: verifications.verifiedAt }).from(verifications).where(eq(verifications.id, id));
  return Boolean(row?.verifiedAt);
}

/**
 * Tells an expired code from a spent one, for a clear message; a wrong code on a dead row reads "invalid". The right
 * code for a row already proven reads "already_verified": the loser of a double submission (it waited on the
 * winner's row lock, then found the row consumed). A wrong code learns nothing from that row.
 */
async function whyNot(db: Database, input: { purpose: VerificationPurpose; target: string; code: string }, now: Date): Promise<VerificationFailure> {
  const [latest] = await db
    .select()
    .from(verifications)
    .where(and(eq(verifications.purpose, input.purpose), eq(verifications.target, input.target)))
    .orderBy(sql`${verifications.createdAt} desc`, sql`${verifications.verifiedAt} desc nulls last`)
    .limit(1);
  if (!latest) return "invalid";
  if (latest.consumedAt) {
    const proven = latest.verifiedAt && isCodeShaped(input.code) && sameHash(latest.codeHash, hashCode(latest.id, input.code));
    return proven ? "already_verified" : "invalid";
  }
  if (latest.attempts >= MAX_CODE_ATTEMPTS) return "too_many_attempts";
  if (latest.expiresAt.getTime() <= now.getTime()) return "expired";
  return "invalid";
}
