/**
 * Standard Webhooks signing (https://www.standardwebhooks.com/): the secret is `whsec_` + base64 of random bytes; a
 * signature is `v1,` + base64 HMAC-SHA256 over `${id}.${timestamp}.${body}` keyed with the decoded bytes. Several
 * signatures (during a secret rotation) are sent space-separated; receivers accept the message if any one verifies.
 */
import { createHmac, randomBytes } from "node:crypto";

export const SECRET_PREFIX = "whsec_";
/** 32 random bytes (SECURITY.md: 24–64). */
export const SECRET_BYTES = 32;

export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString("base64");
}

function secretKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error("Not a webhook secret");
  return Buffer.from(secret.slice(SECRET_PREFIX.length), "base64");
}

export function signPayload(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac("sha256", secretKey(secret)).update(`${id}.${timestampSeconds}.${body}`).digest("base64");
  return `v1,${mac}`;
}

/** The headers of one attempt, Standard Webhooks names plus the `svix-*` aliases. */
export function webhookHeaders(secrets: readonly string[], id: string, timestampSeconds: number, body: string): Record<string, string> {
  const signature = secrets.map((secret) => signPayload(secret, id, timestampSeconds, body)).join(" ");
  const timestamp = String(timestampSeconds);
  return {
    "content-type": "application/json",
    "user-agent": "Latchkey-Webhooks/1",
    "webhook-id": id,
    "webhook-timestamp": timestamp,
    "webhook-signature": signature,
    "svix-id": id,
    "svix-timestamp": timestamp,
    "svix-signature": signature,
  };
}
