import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { matchLocale, serializeLocaleCookie } from "~/i18n/resolve-locale";
import { getEnv } from "~/lib/env.server";
import { getSafeRedirect } from "@latchkey/auth";
import { readFormData } from "~/lib/form-data.server";

/** POST /locale (the language switcher): remembers the language for a year and goes back where the form was. */
export async function action({ request }: ActionFunctionArgs) {
  const form = await readFormData(request);
  const target = getSafeRedirect(String(form.get("redirectTo") ?? ""));
  const rawLocale = form.get("locale");
  const locale = typeof rawLocale === "string" ? matchLocale(rawLocale) : null;
  if (!locale) return redirect(target);
  const secure = getEnv().APP_URL.startsWith("https://");
  return redirect(target, { headers: { "Set-Cookie": serializeLocaleCookie(locale, { secure }) } });
}

export function loader() {
  return redirect("/");
}
