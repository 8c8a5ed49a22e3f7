import { encodeBase32LowerCaseNoPadding } from "@oslojs/encoding";

/** Every public id is a prefix naming its kind plus 120 random bits, e.g. `user_2k7…`. */
export const idPrefixes = {
  user: "user",
  email: "idn",
  session: "sess",
  organization: "org",
  role: "role",
  membership: "orgmem",
  invitation: "inv",
  audit: "aud",
  project: "proj",
  verification: "ver",
  signUp: "sua",
  domain: "dom",
  image: "img",
  totp: "totp",
  backupCode: "bkc",
  passkey: "pk",
  phone: "phone",
  signInChallenge: "sia",
  webauthnChallenge: "wac",
  event: "evt",
  webhookEndpoint: "ep",
  webhookDelivery: "msg",
  webhookAttempt: "watt",
  signingKey: "key",
  jwtTemplate: "jtmpl",
  // oauth: external accounts and enterprise SSO connections
  oauthAccount: "eac",
  ssoConnection: "sso",
  samlConnection: "saml",
  // admin console
  instanceInvitation: "iinv",
  waitlistEntry: "wle",
} as const;

export type IdKind = keyof typeof idPrefixes;

export function createId(kind: IdKind): string {
  const bytes = new Uint8Array(15);
  crypto.getRandomValues(bytes);
  return `${idPrefixes[kind]}_${encodeBase32LowerCaseNoPadding(bytes)}`;
}
