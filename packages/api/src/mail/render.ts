/**
 * Turns an email's content into its HTML and plain-text parts. Every value is escaped here, once, so templates pass
 * plain strings; links must be absolute http(s) URLs (never `javascript:`). The HTML is deliberately plain: one column,
 * inline styles (mail clients drop style sheets), a real heading, and link text that says what the link does.
 */

export type EmailBlock =
  | { type: "paragraph"; text: string }
  | { type: "code"; label: string; code: string }
  | { type: "action"; label: string; href: string; fallback: string }
  | { type: "note"; text: string };

export interface EmailContent {
  locale: string;
  subject: string;
  heading: string;
  blocks: readonly EmailBlock[];
  footer: string;
}

const entities: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => entities[char]!);
}

/** The link as an absolute http(s) URL, normalized (no raw spaces or line breaks); throws for anything else. */
export function requireHttpUrl(href: string): string {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    throw new TypeError("A link in an email must be an absolute http:// or https:// URL.");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError("A link in an email must be an absolute http:// or https:// URL.");
  }
  return url.href;
}

const font = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
const muted = "color:#4b5563;font-size:14px;line-height:1.5";

function blockHtml(block: EmailBlock): string {
  switch (block.type) {
    case "paragraph":
      return `<p style="margin:0 0 16px;font-size:16px;line-height:1.5">${escapeHtml(block.text)}</p>`;
    case "code":
      return (
        `<p style="margin:0 0 24px"><span style="display:block;${muted}">${escapeHtml(block.label)}</span>` +
        `<code style="display:inline-block;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:32px;font-weight:700;letter-spacing:6px;color:#111827">${escapeHtml(block.code)}</code></p>`
      );
    case "action": {
      const href = escapeHtml(requireHttpUrl(block.href));
      return (
        `<p style="margin:0 0 16px"><a href="${href}" style="display:inline-block;padding:12px 20px;border-radius:6px;background:#1f2937;color:#ffffff;font-weight:600;text-decoration:none">${escapeHtml(block.label)}</a></p>` +
        `<p style="margin:0 0 24px;${muted}">${escapeHtml(block.fallback)}<br><a href="${href}" style="color:#1d4ed8;word-break:break-all">${href}</a></p>`
      );
    }
    case "note":
      return `<p style="margin:0 0 16px;${muted}">${escapeHtml(block.text)}</p>`;
  }
}

function blockText(block: EmailBlock): string {
  switch (block.type) {
    case "paragraph":
    case "note":
      return block.text;
    case "code":
      return `${block.label}: ${block.code}`;
    case "action":
      return `${block.label}: ${requireHttpUrl(block.href)}`;
  }
}

export function renderEmail(content: EmailContent): { html: string; text: string } {
  const lang = escapeHtml(content.locale);
  const html = [
    "<!doctype html>",
    `<html lang="${lang}" dir="ltr">`,
    `<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(content.subject)}</title></head>`,
    `<body style="margin:0;padding:24px;background:#f3f4f6;color:#111827;${font}">`,
    `<div role="article" aria-label="${escapeHtml(content.subject)}" lang="${lang}" style="max-width:560px;margin:0 auto;padding:32px;background:#ffffff;border-radius:8px">`,
    `<h1 style="margin:0 0 24px;font-size:22px;line-height:1.3">${escapeHtml(content.heading)}</h1>`,
    ...content.blocks.map(blockHtml),
    `<p style="margin:32px 0 0;${muted}">${escapeHtml(content.footer)}</p>`,
    "</div>",
    "</body>",
    "</html>",
  ].join("\n");
  const text = [content.heading, ...content.blocks.map(blockText), `— ${content.footer}`].join("\n\n") + "\n";
  return { html, text };
}
