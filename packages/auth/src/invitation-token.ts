/**
 * Invitation tokens (SECURITY.md): `<invitation id>.<secret>` with a 192-bit secret; only SHA-256 of the secret is
 * stored, compared in constant time. Issuing a new token for the same invitation overwrites the hash, so the old
 * token dies at once.
 */
import { sha256 } from "@oslojs/crypto/sha2";
import { constantTimeEqual } from "@oslojs/crypto/subtle";
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from "@oslojs/encoding";

const SECRET_BYTES = 24;
const tokenPattern = /^(inv_[a-z2-7]{24})\.([a-z2-7]{39})$/;

function hashSecret(secret: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(secret)));
}

/** A fresh token for invitation `id` and the hash to store. */
export function generateInvitationToken(id: string): { token: string; tokenHash: string } {
  const bytes = new Uint8Array(SECRET_BYTES);
  crypto.getRandomValues(bytes);
  const secret = encodeBase32LowerCaseNoPadding(bytes);
  return { token: `${id}.${secret}`, tokenHash: hashSecret(secret) };
}

/** The invitation id and secret of a well-formed token; anything else is null and never reaches the database. */
export function parseInvitationToken(token: string): { id: string; secret: string } | null {
  const match = tokenPattern.exec(token);
  return match ? { id: match[1]!, secret: match[2]! } : null;
}

export function verifyInvitationSecret(storedHash: string, secret: string): boolean {
  const a = new TextEncoder().encode(storedHash);
  const b = new TextEncoder().encode(hashSecret(secret));
  return a.length === b.length && constantTimeEqual(a, b);
}
