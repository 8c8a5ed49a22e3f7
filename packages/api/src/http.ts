/** The tRPC HTTP endpoint as a Fetch handler: the web app mounts it at `/api/trpc`. */
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { checkRequestOrigin, type Keyring, type SessionPolicy } from "@latchkey/auth";
import type { Database } from "@latchkey/db";
import { appRouter } from "./root.ts";
import { createRequestContext } from "./context.ts";
import { ApiError } from "./errors.ts";
import type { Mailer } from "./mail/index.ts";
import type { SmsSender } from "./sms/index.ts";

export interface TrpcHandlerOptions {
  db: Database;
  appUrl: string;
  ip?: string | null;
  trustedOrigins?: readonly string[];
  endpoint?: string;
  now?: () => Date;
  sessionPolicy?: SessionPolicy;
  mailer?: Mailer;
  keyring?: Keyring;
  /** Text messages; the development outbox when not given, null when SMS is not configured. */
  sms?: SmsSender | null;
  /** Where internal errors are reported; receives no SQL, parameters or messages, only what is safe to log. */
  log?: (line: string) => void;
}

export async function handleTrpcRequest(request: Request, options: TrpcHandlerOptions): Promise<Response> {
  const origin = checkRequestOrigin(request, { appUrl: options.appUrl, trustedOrigins: options.trustedOrigins ?? [] });
  if (!origin.ok) {
    return Response.json(
      // Shaped like a tRPC error as superjson sends it, so the tRPC client reads it as FORBIDDEN.
      { error: { json: { message: "Cross-origin request refused.", code: -32003, data: { code: "FORBIDDEN", httpStatus: 403, reason: "CROSS_ORIGIN_REQUEST" } } } },
      { status: 403, headers: { "Cache-Control": "no-store" } },
    );
  }
  const log = options.log ?? ((line: string) => console.error(line));
  return fetchRequestHandler({
    endpoint: options.endpoint ?? "/api/trpc",
    req: request,
    router: appRouter,
    createContext: ({ resHeaders }) =>
      createRequestContext({
        db: options.db,
        request,
        resHeaders,
        appUrl: options.appUrl,
        ip: options.ip ?? null,
        ...(options.now ? { now: options.now } : {}),
        ...(options.sessionPolicy ? { sessionPolicy: options.sessionPolicy } : {}),
        ...(options.mailer ? { mailer: options.mailer } : {}),
        ...(options.keyring ? { keyring: options.keyring } : {}),
        ...(options.sms !== undefined ? { sms: options.sms } : {}),
        ...(options.trustedOrigins ? { trustedOrigins: options.trustedOrigins } : {}),
      }),
    responseMeta: ({ errors }) => {
      const headers = new Headers({ "Cache-Control": "no-store" });
      const limited = errors.find((e): e is ApiError => e instanceof ApiError && e.retryAfterSeconds !== undefined);
      if (limited) headers.set("Retry-After", String(limited.retryAfterSeconds));
      return { headers };
    },
    onError: ({ error, path }) => {
      if (error.code !== "INTERNAL_SERVER_ERROR") return;
      const cause = error.cause as { name?: string; code?: unknown } | undefined;
      const detail = [cause?.name, typeof cause?.code === "string" ? cause.code : undefined].filter(Boolean).join(" ");
      log(`[trpc] internal error in ${path ?? "unknown"}${detail ? ` (${detail})` : ""}`);
    },
  });
}
