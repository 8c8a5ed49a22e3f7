/**
 * Browser side of passkeys. Loaded on demand (dynamic import), so pages without a passkey prompt ship none of it.
 * Options come from the tRPC endpoint (same origin, the session cookie); the browser's answer then goes to the page's
 * own form action, which finishes the ceremony on the server.
 */
import superjson from "superjson";

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

/** Calls one tRPC mutation with superjson, as the app's tRPC client would. */
export async function callMutation<T>(path: string, input?: unknown): Promise<T> {
  const response = await fetch(`/api/trpc/${path}`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(input === undefined ? {} : superjson.serialize(input)),
  });
  const body = (await response.json().catch(() => ({}))) as TrpcAnswer;
  if (!response.ok || !body.result) throw new PasskeyCallError(body.error?.json?.data?.reason ?? "INTERNAL");
  return superjson.deserialize(body.result.data as Parameters<typeof superjson.deserialize>[0]) as T;
}

/** Whether this error means the person closed or refused the browser's prompt (not worth an alarming message). */
export function isCancelled(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  const code = (error as { code?: string } | null)?.code;
  return name === "NotAllowedError" || name === "AbortError" || code === "ERROR_CEREMONY_ABORTED";
}
