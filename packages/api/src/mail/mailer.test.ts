import { describe, expect, it } from "vitest";
import { createMailer } from "./mailer.ts";
import type { MailTransport, OutgoingMail } from "./outgoing-mail.ts";

function recordingTransport() {
  const sent: OutgoingMail[] = [];
  const transport: MailTransport = {
    async send(message) {
      sent.push(message);
    },
  };
  return { sent, transport };
}

describe("createMailer", () => {
  it("sends each kind of email with its kind and values, rendered in the reader's language", async () => {
    const { sent, transport } = recordingTransport();
    const mailer = createMailer({ transport, appName: "Acme" });
    const to = "ada@example.test";
    await mailer.sendVerificationCode({ to, locale: "pl-PL", code: "123456", link: "https://acme.test/v" });
    await mailer.sendPasswordReset({ to, locale: "pl-PL", link: "https://acme.test/r" });
    await mailer.sendSignInCode({ to, locale: "pl-PL", code: "654321" });
    await mailer.sendMagicLink({ to, locale: "pl-PL", link: "https://acme.test/m" });
    await mailer.sendAccountExists({ to, locale: "pl-PL", signInLink: "https://acme.test/s", resetLink: "https://acme.test/r" });
    await mailer.sendLockoutNotice({ to, locale: "pl-PL", minutes: 15 });
    await mailer.sendPrimaryEmailChanged({ to, locale: "pl-PL", newEmail: "nowy@example.test" });
    await mailer.sendInvitation({ to, locale: "pl-PL", organizationName: "Globex", inviterName: "Ada", roleName: "Member", link: "https://acme.test/i" });
    await mailer.sendSecurityNotice({ to, locale: "pl-PL", event: "passkey_removed" });
    expect(sent.map((mail) => [mail.kind, mail.values])).toEqual([
      ["verification-code", { code: "123456", link: "https://acme.test/v" }],
      ["password-reset", { link: "https://acme.test/r" }],
      ["sign-in-code", { code: "654321" }],
      ["magic-link", { link: "https://acme.test/m" }],
      ["account-exists", { signInLink: "https://acme.test/s", resetLink: "https://acme.test/r" }],
      ["lockout-notice", { minutes: 15 }],
      ["primary-email-changed", { newEmail: "nowy@example.test" }],
      ["invitation", { organizationName: "Globex", inviterName: "Ada", roleName: "Member", link: "https://acme.test/i" }],
      ["security-notice", { event: "passkey_removed" }],
    ]);
    expect(sent.every((mail) => mail.to === to && mail.locale === "pl-PL")).toBe(true);
    expect(sent.at(-4)!.text).toContain("wstrzymane na 15 min");
    expect(sent.at(-3)!.text).toContain("to teraz nowy@example.test");
    expect(sent.at(-2)!.text).toContain("Ada zaprasza Cię do organizacji Globex");
    expect(sent.at(-1)!.text).toContain("Z Twojego konta usunięto klucz dostępu");
  });

  it.each([
    ["pl-PL", "pl-PL"],
    ["pl", "pl-PL"],
    ["PL-pl", "pl-PL"],
    ["en-GB", "en-US"],
    ["de-DE", "en-US"],
    [null, "en-US"],
    [undefined, "en-US"],
  ])("writes to a reader who prefers %s in %s", async (preferred, expected) => {
    const { sent, transport } = recordingTransport();
    await createMailer({ transport }).sendSignInCode({ to: "a@example.test", locale: preferred, code: "111111" });
    expect(sent[0]!.locale).toBe(expected);
  });

  it("falls back to the configured default language", async () => {
    const { sent, transport } = recordingTransport();
    await createMailer({ transport, defaultLocale: "pl-PL" }).sendSignInCode({ to: "a@example.test", code: "111111" });
    expect(sent[0]!.subject).toBe("Twój kod logowania do Latchkey");
  });

  it("keeps line breaks out of the subject, so the app name cannot forge a header", async () => {
    const { sent, transport } = recordingTransport();
    await createMailer({ transport, appName: "Acme\r\nBcc: victim@example.test" }).sendMagicLink({
      to: "a@example.test",
      link: "https://acme.test/m",
    });
    expect(sent[0]!.subject).not.toMatch(/[\r\n]/);
  });

  it.each(["a@example.test\r\nBcc: other@example.test", "a@example.test, b@example.test", "Ada <a@example.test>", "nobody"])(
    "refuses to send to %j, which is not one plain address",
    async (to) => {
      const { sent, transport } = recordingTransport();
      await expect(createMailer({ transport }).sendMagicLink({ to, link: "https://acme.test/m" })).rejects.toThrow(/recipient/);
      expect(sent).toEqual([]);
    },
  );

  it("rejects, without sending, when a link is not http(s)", async () => {
    const { sent, transport } = recordingTransport();
    const sending = createMailer({ transport }).sendPasswordReset({ to: "a@example.test", link: "javascript:alert(1)" });
    await expect(sending).rejects.toThrow(/http/);
    expect(sent).toEqual([]);
  });

  it("passes a transport failure on to the caller", async () => {
    const transport: MailTransport = { send: () => Promise.reject(new Error("relay down")) };
    await expect(createMailer({ transport }).sendSignInCode({ to: "a@example.test", code: "1" })).rejects.toThrow("relay down");
  });
});
