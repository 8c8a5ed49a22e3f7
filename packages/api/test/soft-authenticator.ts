/**
 * A software WebAuthn authenticator for tests: an ES256 (P-256) key pair per credential, real authenticator data,
 * "none" attestation in CBOR and real signatures, so `@simplewebauthn/server` verifies its answers exactly as it
 * would a browser's. Only what the tests need: discoverable credentials, a signature counter, UP/UV flags.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";

type Cbor = number | string | Uint8Array | Map<Cbor, Cbor>;

function head(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 256) return Buffer.from([(major << 5) | 24, length]);
  if (length < 65536) return Buffer.from([(major << 5) | 25, length >> 8, length & 255]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(length, 1);
  return b;
}

/** Minimal CBOR: unsigned and negative integers, byte and text strings, maps. */
export function cbor(value: Cbor): Buffer {
  if (typeof value === "number") return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === "string") {
    const bytes = Buffer.from(value, "utf8");
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), Buffer.from(value)]);
  const parts: Buffer[] = [head(5, value.size)];
  for (const [k, v] of value) parts.push(cbor(k), cbor(v));
  return Buffer.concat(parts);
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");
const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest();

interface SoftCredential {
  id: Buffer;
  privateKey: KeyObject;
  cose: Buffer;
  userHandle: string;
  counter: number;
}

export interface SoftAuthenticatorOptions {
  origin?: string;
  rpId?: string;
  /** Whether the user is verified (biometrics or PIN); true by default. */
  userVerified?: boolean;
  /** Whether the signature counter moves (true) or stays 0 as with many platform passkeys. */
  counting?: boolean;
}

export function createSoftAuthenticator(options: SoftAuthenticatorOptions = {}) {
  const origin = options.origin ?? "http://localhost:3000";
  const rpId = options.rpId ?? new URL(origin).hostname;
  const credentials: SoftCredential[] = [];
  const flags = (attested: boolean) => 0x01 | (options.userVerified === false ? 0 : 0x04) | (attested ? 0x40 : 0);

  function authData(rp: string, credential: SoftCredential, attested: boolean): Buffer {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(credential.counter);
    const parts: Buffer[] = [sha256(rp), Buffer.from([flags(attested)]), counter];
    if (attested) {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(credential.id.length);
      parts.push(Buffer.alloc(16), length, credential.id, credential.cose);
    }
    return Buffer.concat(parts);
  }

  const clientData = (type: string, challenge: string, o: string) => Buffer.from(JSON.stringify({ type, challenge, origin: o, crossOrigin: false }));

  return {
    credentials,
    /** Answers `passkey.registrationOptions` like `startRegistration` would. */
    register(creationOptions: { challenge: string; rp: { id?: string }; user: { id: string } }, overrides: { origin?: string } = {}) {
      const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
      const jwk = publicKey.export({ format: "jwk" });
      const cose = cbor(
        new Map<Cbor, Cbor>([
          [1, 2],
          [3, -7],
          [-1, 1],
          [-2, Buffer.from(jwk.x!, "base64url")],
          [-3, Buffer.from(jwk.y!, "base64url")],
        ]),
      );
      const credential: SoftCredential = { id: randomBytes(16), privateKey, cose, userHandle: creationOptions.user.id, counter: options.counting ? 1 : 0 };
      credentials.push(credential);
      const attestationObject = cbor(
        new Map<Cbor, Cbor>([
          ["fmt", "none"],
          ["attStmt", new Map()],
          ["authData", authData(creationOptions.rp.id ?? rpId, credential, true)],
        ]),
      );
      return {
        id: b64url(credential.id),
        rawId: b64url(credential.id),
        type: "public-key" as const,
        response: {
          clientDataJSON: b64url(clientData("webauthn.create", creationOptions.challenge, overrides.origin ?? origin)),
          attestationObject: b64url(attestationObject),
          transports: ["internal" as const],
        },
        authenticatorAttachment: "platform" as const,
        clientExtensionResults: {},
      };
    },
    /** Answers authentication options with the given (default: the newest) credential, like `startAuthentication`. */
    authenticate(requestOptions: { challenge: string; rpId?: string }, pick: { credential?: number; origin?: string; counter?: number } = {}) {
      const credential = credentials[pick.credential ?? credentials.length - 1];
      if (!credential) throw new Error("no credential registered");
      if (pick.counter !== undefined) credential.counter = pick.counter;
      else if (options.counting) credential.counter += 1;
      const data = authData(requestOptions.rpId ?? rpId, credential, false);
      const clientDataJSON = clientData("webauthn.get", requestOptions.challenge, pick.origin ?? origin);
      const signature = sign("sha256", Buffer.concat([data, sha256(clientDataJSON)]), credential.privateKey);
      return {
        id: b64url(credential.id),
        rawId: b64url(credential.id),
        type: "public-key" as const,
        response: {
          clientDataJSON: b64url(clientDataJSON),
          authenticatorData: b64url(data),
          signature: b64url(signature),
          userHandle: credential.userHandle,
        },
        authenticatorAttachment: "platform" as const,
        clientExtensionResults: {},
      };
    },
  };
}
