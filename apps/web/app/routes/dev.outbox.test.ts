import { afterEach, describe, expect, it, vi } from "vitest";
import { clearOutbox, createDevOutboxTransport, createMailer } from "@latchkey/api";

async function load(nodeEnv: string) {
  vi.resetModules();
  vi.stubEnv("NODE_ENV", nodeEnv);
  vi.stubEnv("APP_URL", "http://localhost:3000");
  vi.stubEnv("SMTP_URL", "smtp://127.0.0.1:2525");
  vi.stubEnv("LATCHKEY_ENCRYPTION_KEY", Buffer.alloc(32, 3).toString("base64url"));
  return import("./dev.outbox");
}

afterEach(() => {
  vi.unstubAllEnvs();
  clearOutbox();
});

async function statusOf(fn: () => unknown): Promise<number> {
  try {
    await fn();
  } catch (thrown) {
    return (thrown as Response).status;
  }
  return 200;
}

describe("/dev/outbox", () => {
  it("lists the kept emails newest first in development, and Clear empties the outbox", async () => {
    vi.spyOn(console, "info").mockImplementation(() => {});
    const mailer = createMailer({ transport: createDevOutboxTransport() });
    await mailer.sendSignInCode({ to: "first@example.test", code: "111111" });
    await mailer.sendSignInCode({ to: "second@example.test", code: "222222" });
    const route = await load("development");
    const data = route.loader();
    expect(data.messages.map((m) => m.to)).toEqual(["second@example.test", "first@example.test"]);
    expect(data.messages[0]!.text).toContain("222222");
    expect(Object.keys(data.messages[0]!).sort()).toEqual(["id", "kind", "sentAt", "subject", "text", "to"]);
    expect(await statusOf(() => route.action())).toBe(302);
    expect(route.loader().messages).toEqual([]);
  });

  it("answers 404 in production, to a GET and to a POST, and leaves the outbox alone", async () => {
    vi.spyOn(console, "info").mockImplementation(() => {});
    await createMailer({ transport: createDevOutboxTransport() }).sendSignInCode({ to: "a@example.test", code: "1" });
    const route = await load("production");
    expect(await statusOf(() => route.loader())).toBe(404);
    expect(await statusOf(() => route.action())).toBe(404);
    const { listOutbox } = await import("@latchkey/api");
    expect(listOutbox()).toHaveLength(1);
  });
});
