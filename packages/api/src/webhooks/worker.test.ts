/**
 * The delivery worker against a real receiver on 127.0.0.1: signatures verified by the `svix` and `standardwebhooks`
 * libraries, retries on the SECURITY.md schedule with the same webhook-id, the dead letter, lease expiry after a
 * killed worker, no double sends between concurrent workers, no redirects, and the private-address guard.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import { Webhook as SvixWebhook } from "svix";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { createKeyring } from "@latchkey/auth";
import { outboxEvents, webhookAttempts, webhookDeliveries, webhookEndpoints } from "@latchkey/db";
import { useTestDb } from "@latchkey/db/testing";
import { callerFor, signUp, uniqueEmail } from "../../test/helpers.ts";
import { plainHeaders, startReceiver, type Receiver } from "../../test/webhook-receiver.ts";
import { updateInstanceSettings } from "../instance-settings.ts";
import { isPrivateAddress } from "./targets.ts";
import { claimDue, deliver, fanOut, MAX_ATTEMPTS, nextAttemptAt, RETRY_DELAYS_MS, runWorkerOnce, startWebhookWorker, type WorkerOptions } from "./worker.ts";

const db = useTestDb();
const keyring = createKeyring();
let receiver: Receiver;
let adminToken = "";

beforeAll(async () => {
  receiver = await startReceiver();
  const admin = await signUp(db(), uniqueEmail("hooks-admin"));
  await db().db.execute(sql`update users set is_instance_admin = true where id = ${admin.userId}`);
  adminToken = admin.token;
});
afterAll(async () => {
  await receiver.close();
});

beforeEach(async () => {
  receiver.requests.length = 0;
  receiver.respond = () => 200;
  await updateInstanceSettings(db().db, { allowPrivateWebhookTargets: true, allowHttpWebhookUrls: true });
  // Each test starts from a clean slate: no endpoints, every earlier event dispatched.
  await db().db.delete(webhookEndpoints);
  await db().db.update(outboxEvents).set({ dispatchedAt: new Date() }).where(sql`${outboxEvents.dispatchedAt} is null`);
});

const admin = () => callerFor(db(), { token: adminToken }).caller;

function worker(extra: Partial<WorkerOptions> = {}): WorkerOptions {
  return { db: db().db, keyring, ...extra };
}

/** Runs passes until nothing is due now. */
async function drain(options: WorkerOptions) {
  for (let i = 0; i < 50; i++) {
    const result = await runWorkerOnce(options);
    if (result.claimed === 0 && result.fannedOut === 0) return;
  }
}

