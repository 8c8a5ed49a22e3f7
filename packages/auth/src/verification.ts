/**
 * One primitive for every "we sent you a code or a link" flow (SECURITY.md: codes of 6–8 digits, ≤ 10 minutes, ≤ 5
 * attempts; link tokens ≥ 128 bits, stored as SHA-256, compared in constant time, single use; a newer request kills
 * the older). Each step that must happen once is one atomic UPDATE, so concurrent submissions give one success.
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

export type VerificationResult =
  | { ok: true; verification: Verification }
  | { ok: false; reason: "invalid" | "expired" | "too_many_attempts" };

/**
 * Checks a typed code. Each check spends one of the 5 attempts first (atomically, so parallel guesses can't exceed
 * the cap); a right code then consumes the row, once.
 */
export async function verifyCode(
  db: Database,
  input: { purpose: VerificationPurpose; target: string; code: string; now?: Date },
): Promise<VerificationResult> {
  const now = input.now ?? new Date();
  const nowSql = sql`${now.toISOString()}::timestamptz`;
  const [live] = await db
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
  if (!live) return { ok: false, reason: await whyNot(db, input.purpose, input.target, now) };
  if (!/^\d{6,8}$/.test(input.code) || !sameHash(live.codeHash, hashCode(live.id, input.code))) {
    return { ok: false, reason: live.attempts >= MAX_CODE_ATTEMPTS ? "too_many_attempts" : "invalid" };
  }
  return consume(db, live.id, now);
}

/** Uses a link token once. */
export async function consumeToken(
  db: Database,
  input: { purpose: VerificationPurpose; token: string; now?: Date },
): Promise<VerificationResult> {
  const now = input.now ?? new Date();
  const match = /^(ver_[a-z2-7]{24})\.([a-z2-7]{39})$/.exec(input.token);
  if (!match) return { ok: false, reason: "invalid" };
  const [row] = await db.select().from(verifications).where(eq(verifications.id, match[1]!)).limit(1);
  if (!row || row.purpose !== input.purpose || !sameHash(row.tokenHash, hashSecret(match[2]!))) {
    return { ok: false, reason: "invalid" };
  }
  if (row.consumedAt) return { ok: false, reason: "invalid" };
  if (row.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: "expired" };
  return consume(db, row.id, now);
}

async function consume(db: Database, id: string, now: Date): Promise<VerificationResult> {
  const [done] = await db
    .update(verifications)
    .set({ consumedAt: now })
    .where(and(eq(verifications.id, id), isNull(verifications.consumedAt)))
    .returning();
  return done ? { ok: true, verification: done } : { ok: false, reason: "invalid" };
}

/** Tells an expired code from a spent one, for a clear message; a wrong code on a dead row reads "invalid". */
async function whyNot(db: Database, purpose: VerificationPurpose, target: string, now: Date) {
  const [latest] = await db
    .select()
    .from(verifications)
    .where(and(eq(verifications.purpose, purpose), eq(verifications.target, target)))
    .orderBy(sql`${verifications.createdAt} desc`)
    .limit(1);
  if (!latest || latest.consumedAt) return "invalid" as const;
  if (latest.attempts >= MAX_CODE_ATTEMPTS) return "too_many_attempts" as const;
  if (latest.expiresAt.getTime() <= now.getTime()) return "expired" as const;
  return "invalid" as const;
}
