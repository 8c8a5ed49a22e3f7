/**
 * What a page costs the network: the gzipped HTML of a first load (the loader data and the page's strings are inside
 * it), its JavaScript, and what a client navigation transfers next (ADR 029). Gzip at level 6, as `compression` sends.
 */
import { gzipSync } from "node:zlib";
import type { Page, Response } from "playwright-core";

export type Kind = "html" | "js" | "data" | "i18n" | "other";

export interface Transfer {
  url: string;
  kind: Kind;
  bytes: number;
  gzipped: number;
  body: string;
}

function kindOf(response: Response): Kind {
  const type = response.request().resourceType();
  const { pathname } = new URL(response.url());
  if (type === "document") return "html";
  if (type === "script") return "js";
  if (pathname.startsWith("/i18n/")) return "i18n";
  if (pathname.endsWith(".data")) return "data";
  return "other";
}

/**
 * Records every response of `page` while `action` runs and until no request has been in flight for `quietMs`
 * (Playwright's "networkidle" load state is reached once per document, so it cannot tell when a navigation is done).
 */
export async function recordTransfers(page: Page, action: () => Promise<unknown>, quietMs = 700): Promise<Transfer[]> {
  const pending: Promise<Transfer | null>[] = [];
  let inFlight = 0;
  let lastActivity = Date.now();
  const started = () => {
    inFlight++;
    lastActivity = Date.now();
  };
  const ended = () => {
    inFlight--;
    lastActivity = Date.now();
  };
  const listener = (response: Response) => {
    if (response.status() >= 300 && response.status() < 400) return;
    const url = response.url();
    const kind = kindOf(response);
    pending.push(
      response
        .body()
        .then((body) => ({ url, kind, bytes: body.length, gzipped: gzipSync(body).length, body: body.toString("utf8") }))
        // A streamed answer (single fetch's `.data`) may have no body left to read: count what went over the wire.
        .catch(() =>
          response
            .request()
            .sizes()
            .then((sizes) => ({ url, kind, bytes: sizes.responseBodySize, gzipped: sizes.responseBodySize, body: "" }))
            .catch(() => null),
        ),
    );
  };
  page.on("request", started);
  page.on("requestfinished", ended);
  page.on("requestfailed", ended);
  page.on("response", listener);
  try {
    await action();
    while (inFlight > 0 || Date.now() - lastActivity < quietMs) await page.waitForTimeout(100);
  } finally {
    page.off("request", started);
    page.off("requestfinished", ended);
    page.off("requestfailed", ended);
    page.off("response", listener);
  }
  return (await Promise.all(pending)).filter((t): t is Transfer => t !== null);
}

export function gzippedOf(transfers: readonly Transfer[], ...kinds: Kind[]): number {
  return transfers.filter((t) => kinds.includes(t.kind)).reduce((sum, t) => sum + t.gzipped, 0);
}

export const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** The strings the server wrote into the page for hydration (`~/i18n/client-messages.ts`). */
export async function pageMessages(page: Page): Promise<Record<string, string>> {
  const text = await page.locator("#lk-i18n").textContent();
  return (JSON.parse(text ?? "{}") as { messages?: Record<string, string> }).messages ?? {};
}
