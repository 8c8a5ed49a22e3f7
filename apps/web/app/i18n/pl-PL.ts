import type { Dictionary } from "./dictionary";

export const plPL = {
  "app.name": "Latchkey",
  "app.tagline": "Logowanie, konta i organizacje dla Twoich aplikacji — na Twoich serwerach.",
  "meta.description": "Samodzielnie hostowane uwierzytelnianie i organizacje dla aplikacji w TypeScripcie.",

  "nav.main": "Główna nawigacja",
  "nav.skipToContent": "Przejdź do treści",
  "nav.signIn": "Zaloguj się",
  "nav.signUp": "Zarejestruj się",
  "nav.signOut": "Wyloguj się",
  "nav.home": "Strona główna",
  "nav.personalAccount": "Konto osobiste",
  "nav.createOrganization": "Utwórz organizację",
  "nav.organizations": "Organizacje",

  "form.emailAddress": "Adres e-mail",
  "form.password": "Hasło",
  "form.firstName": "Imię",
  "form.lastName": "Nazwisko",
  "form.organizationName": "Nazwa organizacji",
  "form.slug": "Identyfikator w adresie",
  "form.projectName": "Nazwa projektu",
  "form.optional": "opcjonalnie",

  "signIn.title": "Zaloguj się",
  "signIn.submit": "Zaloguj się",
  "signIn.noAccount": "Nie masz konta?",
  "signIn.invalid": "Adres e-mail lub hasło jest nieprawidłowe.",

  "signUp.title": "Utwórz konto",
  "signUp.submit": "Utwórz konto",
  "signUp.haveAccount": "Masz już konto?",

  "landing.title": "Latchkey",
  "landing.lead": "Rejestracja, logowanie, sesje i organizacje z rolami — na własnym serwerze, z typami od końca do końca.",
  "landing.getStarted": "Zacznij",

  "home.title": "Strona główna",
  "home.welcome": "Witaj, {name}",
  "home.noOrganizations": "Nie należysz jeszcze do żadnej organizacji. Utwórz ją, aby zaprosić zespół.",

  "orgs.new.title": "Utwórz organizację",
  "orgs.new.submit": "Utwórz organizację",

  "org.projects.title": "Projekty",
  "org.projects.empty": "Nie ma jeszcze projektów.",
  "org.projects.create": "Utwórz projekt",
  "org.projects.delete": "Usuń",
  "org.projects.noPermission": "Możesz przeglądać projekty, ale nie możesz ich tworzyć.",

  "common.pending": "Przetwarzanie…",
  "common.error": "Coś poszło nie tak. Spróbuj ponownie.",

  "error.title": "Coś poszło nie tak",
  "error.notFoundTitle": "Nie znaleziono strony",
  "error.notFound": "Nie znaleźliśmy strony, której szukasz.",
  "error.forbiddenTitle": "Brak dostępu",
  "error.forbidden": "Nie masz dostępu do tej strony.",
  "error.status": "Błąd {status}",
  "error.backHome": "Przejdź do strony głównej",

  "userButton.label": "Menu konta",
  "orgSwitcher.label": "Przełącz organizację",

  "locale.label": "Język",
  "locale.submit": "Zmień język",

  // Used by the auth and organization pages.
  "signUp.passwordHint": "Co najmniej {min} znaków.",
  "orgs.new.slugHint": "Używany w adresie: małe litery, cyfry i pojedyncze myślniki, od 2 do 48 znaków.",
  "org.projects.deleteNamed": "Usuń {name}",

  "errors.emailInvalid": "Podaj prawidłowy adres e-mail.",
  "errors.emailTaken": "Tego adresu e-mail nie można użyć do założenia konta. Spróbuj się zalogować.",
  "errors.passwordRequired": "Podaj hasło.",
  "errors.passwordTooShort": "To hasło jest za krótkie.",
  "errors.passwordTooLong": "To hasło jest za długie.",
  "errors.passwordTooCommon": "To hasło jest zbyt popularne. Wybierz takie, które trudniej odgadnąć.",
  "errors.nameInvalid": "Podaj nazwę o długości do 64 znaków.",
  "errors.slugInvalid": "Użyj od 2 do 48 małych liter, cyfr i pojedynczych myślników.",
  "errors.slugTaken": "Ten identyfikator jest już zajęty.",
  "errors.sessionRequired": "Zaloguj się, aby kontynuować.",
  "errors.unavailable": "Usługa jest chwilowo niedostępna. Spróbuj ponownie za chwilę.",
  "reverify.title": "Potwierdź, że to Ty",
  "reverify.lead": "Ze względów bezpieczeństwa wpisz ponownie hasło, aby kontynuować.",
  "reverify.submit": "Dalej",
  "errors.wrongPassword": "To hasło jest nieprawidłowe.",
  "errors.rateLimited": "Zbyt wiele prób. Spróbuj ponownie za {minutes} min.",

  "devOutbox.title": "Skrzynka nadawcza (tryb deweloperski)",
  "devOutbox.lead": "Wiadomości, które aplikacja by wysłała. Przechowywanych jest tylko {limit} najnowszych, w pamięci; ta strona istnieje tylko w trybie deweloperskim.",
  "devOutbox.empty": "Nie ma jeszcze żadnych wiadomości.",
  "devOutbox.clear": "Wyczyść",
  "devOutbox.to": "Do",
  "devOutbox.kind": "Rodzaj",
  "devOutbox.sentAt": "Wysłano",
} as const satisfies Dictionary;
