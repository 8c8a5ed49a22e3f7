import { createServer, type AddressInfo, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMailer } from "./mailer.ts";
import { createSmtpTransport, requireSmtpUrl } from "./smtp-transport.ts";
import { startTestSmtpServer, type TestSmtpServer } from "./testing.ts";

let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startTestSmtpServer({ users: { mailer: "s3cret/pass" } });
});
afterAll(() => smtp.close());

const FROM = "Acme Auth <auth@acme.test>";
const LINK = "https://auth.acme.test/verify?token=t0k3n-abc";

async function sendVerification(to: string, locale: string) {
  const mailer = createMailer({ transport: createSmtpTransport(smtp.url, { from: FROM }), appName: "Acme" });
  await mailer.sendVerificationCode({ to, locale, code: "493817", link: LINK });
  const mail = smtp.received.find((received) => received.recipients.includes(to));
  if (!mail) throw new Error(`nothing arrived for ${to}`);
  return mail;
}

describe("createSmtpTransport", () => {
  it("delivers a Polish verification email with the code in both parts, the link and the configured From", async () => {
    const { parsed, recipients } = await sendVerification("ola@example.test", "pl-PL");
    expect(recipients).toEqual(["ola@example.test"]);
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value[0]?.address : null).toBe("ola@example.test");
    expect(parsed.from?.value[0]).toEqual({ name: "Acme Auth", address: "auth@acme.test" });
    expect(parsed.subject).toBe("Potwierdź adres e-mail w Acme");
    expect(parsed.text).toContain("493817");
    expect(parsed.text).toContain("Wpisz ten kod");
    expect(parsed.text).toContain(LINK);
    const html = String(parsed.html);
    expect(html).toContain('<html lang="pl-PL"');
    expect(html).toContain("493817");
    expect(html).toContain(`href="${LINK}"`);
    expect(html).toContain("Potwierdź adres e-mail</a>");
    expect(parsed.headers.get("auto-submitted")).toBe("auto-generated");
  });

  it("delivers the same email in English to an English reader", async () => {
    const { parsed } = await sendVerification("ada@example.test", "en-US");
    expect(parsed.subject).toBe("Verify your email address for Acme");
    expect(parsed.text).toContain("Enter this code");
    expect(parsed.text).toContain("493817");
    expect(String(parsed.html)).toContain('<html lang="en-US"');
    expect(String(parsed.html)).toContain("493817");
    expect(String(parsed.html)).toContain(`href="${LINK}"`);
  });

  it("uses Latchkey <no-reply@localhost> as the sender when no From is configured", async () => {
    await createMailer({ transport: createSmtpTransport(smtp.url) }).sendSignInCode({ to: "nofrom@example.test", code: "111222" });
    const mail = smtp.received.find((received) => received.recipients.includes("nofrom@example.test"));
    expect(mail?.parsed.from?.value[0]).toEqual({ name: "Latchkey", address: "no-reply@localhost" });
  });

  it("logs in with the user and password given in the URL", async () => {
    const url = new URL(smtp.url);
    url.username = "mailer";
    url.password = encodeURIComponent("s3cret/pass");
    await createMailer({ transport: createSmtpTransport(url.href) }).sendMagicLink({ to: "auth@example.test", link: LINK });
    const mail = smtp.received.find((received) => received.recipients.includes("auth@example.test"));
    expect(mail?.user).toBe("mailer");
  });

  it("rejects when the server refuses the login", async () => {
    const url = new URL(smtp.url);
    url.username = "mailer";
    url.password = "wrong";
    const mailer = createMailer({ transport: createSmtpTransport(url.href) });
    await expect(mailer.sendMagicLink({ to: "denied@example.test", link: LINK })).rejects.toThrow();
    expect(smtp.received.some((received) => received.recipients.includes("denied@example.test"))).toBe(false);
  });

  describe("against a server that accepts the connection but never greets", () => {
    let silent: Server;
    let port: number;
    beforeAll(async () => {
      silent = createServer(() => {});
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
      port = (silent.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((resolve) => silent.close(() => resolve())));

    it("gives up after the timeout instead of hanging", async () => {
      const transport = createSmtpTransport(`smtp://127.0.0.1:${port}`, { timeoutMs: 300 });
      const started = Date.now();
      const sending = createMailer({ transport }).sendSignInCode({ to: "slow@example.test", code: "123456" });
      await expect(sending).rejects.toThrow(/greeting never received|timeout/i);
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });
});

describe("requireSmtpUrl", () => {
  it.each(["smtp://localhost:1025", "smtps://user:pass@smtp.example.com:465"])("accepts %s", (url) => {
    expect(requireSmtpUrl(url).hostname).not.toBe("");
  });

  it.each(["http://user:hunter2@mail.example.com", "hunter2", "smtp://"])(
    "rejects %s with a message naming SMTP_URL but not its value",
    (url) => {
      expect(() => requireSmtpUrl(url)).toThrow(/SMTP_URL/);
      expect(() => requireSmtpUrl(url)).not.toThrow(/hunter2/);
    },
  );
});
