import { Form, useLocation, useRouteLoaderData } from "@remix-run/react";
import { useT } from "~/i18n/react";
import { parseTheme, themeChoices, type ThemeChoice } from "~/lib/theme";

const labelKeys = {
  system: "userButton.themeSystem",
  light: "userButton.themeLight",
  dark: "userButton.themeDark",
} as const satisfies Record<ThemeChoice, string>;

/** System, light or dark: a plain POST to /theme (works without JavaScript), remembered in a cookie. */
export function ThemeSwitch() {
  const t = useT();
  const location = useLocation();
  const theme = parseTheme(useRouteLoaderData<{ theme?: unknown }>("root")?.theme);
  const current: ThemeChoice = theme ?? "system";
  return (
    <Form method="post" action="/theme" className="mt-2 border-t border-border pt-2">
      <input type="hidden" name="redirectTo" value={`${location.pathname}${location.search}`} />
      <fieldset>
        <legend className="px-2 pb-1 text-xs uppercase tracking-wide text-muted">{t("userButton.theme")}</legend>
        <div className="flex gap-1 px-1">
          {themeChoices.map((choice) => (
            <button
              key={choice}
              type="submit"
              name="theme"
              value={choice}
              aria-pressed={choice === current}
              className="flex-1 rounded-lk border border-border px-2 py-1 text-xs hover:bg-subtle aria-pressed:border-primary aria-pressed:font-semibold aria-pressed:text-primary"
            >
              {t(labelKeys[choice])}
            </button>
          ))}
        </div>
      </fieldset>
    </Form>
  );
}
