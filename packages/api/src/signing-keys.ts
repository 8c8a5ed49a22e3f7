/**
 * The keys session JWTs are signed with, and the JWKS that publishes their public halves (ADR "session JWTs").
 *
 * - EdDSA (Ed25519) by default, RS256 on request; made with `jose`. `kid` is the row id. The private JWK is stored
 *   encrypted with the keyring, bound to `signing-key:<kid>`, and never leaves this module.
 * - Exactly one key is active (`retired_at is null`; a unique partial index makes a second one impossible). The first
 *   is made on first need under a transaction-scoped advisory lock, so concurrent first requests end with one key.
 * - Rotation retires the active key and makes a new one in one transaction. The retired key stays in the JWKS until
 *   `published_until` = now + the longest token lifetime (max of 60 s and every template's) + clock-skew margin +
 *   the active-key cache below, so every token it signed can still be verified until it expires.
 *
 * Caching: decrypted private keys are cached per process by kid (a key row never changes, so this never goes stale).
 * Which key is active is re-read from the database at most every ACTIVE_KEY_CACHE_MS per process (one indexed
 * single-row read); a rotation on this process forgets it at once, one on another process is picked up within that
 * time — and a token signed meanwhile with the old key still verifies, because the window above includes this time.
 */
import { and, desc, eq, gt, isNotNull, isNull, max, or, sql } from "drizzle-orm";
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from "jose";
import { createId, jwtTemplates, signingKeys } from "@latchkey/db";
import { decryptSecret, encryptSecret } from "@latchkey/auth";
import type { Context } from "./context.ts";
import { recordAuditEvent } from "./audit.ts";

export type SigningAlgorithm = "EdDSA" | "RS256";
export const signingAlgorithms = ["EdDSA", "RS256"] as const satisfies readonly SigningAlgorithm[];
export const DEFAULT_SIGNING_ALGORITHM: SigningAlgorithm = "EdDSA";

/** Session JWTs live this long; templates choose their own (30 s – 24 h). */
export const SESSION_TOKEN_LIFETIME_SECONDS = 60;
/** How long a process trusts its idea of which key is active. */
export const ACTIVE_KEY_CACHE_MS = 10_000;
/** Extra time a retired key stays published for verifiers whose clocks run behind. */
export const CLOCK_SKEW_MARGIN_SECONDS = 60;

/** pg_advisory_xact_lock key for creating and rotating signing keys ("lk-sig" in ASCII). */
const SIGNING_KEY_LOCK = 0x6c6b2d736967;

type Db = Context["db"];
type KeyContext = Pick<Context, "db" | "keyring" | "now" | "ip" | "userAgent">;

export interface ActiveSigningKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: CryptoKey;
}

const activeByDb = new WeakMap<object, { kid: string; alg: SigningAlgorithm; checkedAt: number }>();
const privateKeys = new Map<string, Promise<CryptoKey>>();
const MAX_CACHED_KEYS = 32;

async function readActive(db: Db): Promise<{ id: string; alg: SigningAlgorithm } | null> {
  const [row] = await db.select({ id: signingKeys.id, alg: signingKeys.alg }).from(signingKeys).where(isNull(signingKeys.retiredAt)).limit(1);
  return row ?? null;
}

