/**
 * The webhook delivery worker. Each tick:
 *  1. fans undispatched outbox events out into one delivery per matching enabled endpoint (unique per endpoint and
 *     event, so a fan-out that runs twice adds nothing), marking the events dispatched in the same transaction;
 *  2. claims due deliveries with `FOR UPDATE SKIP LOCKED` and a lease (`locked_until`), so concurrent workers never
 *     take the same row and a killed worker's claim simply lapses and the delivery is retried with the same id;
 *  3. sends each claimed delivery (signed, `webhook-id` = the delivery id) and records the attempt, then schedules
 *     the next one (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h, ±10 % jitter) or marks it succeeded or dead;
 *  4. deletes one small batch of delivered events older than the retention (30 days unless set; retention.ts), and of
 *     activity days when an activity retention is set.
 * Events fan out in the order they happened: by `seq`, a sequence the outbox triggers draw from in the order they run.
 *
 * Runs inside the web app (`startWebhookWorker` from apps/web/server.js) and alone (`npm run worker`).
 */
import { and, asc, eq, inArray, isNull, lte, or } from "drizzle-orm";
import { outboxEvents, webhookAttempts, webhookDeliveries, webhookEndpoints, type Database } from "@latchkey/db";
import { decryptSecret, type Keyring } from "@latchkey/auth";
import { getInstanceSettings } from "../instance-settings.ts";
import { eventBody } from "./events.ts";
import { sendWebhook, type AttemptResult, type SendOptions } from "./send.ts";
import { activityRetention, outboxRetention, outboxRetentionDaysFromEnv, pruneBatch, retentionCutoff } from "../retention.ts";
import { webhookHeaders } from "./signing.ts";

/** Delays before retry 1…9, from SECURITY.md; the tenth failure is final. */
export const RETRY_DELAYS_MS = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  14 * 3_600_000,
  20 * 3_600_000,
  24 * 3_600_000,
] as const;
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
/** Longer than the 15-second send deadline plus bookkeeping, so a live worker never loses its claim. */
export const LEASE_MS = 60_000;

export interface WorkerOptions {
  db: Database;
  keyring: Keyring;
  now?: () => Date;
  /** In [0, 1); drives the ±10 % jitter. */
  random?: () => number;
  batchSize?: number;
  leaseMs?: number;
  timeoutMs?: number;
  /** Replaces the HTTP send (tests that need to stop a worker mid-delivery). */
  send?: (options: SendOptions) => Promise<AttemptResult>;
  /** Days delivered outbox events are kept (default `LATCHKEY_OUTBOX_RETENTION_DAYS`, else 30). */
  outboxRetentionDays?: number;
  /** Days of `user_activity_days` rows kept; unset keeps them all. */
  activityRetentionDays?: number | null;
  /** Rows deleted per table per pass. */
  pruneBatchSize?: number;
}

export interface TickResult {
  fannedOut: number;
  claimed: number;
  succeeded: number;
  failed: number;
  dead: number;
  pruned: number;
}

/** When the next attempt is due after `attempts` failures, or null when that was the last one. */
export function nextAttemptAt(attempts: number, now: Date, random: () => number = Math.random): Date | null {
  const base = RETRY_DELAYS_MS[attempts - 1];
  if (base === undefined) return null;
  const jitter = 0.9 + 0.2 * random();
  return new Date(now.getTime() + Math.round(base * jitter));
}

