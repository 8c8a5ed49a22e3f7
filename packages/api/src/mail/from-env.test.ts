import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { clearOutbox, listOutbox } from "./dev-outbox.ts";
import { createMailerFromEnv, createMailTransportFromEnv } from "./from-env.ts";
import { startTestSmtpServer, type TestSmtpServer } from "./testing.ts";

let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startTestSmtpServer();
});
afterAll(() => smtp.close());
afterEach(() => clearOutbox());

describe("createMailerFromEnv", () => {
  it("refuses to start in production without SMTP_URL, naming the variable", () => {
    expect(() => createMailerFromEnv({ NODE_ENV: "production" })).toThrow(/SMTP_URL/);
    expect(() => createMailTransportFromEnv({ NODE_ENV: "production", SMTP_URL: "  " })).toThrow(/SMTP_URL is required/);
  });

  it("sends over SMTP when SMTP_URL is set, with MAIL_FROM as the sender, and keeps nothing in the outbox", async () => {
    const info = vi.spyOn(console, "info").mockImplementation(() => {});
    const mailer = createMailerFromEnv(
      { NODE_ENV: "production", SMTP_URL: smtp.url, MAIL_FROM: "Acme <auth@acme.test>" },
      { appName: "Acme", defaultLocale: "pl-PL" },
    );
    await mailer.sendPasswordReset({ to: "prod@example.test", link: "https://acme.test/reset?token=r" });
    const mail = smtp.received.find((received) => received.recipients.includes("prod@example.test"));
    expect(mail?.parsed.from?.value[0]).toEqual({ name: "Acme", address: "auth@acme.test" });
    expect(mail?.parsed.subject).toBe("Zresetuj hasło w Acme");
    expect(listOutbox()).toEqual([]);
    expect(info).not.toHaveBeenCalled();
  });

  it("uses the development outbox when SMTP_URL is unset or empty outside production", async () => {
    vi.spyOn(console, "info").mockImplementation(() => {});
    for (const env of [{ NODE_ENV: "development" }, { NODE_ENV: "test", SMTP_URL: "" }, {}]) {
      await createMailerFromEnv(env).sendSignInCode({ to: "dev@example.test", code: "101010" });
    }
    expect(listOutbox()).toHaveLength(3);
    expect(smtp.received.some((received) => received.recipients.includes("dev@example.test"))).toBe(false);
  });

  it("rejects an SMTP_URL that is not smtp:// or smtps:// without echoing it", () => {
    expect(() => createMailerFromEnv({ SMTP_URL: "https://user:hunter2@mail.example.com" })).toThrow(/SMTP_URL/);
    expect(() => createMailerFromEnv({ SMTP_URL: "https://user:hunter2@mail.example.com" })).not.toThrow(/hunter2/);
  });
});
