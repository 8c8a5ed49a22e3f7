import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import { createKeyring, decryptSecret } from "@latchkey/auth";
import { auditEvents, webhookDeliveries, webhookEndpoints } from "@latchkey/db";
import { useTestDb } from "@latchkey/db/testing";
import { callerFor, countRows, createOrgWithMember, errorOf, signUp, uniqueEmail } from "../../test/helpers.ts";
import { updateInstanceSettings } from "../instance-settings.ts";
import { runWorkerOnce } from "../webhooks/worker.ts";

const db = useTestDb();
let adminToken = "";
let adminUserId = "";

beforeAll(async () => {
  const admin = await signUp(db(), uniqueEmail("root"));
  await db().db.execute(sql`update users set is_instance_admin = true where id = ${admin.userId}`);
  adminToken = admin.token;
  adminUserId = admin.userId;
});
beforeEach(async () => {
  await updateInstanceSettings(db().db, { allowPrivateWebhookTargets: false, allowHttpWebhookUrls: false });
});

const api = () => callerFor(db(), { token: adminToken }).caller;
const auditOf = (action: string) => db().db.select().from(auditEvents).where(eq(auditEvents.action, action));

describe("webhook.create", () => {
  it("returns a whsec_ secret of 32 random bytes once, stores it encrypted, and audits", async () => {
    const { endpoint, secret } = await api().webhook.create({ url: "https://hooks.example.com/latchkey", description: "CRM sync", eventTypes: ["user.created", "user.created", "organization.created"] });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), "base64")).toHaveLength(32);
    expect(endpoint).toMatchObject({ url: "https://hooks.example.com/latchkey", description: "CRM sync", enabled: true, eventTypes: ["organization.created", "user.created"] });
    const [row] = await db().db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpoint.id));
    expect(row!.secretEncrypted).not.toContain(secret.slice(6, 20));
    expect(decryptSecret(createKeyring(), row!.secretEncrypted, `webhook:${endpoint.id}`)).toBe(secret);
    expect(row!.createdBy).toBe(adminUserId);
    // Never again: not in the list, not in get, not in the audit log.
    const listed = JSON.stringify(await api().webhook.list());
    const got = JSON.stringify(await api().webhook.get({ endpointId: endpoint.id }));
    const audit = JSON.stringify(await auditOf("webhook.endpoint_created"));
    for (const text of [listed, got, audit]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain("whsec_");
      expect(text).not.toContain(row!.secretEncrypted);
    }
    expect(JSON.parse(audit)[0]).toMatchObject({ actorUserId: adminUserId, targetId: endpoint.id, outcome: "success" });
  });

  it.each([
    ["not a URL", "url"],
    ["ftp://hooks.example.com/x", "url"],
    ["http://hooks.example.com/x", "url"],
    ["https://user:pass@hooks.example.com/x", "url"],
    ["https://127.0.0.1/x", "url"],
    ["https://[::1]/x", "url"],
    ["https://10.0.0.5/x", "url"],
    ["https://localhost/x", "url"],
    ["https://localhost./x", "url"],
    ["https://LOCALHOST../x", "url"],
    ["https://app.localhost/x", "url"],
    ["https://app.localhost./x", "url"],
    ["https://printer.local./x", "url"],
    ["https://db.internal./x", "url"],
    ["https://127.0.0.1./x", "url"],
    ["https://169.254.169.254/latest/meta-data", "url"],
    [`https://example.com/${"a".repeat(2100)}`, "url"],
  ])("refuses %s with a 400 naming the field, writing nothing", async (url, field) => {
    const before = await countRows(db(), "webhook_endpoints");
    const error = await errorOf(api().webhook.create({ url }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain(`${field}:`);
    expect(await countRows(db(), "webhook_endpoints")).toBe(before);
  });

  it("refuses unknown event types, wrong types and junk", async () => {
    for (const input of [
      { url: "https://hooks.example.com", eventTypes: ["user.exploded"] },
      { url: "https://hooks.example.com", eventTypes: "user.created" },
      { url: 42 },
      { url: "https://hooks.example.com", enabled: "yes" },
      { url: "https://hooks.example.com", description: "x".repeat(501) },
    ]) {
      const error = await errorOf(api().webhook.create(input as never));
      expect(error.code, JSON.stringify(input).slice(0, 80)).toBe("BAD_REQUEST");
    }
  });

  it("accepts http:// and private addresses only when the development settings allow them", async () => {
    await updateInstanceSettings(db().db, { allowHttpWebhookUrls: true });
    expect((await errorOf(api().webhook.create({ url: "http://127.0.0.1:9/x" }))).reason).toBe("WEBHOOK_TARGET_PRIVATE");
    await updateInstanceSettings(db().db, { allowPrivateWebhookTargets: true });
    const { endpoint } = await api().webhook.create({ url: "http://127.0.0.1:9/x" });
    expect(endpoint.url).toBe("http://127.0.0.1:9/x");
  });
});