/** Step 1: undispatched events → deliveries. Returns how many events were dispatched. */
export async function fanOut(options: Pick<WorkerOptions, "db" | "now" | "batchSize">): Promise<number> {
  const now = (options.now ?? (() => new Date()))();
  return options.db.transaction(async (tx) => {
    const events = await tx
      .select({ id: outboxEvents.id, type: outboxEvents.type })
      .from(outboxEvents)
      .where(isNull(outboxEvents.dispatchedAt))
      .orderBy(asc(outboxEvents.seq))
      .limit(options.batchSize ?? 100)
      .for("update", { skipLocked: true });
    if (events.length === 0) return 0;
    const endpoints = await tx
      .select({ id: webhookEndpoints.id, eventTypes: webhookEndpoints.eventTypes })
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.enabled, true));
    const rows = events.flatMap((event) =>
      endpoints
        .filter((endpoint) => endpoint.eventTypes.length === 0 || endpoint.eventTypes.includes(event.type))
        .map((endpoint) => ({ endpointId: endpoint.id, eventId: event.id, nextAttemptAt: now, createdAt: now, updatedAt: now })),
    );
    if (rows.length > 0) await tx.insert(webhookDeliveries).values(rows).onConflictDoNothing();
    await tx
      .update(outboxEvents)
      .set({ dispatchedAt: now })
      .where(inArray(outboxEvents.id, events.map((event) => event.id)));
    return events.length;
  });
}

interface Claim {
  id: string;
  endpointId: string;
  eventId: string;
  attempts: number;
  lease: Date;
}

/** Step 2: takes up to `batchSize` due deliveries of enabled endpoints for `leaseMs`. */
export async function claimDue(options: Pick<WorkerOptions, "db" | "now" | "batchSize" | "leaseMs">): Promise<Claim[]> {
  const now = (options.now ?? (() => new Date()))();
  const lease = new Date(now.getTime() + (options.leaseMs ?? LEASE_MS));
  return options.db.transaction(async (tx) => {
    const due = await tx
      .select({ id: webhookDeliveries.id })
      .from(webhookDeliveries)
      .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
      .where(
        and(
          inArray(webhookDeliveries.status, ["pending", "failed"]),
          lte(webhookDeliveries.nextAttemptAt, now),
          or(isNull(webhookDeliveries.lockedUntil), lte(webhookDeliveries.lockedUntil, now)),
          eq(webhookEndpoints.enabled, true),
        ),
      )
      .orderBy(asc(webhookDeliveries.nextAttemptAt))
      .limit(options.batchSize ?? 20)
      .for("update", { of: webhookDeliveries, skipLocked: true });
    if (due.length === 0) return [];
    const claimed = await tx
      .update(webhookDeliveries)
      .set({ lockedUntil: lease, updatedAt: now })
      .where(inArray(webhookDeliveries.id, due.map((row) => row.id)))
      .returning({ id: webhookDeliveries.id, endpointId: webhookDeliveries.endpointId, eventId: webhookDeliveries.eventId, attempts: webhookDeliveries.attempts });
    return claimed.map((row) => ({ ...row, lease }));
  });
}

/** The secrets to sign with: the current one, and the previous one while its overlap lasts. */
export function signingSecrets(
  keyring: Keyring,
  endpoint: { id: string; secretEncrypted: string; previousSecretEncrypted: string | null; previousSecretExpiresAt: Date | null },
  now: Date,
): string[] {
  const context = `webhook:${endpoint.id}`;
  const secrets = [decryptSecret(keyring, endpoint.secretEncrypted, context)];
  if (endpoint.previousSecretEncrypted && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now) {
    secrets.push(decryptSecret(keyring, endpoint.previousSecretEncrypted, context));
  }
  return secrets;
}

