import { afterEach, describe, expect, it, vi } from "vitest";
import { clearOutbox, createDevOutboxTransport, describeMail, listOutbox, OUTBOX_LIMIT } from "./dev-outbox.ts";
import { createMailer } from "./mailer.ts";

afterEach(() => clearOutbox());

function quietConsole() {
  return {
    info: vi.spyOn(console, "info").mockImplementation(() => {}),
    log: vi.spyOn(console, "log").mockImplementation(() => {}),
    warn: vi.spyOn(console, "warn").mockImplementation(() => {}),
  };
}

describe("the development outbox", () => {
  it("keeps the newest 50 messages, newest first", async () => {
    quietConsole();
    const mailer = createMailer({ transport: createDevOutboxTransport() });
    for (let i = 1; i <= OUTBOX_LIMIT + 7; i++) {
      await mailer.sendSignInCode({ to: `user${i}@example.test`, code: String(100000 + i) });
    }
    const messages = listOutbox();
    expect(messages).toHaveLength(50);
    expect(messages[0]!.to).toBe("user57@example.test");
    expect(messages.at(-1)!.to).toBe("user8@example.test");
  });

  it("records what a test or the outbox page needs: address, kind, subject, bodies, values and time", async () => {
    quietConsole();
    const sentAt = new Date("2030-01-02T03:04:05Z");
    const mailer = createMailer({ transport: createDevOutboxTransport({ now: () => sentAt }), appName: "Acme" });
    await mailer.sendVerificationCode({ to: "ada@example.test", locale: "pl-PL", code: "246810", link: "https://app.test/v?t=1" });
    const [message] = listOutbox();
    expect(message).toMatchObject({ to: "ada@example.test", kind: "verification-code", locale: "pl-PL", sentAt });
    expect(message!.subject).toBe("Potwierdź adres e-mail w Acme");
    expect(message!.text).toContain("246810");
    expect(message!.id).toMatch(/^[0-9a-f-]{36}$/);
    if (message!.kind !== "verification-code") throw new Error("wrong kind");
    expect(message!.values).toEqual({ code: "246810", link: "https://app.test/v?t=1" });
  });

  it("is emptied by clearOutbox", async () => {
    quietConsole();
    await createMailer({ transport: createDevOutboxTransport() }).sendMagicLink({ to: "a@example.test", link: "https://app.test/m" });
    expect(listOutbox()).toHaveLength(1);
    clearOutbox();
    expect(listOutbox()).toEqual([]);
  });

  it("logs one line per message with the address, kind and subject, and never the code or the link", async () => {
    const spies = quietConsole();
    const mailer = createMailer({ transport: createDevOutboxTransport() });
    await mailer.sendVerificationCode({ to: "ada@example.test", code: "975310", link: "https://app.test/verify?token=SECRET-TOKEN" });
    await mailer.sendAccountExists({
      to: "max@example.test",
      signInLink: "https://app.test/sign-in?hint=SIGN-IN-LINK",
      resetLink: "https://app.test/reset?token=RESET-TOKEN",
    });
    expect(spies.info).toHaveBeenCalledTimes(2);
    expect(spies.info.mock.calls[0]).toEqual([
      '[mail] to=ada@example.test kind=verification-code subject="Verify your email address for Latchkey"',
    ]);
    const logged = [spies.info, spies.log, spies.warn].flatMap((spy) => spy.mock.calls.flat().map(String)).join("\n");
    for (const secret of ["975310", "SECRET-TOKEN", "SIGN-IN-LINK", "RESET-TOKEN", "https://"]) {
      expect(logged).not.toContain(secret);
    }
  });

  it("keeps one store for the whole process, so a reloaded module (Vite HMR) still sees earlier messages", async () => {
    quietConsole();
    await createMailer({ transport: createDevOutboxTransport() }).sendSignInCode({ to: "a@example.test", code: "112233" });
    vi.resetModules();
    const reloaded = await import("./dev-outbox.ts");
    expect(reloaded.listOutbox).not.toBe(listOutbox);
    expect(reloaded.listOutbox().map((message) => message.to)).toEqual(["a@example.test"]);
  });
});

describe("describeMail", () => {
  it("cannot be made to write a second log line by the address or the subject", () => {
    const line = describeMail({ to: "a@example.test\n[mail] forged", kind: "sign-in-code", subject: 'x"\ny' });
    expect(line.split("\n")).toHaveLength(1);
    expect(line).toBe('[mail] to=a@example.test[mail]forged kind=sign-in-code subject="x\\"\\ny"');
  });
});
