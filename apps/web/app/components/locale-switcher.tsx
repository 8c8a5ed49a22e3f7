import { Form, useLocation } from "@remix-run/react";
import { useId } from "react";
import { locales, localeNames } from "~/i18n/locales";
import { useLocale, useT } from "~/i18n/react";

/** Picks the language; a plain POST to /locale, so it works without JavaScript too. */
export function LocaleSwitcher() {
  const t = useT();
  const locale = useLocale();
  const location = useLocation();
  const id = useId();
  return (
    <Form method="post" action="/locale" className="flex items-center gap-2 text-sm">
      <input type="hidden" name="redirectTo" value={`${location.pathname}${location.search}`} />
      <label htmlFor={id}>{t("locale.label")}</label>
      <select
        key={locale}
        id={id}
        name="locale"
        defaultValue={locale}
        className="rounded-lk border border-border bg-bg px-2 py-1 text-fg"
      >
        {locales.map((value) => (
          <option key={value} value={value} lang={value}>
            {localeNames[value]}
          </option>
        ))}
      </select>
      <button type="submit" className="rounded-lk border border-border px-3 py-1 hover:bg-subtle">
        {t("locale.submit")}
      </button>
    </Form>
  );
}
