/**
 * /dev/outbox: the emails the development outbox kept instead of sending (no SMTP_URL), newest first, so codes and
 * links can be used without a mail server. It holds them in clear, so it answers 404 in production.
 */
import { redirect, type HeadersFunction, type MetaFunction } from "@remix-run/node";
import { Form, useLoaderData, useNavigation } from "@remix-run/react";
import { clearOutbox, clearSmsOutbox, listOutbox, listSmsOutbox, OUTBOX_LIMIT } from "@latchkey/api";
import { Button } from "~/components/button";
import { metaT } from "~/i18n/meta";
import { useLocale, useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { getEnv } from "~/lib/env.server";

function requireDevelopment(): void {
  if (getEnv().NODE_ENV === "production") throw new Response("Not Found", { status: 404 });
}

// Codes and sign-in links: never cached.
export const headers: HeadersFunction = () => ({ "Cache-Control": "no-store" });

export const handle = { i18n: ["devOutbox"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("devOutbox.title") }];

export function loader() {
  requireDevelopment();
  return {
    limit: OUTBOX_LIMIT,
    messages: listOutbox().map(({ id, to, subject, kind, sentAt, text }) => ({ id, to, subject, kind, sentAt, text })),
    // factors: text messages from the development SMS outbox
    texts: listSmsOutbox().map(({ id, to, body, sentAt }) => ({ id, to, body, sentAt })),
  };
}

export function action() {
  requireDevelopment();
  clearOutbox();
  clearSmsOutbox();
  // Post/redirect/get, so a reload does not post again.
  throw redirect("/dev/outbox");
}

// UTC on both server and browser, so the hydrated text matches the server's.
const timeFormat = { dateStyle: "medium", timeStyle: "medium", timeZone: "UTC" } as const;

export default function DevOutbox() {
  const t = useT();
  const locale = useLocale();
  const { limit, messages, texts } = useLoaderData<typeof loader>();
  const clearing = useNavigation().state === "submitting";
  return (
    <section aria-labelledby="outbox-title" className="flex flex-col gap-6 py-6">
      <div className="flex flex-wrap items-center justify-between gap-4">
        <h1 id="outbox-title" className="text-2xl font-semibold">
          {t("devOutbox.title")}
        </h1>
        <Form method="post">
          <Button variant="secondary" pending={clearing}>
            {t("devOutbox.clear")}
          </Button>
        </Form>
      </div>
      <p className="text-muted">{t("devOutbox.lead", { limit })}</p>
      {messages.length === 0 ? (
        <p className="text-muted">{t("devOutbox.empty")}</p>
      ) : (
        <ol className="flex flex-col gap-4" aria-labelledby="outbox-title">
          {messages.map((message) => (
            <li key={message.id} className="flex flex-col gap-3 rounded-lk border border-border p-4">
              <h2 className="text-lg font-medium">{message.subject}</h2>
              <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
                <dt className="text-muted">{t("devOutbox.to")}</dt>
                <dd>{message.to}</dd>
                <dt className="text-muted">{t("devOutbox.kind")}</dt>
                <dd>
                  <code>{message.kind}</code>
                </dd>
                <dt className="text-muted">{t("devOutbox.sentAt")}</dt>
                <dd>
                  <time dateTime={message.sentAt.toISOString()}>
                    {message.sentAt.toLocaleString(locale, timeFormat)} UTC
                  </time>
                </dd>
              </dl>
              <pre className="overflow-x-auto whitespace-pre-wrap break-words rounded-lk bg-subtle p-3 text-sm">{message.text}</pre>
            </li>
          ))}
        </ol>
      )}
      <h2 id="outbox-sms-title" className="text-xl font-semibold">
        {t("devOutbox.sms.title")}
      </h2>
      {texts.length === 0 ? (
        <p className="text-muted">{t("devOutbox.sms.empty")}</p>
      ) : (
        <ol className="flex flex-col gap-4" aria-labelledby="outbox-sms-title">
          {texts.map((text) => (
            <li key={text.id} className="flex flex-col gap-2 rounded-lk border border-border p-4">
              <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
                <dt className="text-muted">{t("devOutbox.to")}</dt>
                <dd>{text.to}</dd>
                <dt className="text-muted">{t("devOutbox.sentAt")}</dt>
                <dd>
                  <time dateTime={text.sentAt.toISOString()}>{text.sentAt.toLocaleString(locale, timeFormat)} UTC</time>
                </dd>
              </dl>
              <pre className="overflow-x-auto whitespace-pre-wrap break-words rounded-lk bg-subtle p-3 text-sm">{text.body}</pre>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
