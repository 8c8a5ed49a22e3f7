/** The source of message keys: every other dictionary must have exactly these keys (see `Dictionary`). */
export const enUS = {
  "app.name": "Latchkey",
  "app.tagline": "Sign-in, accounts and organizations for your apps, on your own servers.",
  "meta.description": "Self-hosted authentication and organizations for TypeScript apps.",

  "nav.main": "Main",
  "nav.skipToContent": "Skip to content",
  "nav.signIn": "Sign in",
  "nav.signUp": "Sign up",
  "nav.signOut": "Sign out",
  "nav.home": "Home",
  "nav.personalAccount": "Personal account",
  "nav.createOrganization": "Create organization",
  "nav.organizations": "Organizations",

  "form.emailAddress": "Email address",
  "form.password": "Password",
  "form.firstName": "First name",
  "form.lastName": "Last name",
  "form.organizationName": "Organization name",
  "form.slug": "Slug",
  "form.projectName": "Project name",
  "form.optional": "optional",

  "signIn.title": "Sign in",
  "signIn.submit": "Sign in",
  "signIn.noAccount": "No account?",
  "signIn.invalid": "Email address or password is incorrect.",

  "signUp.title": "Create your account",
  "signUp.submit": "Create account",
  "signUp.haveAccount": "Already have an account?",

  "landing.title": "Latchkey",
  "landing.lead": "Sign-up, sign-in, sessions and organizations with roles — self-hosted, typed end to end.",
  "landing.getStarted": "Get started",

  "home.title": "Home",
  "home.welcome": "Welcome, {name}",
  "home.noOrganizations": "You are not in any organization yet. Create one to invite your team.",

  "orgs.new.title": "Create organization",
  "orgs.new.submit": "Create organization",

  "org.projects.title": "Projects",
  "org.projects.empty": "No projects yet.",
  "org.projects.create": "Create project",
  "org.projects.delete": "Delete",
  "org.projects.noPermission": "You can view projects but not create them.",

  "common.pending": "Working…",
  "common.error": "Something went wrong. Please try again.",

  "error.title": "Something went wrong",
  "error.notFoundTitle": "Page not found",
  "error.notFound": "We couldn't find the page you were looking for.",
  "error.forbiddenTitle": "Access denied",
  "error.forbidden": "You don't have access to this page.",
  "error.status": "Error {status}",
  "error.backHome": "Go to the home page",

  "userButton.label": "Account menu",
  "orgSwitcher.label": "Switch organization",

  "locale.label": "Language",
  "locale.submit": "Change language",

  // Used by the auth and organization pages.
  "signUp.passwordHint": "At least {min} characters.",
  "orgs.new.slugHint": "Used in the address: lowercase letters, digits and single hyphens, 2–48 characters.",
  "org.projects.deleteNamed": "Delete {name}",

  "errors.emailInvalid": "Enter a valid email address.",
  "errors.emailTaken": "This email address can't be used for a new account. Try signing in.",
  "errors.passwordRequired": "Enter a password.",
  "errors.passwordTooShort": "This password is too short.",
  "errors.passwordTooLong": "This password is too long.",
  "errors.passwordTooCommon": "This password is too common. Choose one that is harder to guess.",
  "errors.nameInvalid": "Enter a name of at most 64 characters.",
  "errors.slugInvalid": "Use 2–48 lowercase letters, digits and single hyphens.",
  "errors.slugTaken": "This slug is already taken.",
  "errors.sessionRequired": "Please sign in to continue.",
  "errors.unavailable": "The service is temporarily unavailable. Please try again in a moment.",
  "reverify.title": "Confirm it's you",
  "reverify.lead": "For your security, enter your password again to continue.",
  "reverify.submit": "Continue",
  "errors.wrongPassword": "That password is not right.",
  "errors.rateLimited": "Too many attempts. Try again in {minutes} min.",

  "devOutbox.title": "Development outbox",
  "devOutbox.lead": "Emails the app would have sent. Only the newest {limit} are kept, in memory; this page exists in development only.",
  "devOutbox.empty": "No emails yet.",
  "devOutbox.clear": "Clear",
  "devOutbox.to": "To",
  "devOutbox.kind": "Kind",
  "devOutbox.sentAt": "Sent",
} as const;
