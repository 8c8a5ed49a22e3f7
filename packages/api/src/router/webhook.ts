/**
 * Webhook endpoints, their deliveries and replays (`/admin/webhooks`). Instance administrators only.
 *
 * A secret (`whsec_…`) is returned exactly once, by `create` or `rotateSecret`, and stored encrypted
 * (`webhook:<endpointId>` bound as AAD). Rotation keeps the previous secret signing for 24 hours, so receivers can
 * switch over; meanwhile every message carries both signatures. Sending is the worker's job (../webhooks/worker.ts).
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { and, desc, eq, lt, or, sql } from "drizzle-orm";
import { z } from "zod";
import { createId, outboxEvents, webhookAttempts, webhookDeliveries, webhookEndpoints } from "@latchkey/db";
import { encryptSecret } from "@latchkey/auth";
import { instanceAdminProcedure } from "../trpc.ts";
import { ApiError, fieldError } from "../errors.ts";
import { recordAuditEvent } from "../audit.ts";
import type { Context } from "../context.ts";
import { getInstanceSettings } from "../instance-settings.ts";
import { idSchema } from "../validation.ts";
import { TEST_EVENT_TYPE, webhookEventTypes } from "../webhooks/events.ts";
import { generateWebhookSecret } from "../webhooks/signing.ts";
import { isPrivateAddress, literalAddress } from "../webhooks/targets.ts";

/** How long a rotated-out secret keeps signing. */
export const SECRET_OVERLAP_MS = 24 * 3_600_000;

const endpointIdSchema = idSchema("ep");
const deliveryIdSchema = idSchema("msg");
const urlSchema = z.string("Enter a URL.").trim().min(1, "Enter a URL.").max(2048, "At most 2048 characters.");
const descriptionSchema = z.string().trim().max(500, "At most 500 characters.");
const eventTypesSchema = z
  .array(z.enum(webhookEventTypes, "Not a known event type."), "List the event types.")
  .max(webhookEventTypes.length, "Too many event types.")
  .transform((types) => [...new Set(types)].sort());

type AdminCtx = Context & { user: { id: string }; session: { id: string } };

/** https only (http when the development setting allows), no credentials, no private literal address unless allowed. */
async function checkUrl(ctx: Context, raw: string): Promise<string> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw fieldError("url", "Enter a full URL, such as https://example.com/webhooks.");
  }
  const settings = await getInstanceSettings(ctx.db);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && settings.allowHttpWebhookUrls)) {
    throw fieldError("url", "Use an https:// URL.", "WEBHOOK_URL_INSECURE");
  }
  if (url.username || url.password) throw fieldError("url", "Don't put a user name or password in the URL.");
  if (!url.hostname) throw fieldError("url", "Enter a full URL, such as https://example.com/webhooks.");
  const literal = literalAddress(url.hostname);
  // A trailing dot is the same name, fully qualified: `localhost.` and `app.localhost.` are still this machine.
  const host = url.hostname.toLowerCase().replace(/\.+$/, "");
  const localName = host === "localhost" || host.endsWith(".localhost") || host.endsWith(".local") || host.endsWith(".internal");
  if (!settings.allowPrivateWebhookTargets && ((literal && isPrivateAddress(literal)) || localName)) {
    throw fieldError("url", "That address is private; webhooks go to public addresses only.", "WEBHOOK_TARGET_PRIVATE");
  }
  url.hash = "";
  return url.toString();
}

async function audit(ctx: AdminCtx, tx: Context["db"], action: string, targetId: string, details: Record<string, unknown> = {}) {
  await recordAuditEvent(
    ctx,
    { action, outcome: "success", actorUserId: ctx.user.id, actorSessionId: ctx.session.id, targetType: "webhook_endpoint", targetId, details },
    tx,
  );
}

const endpointColumns = {
  id: webhookEndpoints.id,
  url: webhookEndpoints.url,
  description: webhookEndpoints.description,
  eventTypes: webhookEndpoints.eventTypes,
  enabled: webhookEndpoints.enabled,
  previousSecretExpiresAt: webhookEndpoints.previousSecretExpiresAt,
  createdAt: webhookEndpoints.createdAt,
  updatedAt: webhookEndpoints.updatedAt,
};

