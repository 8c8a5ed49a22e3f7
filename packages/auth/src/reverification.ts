/**
 * Step-up reverification: sensitive actions need a recent password or factor check on this session
 * (SECURITY.md: strict 10 min, moderate 60 min, lax 24 h).
 */
export const reverificationWindows = {
  strict: 10 * 60_000,
  moderate: 60 * 60_000,
  lax: 24 * 60 * 60_000,
} as const;

export type ReverificationLevel = keyof typeof reverificationWindows;

export function isReverificationLevel(value: unknown): value is ReverificationLevel {
  return typeof value === "string" && Object.hasOwn(reverificationWindows, value);
}

/** True when the session's last check is recent enough for the level; a session never checked is not. */
export function isReverified(lastReverifiedAt: Date | null, level: ReverificationLevel, now: Date): boolean {
  if (!lastReverifiedAt) return false;
  const age = now.getTime() - lastReverifiedAt.getTime();
  return age >= 0 && age <= reverificationWindows[level];
}
