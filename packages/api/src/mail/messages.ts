/**
 * The emails' words, per language. en-US is the source of keys; every other dictionary must have exactly its keys
 * (`satisfies MailDictionary` fails on a missing or an extra one). `{name}` placeholders are filled when rendering.
 * Subjects never hold a code or a link: they are logged.
 */

const enUS = {
  "common.ignore": "If you didn't ask for this, you can ignore this email.",
  "common.linkFallback": "If the button doesn't work, copy this address into your browser:",
  "common.codeLabel": "Your code",
  "common.footer": "This email was sent by {appName}.",

  "verificationCode.subject": "Verify your email address for {appName}",
  "verificationCode.heading": "Verify your email address",
  "verificationCode.intro": "Enter this code to confirm that this email address is yours:",
  "verificationCode.linkIntro": "Or confirm it with one click:",
  "verificationCode.action": "Verify email address",

  "passwordReset.subject": "Reset your {appName} password",
  "passwordReset.heading": "Reset your password",
  "passwordReset.intro": "Someone asked to reset the password of your {appName} account. To choose a new one, open this link:",
  "passwordReset.action": "Choose a new password",
  "passwordReset.ignore": "If you didn't ask for this, ignore this email: your password stays as it is.",

  "signInCode.subject": "Your {appName} sign-in code",
  "signInCode.heading": "Sign in to {appName}",
  "signInCode.intro": "Enter this code to sign in. Never share it with anyone:",
  "signInCode.ignore": "If you didn't try to sign in, you can ignore this email.",

  "reverificationCode.subject": "Your {appName} confirmation code",
  "reverificationCode.heading": "Confirm it's you",
  "reverificationCode.intro": "Enter this code to confirm it's you before a sensitive change. Never share it with anyone:",
  "reverificationCode.ignore": "If you didn't ask for this, someone may be using your signed-in browser: sign out of other devices and change how you sign in.",

  "magicLink.subject": "Sign in to {appName}",
  "magicLink.heading": "Sign in to {appName}",
  "magicLink.intro": "Open this link to sign in. Never forward it to anyone:",
  "magicLink.action": "Sign in",
  "magicLink.ignore": "If you didn't try to sign in, you can ignore this email.",

  "accountExists.subject": "Someone tried to create a {appName} account with your email address",
  "accountExists.heading": "You already have an account",
  "accountExists.intro": "Someone tried to sign up for {appName} with this email address, which already has an account. If it was you, sign in instead:",
  "accountExists.signIn": "Sign in",
  "accountExists.resetIntro": "Forgot your password? Choose a new one:",
  "accountExists.reset": "Reset password",
  "accountExists.ignore": "If it wasn't you, you can ignore this email: nothing has changed in your account.",

  "lockoutNotice.subject": "Sign-in to your {appName} account is paused",
  "lockoutNotice.heading": "Too many failed sign-in attempts",
  "lockoutNotice.intro": "After several wrong passwords, signing in to your {appName} account is paused for {minutes} min.",
  "lockoutNotice.advice": "If it wasn't you, someone may know your email address: once you can sign in again, consider choosing a new, unique password.",

  "primaryEmailChanged.subject": "The primary email address of your {appName} account was changed",
  "primaryEmailChanged.heading": "Your primary email address was changed",
  "primaryEmailChanged.intro": "The primary email address of your {appName} account is now {email}. Account emails go there from now on; this address stays on the account as a secondary one.",
  "primaryEmailChanged.advice": "If you didn't make this change, reset your password right away: someone else may have access to your account.",
  "invitation.subject": "You have been invited to join an organization on {appName}",
  "invitation.heading": "Join {organizationName}",
  "invitation.intro": "{inviterName} invited you to join {organizationName} on {appName} as {roleName}.",
  "invitation.action": "View the invitation",
  "invitation.expiry": "The invitation works for 7 days.",
  "invitation.ignore": "If you don't know the sender, you can ignore this email: nothing happens unless you accept.",
  "instanceInvitation.subject": "You are invited to create an account on {appName}",
  "instanceInvitation.heading": "Create your {appName} account",
  "instanceInvitation.intro": "You have been invited to create an account on {appName}. The sign-up page will use this email address.",
  "instanceInvitation.action": "Create your account",
  "instanceInvitation.expiry": "The invitation works once, for {days} days.",
  "instanceInvitation.ignore": "If you weren't expecting this, you can ignore this email: no account is created unless you sign up.",
  "securityNotice.subject": "Security settings of your {appName} account changed",
  "securityNotice.intro": "This is a notice that the way your {appName} account is protected just changed. You can review your sign-in methods and devices on your account's security page.",
  "securityNotice.advice": "If you didn't make this change, reset your password right away and review your devices: someone else may have access to your account.",
  "securityNotice.totp_added": "An authenticator app was added to your account",
  "securityNotice.totp_removed": "The authenticator app was removed from your account",
  "securityNotice.backup_codes_generated": "New backup codes were created for your account",
  "securityNotice.passkey_added": "A passkey was added to your account",
  "securityNotice.passkey_removed": "A passkey was removed from your account",
  "securityNotice.phone_added": "A phone number for sign-in codes was added to your account",
  "securityNotice.phone_removed": "A phone number for sign-in codes was removed from your account",
  "securityNotice.password_changed": "Your password was changed",
} as const;

