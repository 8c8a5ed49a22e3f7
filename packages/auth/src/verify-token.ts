/**
 * `verifyToken(token, options)`: checks a Latchkey session JWT (or a template JWT) in another service. It imports
 * ONLY `jose` and web APIs, so it runs in Node, Deno, Bun, browsers and edge runtimes alike; import it on its own as
 * `@latchkey/auth/verify-token` there (the package root pulls in Node-only modules).
 *
 *   const claims = await verifyToken(jwt, {
 *     jwksUrl: "https://auth.example.com/.well-known/jwks.json",
 *     issuer: "https://auth.example.com",
 *     authorizedParties: ["https://app.example.com"],
 *   });
 *
 * Refused, with a `TokenVerificationError` saying why: `alg: none` and every algorithm but EdDSA and RS256 (so an
 * HS256 token "signed" with the public key is refused too), a missing or unknown `kid`, a bad signature, an expired
 * or not-yet-valid token, a wrong `iss`, a wrong `aud`, an `azp` outside `authorizedParties`.
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  importJWK,
  importSPKI,
  jwtVerify,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
} from "jose";

/** The only algorithms a Latchkey token is signed with (asymmetric: a verifier never holds a signing secret). */
export const TOKEN_ALGORITHMS = ["EdDSA", "RS256"] as const;
export type TokenAlgorithm = (typeof TOKEN_ALGORITHMS)[number];

/** Clock skew allowed by default on `exp` and `nbf`, in seconds. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 5;

export interface VerifyTokenOptions {
  /** Where the signing keys are published (`<APP_URL>/.well-known/jwks.json`); fetched and cached, re-fetched on an unknown `kid`. */
  jwksUrl?: string | URL;
  /**
   * The key itself instead of a URL: one public JWK, a JWK set, a PEM public key (SPKI) or a CryptoKey. Handy where
   * the service may not call out (networkless verification).
   */
  key?: JWK | JSONWebKeySet | CryptoKey | string;
  /** Required `iss` (the Latchkey APP_URL). Recommended. */
  issuer?: string | string[];
  /** Required `aud` (template tokens that set one, e.g. `authenticated`). */
  audience?: string | string[];
  /** The origins allowed in `azp`: the token must carry one of them. */
  authorizedParties?: readonly string[];
  /** Leeway on `exp`/`nbf`; 5 seconds by default. */
  clockSkewInSec?: number;
  /** The clock, for tests. */
  currentDate?: Date;
}

/** The claims of a Latchkey session token; template tokens carry their own claims on top of the registered ones. */
export interface LatchkeyTokenClaims extends JWTPayload {
  sub: string;
  iss: string;
  exp: number;
  iat: number;
  sid?: string;
  azp?: string;
  org_id?: string;
  org_role?: string;
  org_permissions?: string[];
  [claim: string]: unknown;
}

export type TokenVerificationReason =
  | "token-malformed"
  | "token-invalid-algorithm"
  | "token-missing-kid"
  | "jwk-kid-mismatch"
  | "jwks-unavailable"
  | "token-invalid-signature"
  | "token-expired"
  | "token-not-active-yet"
  | "token-invalid-issuer"
  | "token-invalid-audience"
  | "token-invalid-authorized-party"
  | "token-invalid"
  | "options-invalid";

export class TokenVerificationError extends Error {
  readonly reason: TokenVerificationReason;
  constructor(reason: TokenVerificationReason, message: string) {
    super(message);
    this.name = "TokenVerificationError";
    this.reason = reason;
  }
}

const remoteSets = new Map<string, JWTVerifyGetKey>();

/** One remote key set per URL for the life of the process, so the JWKS is fetched once and cached by jose. */
function remoteKeySet(url: string | URL): JWTVerifyGetKey {
  const href = new URL(url).href;
  let set = remoteSets.get(href);
  if (!set) {
    set = createRemoteJWKSet(new URL(href), { cacheMaxAge: 5 * 60_000, cooldownDuration: 5_000 });
    if (remoteSets.size >= 32) remoteSets.delete(remoteSets.keys().next().value!);
    remoteSets.set(href, set);
  }
  return set;
}

function isKeySet(value: unknown): value is JSONWebKeySet {
  return typeof value === "object" && value !== null && Array.isArray((value as { keys?: unknown }).keys);
}

function isJwk(value: unknown): value is JWK {
  return typeof value === "object" && value !== null && typeof (value as { kty?: unknown }).kty === "string";
}

/** Only public fields: a private JWK given by mistake is not used to verify (it would still work, but says a secret leaked into config). */
function publicOnly(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, k: _k, oth: _oth, ...rest } = jwk as JWK & Record<string, unknown>;
  return rest as JWK;
}

