import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { getSafeRedirect } from "@latchkey/auth";
import { getEnv } from "~/lib/env.server";
import { parseThemeChoice, serializeThemeCookie } from "~/lib/theme";

/** POST /theme (the theme switch in the account menu): remembers light, dark or system and goes back. */
export async function action({ request }: ActionFunctionArgs) {
  const form = await request.formData();
  const target = getSafeRedirect(String(form.get("redirectTo") ?? ""));
  const choice = parseThemeChoice(form.get("theme"));
  if (!choice) return redirect(target);
  const secure = getEnv().APP_URL.startsWith("https://");
  return redirect(target, { headers: { "Set-Cookie": serializeThemeCookie(choice, { secure }) } });
}

export function loader() {
  return redirect("/");
}