describe("webhook.update, rotateSecret, delete", () => {
  it("changes url, filter, description and enabled flag, and audits", async () => {
    const { endpoint } = await api().webhook.create({ url: "https://a.example.com/" });
    const updated = await api().webhook.update({ endpointId: endpoint.id, url: "https://b.example.com/in", eventTypes: ["session.created"], enabled: false, description: "" });
    expect(updated).toMatchObject({ url: "https://b.example.com/in", eventTypes: ["session.created"], enabled: false, description: null });
    expect((await auditOf("webhook.endpoint_updated")).some((a) => a.targetId === endpoint.id)).toBe(true);
    const error = await errorOf(api().webhook.update({ endpointId: endpoint.id, url: "http://b.example.com/" }));
    expect(error.message).toContain("url:");
    expect((await api().webhook.get({ endpointId: endpoint.id })).url).toBe("https://b.example.com/in");
  });

  it("rotates to a new secret returned once, keeping the old one for 24 hours", async () => {
    const { endpoint, secret: first } = await api().webhook.create({ url: "https://rotate.example.com/" });
    const now = new Date();
    const { secret, endpoint: after } = await callerFor(db(), { token: adminToken, now: () => now }).caller.webhook.rotateSecret({ endpointId: endpoint.id });
    expect(secret).not.toBe(first);
    expect(after.previousSecretExpiresAt!.getTime()).toBe(now.getTime() + 24 * 3_600_000);
    const [row] = await db().db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpoint.id));
    expect(decryptSecret(createKeyring(), row!.previousSecretEncrypted!, `webhook:${endpoint.id}`)).toBe(first);
    expect(JSON.stringify(await api().webhook.list())).not.toContain(secret);
    expect(await auditOf("webhook.secret_rotated")).toHaveLength(1);
  });

  it("deletes an endpoint with its deliveries", async () => {
    const { endpoint } = await api().webhook.create({ url: "https://gone.example.com/" });
    await api().webhook.sendTest({ endpointId: endpoint.id });
    await api().webhook.delete({ endpointId: endpoint.id });
    expect((await errorOf(api().webhook.get({ endpointId: endpoint.id }))).code).toBe("NOT_FOUND");
    expect(await db().db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpoint.id))).toEqual([]);
    expect((await errorOf(api().webhook.delete({ endpointId: endpoint.id }))).code).toBe("NOT_FOUND");
  });

  it("answers NOT_FOUND for unknown ids and BAD_REQUEST for malformed ones", async () => {
    expect((await errorOf(api().webhook.rotateSecret({ endpointId: "ep_doesnotexist" }))).code).toBe("NOT_FOUND");
    expect((await errorOf(api().webhook.replay({ deliveryId: "msg_doesnotexist" }))).code).toBe("NOT_FOUND");
    expect((await errorOf(api().webhook.delivery({ deliveryId: "msg_doesnotexist" }))).code).toBe("NOT_FOUND");
    expect((await errorOf(api().webhook.get({ endpointId: "user_abc" }))).code).toBe("BAD_REQUEST");
    expect((await errorOf(api().webhook.deliveries({ endpointId: "ep_x'; drop table users; --" }))).code).toBe("BAD_REQUEST");
  });
});

describe("deliveries, replay and sendTest", () => {
  it("lists an endpoint's deliveries with status, response code and duration, and shows attempts", async () => {
    await updateInstanceSettings(db().db, { allowPrivateWebhookTargets: true, allowHttpWebhookUrls: true });
    // Nothing listens on port 9 (discard): every attempt fails with a connection error.
    const { endpoint } = await api().webhook.create({ url: "http://127.0.0.1:9/hooks" });
    const { deliveryId } = await api().webhook.sendTest({ endpointId: endpoint.id });
    await runWorkerOnce({ db: db().db, keyring: createKeyring() });
    const { deliveries } = await api().webhook.deliveries({ endpointId: endpoint.id });
    const mine = deliveries.find((d) => d.id === deliveryId)!;
    expect(mine).toMatchObject({ eventType: "webhook.test", status: "failed", attempts: 1, lastStatusCode: null, lastError: "connection_refused" });
    expect(typeof mine.lastDurationMs).toBe("number");
    const detail = await api().webhook.delivery({ deliveryId });
    expect(detail.log).toHaveLength(1);
    expect(detail.event).toMatchObject({ type: "webhook.test", data: { endpoint_id: endpoint.id } });
    expect(detail.nextAttemptAt).not.toBeNull();

    await api().webhook.replay({ deliveryId });
    const [row] = await db().db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, deliveryId));
    expect(row).toMatchObject({ status: "pending", attempts: 0, lockedUntil: null });
    expect((await auditOf("webhook.delivery_replayed")).length).toBeGreaterThan(0);
    // The test message went to this endpoint only.
    const other = await api().webhook.create({ url: "http://127.0.0.1:9/other" });
    await api().webhook.sendTest({ endpointId: endpoint.id });
    await runWorkerOnce({ db: db().db, keyring: createKeyring() });
    const otherDeliveries = await api().webhook.deliveries({ endpointId: other.endpoint.id });
    expect(otherDeliveries.deliveries.filter((d) => d.eventType === "webhook.test")).toEqual([]);
  });
});

describe("access", () => {
  it("is refused to anonymous callers, org admins who are not instance admins, and members", async () => {
    const { admin, member, org } = await createOrgWithMember(db(), "NotRoot");
    const { endpoint } = await api().webhook.create({ url: "https://private.example.com/" });
    expect((await errorOf(callerFor(db()).caller.webhook.list())).code).toBe("UNAUTHORIZED");
    for (const token of [admin.token, member.token]) {
      const as = callerFor(db(), { token, orgSlug: org.slug }).caller;
      expect((await errorOf(as.webhook.list())).code).toBe("FORBIDDEN");
      expect((await errorOf(as.webhook.delete({ endpointId: endpoint.id }))).code).toBe("FORBIDDEN");
      expect((await errorOf(as.webhook.create({ url: "https://evil.example.com/" }))).code).toBe("FORBIDDEN");
    }
    expect((await api().webhook.get({ endpointId: endpoint.id })).url).toBe("https://private.example.com/");
    expect((await api().webhook.list()).endpoints.some((e) => e.url === "https://evil.example.com/")).toBe(false);
  });
});
