/**
 * Open-redirect guard for `?redirectTo=` style parameters: only a path on this site is followed. Browsers are lenient
 * (they read `\` as `/`, drop tabs and newlines, and `//host` is another site), so anything unusual is refused.
 */

const maxLength = 2048;
const base = "http://latchkey.invalid";

// Whitespace and control characters: browsers strip some of them, turning `/\t/evil.com` into `//evil.com`.
function isUnsafeCharacter(char: string): boolean {
  const code = char.charCodeAt(0);
  return code <= 0x1f || code === 0x7f || /\s/.test(char);
}

function hasUnsafeCharacter(value: string): boolean {
  return [...value].some(isUnsafeCharacter);
}

function removeUnsafeCharacters(value: string): string {
  return [...value].filter((char) => !isUnsafeCharacter(char)).join("");
}

function isLocalPath(path: string): boolean {
  return path.startsWith("/") && !/^\/[/\\]/.test(path);
}

// Refuse targets that become protocol-relative after one or more rounds of decoding (`/%2F%2Fevil.com`).
function staysLocalWhenDecoded(target: string): boolean {
  let current = target;
  for (let round = 0; round < 5; round++) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(current);
    } catch {
      return false;
    }
    if (decoded === current) return true;
    if (!isLocalPath(removeUnsafeCharacters(decoded))) return false;
    current = decoded;
  }
  return false;
}

/** The target when it is a same-site relative path (`/orgs/acme?tab=members`), else the fallback. */
export function getSafeRedirect(target: string | null | undefined, fallback = "/"): string {
  if (typeof target !== "string" || target.length === 0 || target.length > maxLength) return fallback;
  if (!isLocalPath(target) || target.includes("\\") || hasUnsafeCharacter(target)) return fallback;
  if (!staysLocalWhenDecoded(target)) return fallback;
  try {
    if (new URL(target, base).origin !== base) return fallback;
  } catch {
    return fallback;
  }
  return target;
}
