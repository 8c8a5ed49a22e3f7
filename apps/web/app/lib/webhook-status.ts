import type { MessageKey } from "~/i18n/dictionary";

export const deliveryStatuses = ["pending", "succeeded", "failed", "dead"] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

/** How each delivery status reads. */
export const deliveryStatusKeys: Record<DeliveryStatus, MessageKey> = {
  pending: "webhooks.status.pending",
  succeeded: "webhooks.status.succeeded",
  failed: "webhooks.status.failed",
  dead: "webhooks.status.dead",
};
