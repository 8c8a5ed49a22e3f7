/** One template per kind of email: which words, in which order, around which code or link. */
import type { MailKind, MailValues } from "./outgoing-mail.ts";
import { translateMail, type MailLocale, type MailMessageKey, type MailVars } from "./messages.ts";
import { renderEmail, type EmailBlock } from "./render.ts";

type Translate = (key: MailMessageKey, vars?: MailVars) => string;

interface TemplateOutput {
  subject: string;
  heading: string;
  blocks: EmailBlock[];
}

type Template<K extends MailKind> = (t: Translate, values: MailValues[K]) => TemplateOutput;

const paragraph = (text: string): EmailBlock => ({ type: "paragraph", text });
const note = (text: string): EmailBlock => ({ type: "note", text });
const code = (t: Translate, value: string): EmailBlock => ({ type: "code", label: t("common.codeLabel"), code: value });
const action = (t: Translate, label: string, href: string): EmailBlock => ({
  type: "action",
  label,
  href,
  fallback: t("common.linkFallback"),
});

const templates: { [K in MailKind]: Template<K> } = {
  "verification-code": (t, { code: value, link }) => ({
    subject: t("verificationCode.subject"),
    heading: t("verificationCode.heading"),
    blocks: [
      paragraph(t("verificationCode.intro")),
      code(t, value),
      ...(link ? [paragraph(t("verificationCode.linkIntro")), action(t, t("verificationCode.action"), link)] : []),
      note(t("common.ignore")),
    ],
  }),
  "password-reset": (t, { link }) => ({
    subject: t("passwordReset.subject"),
    heading: t("passwordReset.heading"),
    blocks: [paragraph(t("passwordReset.intro")), action(t, t("passwordReset.action"), link), note(t("passwordReset.ignore"))],
  }),
  "sign-in-code": (t, { code: value }) => ({
    subject: t("signInCode.subject"),
    heading: t("signInCode.heading"),
    blocks: [paragraph(t("signInCode.intro")), code(t, value), note(t("signInCode.ignore"))],
  }),
  "reverification-code": (t, { code: value }) => ({
    subject: t("reverificationCode.subject"),
    heading: t("reverificationCode.heading"),
    blocks: [paragraph(t("reverificationCode.intro")), code(t, value), note(t("reverificationCode.ignore"))],
  }),
  "magic-link": (t, { link }) => ({
    subject: t("magicLink.subject"),
    heading: t("magicLink.heading"),
    blocks: [paragraph(t("magicLink.intro")), action(t, t("magicLink.action"), link), note(t("magicLink.ignore"))],
  }),
  "account-exists": (t, { signInLink, resetLink }) => ({
    subject: t("accountExists.subject"),
    heading: t("accountExists.heading"),
    blocks: [
      paragraph(t("accountExists.intro")),
      action(t, t("accountExists.signIn"), signInLink),
      paragraph(t("accountExists.resetIntro")),
      action(t, t("accountExists.reset"), resetLink),
      note(t("accountExists.ignore")),
    ],
  }),
  "lockout-notice": (t, { minutes }) => ({
    subject: t("lockoutNotice.subject"),
    heading: t("lockoutNotice.heading"),
    blocks: [paragraph(t("lockoutNotice.intro", { minutes })), note(t("lockoutNotice.advice"))],
  }),
  "primary-email-changed": (t, { newEmail }) => ({
    subject: t("primaryEmailChanged.subject"),
    heading: t("primaryEmailChanged.heading"),
    blocks: [paragraph(t("primaryEmailChanged.intro", { email: newEmail })), note(t("primaryEmailChanged.advice"))],
  }),
  // The organization and inviter names are typed by people, so they stay out of the subject (and are escaped in the body).
  invitation: (t, { organizationName, inviterName, roleName, link }) => ({
    subject: t("invitation.subject"),
    heading: t("invitation.heading", { organizationName }),
    blocks: [
      paragraph(t("invitation.intro", { inviterName, organizationName, roleName })),
      action(t, t("invitation.action"), link),
      note(t("invitation.expiry")),
      note(t("invitation.ignore")),
    ],
  }),
  "instance-invitation": (t, { link, expiresInDays }) => ({
    subject: t("instanceInvitation.subject"),
    heading: t("instanceInvitation.heading"),
    blocks: [
      paragraph(t("instanceInvitation.intro")),
      action(t, t("instanceInvitation.action"), link),
      note(t("instanceInvitation.expiry", { days: expiresInDays })),
      note(t("instanceInvitation.ignore")),
    ],
  }),
  "security-notice": (t, { event }) => ({
    subject: t("securityNotice.subject"),
    heading: t(`securityNotice.${event}`),
    blocks: [paragraph(t("securityNotice.intro")), note(t("securityNotice.advice"))],
  }),
};

export interface RenderedMail {
  subject: string;
  html: string;
  text: string;
}

/** Renders one email of `kind` in `locale`; `{appName}` is available to every message. */
export function renderMail<K extends MailKind>(
  kind: K,
  values: MailValues[K],
  options: { locale: MailLocale; appName: string },
): RenderedMail {
  const t: Translate = (key, vars) => translateMail(options.locale, key, { appName: options.appName, ...vars });
  const template = templates[kind] as Template<K>;
  const { subject, heading, blocks } = template(t, values);
  const { html, text } = renderEmail({ locale: options.locale, subject, heading, blocks, footer: t("common.footer") });
  return { subject, html, text };
}
