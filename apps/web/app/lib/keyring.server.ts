/** The process's keyring for secrets at rest, from LATCHKEY_ENCRYPTION_KEY (the public development key when unset outside production). */
import { createKeyring, type Keyring } from "@latchkey/auth";
import { getEnv } from "./env.server";

const globalForKeys = globalThis as typeof globalThis & { __latchkeyKeyring?: Keyring };

export function getKeyring(): Keyring {
  globalForKeys.__latchkeyKeyring ??= createKeyring(getEnv().LATCHKEY_ENCRYPTION_KEY);
  return globalForKeys.__latchkeyKeyring;
}
