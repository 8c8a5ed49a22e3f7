/**
 * Password hashing: argon2id with the OWASP minimum parameters. Only the async functions of @node-rs/argon2 are used,
 * so the work runs on libuv's thread pool and a sign-in never blocks the event loop.
 */
import { hash, verify } from "@node-rs/argon2";

/** OWASP's argon2id minimum (m=19 MiB, t=2, p=1). argon2id and version 19 are the library defaults. */
export const passwordHashParams = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

const phc = /^\$(argon2(?:id|i|d))\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

// NIST 800-63B: normalise so the same password typed with composed or decomposed characters still matches.
function normalize(password: string): string {
  return password.normalize("NFKC");
}

export async function hashPassword(password: string): Promise<string> {
  return hash(normalize(password), passwordHashParams);
}

/** Never throws: a malformed or foreign hash is simply a failed verification. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  if (typeof hash !== "string" || typeof password !== "string" || !phc.test(hash)) return false;
  try {
    return await verify(hash, normalize(password));
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

// Computed once, lazily, so importing this module costs nothing; a random password means nothing can match it.
function getDummyHash(): Promise<string> {
  dummyHash ??= hashPassword(crypto.randomUUID()).catch((error: unknown) => {
    dummyHash = undefined;
    throw error;
  });
  return dummyHash;
}

/**
 * For sign-in: when the account does not exist (hash is null) it still pays for one argon2 verification, so the
 * response time does not reveal which emails are registered. Always false in that case.
 */
export async function verifyPasswordOrDummy(hash: string | null | undefined, password: string): Promise<boolean> {
  if (hash) return verifyPassword(hash, password);
  try {
    await verifyPassword(await getDummyHash(), password);
  } catch {
    // The answer is false either way; only the time spent matters here.
  }
  return false;
}

/** True when the stored hash is weaker than today's parameters (or unreadable): re-hash it after a good sign-in. */
export function needsRehash(hash: string): boolean {
  const match = typeof hash === "string" ? phc.exec(hash) : null;
  if (!match) return true;
  const [, algorithm, version, m, t] = match;
  return (
    algorithm !== "argon2id" ||
    Number(version) !== 19 ||
    Number(m) < passwordHashParams.memoryCost ||
    Number(t) < passwordHashParams.timeCost
  );
}
