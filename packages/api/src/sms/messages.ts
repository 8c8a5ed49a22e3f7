/**
 * The text of an SMS code, in the user's language. The code comes first (so phones can offer to fill it in) and the
 * `@host #code` line lets browsers that support WebOTP (`autocomplete="one-time-code"`) bind it to this site.
 */
const texts = {
  "en-US": {
    phone_verification: "{code} is your {appName} code to confirm this phone number. It expires in 10 minutes.",
    sms_second_factor: "{code} is your {appName} sign-in code. It expires in 10 minutes. Don't share it with anyone.",
  },
  "pl-PL": {
    phone_verification: "{code} to Twój kod {appName} potwierdzający ten numer telefonu. Wygaśnie za 10 minut.",
    sms_second_factor: "{code} to Twój kod logowania {appName}. Wygaśnie za 10 minut. Nie podawaj go nikomu.",
  },
} as const;

export type SmsKind = keyof (typeof texts)["en-US"];

export function smsCodeBody(input: { kind: SmsKind; code: string; locale: string | null; appName?: string; host?: string }): string {
  const locale = input.locale === "pl-PL" ? "pl-PL" : "en-US";
  const text = texts[locale][input.kind].replace("{code}", input.code).replace("{appName}", input.appName ?? "Latchkey");
  return input.host ? `${text}\n\n@${input.host} #${input.code}` : text;
}
