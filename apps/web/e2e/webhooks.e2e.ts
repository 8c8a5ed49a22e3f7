import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Webhook } from "svix";
import { baseURL, useBrowser } from "./browser";
import { signUp, uniqueEmail } from "./users";
import { signInAsAdmin } from "./admin";

const browser = useBrowser();

interface Received {
  headers: Record<string, string>;
  body: string;
}
const received: Received[] = [];
let receiver: Server;
let receiverUrl = "";

function plain(headers: IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.push({ headers: plain(req.headers), body: Buffer.concat(chunks).toString("utf8") });
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/latchkey-hooks`;
});
afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

async function waitFor<T>(find: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe("webhooks (without JavaScript)", () => {
  test("an admin adds an endpoint, a new user signs up, the receiver gets a user.created that verifies with svix, and the deliveries page shows it", async () => {
    const admin = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    await signInAsAdmin(admin);

    await admin.goto("/admin");
    await Promise.all([admin.waitForURL(`${baseURL}/admin/webhooks`), admin.getByRole("link", { name: "Webhooks" }).click()]);
    await admin.getByText("No endpoints yet.").waitFor();

    // Refused input: a message next to the field, nothing added.
    await admin.getByLabel("Endpoint URL").fill("ftp://example.com/hooks");
    await admin.getByRole("button", { name: "Add endpoint" }).click();
    await admin.getByRole("alert").filter({ hasText: "https://" }).first().waitFor();
    await admin.getByText("No endpoints yet.").waitFor();

    await admin.getByLabel("Endpoint URL").fill(receiverUrl);
    await admin.getByLabel("Description (optional)").fill("e2e receiver");
    await admin.getByRole("checkbox", { name: "user.created" }).check();
    await admin.getByRole("button", { name: "Add endpoint" }).click();
    await admin.getByText("It is shown only now").waitFor();
    const secret = await admin.getByLabel("Signing secret").inputValue();
    expect(secret).toMatch(/^whsec_/);

    // The secret is not on the page again.
    await admin.goto("/admin/webhooks");
    expect(await admin.content()).not.toContain(secret);
    await admin.getByRole("link", { name: receiverUrl }).waitFor();

    const email = uniqueEmail("hooked");
    const user = await browser.newPage({ javaScriptEnabled: false });
    await signUp(user, email, "Webby");

    const delivery = await waitFor(() =>
      received.find((r) => {
        const body = JSON.parse(r.body) as { type: string; data: { email_addresses?: { email_address: string }[] } };
        return body.type === "user.created" && body.data.email_addresses?.some((e) => e.email_address === email);
      }),
    );
    expect(() => new Webhook(secret).verify(delivery.body, delivery.headers)).not.toThrow();
    expect(delivery.headers["webhook-id"]).toMatch(/^msg_/);
    // Only the subscribed type arrives.
    expect(received.every((r) => (JSON.parse(r.body) as { type: string }).type === "user.created")).toBe(true);

    await admin.getByRole("link", { name: receiverUrl }).click();
    await admin.getByRole("heading", { level: 2, name: "Deliveries" }).waitFor();
    const row = admin.getByRole("row").filter({ hasText: delivery.headers["webhook-id"]! });
    await row.getByText("Delivered").waitFor();
    await row.getByText("204").waitFor();

    // Replay sends the same message again, with the same webhook-id.
    const before = received.length;
    await row.getByRole("button", { name: "Replay" }).click();
    await admin.getByText("with the same webhook-id").waitFor();
    const again = await waitFor(() => received.slice(before).find((r) => r.headers["webhook-id"] === delivery.headers["webhook-id"]));
    expect(() => new Webhook(secret).verify(again.body, again.headers)).not.toThrow();
  });

  test("a signed-in user who is not an instance admin is refused", async () => {
    const page = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    await signUp(page, uniqueEmail("not-admin"));
    const response = await page.goto("/admin/webhooks");
    expect(response?.status()).toBe(403);
  });
});