async function keyResolver(options: VerifyTokenOptions, kid: string | undefined, alg: TokenAlgorithm): Promise<JWTVerifyGetKey | CryptoKey> {
  if (options.jwksUrl !== undefined && options.key !== undefined) {
    throw new TokenVerificationError("options-invalid", "Pass either jwksUrl or key, not both.");
  }
  if (options.jwksUrl !== undefined) {
    if (!kid) throw new TokenVerificationError("token-missing-kid", "The token names no key (kid).");
    return remoteKeySet(options.jwksUrl);
  }
  const key = options.key;
  if (key === undefined) throw new TokenVerificationError("options-invalid", "Pass jwksUrl or key.");
  if (typeof key === "string") return importSPKI(key, alg);
  if (isKeySet(key)) {
    if (!kid) throw new TokenVerificationError("token-missing-kid", "The token names no key (kid).");
    return createLocalJWKSet({ keys: key.keys.map(publicOnly) });
  }
  if (isJwk(key)) {
    if (key.kid !== undefined && key.kid !== kid) throw new TokenVerificationError("jwk-kid-mismatch", "The token was signed with another key.");
    const imported = await importJWK(publicOnly(key), alg);
    if (imported instanceof Uint8Array) throw new TokenVerificationError("options-invalid", "A symmetric key can't verify Latchkey tokens.");
    return imported;
  }
  return key;
}

function readHeader(token: string): { alg: string | undefined; kid: string | undefined } {
  try {
    const header = decodeProtectedHeader(token);
    return { alg: header.alg, kid: header.kid };
  } catch {
    throw new TokenVerificationError("token-malformed", "The token is not a JWT.");
  }
}

function translate(error: unknown): TokenVerificationError {
  if (error instanceof TokenVerificationError) return error;
  if (error instanceof errors.JWTExpired) return new TokenVerificationError("token-expired", "The token has expired.");
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "nbf" || error.claim === "iat") return new TokenVerificationError("token-not-active-yet", "The token is not valid yet.");
    if (error.claim === "iss") return new TokenVerificationError("token-invalid-issuer", "The token was issued by someone else.");
    if (error.claim === "aud") return new TokenVerificationError("token-invalid-audience", "The token is meant for another audience.");
    return new TokenVerificationError("token-invalid", `The token's ${error.claim} claim is invalid.`);
  }
  if (error instanceof errors.JWKSNoMatchingKey) return new TokenVerificationError("jwk-kid-mismatch", "The token was signed with an unknown key.");
  if (error instanceof errors.JWKSMultipleMatchingKeys) return new TokenVerificationError("jwk-kid-mismatch", "The token's key is ambiguous.");
  if (error instanceof errors.JWSSignatureVerificationFailed) return new TokenVerificationError("token-invalid-signature", "The token's signature is invalid.");
  if (error instanceof errors.JOSEAlgNotAllowed) return new TokenVerificationError("token-invalid-algorithm", "The token's algorithm is not allowed.");
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
    return new TokenVerificationError("jwks-unavailable", "The signing keys could not be fetched.");
  }
  if (error instanceof errors.JOSEError) return new TokenVerificationError("token-invalid", "The token is invalid.");
  // A fetch failure of the JWKS (network) and anything else unexpected.
  return new TokenVerificationError("jwks-unavailable", "The token could not be verified.");
}

/** Verifies `token` and returns its claims, or throws a `TokenVerificationError`. */
export async function verifyToken(token: string, options: VerifyTokenOptions): Promise<LatchkeyTokenClaims> {
  if (typeof token !== "string" || token.length === 0 || token.length > 16_384) {
    throw new TokenVerificationError("token-malformed", "The token is not a JWT.");
  }
  const { alg, kid } = readHeader(token);
  // Checked before any key is looked at: `none`, HS256 (alg confusion with a public key) and the rest never get that far.
  if (!alg || !(TOKEN_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new TokenVerificationError("token-invalid-algorithm", `The token's algorithm (${String(alg).slice(0, 16)}) is not allowed.`);
  }
  const skew = options.clockSkewInSec ?? DEFAULT_CLOCK_SKEW_SECONDS;
  if (!Number.isFinite(skew) || skew < 0 || skew > 3600) throw new TokenVerificationError("options-invalid", "clockSkewInSec must be 0–3600.");
  try {
    const key = await keyResolver(options, kid, alg as TokenAlgorithm);
    const verifyOptions = {
      algorithms: [...TOKEN_ALGORITHMS],
      clockTolerance: skew,
      requiredClaims: ["exp", "iat", "sub"],
      ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
      ...(options.audience !== undefined ? { audience: options.audience } : {}),
      ...(options.currentDate ? { currentDate: options.currentDate } : {}),
    };
    const { payload } =
      typeof key === "function" ? await jwtVerify(token, key, verifyOptions) : await jwtVerify(token, key, verifyOptions);
    const claims = payload as LatchkeyTokenClaims;
    if (options.authorizedParties && options.authorizedParties.length > 0) {
      if (typeof claims.azp !== "string" || !options.authorizedParties.includes(claims.azp)) {
        throw new TokenVerificationError("token-invalid-authorized-party", "The token was issued to another party (azp).");
      }
    }
    return claims;
  } catch (error) {
    throw translate(error);
  }
}
