/** The instance administrator e2e/webhooks-prepare.ts creates for webhooks.e2e.ts. */
export const WEBHOOKS_ADMIN_EMAIL = "webhooks-admin@example.test";
export const WEBHOOKS_ADMIN_PASSWORD = "correct horse battery staple";
