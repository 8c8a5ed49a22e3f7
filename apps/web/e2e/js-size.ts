import { gzipSync } from "node:zlib";
import type { Page } from "playwright-core";

export interface ScriptSize {
  url: string;
  bytes: number;
  gzipped: number;
}

/** Loads `path` and adds up the JavaScript it downloads, gzipped (what a compressing proxy would send). */
export async function measureJavaScript(page: Page, path: string): Promise<{ scripts: ScriptSize[]; gzipped: number }> {
  const pending: Promise<ScriptSize | null>[] = [];
  page.on("response", (response) => {
    if (response.request().resourceType() !== "script") return;
    pending.push(
      response
        .body()
        .then((body) => ({ url: response.url(), bytes: body.length, gzipped: gzipSync(body).length }))
        .catch(() => null),
    );
  });
  await page.goto(path, { waitUntil: "networkidle" });
  const scripts = (await Promise.all(pending)).filter((s): s is ScriptSize => s !== null);
  return { scripts, gzipped: scripts.reduce((sum, s) => sum + s.gzipped, 0) };
}