export type MailMessageKey = keyof typeof enUS;

/** A complete translation: exactly the en-US keys. */
export type MailDictionary = { readonly [K in MailMessageKey]: string };

const plPL = {
  "common.ignore": "Jeśli to nie Ty, możesz zignorować tę wiadomość.",
  "common.linkFallback": "Jeśli przycisk nie działa, skopiuj ten adres do przeglądarki:",
  "common.codeLabel": "Twój kod",
  "common.footer": "Tę wiadomość wysłał {appName}.",

  "verificationCode.subject": "Potwierdź adres e-mail w {appName}",
  "verificationCode.heading": "Potwierdź adres e-mail",
  "verificationCode.intro": "Wpisz ten kod, aby potwierdzić, że ten adres e-mail należy do Ciebie:",
  "verificationCode.linkIntro": "Możesz też potwierdzić go jednym kliknięciem:",
  "verificationCode.action": "Potwierdź adres e-mail",

  "passwordReset.subject": "Zresetuj hasło w {appName}",
  "passwordReset.heading": "Zresetuj hasło",
  "passwordReset.intro": "Ktoś poprosił o zresetowanie hasła do Twojego konta w {appName}. Aby ustawić nowe, otwórz ten link:",
  "passwordReset.action": "Ustaw nowe hasło",
  "passwordReset.ignore": "Jeśli to nie Ty, zignoruj tę wiadomość: Twoje hasło się nie zmieni.",

  "signInCode.subject": "Twój kod logowania do {appName}",
  "signInCode.heading": "Zaloguj się do {appName}",
  "signInCode.intro": "Wpisz ten kod, aby się zalogować. Nigdy nikomu go nie podawaj:",
  "signInCode.ignore": "Jeśli to nie Ty próbujesz się zalogować, możesz zignorować tę wiadomość.",

  "reverificationCode.subject": "Twój kod potwierdzający w {appName}",
  "reverificationCode.heading": "Potwierdź, że to Ty",
  "reverificationCode.intro": "Wpisz ten kod, aby potwierdzić, że to Ty, przed ważną zmianą. Nigdy nikomu go nie podawaj:",
  "reverificationCode.ignore": "Jeśli to nie Ty, ktoś może korzystać z Twojej zalogowanej przeglądarki: wyloguj inne urządzenia i zmień sposób logowania.",

  "magicLink.subject": "Zaloguj się do {appName}",
  "magicLink.heading": "Zaloguj się do {appName}",
  "magicLink.intro": "Otwórz ten link, aby się zalogować. Nigdy nikomu go nie przekazuj:",
  "magicLink.action": "Zaloguj się",
  "magicLink.ignore": "Jeśli to nie Ty próbujesz się zalogować, możesz zignorować tę wiadomość.",

  "accountExists.subject": "Ktoś próbował założyć konto w {appName} na Twój adres e-mail",
  "accountExists.heading": "Masz już konto",
  "accountExists.intro": "Ktoś próbował zarejestrować się w {appName} tym adresem e-mail, a konto z tym adresem już istnieje. Jeśli to Ty, po prostu się zaloguj:",
  "accountExists.signIn": "Zaloguj się",
  "accountExists.resetIntro": "Nie pamiętasz hasła? Ustaw nowe:",
  "accountExists.reset": "Zresetuj hasło",
  "accountExists.ignore": "Jeśli to nie Ty, możesz zignorować tę wiadomość: na Twoim koncie nic się nie zmieniło.",

  "lockoutNotice.subject": "Logowanie do Twojego konta w {appName} jest wstrzymane",
  "lockoutNotice.heading": "Zbyt wiele nieudanych prób logowania",
  "lockoutNotice.intro": "Po kilku błędnych hasłach logowanie do Twojego konta w {appName} jest wstrzymane na {minutes} min.",
  "lockoutNotice.advice": "Jeśli to nie Ty, ktoś może znać Twój adres e-mail: gdy znów będzie można się zalogować, rozważ ustawienie nowego, niepowtarzalnego hasła.",

  "primaryEmailChanged.subject": "Zmieniono główny adres e-mail Twojego konta w {appName}",
  "primaryEmailChanged.heading": "Zmieniono główny adres e-mail",
  "primaryEmailChanged.intro": "Główny adres e-mail Twojego konta w {appName} to teraz {email}. Od teraz tam trafiają wiadomości dotyczące konta; ten adres pozostaje na koncie jako dodatkowy.",
  "primaryEmailChanged.advice": "Jeśli to nie była Twoja zmiana, od razu zresetuj hasło: ktoś inny może mieć dostęp do Twojego konta.",
  "invitation.subject": "Zaproszenie do organizacji w {appName}",
  "invitation.heading": "Dołącz do {organizationName}",
  "invitation.intro": "{inviterName} zaprasza Cię do organizacji {organizationName} w {appName} z rolą {roleName}.",
  "invitation.action": "Zobacz zaproszenie",
  "invitation.expiry": "Zaproszenie jest ważne przez 7 dni.",
  "invitation.ignore": "Jeśli nie znasz nadawcy, możesz zignorować tę wiadomość: nic się nie stanie, dopóki nie przyjmiesz zaproszenia.",
  "instanceInvitation.subject": "Zaproszenie do założenia konta w {appName}",
  "instanceInvitation.heading": "Załóż konto w {appName}",
  "instanceInvitation.intro": "Otrzymujesz zaproszenie do założenia konta w {appName}. Strona rejestracji użyje tego adresu e-mail.",
  "instanceInvitation.action": "Załóż konto",
  "instanceInvitation.expiry": "Zaproszenie można wykorzystać raz, w ciągu {days} dni.",
  "instanceInvitation.ignore": "Jeśli się go nie spodziewasz, możesz zignorować tę wiadomość: konto nie powstanie, dopóki się nie zarejestrujesz.",
  "securityNotice.subject": "Zmieniono ustawienia bezpieczeństwa Twojego konta w {appName}",
  "securityNotice.intro": "Informujemy, że właśnie zmienił się sposób ochrony Twojego konta w {appName}. Metody logowania i urządzenia możesz sprawdzić na stronie bezpieczeństwa konta.",
  "securityNotice.advice": "Jeśli to nie była Twoja zmiana, od razu zresetuj hasło i sprawdź swoje urządzenia: ktoś inny może mieć dostęp do Twojego konta.",
  "securityNotice.totp_added": "Do Twojego konta dodano aplikację uwierzytelniającą",
  "securityNotice.totp_removed": "Z Twojego konta usunięto aplikację uwierzytelniającą",
  "securityNotice.backup_codes_generated": "Utworzono nowe kody zapasowe do Twojego konta",
  "securityNotice.passkey_added": "Do Twojego konta dodano klucz dostępu",
  "securityNotice.passkey_removed": "Z Twojego konta usunięto klucz dostępu",
  "securityNotice.phone_added": "Do Twojego konta dodano numer telefonu do kodów logowania",
  "securityNotice.phone_removed": "Z Twojego konta usunięto numer telefonu do kodów logowania",
  "securityNotice.password_changed": "Zmieniono hasło do Twojego konta",
} as const satisfies MailDictionary;

