import { describe, expect, it } from "vitest";
import { mailKinds, securityNoticeEvents, type MailKind, type MailValues } from "./outgoing-mail.ts";
import { mailDictionaries, mailLocales } from "./messages.ts";
import { escapeHtml, requireHttpUrl } from "./render.ts";
import { renderMail } from "./templates.ts";

const sample: { [K in MailKind]: MailValues[K] } = {
  "verification-code": { code: "123456", link: "https://app.test/verify?token=abc" },
  "password-reset": { link: "https://app.test/reset?token=abc" },
  "sign-in-code": { code: "654321" },
  "reverification-code": { code: "246810" },
  "magic-link": { link: "https://app.test/magic?token=abc" },
  "account-exists": { signInLink: "https://app.test/sign-in", resetLink: "https://app.test/reset" },
  "lockout-notice": { minutes: 15 },
  "primary-email-changed": { newEmail: "new-primary@app.test" },
  invitation: { organizationName: "Globex", inviterName: "Ada Lovelace", roleName: "Member", link: "https://app.test/invitations/accept?token=abc" },
  "instance-invitation": { link: "https://app.test/sign-up?invitation=abc", expiresInDays: 7 },
  "security-notice": { event: "totp_added" },
};

const hostile = `<script>alert("x")</script>`;

describe("renderMail", () => {
  it("never puts an interpolated <script> into the HTML unescaped", () => {
    const rendered = renderMail(
      "verification-code",
      { code: hostile, link: `https://app.test/verify?next=${hostile}` },
      { locale: "en-US", appName: `Acme ${hostile}` },
    );
    expect(rendered.html).not.toMatch(/<script/i);
    expect(rendered.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    // The plain-text part is not HTML: there the value stays as written.
    expect(rendered.text).toContain(hostile);
  });

  it("escapes quotes so a value cannot leave an attribute", () => {
    const rendered = renderMail(
      "account-exists",
      { signInLink: `https://app.test/a" onclick="x`, resetLink: "https://app.test/r?q='x'" },
      { locale: "en-US", appName: `" onload="x` },
    );
    expect(rendered.html).not.toMatch(/" on(click|load)=/);
    expect(rendered.html).not.toContain("'x'");
  });

  it.each(mailLocales)("gives every security-notice event its own %s heading", (locale) => {
    const headings = securityNoticeEvents.map((event) => {
      const { html } = renderMail("security-notice", { event }, { locale, appName: "Acme" });
      return /<h1[^>]*>([^<]+)<\/h1>/.exec(html)![1];
    });
    expect(new Set(headings).size).toBe(securityNoticeEvents.length);
  });

  it.each(["javascript:alert(1)", "data:text/html,hi", "/relative/path", "not a url"])("refuses the link %s", (link) => {
    expect(() => renderMail("magic-link", { link }, { locale: "en-US", appName: "Acme" })).toThrow(/http/);
  });

  it.each(mailLocales.flatMap((locale) => mailKinds.map((kind) => [locale, kind] as const)))(
    "renders %s %s with its values, the lang attribute, a heading and no unfilled placeholder",
    (locale, kind) => {
      const rendered = renderMail(kind, sample[kind], { locale, appName: "Acme" });
      expect(rendered.html).toContain(`<html lang="${locale}"`);
      expect(rendered.html).toMatch(/<h1[^>]*>[^<]+<\/h1>/);
      // A security notice carries an event name, shown as its translated heading (tested below), not as the raw value.
      for (const value of kind === "security-notice" ? [] : Object.values(sample[kind])) {
        expect(rendered.text).toContain(String(value));
        expect(rendered.html).toContain(escapeHtml(String(value)));
      }
      for (const part of [rendered.subject, rendered.text, rendered.html]) expect(part).not.toMatch(/\{\w+\}/);
      expect(rendered.subject).toContain("Acme");
    },
  );

  it("shows the code in large monospace text and every link behind text that says what it does", () => {
    const { html } = renderMail("verification-code", sample["verification-code"], { locale: "en-US", appName: "Acme" });
    expect(html).toMatch(/<code style="[^"]*monospace[^"]*font-size:32px[^"]*">123456<\/code>/);
    expect(html).toMatch(/<a href="https:\/\/app\.test\/verify\?token=abc"[^>]*>Verify email address<\/a>/);
  });

  it("leaves the one-click part out of a verification email that has no link, keeping the code", () => {
    const { html, text } = renderMail("verification-code", { code: "246810" }, { locale: "en-US", appName: "Acme" });
    expect(text).toContain("246810");
    expect(text).not.toContain("Or confirm it with one click");
    expect(html).not.toMatch(/<a href=/);
  });

  it("tells the old primary address which address is primary now, and what to do if it wasn't them", () => {
    for (const locale of mailLocales) {
      const { subject, text } = renderMail("primary-email-changed", { newEmail: "new@app.test" }, { locale, appName: "Acme" });
      expect(text).toContain("new@app.test");
      expect(subject).not.toContain("new@app.test");
    }
    const { text } = renderMail("primary-email-changed", { newEmail: "new@app.test" }, { locale: "en-US", appName: "Acme" });
    expect(text).toContain("reset your password");
  });

  it("invites to create an account with the sign-up link, its 7-day single use, and what happens if ignored, in both languages", () => {
    const values = { link: "https://app.test/sign-up?invitation=lkinv_abc", expiresInDays: 7 };
    const en = renderMail("instance-invitation", values, { locale: "en-US", appName: "Acme" });
    expect(en.subject).toBe("You are invited to create an account on Acme");
    expect(en.html).toMatch(/<a href="https:\/\/app\.test\/sign-up\?invitation=lkinv_abc"[^>]*>Create your account<\/a>/);
    expect(en.text).toContain("The invitation works once, for 7 days.");
    const pl = renderMail("instance-invitation", values, { locale: "pl-PL", appName: "Acme" });
    expect(pl.subject).toBe("Zaproszenie do założenia konta w Acme");
    expect(pl.text).toContain("Zaproszenie można wykorzystać raz, w ciągu 7 dni.");
    expect(pl.html).toContain(">Załóż konto</a>");
  });

  it("keeps codes and links out of every subject, since subjects are logged", () => {
    for (const locale of mailLocales) {
      for (const kind of mailKinds) {
        const { subject } = renderMail(kind, sample[kind], { locale, appName: "Acme" });
        for (const value of Object.values(sample[kind])) {
          if (typeof value === "string") expect(subject).not.toContain(value);
        }
      }
    }
  });
});

describe("the dictionaries", () => {
  const placeholders = (message: string) => [...message.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();

  it("use the same placeholders in every language", () => {
    const source = mailDictionaries["en-US"];
    for (const locale of mailLocales) {
      for (const key of Object.keys(source) as (keyof typeof source)[]) {
        expect(placeholders(mailDictionaries[locale][key]), `${locale} ${key}`).toEqual(placeholders(source[key]));
      }
    }
  });
});

describe("requireHttpUrl", () => {
  it("normalizes an absolute https URL", () => {
    expect(requireHttpUrl("https://App.test/a b")).toBe("https://app.test/a%20b");
  });
});
