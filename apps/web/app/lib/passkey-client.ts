/**
 * Browser side of passkeys. Loaded on demand (dynamic import), so pages without a passkey prompt ship none of it.
 * Options come from the tRPC endpoint (same origin, the session cookie); the browser's answer then goes to the page's
 * own form action, which finishes the ceremony on the server.
 *
 * The option procedures take no input and answer plain JSON (strings and arrays, no dates), so the superjson envelope
 * is read by hand — `{ json }` — rather than shipping superjson to the sign-in page.
 */

export class PasskeyCallError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "PasskeyCallError";
  }
}

interface TrpcAnswer {
  result?: { data: { json: unknown; meta?: unknown } };
  error?: { json?: { data?: { reason?: string } } };
}

/** Calls a tRPC mutation without input whose answer is plain JSON (no dates, maps or other superjson types). */
export async function callMutation<T>(path: string): Promise<T> {
  const response = await fetch(`/api/trpc/${path}`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  const body = (await response.json().catch(() => ({}))) as TrpcAnswer;
  if (!response.ok || !body.result) throw new PasskeyCallError(body.error?.json?.data?.reason ?? "INTERNAL");
  return body.result.data.json as T;
}

/** Whether this error means the person closed or refused the browser's prompt (not worth an alarming message). */
export function isCancelled(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  const code = (error as { code?: string } | null)?.code;
  return name === "NotAllowedError" || name === "AbortError" || code === "ERROR_CEREMONY_ABORTED";
}
