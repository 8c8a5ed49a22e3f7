/**
 * Secrets at rest (TOTP secrets, webhook signing secrets, signing keys, OAuth provider tokens): AES-256-GCM with a
 * key from the environment. A keyring holds one key that encrypts and any number of older keys that still decrypt,
 * so the key can be rotated: put the new key first in `LATCHKEY_ENCRYPTION_KEY`, keep the old one after a comma.
 *
 * Format: `v1.<key id>.<iv>.<ciphertext+tag>` (base64url). The key id is the first 8 hex digits of SHA-256(key), so
 * the right key is found without trying them all. `context` is bound as associated data: a value encrypted for one
 * row (e.g. `totp:user_…`) does not decrypt when copied into another.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

export interface Keyring {
  /** The key new values are encrypted with. */
  current: { id: string; key: Buffer };
  /** Every key that may decrypt, the current one included, by id. */
  all: Map<string, Buffer>;
}

const KEY_BYTES = 32;
const IV_BYTES = 12;

/**
 * The development key, used only when `LATCHKEY_ENCRYPTION_KEY` is unset outside production (the app refuses to
 * start in production without one). Public by design: nothing encrypted with it is protected.
 */
export const DEVELOPMENT_ENCRYPTION_KEY = "ZGV2ZWxvcG1lbnQtb25seS1rZXktbm90LXNlY3JldCE";

function keyId(key: Buffer): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 8);
}

/** Decodes one key: 32 bytes as base64/base64url (43–44 characters) or hex (64 characters). */
export function parseEncryptionKey(text: string): Buffer | null {
  const value = text.trim();
  let key: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(value)) key = Buffer.from(value, "hex");
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) key = Buffer.from(value.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  return key && key.length === KEY_BYTES ? key : null;
}

/** A keyring from `LATCHKEY_ENCRYPTION_KEY`: comma-separated keys, the first encrypts. Throws on a malformed key. */
export function createKeyring(value: string = DEVELOPMENT_ENCRYPTION_KEY): Keyring {
  const keys = value
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part, index) => {
      const key = parseEncryptionKey(part);
      if (!key) throw new Error(`encryption key ${index + 1} must be 32 bytes as base64 (43–44 characters) or hex (64 characters)`);
      return key;
    });
  if (keys.length === 0) throw new Error("at least one encryption key is required");
  const all = new Map(keys.map((key) => [keyId(key), key]));
  return { current: { id: keyId(keys[0]!), key: keys[0]! }, all };
}

/** A fresh random key in the form `LATCHKEY_ENCRYPTION_KEY` takes. */
export function generateEncryptionKey(): string {
  return randomBytes(KEY_BYTES).toString("base64url");
}

export function encryptSecret(keyring: Keyring, plaintext: string, context: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", keyring.current.key, iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return `v1.${keyring.current.id}.${iv.toString("base64url")}.${body.toString("base64url")}`;
}

export class DecryptionError extends Error {
  constructor(reason: string) {
    super(`cannot decrypt secret: ${reason}`);
    this.name = "DecryptionError";
  }
}

/** Throws `DecryptionError` for a value that is malformed, tampered with, bound to another context or from an unknown key. */
export function decryptSecret(keyring: Keyring, value: string, context: string): string {
  const parts = value.split(".");
  if (parts.length !== 4 || parts[0] !== "v1") throw new DecryptionError("unknown format");
  const key = keyring.all.get(parts[1]!);
  if (!key) throw new DecryptionError(`no key with id ${parts[1]}`);
  const iv = Buffer.from(parts[2]!, "base64url");
  const body = Buffer.from(parts[3]!, "base64url");
  if (iv.length !== IV_BYTES || body.length < 16) throw new DecryptionError("truncated");
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, iv);
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(body.subarray(body.length - 16));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString("utf8");
  } catch {
    throw new DecryptionError("authentication failed");
  }
}

/** Whether a value was encrypted with an older key (re-encrypt it with the current one when convenient). */
export function needsReencryption(keyring: Keyring, value: string): boolean {
  return value.split(".")[1] !== keyring.current.id;
}
