/**
 * The event catalogue: every type the outbox triggers write (packages/db/migrations/*_outbox_triggers.sql), with
 * Clerk's names. `docs/webhooks.md` documents each payload. An endpoint's filter may only name these.
 */
export const webhookEventTypes = [
  "user.created",
  "user.updated",
  "user.deleted",
  "session.created",
  "session.revoked",
  "organization.created",
  "organization.updated",
  "organization.deleted",
  "organizationMembership.created",
  "organizationMembership.updated",
  "organizationMembership.deleted",
  "organizationInvitation.created",
  "organizationInvitation.accepted",
  "organizationInvitation.revoked",
] as const;

export type WebhookEventType = (typeof webhookEventTypes)[number];

/** What `webhook.sendTest` sends; never written by the triggers, so never fanned out to other endpoints. */
export const TEST_EVENT_TYPE = "webhook.test";

/** The body we sign and send: Clerk's envelope around the outbox row's data. */
export function eventBody(event: { id: string; type: string; data: Record<string, unknown>; occurredAt: Date }): string {
  return JSON.stringify({ data: event.data, object: "event", type: event.type, timestamp: event.occurredAt.getTime(), event_id: event.id });
}
