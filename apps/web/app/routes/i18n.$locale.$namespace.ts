/**
 * One namespace of one dictionary, for the browser (ADR 029): `/i18n/pl-PL/security?v=…` → `{ "security.title": … }`.
 * A client navigation fetches the prefixes its page needs and the browser lacks. With the current version the answer
 * is immutable (a changed dictionary changes `v`); with any other it is the current strings, not to be cached.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { getDictionary, isLocale } from "~/i18n/locales";
import { selectMessages } from "~/i18n/namespaces";
import { getDictionaryVersion } from "~/i18n/versions.server";

export function loader({ params, request }: LoaderFunctionArgs) {
  const { locale, namespace = "" } = params;
  if (!isLocale(locale)) throw notFound();
  const messages = selectMessages(getDictionary(locale), [namespace]);
  if (Object.keys(messages).length === 0) throw notFound();
  const current = new URL(request.url).searchParams.get("v") === getDictionaryVersion(locale);
  return new Response(JSON.stringify(messages), {
    headers: {
      "Content-Type": "application/json; charset=utf-8",
      "Cache-Control": current ? "public, max-age=31536000, immutable" : "no-cache",
    },
  });
}

function notFound(): Response {
  return new Response("Not found", { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8" } });
}
