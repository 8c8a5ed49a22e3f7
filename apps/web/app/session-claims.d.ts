/**
 * The custom session claims this app relies on, as the instance's `sessionClaims` setting defines them (admin console
 * or `npm run settings -- sessionClaims='{"2fa_enabled":"{{user.two_factor_enabled}}"}'`). Declaring them here types
 * `getAuth(args).sessionClaims` and route rules' `sessionClaims` checks; optional, since the setting may be empty.
 */
declare global {
  interface LatchkeySessionClaims {
    "2fa_enabled"?: boolean;
    plan?: string;
  }
}

export {};
