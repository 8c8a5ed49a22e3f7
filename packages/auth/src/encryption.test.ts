import { describe, expect, it } from "vitest";
import {
  createKeyring,
  decryptSecret,
  DecryptionError,
  encryptSecret,
  generateEncryptionKey,
  needsReencryption,
  parseEncryptionKey,
} from "./encryption.ts";

describe("encryption of secrets at rest", () => {
  const keyring = createKeyring(generateEncryptionKey());

  it("round-trips a secret and never stores the plaintext", () => {
    const sealed = encryptSecret(keyring, "JBSWY3DPEHPK3PXP", "totp:user_1");
    expect(sealed).toMatch(/^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain("JBSWY3DPEHPK3PXP");
    expect(decryptSecret(keyring, sealed, "totp:user_1")).toBe("JBSWY3DPEHPK3PXP");
  });

  it("uses a fresh IV each time, so equal secrets give different ciphertexts", () => {
    expect(encryptSecret(keyring, "same", "c")).not.toBe(encryptSecret(keyring, "same", "c"));
  });

  it("refuses a value copied into another context", () => {
    const sealed = encryptSecret(keyring, "secret", "totp:user_1");
    expect(() => decryptSecret(keyring, sealed, "totp:user_2")).toThrow(DecryptionError);
  });

  it("refuses a tampered ciphertext", () => {
    const sealed = encryptSecret(keyring, "secret", "c");
    const parts = sealed.split(".");
    const body = Buffer.from(parts[3]!, "base64url");
    body[0] = body[0]! ^ 1;
    parts[3] = body.toString("base64url");
    expect(() => decryptSecret(keyring, parts.join("."), "c")).toThrow(DecryptionError);
    expect(() => decryptSecret(keyring, "garbage", "c")).toThrow(DecryptionError);
  });

  it("decrypts with an older key after rotation and says the value needs re-encrypting", () => {
    const oldKey = generateEncryptionKey();
    const before = createKeyring(oldKey);
    const sealed = encryptSecret(before, "secret", "c");
    const after = createKeyring(`${generateEncryptionKey()},${oldKey}`);
    expect(decryptSecret(after, sealed, "c")).toBe("secret");
    expect(needsReencryption(after, sealed)).toBe(true);
    expect(needsReencryption(after, encryptSecret(after, "secret", "c"))).toBe(false);
  });

  it("refuses a value whose key is not in the keyring", () => {
    const sealed = encryptSecret(createKeyring(generateEncryptionKey()), "secret", "c");
    expect(() => decryptSecret(keyring, sealed, "c")).toThrow(/no key with id/);
  });

  it("accepts 32-byte keys as base64, base64url or hex and refuses anything else", () => {
    const raw = Buffer.alloc(32, 7);
    expect(parseEncryptionKey(raw.toString("base64"))).toEqual(raw);
    expect(parseEncryptionKey(raw.toString("base64url"))).toEqual(raw);
    expect(parseEncryptionKey(raw.toString("hex"))).toEqual(raw);
    expect(parseEncryptionKey("short")).toBeNull();
    expect(parseEncryptionKey(Buffer.alloc(16).toString("hex"))).toBeNull();
    expect(() => createKeyring("nope")).toThrow(/encryption key 1 must be 32 bytes/);
  });
});