describe("signatures", () => {
  it("verify with svix and standardwebhooks, with webhook-id = the delivery id and the svix aliases", async () => {
    const { secret, endpoint } = await admin().webhook.create({ url: receiver.url, eventTypes: ["user.created"] });
    const user = await signUp(db(), uniqueEmail("signed"));
    await drain(worker());
    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    const headers = plainHeaders(request!.headers);
    // svix throws unless a signature verifies (and the timestamp is within 5 minutes).
    expect(() => new SvixWebhook(secret).verify(request!.body, headers)).not.toThrow();
    expect(JSON.parse(request!.body)).toMatchObject({ type: "user.created", object: "event", data: { id: user.userId, object: "user" } });
    expect(new StandardWebhook(secret).verify(request!.body, headers)).toMatchObject({ type: "user.created" });
    expect(headers["content-type"]).toBe("application/json");
    expect(headers["webhook-id"]).toBe(headers["svix-id"]);
    expect(headers["webhook-signature"]).toBe(headers["svix-signature"]);
    expect(headers["webhook-timestamp"]).toMatch(/^\d{10}$/);
    const [delivery] = await db().db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpoint.id));
    expect(headers["webhook-id"]).toBe(delivery!.id);
    expect(delivery).toMatchObject({ status: "succeeded", attempts: 1, lastStatusCode: 200, lockedUntil: null });
    // A tampered body or another secret does not verify.
    expect(() => new SvixWebhook(secret).verify(request!.body.replace("user", "usr"), headers)).toThrow();
    expect(() => new StandardWebhook(`whsec_${Buffer.alloc(32, 1).toString("base64")}`).verify(request!.body, headers)).toThrow();
  });

  it("during a rotation carries both signatures, each verifying, and only the new one after 24 hours", async () => {
    const { secret: oldSecret, endpoint } = await admin().webhook.create({ url: receiver.url, eventTypes: ["user.updated"] });
    const { secret: newSecret } = await admin().webhook.rotateSecret({ endpointId: endpoint.id });
    expect(newSecret).not.toBe(oldSecret);
    const user = await signUp(db(), uniqueEmail("rotate"));
    await callerFor(db(), { token: user.token }).caller.user.updateProfile({ firstName: "Rota" });
    await drain(worker());
    const [request] = receiver.requests;
    const headers = plainHeaders(request!.headers);
    expect(headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(() => new SvixWebhook(oldSecret).verify(request!.body, headers)).not.toThrow();
    expect(() => new SvixWebhook(newSecret).verify(request!.body, headers)).not.toThrow();
    expect(new StandardWebhook(newSecret).verify(request!.body, headers)).toMatchObject({ type: "user.updated" });
    expect(new StandardWebhook(oldSecret).verify(request!.body, headers)).toMatchObject({ type: "user.updated" });

    receiver.requests.length = 0;
    await callerFor(db(), { token: user.token }).caller.user.updateProfile({ firstName: "Later" });
    const tomorrow = new Date(Date.now() + 24 * 3_600_000 + 60_000);
    await drain(worker({ now: () => tomorrow }));
    const later = plainHeaders(receiver.requests[0]!.headers);
    expect(later["webhook-signature"]!.split(" ")).toHaveLength(1);
  });
});

describe("fan-out", () => {
  it("sends each event once per matching enabled endpoint, and running it twice adds nothing", async () => {
    const all = await admin().webhook.create({ url: `${receiver.url}?all` });
    const orgsOnly = await admin().webhook.create({ url: `${receiver.url}?orgs`, eventTypes: ["organization.created"] });
    const disabled = await admin().webhook.create({ url: `${receiver.url}?off`, enabled: false });
    const user = await signUp(db(), uniqueEmail("fan"));
    await callerFor(db(), { token: user.token }).caller.organization.create({ name: "Fan", slug: `fan-${Date.now()}` });
    expect(await fanOut(worker())).toBeGreaterThan(0);
    await db().db.update(outboxEvents).set({ dispatchedAt: null }); // as if a crashed fan-out ran again
    await fanOut(worker());
    const eventIds = async (endpointId: string) =>
      (await db().db.select({ eventId: webhookDeliveries.eventId }).from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpointId))).map((r) => r.eventId);
    const count = async (endpointId: string) =>
      (await db().db.select({ type: outboxEvents.type }).from(webhookDeliveries).innerJoin(outboxEvents, eq(outboxEvents.id, webhookDeliveries.eventId)).where(eq(webhookDeliveries.endpointId, endpointId))).map((r) => r.type);
    expect((await count(all.endpoint.id)).sort()).toEqual(expect.arrayContaining(["organization.created", "organizationMembership.created", "session.created", "user.created"]));
    const ids = await eventIds(all.endpoint.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(await count(orgsOnly.endpoint.id)).toEqual(["organization.created"]);
    expect(await count(disabled.endpoint.id)).toEqual([]);
    await drain(worker());
    expect(receiver.requests.filter((r) => r.path.endsWith("?orgs"))).toHaveLength(1);
    expect(receiver.requests.filter((r) => r.path.endsWith("?off"))).toHaveLength(0);
  });
});

