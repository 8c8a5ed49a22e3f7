/**
 * Uploaded images (organization logos for now), stored in `images` and served by the web app at `/images/:id`.
 * The type is decided by the file's magic bytes, never by the name or the content type the client sent, and only
 * raster formats browsers render inertly are taken: an SVG or an HTML page renamed `.png` carries script, so it is
 * refused. Every upload gets a new id, so the URL can be cached forever.
 */
import { and, eq } from "drizzle-orm";
import { images, type Database } from "@latchkey/db";
import { fieldError } from "./errors.ts";

/** The largest upload accepted (1 MiB). The web route stops reading a bigger body before it reaches this code. */
export const MAX_IMAGE_BYTES = 1024 * 1024;

export type ImageContentType = "image/png" | "image/jpeg" | "image/webp" | "image/gif";

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((byte, i) => bytes[offset + i] === byte);
}

const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));

/** The image type the bytes actually are, or null for anything else (SVG, HTML, PDF, text, truncated files). */
export function detectImageType(bytes: Uint8Array): ImageContentType | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (startsWith(bytes, ascii("GIF87a")) || startsWith(bytes, ascii("GIF89a"))) return "image/gif";
  if (startsWith(bytes, ascii("RIFF")) && startsWith(bytes, ascii("WEBP"), 8)) return "image/webp";
  return null;
}

/** The checked type of an upload, or a 400 naming the field `image`. */
export function requireImage(bytes: Uint8Array): ImageContentType {
  if (bytes.length > MAX_IMAGE_BYTES) throw fieldError("image", "The image must be 1 MB or smaller.", "IMAGE_TOO_LARGE");
  const type = bytes.length > 0 ? detectImageType(bytes) : null;
  if (!type) throw fieldError("image", "Upload a PNG, JPEG, WebP or GIF image.", "IMAGE_UNSUPPORTED");
  return type;
}

export function imageUrl(id: string): string {
  return `/images/${id}`;
}

/** The id in an `/images/:id` URL we issued, else null (e.g. an external URL set some other way). */
export function imageIdFromUrl(url: string | null): string | null {
  const match = url ? /^\/images\/(img_[A-Za-z0-9]+)$/.exec(url) : null;
  return match ? match[1]! : null;
}

export async function deleteImagesOf(db: Database, ownerType: string, ownerId: string): Promise<void> {
  await db.delete(images).where(and(eq(images.ownerType, ownerType), eq(images.ownerId, ownerId)));
}

/** An image to serve, or null for an unknown (or malformed) id. */
export async function findImage(db: Database, id: string): Promise<{ contentType: string; bytes: Buffer } | null> {
  if (!/^img_[A-Za-z0-9]{1,64}$/.test(id)) return null;
  const [row] = await db.select({ contentType: images.contentType, bytes: images.bytes }).from(images).where(eq(images.id, id)).limit(1);
  return row ?? null;
}