interface EndpointRow {
  id: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  enabled: boolean;
  previousSecretExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

function endpointResult(row: EndpointRow, now: Date) {
  const rotating = row.previousSecretExpiresAt !== null && row.previousSecretExpiresAt > now;
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: row.eventTypes,
    enabled: row.enabled,
    /** While set, messages are signed with the previous secret too. */
    previousSecretExpiresAt: rotating ? row.previousSecretExpiresAt : null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function notFound(): never {
  throw new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "No such webhook endpoint." });
}

async function lockEndpoint(tx: Context["db"], endpointId: string) {
  const [row] = await tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId)).for("update");
  return row ?? notFound();
}

export const webhookRouter = {
  /** Every endpoint, newest first, with delivery counts by status. Never a secret. */
  list: instanceAdminProcedure.query(async ({ ctx }) => {
    const rows = await ctx.db.select(endpointColumns).from(webhookEndpoints).orderBy(desc(webhookEndpoints.createdAt), desc(webhookEndpoints.id));
    const counts = await ctx.db
      .select({ endpointId: webhookDeliveries.endpointId, status: webhookDeliveries.status, n: sql<number>`count(*)::int` })
      .from(webhookDeliveries)
      .groupBy(webhookDeliveries.endpointId, webhookDeliveries.status);
    const now = ctx.now();
    return {
      endpoints: rows.map((row) => {
        const byStatus = { pending: 0, succeeded: 0, failed: 0, dead: 0 };
        for (const c of counts) if (c.endpointId === row.id) byStatus[c.status] = Number(c.n);
        return { ...endpointResult(row, now), deliveries: byStatus };
      }),
      eventTypes: [...webhookEventTypes],
    };
  }),

  get: instanceAdminProcedure
    .input(z.object({ endpointId: endpointIdSchema }))
    .query(async ({ ctx, input }) => {
      const [row] = await ctx.db.select(endpointColumns).from(webhookEndpoints).where(eq(webhookEndpoints.id, input.endpointId));
      return endpointResult(row ?? notFound(), ctx.now());
    }),

  /** Registers an endpoint; the answer carries its signing secret, which is never shown again. */
  create: instanceAdminProcedure
    .input(z.object({ url: urlSchema, description: descriptionSchema.optional(), eventTypes: eventTypesSchema.default([]), enabled: z.boolean().default(true) }))
    .mutation(async ({ ctx, input }) => {
      const url = await checkUrl(ctx, input.url);
      const secret = generateWebhookSecret();
      return ctx.db.transaction(async (tx) => {
        const now = ctx.now();
        const id = createId("webhookEndpoint");
        const [row] = await tx
          .insert(webhookEndpoints)
          .values({
            id,
            url,
            description: input.description || null,
            eventTypes: input.eventTypes,
            enabled: input.enabled,
            secretEncrypted: encryptSecret(ctx.keyring, secret, `webhook:${id}`),
            createdBy: ctx.user.id,
            createdAt: now,
            updatedAt: now,
          })
          .returning(endpointColumns);
        await audit(ctx, tx, "webhook.endpoint_created", id, { url, eventTypes: input.eventTypes, enabled: input.enabled });
        return { endpoint: endpointResult(row!, now), secret };
      });
    }),

  /** Changes the URL, filter, description or enabled flag. */
  update: instanceAdminProcedure
    .input(
      z.object({
        endpointId: endpointIdSchema,
        url: urlSchema.optional(),
        description: descriptionSchema.optional(),
        eventTypes: eventTypesSchema.optional(),
        enabled: z.boolean().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const url = input.url === undefined ? undefined : await checkUrl(ctx, input.url);
      return ctx.db.transaction(async (tx) => {
        await lockEndpoint(tx, input.endpointId);
        const now = ctx.now();
        const changes = {
          ...(url !== undefined ? { url } : {}),
          ...(input.description !== undefined ? { description: input.description || null } : {}),
          ...(input.eventTypes !== undefined ? { eventTypes: input.eventTypes } : {}),
          ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
        };
        const [row] = await tx
          .update(webhookEndpoints)
          .set({ ...changes, updatedAt: now })
          .where(eq(webhookEndpoints.id, input.endpointId))
          .returning(endpointColumns);
        await audit(ctx, tx, "webhook.endpoint_updated", input.endpointId, changes);
        return endpointResult(row!, now);
      });
    }),

  /** Deletes an endpoint with its deliveries and their log. */
  delete: instanceAdminProcedure
    .input(z.object({ endpointId: endpointIdSchema }))
    .mutation(async ({ ctx, input }) => {
      return ctx.db.transaction(async (tx) => {
        const row = await lockEndpoint(tx, input.endpointId);
        await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, input.endpointId));
        await audit(ctx, tx, "webhook.endpoint_deleted", input.endpointId, { url: row.url });
        return { id: input.endpointId };
      });
    }),

  /** A new secret, returned once; the old one keeps signing (alongside) for 24 hours. */
  rotateSecret: instanceAdminProcedure
    .input(z.object({ endpointId: endpointIdSchema }))
    .mutation(async ({ ctx, input }) => {
      const secret = generateWebhookSecret();
      return ctx.db.transaction(async (tx) => {
        const row = await lockEndpoint(tx, input.endpointId);
        const now = ctx.now();
        const previousSecretExpiresAt = new Date(now.getTime() + SECRET_OVERLAP_MS);
        const [updated] = await tx
          .update(webhookEndpoints)
          .set({
            secretEncrypted: encryptSecret(ctx.keyring, secret, `webhook:${row.id}`),
            previousSecretEncrypted: row.secretEncrypted,
            previousSecretExpiresAt,
            updatedAt: now,
          })
          .where(eq(webhookEndpoints.id, row.id))
          .returning(endpointColumns);
        await audit(ctx, tx, "webhook.secret_rotated", row.id, { previousSecretExpiresAt: previousSecretExpiresAt.toISOString() });
        return { endpoint: endpointResult(updated!, now), secret };
      });
    }),

  /** An endpoint's deliveries, newest first, 50 a page (`before`: the last id of the previous page). */
  deliveries: instanceAdminProcedure
    .input(
      z.object({
        endpointId: endpointIdSchema,
        status: z.enum(["pending", "succeeded", "failed", "dead"], "Not a delivery status.").optional(),
        before: deliveryIdSchema.optional(),
        limit: z.number().int().min(1).max(100).default(50),
      }),
    )
    .query(async ({ ctx, input }) => {
      const [endpoint] = await ctx.db.select({ id: webhookEndpoints.id }).from(webhookEndpoints).where(eq(webhookEndpoints.id, input.endpointId));
      if (!endpoint) notFound();
      let cursor: { createdAt: Date; id: string } | undefined;
      if (input.before) {
        [cursor] = await ctx.db
          .select({ createdAt: webhookDeliveries.createdAt, id: webhookDeliveries.id })
          .from(webhookDeliveries)
          .where(and(eq(webhookDeliveries.id, input.before), eq(webhookDeliveries.endpointId, input.endpointId)));
      }
      const rows = await ctx.db
        .select({
          id: webhookDeliveries.id,
          eventId: webhookDeliveries.eventId,
          eventType: outboxEvents.type,
          status: webhookDeliveries.status,
          attempts: webhookDeliveries.attempts,
          lastStatusCode: webhookDeliveries.lastStatusCode,
          lastError: webhookDeliveries.lastError,
          nextAttemptAt: webhookDeliveries.nextAttemptAt,
          createdAt: webhookDeliveries.createdAt,
          updatedAt: webhookDeliveries.updatedAt,
          lastDurationMs: sql<number | null>`(select a.duration_ms from ${webhookAttempts} a where a.delivery_id = ${webhookDeliveries.id} order by a.attempted_at desc limit 1)`,
          lastAttemptAt: sql<string | null>`(select max(a.attempted_at) from ${webhookAttempts} a where a.delivery_id = ${webhookDeliveries.id})`,
        })
        .from(webhookDeliveries)
        .innerJoin(outboxEvents, eq(outboxEvents.id, webhookDeliveries.eventId))
        .where(
          and(
            eq(webhookDeliveries.endpointId, input.endpointId),
            input.status ? eq(webhookDeliveries.status, input.status) : undefined,
            cursor
              ? or(lt(webhookDeliveries.createdAt, cursor.createdAt), and(eq(webhookDeliveries.createdAt, cursor.createdAt), lt(webhookDeliveries.id, cursor.id)))
              : undefined,
          ),
        )
        .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
        .limit(input.limit + 1);
      const page = rows.slice(0, input.limit).map((row) => ({
        ...row,
        lastDurationMs: row.lastDurationMs === null ? null : Number(row.lastDurationMs),
        lastAttemptAt: row.lastAttemptAt === null ? null : new Date(row.lastAttemptAt),
      }));
      return { deliveries: page, nextBefore: rows.length > input.limit ? page[page.length - 1]!.id : null };
    }),

  /** One delivery: the event sent, every attempt (time, status code, duration, error class). */
  delivery: instanceAdminProcedure
    .input(z.object({ deliveryId: deliveryIdSchema }))
    .query(async ({ ctx, input }) => {
      const [row] = await ctx.db
        .select({ delivery: webhookDeliveries, event: outboxEvents })
        .from(webhookDeliveries)
        .innerJoin(outboxEvents, eq(outboxEvents.id, webhookDeliveries.eventId))
        .where(eq(webhookDeliveries.id, input.deliveryId));
      if (!row) throw new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "No such delivery." });
      const attempts = await ctx.db
        .select({
          id: webhookAttempts.id,
          attemptedAt: webhookAttempts.attemptedAt,
          statusCode: webhookAttempts.statusCode,
          durationMs: webhookAttempts.durationMs,
          succeeded: webhookAttempts.succeeded,
          error: webhookAttempts.error,
        })
        .from(webhookAttempts)
        .where(eq(webhookAttempts.deliveryId, input.deliveryId))
        .orderBy(desc(webhookAttempts.attemptedAt), desc(webhookAttempts.id));
      const d = row.delivery;
      return {
        id: d.id,
        endpointId: d.endpointId,
        status: d.status,
        attempts: d.attempts,
        lastStatusCode: d.lastStatusCode,
        lastError: d.lastError,
        nextAttemptAt: d.status === "pending" || d.status === "failed" ? d.nextAttemptAt : null,
        createdAt: d.createdAt,
        event: { id: row.event.id, type: row.event.type, occurredAt: row.event.occurredAt, data: row.event.data },
        log: attempts,
      };
    }),

  /** Sends a delivery again, now, with the same `webhook-id`; works on dead and succeeded ones too. */
  replay: instanceAdminProcedure
    .input(z.object({ deliveryId: deliveryIdSchema }))
    .mutation(async ({ ctx, input }) => {
      return ctx.db.transaction(async (tx) => {
        const now = ctx.now();
        const [row] = await tx
          .update(webhookDeliveries)
          .set({ status: "pending", attempts: 0, nextAttemptAt: now, lockedUntil: null, updatedAt: now })
          .where(eq(webhookDeliveries.id, input.deliveryId))
          .returning({ id: webhookDeliveries.id, endpointId: webhookDeliveries.endpointId });
        if (!row) throw new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "No such delivery." });
        await audit(ctx, tx, "webhook.delivery_replayed", row.endpointId, { deliveryId: row.id });
        return { id: row.id, status: "pending" as const };
      });
    }),

  /** Queues a `webhook.test` message to one endpoint (it reaches no other endpoint). */
  sendTest: instanceAdminProcedure
    .input(z.object({ endpointId: endpointIdSchema }))
    .mutation(async ({ ctx, input }) => {
      return ctx.db.transaction(async (tx) => {
        const endpoint = await lockEndpoint(tx, input.endpointId);
        const now = ctx.now();
        const [event] = await tx
          .insert(outboxEvents)
          .values({ type: TEST_EVENT_TYPE, data: { object: "webhook_test", endpoint_id: endpoint.id, message: "Test message from Latchkey" }, occurredAt: now, dispatchedAt: now })
          .returning({ id: outboxEvents.id });
        const [delivery] = await tx
          .insert(webhookDeliveries)
          .values({ endpointId: endpoint.id, eventId: event!.id, nextAttemptAt: now, createdAt: now, updatedAt: now })
          .returning({ id: webhookDeliveries.id });
        await audit(ctx, tx, "webhook.test_sent", endpoint.id, { deliveryId: delivery!.id });
        return { deliveryId: delivery!.id };
      });
    }),
} satisfies TRPCRouterRecord;

