import { postgresErrorCode } from "./errors.ts";

/**
 * One log line for an error that may have come from the database. Drizzle puts the SQL and its parameters (password
 * hashes, token hashes, emails) into its messages, so for database errors only the class and the SQLSTATE are kept.
 */
export function describeErrorForLog(error: unknown): string {
  const chain: unknown[] = [];
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  const fromDatabase = chain.some(
    (e) =>
      postgresErrorCode(e) !== undefined ||
      (e instanceof Error && (/^Failed query/.test(e.message) || /params:/.test(e.message) || e.name === "PostgresError")),
  );
  const first = error instanceof Error ? error : null;
  const name = first?.name ?? typeof error;
  if (fromDatabase) {
    const code = chain.map(postgresErrorCode).find(Boolean);
    // The stack's first lines repeat the (multi-line) message; keep only the frames.
    const frames = (first?.stack ?? "").split("\n").filter((l) => /^\s+at /.test(l)).slice(0, 5).join("\n");
    return `${name}: database error${code ? ` ${code}` : ""} (query and parameters withheld)\n${frames}`;
  }
  return first?.stack ?? `${name}: ${String(error)}`;
}