async function lock(tx: Db): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${SIGNING_KEY_LOCK})`);
}

/** Makes a key pair and stores it (the private half encrypted). Call inside the locked transaction. */
async function insertKey(ctx: KeyContext, tx: Db, alg: SigningAlgorithm, now: Date): Promise<{ id: string; alg: SigningAlgorithm }> {
  const id = createId("signingKey");
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === "RS256" ? { modulusLength: 2048 } : {}) });
  const publicJwk = { ...(await exportJWK(publicKey)), kid: id, alg, use: "sig" };
  const privateJwk = { ...(await exportJWK(privateKey)), kid: id, alg };
  await tx.insert(signingKeys).values({
    id,
    alg,
    publicJwk: publicJwk as unknown as Record<string, unknown>,
    privateKeyEncrypted: encryptSecret(ctx.keyring, JSON.stringify(privateJwk), `signing-key:${id}`),
    createdAt: now,
  });
  return { id, alg };
}

/** The active key's id, making the first key when there is none (race-safe). */
export async function ensureActiveKey(ctx: KeyContext): Promise<{ id: string; alg: SigningAlgorithm }> {
  const existing = await readActive(ctx.db);
  if (existing) return existing;
  return ctx.db.transaction(async (tx) => {
    await lock(tx);
    // Read again under the lock: a concurrent first request may have made it while we waited.
    const made = await readActive(tx);
    if (made) return made;
    const now = ctx.now();
    const key = await insertKey(ctx, tx, DEFAULT_SIGNING_ALGORITHM, now);
    await recordAuditEvent(ctx, { action: "signing_key.created", outcome: "success", targetType: "signing_key", targetId: key.id, details: { alg: key.alg } }, tx);
    return key;
  });
}

function loadPrivateKey(ctx: KeyContext, kid: string, alg: SigningAlgorithm): Promise<CryptoKey> {
  let pending = privateKeys.get(kid);
  if (!pending) {
    pending = (async () => {
      const [row] = await ctx.db.select({ encrypted: signingKeys.privateKeyEncrypted }).from(signingKeys).where(eq(signingKeys.id, kid));
      if (!row) throw new Error("signing key not found");
      const jwk = JSON.parse(decryptSecret(ctx.keyring, row.encrypted, `signing-key:${kid}`)) as JWK;
      const key = await importJWK(jwk, alg);
      if (key instanceof Uint8Array) throw new Error("signing key is not asymmetric");
      return key;
    })();
    // A failure (database down, wrong keyring) is not remembered: the next call tries again.
    pending.catch(() => privateKeys.delete(kid));
    if (privateKeys.size >= MAX_CACHED_KEYS) privateKeys.delete(privateKeys.keys().next().value!);
    privateKeys.set(kid, pending);
  }
  return pending;
}

/** The key to sign with now. */
export async function getActiveSigningKey(ctx: KeyContext): Promise<ActiveSigningKey> {
  const nowMs = ctx.now().getTime();
  let active = activeByDb.get(ctx.db);
  if (!active || nowMs - active.checkedAt >= ACTIVE_KEY_CACHE_MS || nowMs < active.checkedAt) {
    const row = await ensureActiveKey(ctx);
    active = { kid: row.id, alg: row.alg, checkedAt: nowMs };
    activeByDb.set(ctx.db, active);
  }
  return { kid: active.kid, alg: active.alg, privateKey: await loadPrivateKey(ctx, active.kid, active.alg) };
}

/** The longest lifetime a token can have now: 60 s or the longest template's. */
export async function maxTokenLifetimeSeconds(db: Db): Promise<number> {
  const [row] = await db.select({ longest: max(jwtTemplates.lifetimeSeconds) }).from(jwtTemplates);
  return Math.max(SESSION_TOKEN_LIFETIME_SECONDS, Number(row?.longest ?? 0));
}

/** How long a retired key stays published after retirement, for tokens of `lifetimeSeconds`. */
export function publicationWindowSeconds(lifetimeSeconds: number): number {
  return lifetimeSeconds + CLOCK_SKEW_MARGIN_SECONDS + Math.ceil(ACTIVE_KEY_CACHE_MS / 1000);
}

export interface RotationResult {
  kid: string;
  alg: SigningAlgorithm;
  retired: { kid: string; publishedUntil: Date } | null;
}

/** Retires the active key (kept in the JWKS for one maximum lifetime and margins) and makes a new one that signs from now on. */
export async function rotateSigningKey(
  ctx: KeyContext,
  alg: SigningAlgorithm,
  actor: { userId: string; sessionId: string },
): Promise<RotationResult> {
  const result = await ctx.db.transaction(async (tx) => {
    await lock(tx);
    const now = ctx.now();
    const current = await readActive(tx);
    let retired: RotationResult["retired"] = null;
    if (current) {
      const publishedUntil = new Date(now.getTime() + publicationWindowSeconds(await maxTokenLifetimeSeconds(tx)) * 1000);
      await tx.update(signingKeys).set({ retiredAt: now, publishedUntil }).where(eq(signingKeys.id, current.id));
      retired = { kid: current.id, publishedUntil };
    }
    const key = await insertKey(ctx, tx, alg, now);
    await recordAuditEvent(
      ctx,
      {
        action: "signing_key.rotated",
        outcome: "success",
        actorUserId: actor.userId,
        actorSessionId: actor.sessionId,
        targetType: "signing_key",
        targetId: key.id,
        details: { alg, retiredKid: retired?.kid ?? null, retiredPublishedUntil: retired?.publishedUntil.toISOString() ?? null },
      },
      tx,
    );
    return { kid: key.id, alg, retired };
  });
  activeByDb.delete(ctx.db);
  return result;
}

/**
 * A template's lifetime grew: retired keys still published keep their publication long enough for a token of the
 * new lifetime signed just before they were retired. Call in the template's transaction.
 */
export async function extendRetiredKeys(tx: Db, lifetimeSeconds: number, now: Date): Promise<void> {
  const window = publicationWindowSeconds(lifetimeSeconds);
  await tx
    .update(signingKeys)
    .set({ publishedUntil: sql`greatest(${signingKeys.publishedUntil}, ${signingKeys.retiredAt} + make_interval(secs => ${window}))` })
    .where(and(isNotNull(signingKeys.retiredAt), gt(signingKeys.publishedUntil, now)));
}

export interface SigningKeySummary {
  kid: string;
  alg: SigningAlgorithm;
  createdAt: Date;
  retiredAt: Date | null;
  publishedUntil: Date | null;
  active: boolean;
  published: boolean;
}

/** Every key, newest first, with whether it signs and whether it is in the JWKS. No key material. */
export async function listSigningKeys(db: Db, now: Date): Promise<SigningKeySummary[]> {
  const rows = await db
    .select({ id: signingKeys.id, alg: signingKeys.alg, createdAt: signingKeys.createdAt, retiredAt: signingKeys.retiredAt, publishedUntil: signingKeys.publishedUntil })
    .from(signingKeys)
    .orderBy(desc(signingKeys.createdAt), desc(signingKeys.id))
    .limit(100);
  return rows.map((row) => ({
    kid: row.id,
    alg: row.alg,
    createdAt: row.createdAt,
    retiredAt: row.retiredAt,
    publishedUntil: row.publishedUntil,
    active: row.retiredAt === null,
    published: row.retiredAt === null || (row.publishedUntil !== null && row.publishedUntil > now),
  }));
}

export interface PublicJwk {
  kty: "OKP" | "RSA";
  kid: string;
  alg: SigningAlgorithm;
  use: "sig";
  crv?: string;
  x?: string;
  n?: string;
  e?: string;
}

/** Only the public members, named one by one: nothing else stored in the row can reach the JWKS. */
function publicJwkOf(row: { id: string; alg: SigningAlgorithm; publicJwk: Record<string, unknown> }): PublicJwk {
  const jwk = row.publicJwk;
  if (row.alg === "EdDSA") return { kty: "OKP", crv: String(jwk.crv), x: String(jwk.x), kid: row.id, alg: row.alg, use: "sig" };
  return { kty: "RSA", n: String(jwk.n), e: String(jwk.e), kid: row.id, alg: row.alg, use: "sig" };
}

/** The JWKS: the active key (made when there is none yet) and every retired key still within its publication window. */
export async function getJwks(ctx: KeyContext): Promise<{ keys: PublicJwk[] }> {
  await ensureActiveKey(ctx);
  const rows = await ctx.db
    .select({ id: signingKeys.id, alg: signingKeys.alg, publicJwk: signingKeys.publicJwk })
    .from(signingKeys)
    .where(or(isNull(signingKeys.retiredAt), gt(signingKeys.publishedUntil, ctx.now())))
    .orderBy(desc(signingKeys.createdAt), desc(signingKeys.id));
  return { keys: rows.map(publicJwkOf) };
}

/** For tests: forget what this process cached. */
export function resetSigningKeyCache(): void {
  privateKeys.clear();
}
