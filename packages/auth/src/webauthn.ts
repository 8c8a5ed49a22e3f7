/**
 * WebAuthn (passkeys) through `@simplewebauthn/server`, re-exported from here so the API package depends on one
 * auth package. The relying party is derived from the app's public URL: RP id = its hostname, expected origin = its
 * origin (WebAuthn refuses IP addresses as RP ids, so the app must be served from a name, e.g. `localhost`).
 */
export {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport as AuthenticatorTransportFuture,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";

export interface RelyingParty {
  /** The hostname of the app URL. */
  id: string;
  /** The origin of the app URL (scheme, host and port). */
  origin: string;
  name: string;
}

export function relyingPartyFor(appUrl: string, name = "Latchkey"): RelyingParty {
  const url = new URL(appUrl);
  return { id: url.hostname, origin: url.origin, name };
}