/** Step 3 for one claimed delivery. Returns its new status. */
export async function deliver(options: WorkerOptions, claim: Claim): Promise<"succeeded" | "failed" | "dead" | "lost"> {
  const clock = options.now ?? (() => new Date());
  const { db } = options;
  const [row] = await db
    .select({ endpoint: webhookEndpoints, event: outboxEvents })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .innerJoin(outboxEvents, eq(outboxEvents.id, webhookDeliveries.eventId))
    .where(eq(webhookDeliveries.id, claim.id));
  if (!row) return "lost"; // endpoint or event deleted meanwhile; the row went with it
  const settings = await getInstanceSettings(db);
  const sentAt = clock();
  const body = eventBody(row.event);
  let secrets: string[] | null = null;
  try {
    secrets = signingSecrets(options.keyring, row.endpoint, sentAt);
  } catch {
    secrets = null; // the secret can't be read with this keyring (wrong LATCHKEY_ENCRYPTION_KEY): never send unsigned
  }
  const send = options.send ?? sendWebhook;
  const result: AttemptResult = secrets
    ? await send({
        url: row.endpoint.url,
        headers: webhookHeaders(secrets, claim.id, Math.floor(sentAt.getTime() / 1000), body),
        body,
        allowPrivate: settings.allowPrivateWebhookTargets,
        timeoutMs: options.timeoutMs,
      })
    : { ok: false, statusCode: null, durationMs: 0, error: "secret_unreadable" };
  const finishedAt = clock();
  const attempts = claim.attempts + 1;
  const next = result.ok ? null : nextAttemptAt(attempts, finishedAt, options.random);
  const status = result.ok ? "succeeded" : next ? "failed" : "dead";
  return db.transaction(async (tx) => {
    await tx.insert(webhookAttempts).values({
      deliveryId: claim.id,
      attemptedAt: sentAt,
      statusCode: result.statusCode,
      durationMs: result.durationMs,
      succeeded: result.ok,
      error: result.error,
    });
    // Only the holder of the lease updates the row; a worker whose lease lapsed (and was taken over) just logs.
    const updated = await tx
      .update(webhookDeliveries)
      .set({
        status,
        attempts,
        nextAttemptAt: next ?? finishedAt,
        lockedUntil: null,
        lastStatusCode: result.statusCode,
        lastError: result.error,
        updatedAt: finishedAt,
      })
      .where(and(eq(webhookDeliveries.id, claim.id), eq(webhookDeliveries.lockedUntil, claim.lease)))
      .returning({ id: webhookDeliveries.id });
    return updated.length > 0 ? status : "lost";
  });
}

/** One pass: fan out, claim, send. */
export async function runWorkerOnce(options: WorkerOptions): Promise<TickResult> {
  const fannedOut = await fanOut(options);
  const claims = await claimDue(options);
  const result: TickResult = { fannedOut, claimed: claims.length, succeeded: 0, failed: 0, dead: 0, pruned: 0 };
  const outcomes = await Promise.all(claims.map((claim) => deliver(options, claim)));
  for (const outcome of outcomes) if (outcome !== "lost") result[outcome] += 1;
  result.pruned = await prune(options);
  return result;
}

/** Step 4: one batch per retention rule. */
export async function prune(options: Pick<WorkerOptions, "db" | "now" | "outboxRetentionDays" | "activityRetentionDays" | "pruneBatchSize">): Promise<number> {
  const now = (options.now ?? (() => new Date()))();
  const batchSize = options.pruneBatchSize;
  let pruned = await pruneBatch(options.db, outboxRetention, { cutoff: retentionCutoff(now, options.outboxRetentionDays ?? outboxRetentionDaysFromEnv()), batchSize });
  if (options.activityRetentionDays) {
    pruned += await pruneBatch(options.db, activityRetention, { cutoff: retentionCutoff(now, options.activityRetentionDays), batchSize });
  }
  return pruned;
}

export interface RunningWorker {
  /** Resolves once the current pass finished; no new pass starts after it is called. */
  stop: () => Promise<void>;
}

/**
 * Polls every `intervalMs` (immediately again while there is work). Errors (database down) are logged and retried on
 * the next tick, never thrown.
 */
export function startWebhookWorker(options: WorkerOptions & { intervalMs?: number; log?: (message: string, error?: unknown) => void }): RunningWorker {
  const interval = options.intervalMs ?? 1_000;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let current: Promise<void> = Promise.resolve();
  const tick = async () => {
    let busy = false;
    try {
      const result = await runWorkerOnce(options);
      busy = result.fannedOut > 0 || result.claimed > 0 || result.pruned > 0;
    } catch (error) {
      options.log?.("webhook worker: pass failed", error);
    }
    if (!stopped) timer = setTimeout(run, busy ? 0 : interval);
  };
  const run = () => {
    current = tick();
  };
  timer = setTimeout(run, 0);
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current;
    },
  };
}

