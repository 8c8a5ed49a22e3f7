/** bot protection on the page side: what a form's check fields carried, and the check a form should offer (ADR 027). */
import { getCaller, type AuthArgs } from "./auth.server";
import { botCheckFieldNames, type BotCheckData } from "~/components/bot-check-fields";

/** The proof of work, the no-JavaScript form token and the honeypot's value from a posted form. */
export function readBotCheck(form: FormData) {
  const text = (name: string) => {
    const value = form.get(name);
    return typeof value === "string" ? value : null;
  };
  return { solution: text(botCheckFieldNames.solution), formToken: text(botCheckFieldNames.formToken), honeypot: text(botCheckFieldNames.honeypot) };
}

/** For a loader: the challenge and form token to put in the form, or null while bot protection is off. */
export async function loadBotCheck(args: AuthArgs): Promise<BotCheckData> {
  const issued = await (await getCaller(args)).auth.botChallenge();
  return issued.mode === "off" ? null : { challenge: issued.challenge, formToken: issued.formToken };
}