describe("retries", () => {
  it("follow 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h within ±10 %, with the same id, then dead", async () => {
    receiver.respond = () => 503;
    const { endpoint } = await admin().webhook.create({ url: receiver.url, eventTypes: ["user.created"] });
    await signUp(db(), uniqueEmail("retry"));
    let clock = new Date();
    const options = worker({ now: () => clock });
    await runWorkerOnce(options);
    const gaps: number[] = [];
    for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
      const [row] = await db().db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpoint.id));
      expect(row).toMatchObject({ status: "failed", attempts: attempt, lastStatusCode: 503, lastError: "http_status" });
      gaps.push(row!.nextAttemptAt.getTime() - clock.getTime());
      // Not a moment early…
      clock = new Date(row!.nextAttemptAt.getTime() - 1000);
      expect((await runWorkerOnce(options)).claimed).toBe(0);
      // …and then it goes.
      clock = new Date(row!.nextAttemptAt.getTime());
      expect((await runWorkerOnce(options)).claimed).toBe(1);
    }
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(RETRY_DELAYS_MS[i]! * 0.9 - 5);
      expect(gap).toBeLessThanOrEqual(RETRY_DELAYS_MS[i]! * 1.1 + 5);
    });
    const [dead] = await db().db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpoint.id));
    expect(dead).toMatchObject({ status: "dead", attempts: 10 });
    expect(await db().db.select().from(webhookAttempts).where(eq(webhookAttempts.deliveryId, dead!.id))).toHaveLength(10);
    expect(new Set(receiver.requests.map((r) => r.headers["webhook-id"]))).toEqual(new Set([dead!.id]));
    clock = new Date(clock.getTime() + 7 * 24 * 3_600_000);
    expect((await runWorkerOnce(options)).claimed).toBe(0);

    // Replay brings a dead delivery back, with the same id.
    receiver.respond = () => 204;
    await admin().webhook.replay({ deliveryId: dead!.id });
    await runWorkerOnce(worker());
    expect(receiver.requests.at(-1)!.headers["webhook-id"]).toBe(dead!.id);
    const [replayed] = await db().db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, dead!.id));
    expect(replayed).toMatchObject({ status: "succeeded", lastStatusCode: 204 });
  });

  it("jitter stays within ±10 % at the extremes", () => {
    const now = new Date(0);
    expect(nextAttemptAt(1, now, () => 0)!.getTime()).toBe(4_500);
    expect(nextAttemptAt(1, now, () => 0.999999)!.getTime()).toBe(5_500);
    expect(nextAttemptAt(9, now, () => 0.5)!.getTime()).toBe(24 * 3_600_000);
    expect(nextAttemptAt(10, now)).toBeNull();
  });

  it("treats a redirect as a failure and does not follow it", async () => {
    receiver.respond = (request, res) => {
      if (request.path.startsWith("/elsewhere")) return 200;
      res.writeHead(302, { location: `http://127.0.0.1:${receiver.port}/elsewhere` });
      res.end();
      return null;
    };
    const { endpoint } = await admin().webhook.create({ url: receiver.url, eventTypes: ["user.created"] });
    await signUp(db(), uniqueEmail("redirect"));
    await runWorkerOnce(worker());
    expect(receiver.requests.map((r) => r.path)).toEqual(["/hooks"]);
    const [row] = await db().db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpoint.id));
    expect(row).toMatchObject({ status: "failed", lastStatusCode: 302, lastError: "redirect" });
  });

  it("gives up on a receiver that does not answer in time", async () => {
    receiver.respond = () => null; // never answers
    const { endpoint } = await admin().webhook.create({ url: receiver.url, eventTypes: ["user.created"] });
    await signUp(db(), uniqueEmail("slow"));
    await runWorkerOnce(worker({ timeoutMs: 300 }));
    const [row] = await db().db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpoint.id));
    expect(row).toMatchObject({ status: "failed", lastStatusCode: null, lastError: "timeout" });
    const [attempt] = await db().db.select().from(webhookAttempts).where(eq(webhookAttempts.deliveryId, row!.id));
    expect(attempt!.durationMs).toBeGreaterThanOrEqual(250);
  });
});

