/**
 * One HTTP attempt: POST with a 15-second deadline for the whole exchange, no redirects followed (a 3xx is a
 * failure), the target's addresses checked at connect time. Only the status code, the duration and an error class
 * come back; the response body is read and dropped.
 */
import http from "node:http";
import https from "node:https";
import { BlockedTargetError, checkedLookup, isPrivateAddress, literalAddress } from "./targets.ts";

export const DELIVERY_TIMEOUT_MS = 15_000;

export type AttemptErrorClass =
  | "blocked_target"
  | "redirect"
  | "http_status"
  | "timeout"
  | "dns"
  | "connection_refused"
  | "connection_reset"
  | "tls"
  | "invalid_url"
  | "secret_unreadable"
  | "network";

export interface AttemptResult {
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  error: AttemptErrorClass | null;
}

export interface SendOptions {
  url: string;
  headers: Record<string, string>;
  body: string;
  allowPrivate: boolean;
  timeoutMs?: number;
}

function classify(error: unknown): AttemptErrorClass {
  if (error instanceof BlockedTargetError) return "blocked_target";
  const code = (error as { code?: string } | null)?.code ?? "";
  if (code === "ETIMEOUT_DELIVERY") return "timeout";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME") return "dns";
  if (code === "ECONNREFUSED") return "connection_refused";
  if (code === "ECONNRESET" || code === "EPIPE") return "connection_reset";
  if (code.startsWith("ERR_TLS") || code.includes("CERT") || code === "EPROTO") return "tls";
  return "network";
}

export function sendWebhook(options: SendOptions): Promise<AttemptResult> {
  const started = performance.now();
  const done = (partial: Omit<AttemptResult, "durationMs">): AttemptResult => ({ ...partial, durationMs: Math.round(performance.now() - started) });
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    return Promise.resolve(done({ ok: false, statusCode: null, error: "invalid_url" }));
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return Promise.resolve(done({ ok: false, statusCode: null, error: "invalid_url" }));
  const literal = literalAddress(url.hostname);
  if (literal && !options.allowPrivate && isPrivateAddress(literal)) {
    return Promise.resolve(done({ ok: false, statusCode: null, error: "blocked_target" }));
  }
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const request = client.request(
      url,
      {
        method: "POST",
        headers: { ...options.headers, "content-length": String(Buffer.byteLength(options.body)) },
        lookup: checkedLookup(options.allowPrivate) as never,
        agent: false,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        // Drain (and drop) the body so the socket closes; we never store it.
        response.resume();
        response.on("error", () => undefined);
        const ok = status >= 200 && status < 300;
        const error: AttemptErrorClass | null = ok ? null : status >= 300 && status < 400 ? "redirect" : "http_status";
        finish(done({ ok, statusCode: status, error }));
        response.destroy();
      },
    );
    const timer = setTimeout(() => {
      request.destroy(Object.assign(new Error("Webhook delivery timed out"), { code: "ETIMEOUT_DELIVERY" }));
    }, options.timeoutMs ?? DELIVERY_TIMEOUT_MS);
    request.on("error", (error) => finish(done({ ok: false, statusCode: null, error: classify(error) })));
    request.end(options.body);
  });
}
