/**
 * The instance administrator e2e/webhooks-prepare.ts creates (before the server starts), which every admin console
 * test signs in as (`signInAsAdmin` in ./admin). Constants only: the prepare script runs without a browser or base URL.
 */
export const WEBHOOKS_ADMIN_EMAIL = "webhooks-admin@example.test";
export const WEBHOOKS_ADMIN_PASSWORD = "correct horse battery staple";