export const mailDictionaries = { "en-US": enUS, "pl-PL": plPL } as const satisfies Record<string, MailDictionary>;

export type MailLocale = keyof typeof mailDictionaries;
export const mailLocales = Object.keys(mailDictionaries) as readonly MailLocale[];

function isMailLocale(value: string): value is MailLocale {
  return Object.hasOwn(mailDictionaries, value);
}

/** The supported language for a stored preference: exact (`pl-PL`), else by language (`pl`, `pl-pl`), else the fallback. */
export function resolveMailLocale(preferred: string | null | undefined, fallback: MailLocale): MailLocale {
  if (!preferred) return fallback;
  if (isMailLocale(preferred)) return preferred;
  const language = preferred.split("-")[0]!.toLowerCase();
  return mailLocales.find((locale) => locale.split("-")[0]!.toLowerCase() === language) ?? fallback;
}

export type MailVars = Readonly<Record<string, string | number>>;

/** The message for `key` in `locale`, `{name}` placeholders filled (as plain text; escaping is the renderer's job). */
export function translateMail(locale: MailLocale, key: MailMessageKey, vars: MailVars = {}): string {
  return mailDictionaries[locale][key].replace(/\{(\w+)\}/g, (placeholder, name: string) =>
    Object.hasOwn(vars, name) ? String(vars[name]) : placeholder,
  );
}