describe("leases", () => {
  it("lets another worker resume a killed worker's delivery after the lease, with the same webhook-id", async () => {
    const { endpoint } = await admin().webhook.create({ url: receiver.url, eventTypes: ["user.created"] });
    await signUp(db(), uniqueEmail("lease"));
    const t0 = new Date();
    await fanOut(worker({ now: () => t0 }));
    const [claimedByDeadWorker] = await claimDue(worker({ now: () => t0 }));
    expect(claimedByDeadWorker).toBeDefined();
    // The first worker dies here. Within the lease nobody else takes the row…
    expect(await claimDue(worker({ now: () => new Date(t0.getTime() + 30_000) }))).toEqual([]);
    // …after it, the next worker does, and sends it under the same id.
    const later = new Date(t0.getTime() + 61_000);
    expect((await runWorkerOnce(worker({ now: () => later }))).succeeded).toBe(1);
    expect(receiver.requests.map((r) => r.headers["webhook-id"])).toEqual([claimedByDeadWorker!.id]);
    // Should the first worker wake up and finish, it neither overwrites the row nor is counted.
    expect(await deliver(worker({ now: () => later }), claimedByDeadWorker!)).toBe("lost");
    const [row] = await db().db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpoint.id));
    expect(row).toMatchObject({ status: "succeeded", attempts: 1 });
  });

  it("never sends one delivery twice when two workers run at once", async () => {
    await admin().webhook.create({ url: receiver.url });
    receiver.respond = () => 200;
    for (let i = 0; i < 12; i++) await signUp(db(), uniqueEmail(`burst${i}`));
    const pass = (size: number) => runWorkerOnce(worker({ batchSize: size }));
    for (let round = 0; round < 20; round++) {
      const [a, b] = await Promise.all([pass(3), pass(3)]);
      if (a.claimed + b.claimed + a.fannedOut + b.fannedOut === 0) break;
    }
    const ids = receiver.requests.map((r) => r.headers["webhook-id"]);
    expect(ids.length).toBeGreaterThanOrEqual(24);
    expect(new Set(ids).size).toBe(ids.length);
    const [{ n }] = (await db().query<{ n: number }>("select count(*)::int as n from webhook_deliveries where status = 'succeeded'")) as [{ n: number }];
    expect(Number(n)).toBe(ids.length);
  });
});

describe("private targets", () => {
  it("are refused unless the instance setting allows them, checked on every resolved address", async () => {
    const { endpoint } = await admin().webhook.create({ url: receiver.url, eventTypes: ["user.created"] });
    // A name that resolves to loopback is refused at connect time too (its address is checked inside the lookup).
    const byName = await admin().webhook.create({ url: `http://localhost:${receiver.port}/hooks`, eventTypes: ["user.created"] });
    await updateInstanceSettings(db().db, { allowPrivateWebhookTargets: false });
    await signUp(db(), uniqueEmail("private"));
    await runWorkerOnce(worker());
    expect(receiver.requests).toHaveLength(0);
    const rows = await db().db.select().from(webhookDeliveries);
    expect(rows.map((r) => r.lastError).sort()).toEqual(["blocked_target", "blocked_target"]);
    expect(rows.every((r) => r.status === "failed")).toBe(true);
    expect(rows.map((r) => r.endpointId).sort()).toEqual([endpoint.id, byName.endpoint.id].sort());
  });

  it("cover loopback, private, link-local, CGNAT, multicast and the IPv6 forms", () => {
    for (const address of ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "::1", "::", "fc00::1", "fd12::1", "fe80::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "ff02::1", "64:ff9b::a00:1"]) {
      expect(isPrivateAddress(address), address).toBe(true);
    }
    for (const address of ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "8.8.8.8"]) {
      expect(isPrivateAddress(address), address).toBe(false);
    }
  });
});

describe("the worker loop", () => {
  it("delivers on its own while running and stops cleanly, finishing the pass in flight", async () => {
    await admin().webhook.create({ url: receiver.url, eventTypes: ["user.created"] });
    const running = startWebhookWorker({ ...worker(), intervalMs: 50 });
    try {
      const user = await signUp(db(), uniqueEmail("loop"));
      const deadline = Date.now() + 20_000;
      while (!receiver.requests.some((r) => r.body.includes(user.userId)) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(receiver.requests.some((r) => r.body.includes(user.userId))).toBe(true);
    } finally {
      await running.stop();
    }
    // Stopped: a new event stays queued.
    const count = receiver.requests.length;
    await signUp(db(), uniqueEmail("after-stop"));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.requests.length).toBe(count);
  });
});
